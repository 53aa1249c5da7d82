"""One live session: the checklist walk between the console (or autopilot) and the phone.

The controller owns what the seller is asked to do right now (the current
shot) and greets the phone; its parts do the rest: the capture path
(:mod:`.capture`), the review of each photo (:mod:`.review`), the live
guidance (:mod:`.guidance`) and the damages added live (:mod:`.damage_pairs`),
sharing one :class:`~.context.SessionContext`. It is Qt-free and network-free:
it talks to the phone through the two-method :class:`~.context.PhoneLink`, so
the engine plugs in the real WebRTC peer and tests plug in an in-memory one.

Every method runs on the engine's asyncio loop. Quality analysis and store
writes go to the default executor so a 12 MP photo never stalls video or
heartbeats; writes go through a :class:`~inspector.storage.spool.LiveWriter`, so a
database locked by another process delays a photo's row, never the phone's
"saved". State that matters after a crash lives in the store (captures and
their review), which is why a new controller on the same inspection resumes at
the first shot still missing a usable photo.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from inspector.domain.checklist import Checklist, Shot, load_checklist
from inspector.domain.coverage import Coverage, coverage_of
from inspector.domain.framing import FRAMING_OVERLAYS, Framing, framing_score
from inspector.domain.models import (
    Capture,
    Damage,
    DamageType,
    Inspection,
    Language,
    Part,
    QualityReason,
    Severity,
)
from inspector.domain.progress import Progress
from inspector.domain.signature import Summary
from inspector.domain.walk import ShotState, Walk
from inspector.i18n import Localized
from inspector.live import events
from inspector.live.photo_receiver import Transfer
from inspector.live.session.capture import CapturePath
from inspector.live.session.confirmation import Confirmation
from inspector.live.session.context import (
    DONE,
    Frame,
    Mode,
    PhoneLink,
    SessionContext,
    session_language,
)
from inspector.live.session.damage_pairs import DamagePair, DamagePairs
from inspector.live.session.guidance import LiveGuidance, LiveSample
from inspector.live.session.identity import IdentityReader
from inspector.live.session.originals import Originals
from inspector.live.session.review import Review
from inspector.live.timings import (
    HINT_INTERVAL,
    STILL_PROGRESS_INTERVAL,
    STILL_STALL_LIMIT,
    STILL_TIMEOUT,
    STILL_TRANSFER_LIMIT,
)
from inspector.storage.spool import LiveWriter
from inspector.storage.store import Store

__all__ = ["SessionController"]

log = logging.getLogger(__name__)


def _no_emit(event: events.Event) -> None:
    del event


class SessionController:
    """The checklist walk of one inspection with one phone (see the module docstring).

    The controller's current shot is the truth: a phone that rejoins with a
    different ``hello.resume_shot`` is moved to the controller's shot, because
    the controller's position comes from the store and the operator's clicks,
    while the phone's may be stale (a reload, an old tab).
    """

    def __init__(
        self,
        store: Store,
        inspection_id: str,
        *,
        mode: Mode = "operator",
        emit: Callable[[events.Event], None] = _no_emit,
        still_timeout: float = STILL_TIMEOUT,
        auto_advance: bool = True,
        hint_interval: float = HINT_INTERVAL,
        writer: LiveWriter | None = None,
        actor: str | None = None,
    ) -> None:
        if mode not in ("operator", "self"):
            raise ValueError(f"mode must be 'operator' or 'self', not {mode!r}")
        if still_timeout <= 0:
            raise ValueError("still_timeout must be positive")
        writer = writer if writer is not None else LiveWriter(store)
        inspection = store.get_inspection(inspection_id)
        checklist = load_checklist(inspection.checklist)
        # With the spool's captures and reviews: written late, they are not lost meanwhile.
        captures = writer.overlay(inspection_id, None)
        damages = store.damages(inspection_id)
        # Starts at the first shot still needing a photo (see inspector.domain.walk).
        walk = Walk(checklist, captures, damages)
        self._ctx = SessionContext(
            store=store,
            writer=writer,
            inspection=inspection,
            checklist=checklist,
            walk=walk,
            mode=mode,
            emit=emit,
            actor=actor,
        )
        self._guidance = LiveGuidance(self._ctx, hint_interval=hint_interval)
        self._confirmation = Confirmation(self._ctx)
        self._identity = IdentityReader(self._ctx)
        # The walk done, the seller is shown the summary to confirm and sign; it is
        # complete once every original sent after its preview is in (.originals).
        self._review = Review(
            self._ctx, auto_advance=auto_advance, after_finish=self._confirmation.request
        )
        self._originals = Originals(self._ctx, on_settled=self._review.originals_settled)
        self._originals.load(captures)  # what a previous call left half-received
        self._review.originals = self._originals
        self._capture = CapturePath(
            self._ctx,
            still_timeout=still_timeout,
            latest_frame=self._guidance.latest_frame,
            originals=self._originals,
        )
        self._ctx.damages = {d.id: d for d in damages}
        self._ctx.coverage = self.coverage  # the phone gets it when it joins
        self._damages = DamagePairs(self._ctx, damages)
        self._shutter_handler: Callable[[], None] | None = None
        self._ready_handler: Callable[[str], None] | None = None

    @classmethod
    async def open(cls, store: Store, inspection_id: str, **kwargs: Any) -> SessionController:
        """Build a controller with its store reads in the executor (for the engine loop)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, functools.partial(cls, store, inspection_id, **kwargs)
        )

    # -- settings and read-only views ---------------------------------------------

    @property
    def inspection_id(self) -> str:
        return self._ctx.inspection_id

    @property
    def inspection(self) -> Inspection:
        return self._ctx.inspection

    @property
    def checklist(self) -> Checklist:
        return self._ctx.checklist

    @property
    def mode(self) -> Mode:
        return self._ctx.mode

    @property
    def auto_advance(self) -> bool:
        return self._review.auto_advance

    @auto_advance.setter
    def auto_advance(self, on: bool) -> None:
        self._review.auto_advance = on

    @property
    def still_timeout(self) -> float:
        return self._capture.still_timeout

    def watch_transfers(
        self,
        transfer: Callable[[str], Transfer | None],
        *,
        interval: float = STILL_PROGRESS_INTERVAL,
        stall: float = STILL_STALL_LIMIT,
        limit: float = STILL_TRANSFER_LIMIT,
    ) -> None:
        """How to see a still on its way from the phone (its link's receiver): one
        arriving when ``still_timeout`` is up is waited for while its bytes keep coming
        (looked at every ``interval``, a pause up to ``stall`` forgiven), up to ``limit``
        after the request."""
        self._capture.transfer = transfer
        self._capture.progress_interval = interval
        self._capture.stall_limit = stall
        self._capture.transfer_limit = limit

    def hurry_captures(self) -> None:
        """Shutting down: stills on their way are not waited for past ``still_timeout``."""
        self._capture.hurry()

    @property
    def hint_interval(self) -> float:
        return self._guidance.hint_interval

    @property
    def shots(self) -> list[Shot]:
        return self._ctx.walk.shots

    @property
    def index(self) -> int:
        return self._ctx.walk.index

    @property
    def current(self) -> Shot:
        return self._ctx.current

    @property
    def language(self) -> str:
        return self._ctx.language

    @property
    def linked(self) -> bool:
        return self._ctx.link is not None

    @property
    def live(self) -> LiveSample | None:
        """The newest analysed live frame (hint, motion, verdict), if any."""
        return self._guidance.live

    @property
    def capture_in_flight(self) -> bool:
        return self._capture.in_flight

    def unsettled_captures(self) -> list[asyncio.Future[Capture | None]]:
        """Capture requests still on their way or being stored (a shutdown waits for them)."""
        return self._capture.unsettled()

    @property
    def progress(self) -> Progress:
        return self._ctx.walk.progress

    @property
    def complete(self) -> bool:
        return self._ctx.walk.complete

    @property
    def states(self) -> dict[str, ShotState]:
        return self._ctx.walk.states()

    @property
    def damages(self) -> dict[int, Damage]:
        """The damages added live (this call or an earlier one), by pair number."""
        return dict(self._damages.by_pair)

    @property
    def coverage(self) -> Coverage:
        """The coverage map as it stands (see :mod:`inspector.domain.coverage`)."""
        ctx = self._ctx
        return coverage_of(ctx.checklist, ctx.walk.captures, ctx.damages.values())

    def captures_of(self, shot_id: str) -> list[Capture]:
        """Every capture of a shot this inspection has, oldest first."""
        return [c for c in self._ctx.walk.captures if c.shot_id == shot_id]

    def latest_capture(self, shot_id: str) -> Capture | None:
        """The newest capture of a shot, whatever its verdict."""
        return self._ctx.walk.latest_capture(shot_id)

    def latest_frame(self) -> Frame | None:
        """The newest video frame: the link's, else the last one given to :meth:`on_frame`."""
        return self._guidance.latest_frame()

    # -- the phone joining and leaving ------------------------------------------

    def attach(self, link: PhoneLink, hello: dict[str, Any]) -> None:
        """A phone joined (or rejoined): greet it and show the current shot.

        ``hello["resume_shot"]`` is only logged: the controller's current shot wins
        (see the class docstring).
        """
        self._ctx.link = link
        self._guidance.forget_hint()  # a fresh page shows no hint
        self._greet(hello)
        self._originals.attached()  # where each original on its way stands

    def detach(self) -> None:
        """The link is gone; everything else (pending captures included) stays."""
        self._ctx.link = None
        self._originals.detached()

    # -- originals (see .originals) ---------------------------------------------------

    @property
    def originals_pending(self) -> int:
        """Originals of photos sent as previews not stored yet."""
        return self._originals.count

    @property
    def originals_bytes_left(self) -> int:
        return self._originals.bytes_left

    async def wait_originals(self) -> None:
        """Until no original is pending."""
        await self._originals.wait_settled()

    def on_original_begin(self, capture_id: str, offset: int) -> None:
        self._originals.begin(capture_id, offset)

    def on_original_chunk(self, data: bytes) -> None:
        self._originals.chunk(data)

    def _greet(self, hello: dict[str, Any]) -> None:
        ctx = self._ctx
        self._confirmation.user_agent = str(hello.get("user_agent", ""))[:512]
        ctx.language = (
            session_language(hello.get("language"))
            or session_language(ctx.inspection.seller.language)
            or Language.FR.value
        )
        resume = hello.get("resume_shot")
        if isinstance(resume, str) and resume and resume != self.current.id:
            log.info(
                "%s: phone asked to resume at %r; staying at %r",
                self.inspection_id,
                resume,
                self.current.id,
            )
        progress = self.progress
        vehicle = ctx.inspection.vehicle
        ctx.send(
            "welcome",
            mode=ctx.mode,
            language=ctx.language,
            inspection={
                "id": self.inspection_id,
                "vehicle": vehicle.title(),
                "plate": vehicle.plate,
                "checklist": ctx.checklist.id,
                "total": progress.total,
                "required": progress.required,
                "done": progress.done,
            },
        )
        ctx.send_shot()
        ctx.update_coverage(resend=True)
        if ctx.finished:
            ctx.send("done", text=ctx.say(DONE))
            if self._confirmation.summary is not None:  # a reload: show it again
                summary = self._confirmation.summary
                ctx.send("summary", text=summary.text, sha256=summary.sha256, damages=[])

    async def handle_message(self, msg: dict[str, Any]) -> None:
        """A validated FROM_PHONE message other than photo transfer and heartbeat."""
        kind = msg.get("type")
        if kind == "shutter":
            if self.mode != "self":
                log.debug("%s: shutter ignored in operator mode", self.inspection_id)
            elif self._shutter_handler is not None:
                self._shutter_handler()  # the autopilot keeps one capture in flight
            elif not self._capture.in_flight:
                await self.capture()
        elif kind == "ready":
            if self.mode == "self" and self._ready_handler is not None:
                self._ready_handler(str(msg.get("shot_id", "")))
        elif kind == "hello":
            if self._ctx.link is not None:
                self._greet(msg)  # the page restarted on the same link: re-sync it
        elif kind == "signature":
            await self._confirmation.on_signature(msg)
        elif kind == "remark":
            await self._confirmation.on_remark(msg)
        elif kind == "original_lost":
            self._originals.lost(str(msg["id"]), str(msg.get("reason", "")))
        else:
            log.debug("%s: message %r not for the session", self.inspection_id, kind)

    async def request_signature(self) -> Summary:
        """Show the seller the summary to confirm and sign (again, after a change)."""
        return await self._confirmation.request()

    @property
    def summary(self) -> Summary | None:
        """The summary last shown to the seller, if any."""
        return self._confirmation.summary

    def set_shutter_handler(self, handler: Callable[[], None] | None) -> None:
        """Route the seller's shutter button to ``handler`` (the autopilot) instead."""
        self._shutter_handler = handler

    def set_ready_handler(self, handler: Callable[[str], None] | None) -> None:
        """Route the seller's "I'm in position" (with its shot id) to ``handler``."""
        self._ready_handler = handler

    def pace(self, step: str, text: Localized) -> None:
        """Tell the seller where self-inspection stands on the current shot."""
        self._ctx.send("pace", step=step, shot_id=self.current.id, text=self._ctx.say(text))

    async def framing(self) -> Framing | None:
        """The framing check of the newest frame against the current shot's outline.

        None when the shot's overlay is not a whole-car outline, or without a frame.
        """
        overlay = self.current.overlay
        frame = self.latest_frame()
        if overlay not in FRAMING_OVERLAYS or frame is None:
            return None
        return await self._ctx.run(framing_score, frame, overlay)

    # -- navigation --------------------------------------------------------------

    def select(self, shot_id: str) -> Shot:
        """Make ``shot_id`` the current shot and show it on the phone."""
        return self._ctx.select(shot_id)

    def next(self) -> Shot:
        """The following shot (stays on the last one)."""
        self._ctx.go(min(self.index + 1, len(self.shots) - 1))
        return self.current

    def previous(self) -> Shot:
        """The preceding shot (stays on the first one)."""
        self._ctx.go(max(self.index - 1, 0))
        return self.current

    # -- damages added live (see .damage_pairs) ------------------------------------

    async def add_damage_pair(self) -> DamagePair:
        """Record one more damage and append its wide view and close-up (DamagePairs.add)."""
        return await self._damages.add()

    async def complete_damage(
        self,
        damage_id: str,
        *,
        part: Part,
        type: DamageType,
        severity: Severity,
        note: str | None = None,
    ) -> Damage:
        """Say what a damage is (the operator's answer to "Add damage"): no longer to complete."""
        return await self._damages.complete(
            damage_id, part=part, type=type, severity=severity, note=note
        )

    # -- capturing (see .capture) ---------------------------------------------------

    async def capture(self) -> str:
        """Ask the phone for a still of the current shot; returns the capture id.

        If no still arrives within ``still_timeout`` the newest video frame is
        stored instead (source "frame"), so a flaky phone never blocks the walk.
        """
        request = self._capture.request()
        self._damages.link_when_stored(request.shot, request.result)
        return request.id

    async def wait_result(self, capture_id: str) -> Capture | None:
        """The stored capture of a request, or None if it failed (CapturePath.wait_result)."""
        return await self._capture.wait_result(capture_id)

    async def on_photo(
        self,
        capture_id: str,
        data: bytes,
        *,
        width: int,
        height: int,
        phone_time: datetime | float | None = None,
        original: dict[str, Any] | None = None,
    ) -> Capture | None:
        """A complete, hash-checked still arrived; store it with its verdict (a preview,
        with its ``original``'s header: stored as the photo until the original comes)."""
        return await self._capture.on_photo(
            capture_id,
            data,
            width=width,
            height=height,
            phone_time=phone_time,
            original=original,
        )

    def on_photo_failed(self, capture_id: str, reason: str) -> None:
        """The phone could not deliver the still: report it so the seller can retry."""
        self._capture.on_photo_failed(capture_id, reason)

    # -- review (see .review) ---------------------------------------------------------

    async def accept(self, capture_id: str, *, note: QualityReason | None = None) -> None:
        """Keep a capture; with auto_advance move on (or finish if nothing is left).

        A VIN, odometer or plate photo is then read in the background (IdentityRead).
        """
        await self._review.accept(capture_id, note=note)
        capture = next((c for c in self._ctx.walk.captures if c.id == capture_id), None)
        if capture is not None:
            self._identity.schedule(capture)

    async def retake(self, capture_id: str) -> None:
        """Turn a capture down and ask the seller for that shot again, saying why."""
        await self._review.retake(capture_id)

    # -- live guidance (see .guidance) ---------------------------------------------------

    def on_frame(self, frame: Frame) -> None:
        """A new video frame: keep it for the fallback and maybe sample a live hint."""
        self._guidance.on_frame(frame)

    async def sample(self, frame: Frame | None = None, *, fresh: float = 0.0) -> LiveSample | None:
        """Analyse ``frame`` (default: the newest) for the live hint; None without a frame.

        ``fresh``: the newest sample, if taken less than that many seconds ago, is enough.
        """
        return await self._guidance.sample(frame, fresh=fresh)

    def torch(self, on: bool) -> None:
        self._guidance.torch(on)

    def pointer(self, x: float | None, y: float | None) -> None:
        """Point at (x, y), 0-1 over the picture the phone shows; (None, None) hides it."""
        self._guidance.pointer(x, y)

    def message(self, text: str) -> None:
        self._guidance.message(text)

    # -- shutting down ----------------------------------------------------------------

    async def close(self) -> None:
        """Stop timers and sampling; pending requests settle as failed (None)."""
        sampling = self._guidance.stop()
        tasks: list[asyncio.Task[Any]] = [
            *self._capture.timers(),
            *sampling,
            *self._identity.tasks(),  # a reading still running is not waited for
        ]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._capture.settle_pending()
        self._ctx.link = None
        await self._originals.close()  # an original being stored lands (it is whole)
        # Links of close-ups just stored are short store writes: let them land. One
        # turn of the loop first, so that their "stored" callbacks have started them.
        await asyncio.sleep(0)
        await self._damages.settle()
