"""One live session: the checklist walk between the console (or autopilot) and the phone.

The controller owns what the seller is asked to do right now (the current
shot), turns capture requests into stored photos with a quality verdict, and
tells the phone what happened, in the seller's language. It is Qt-free and
network-free: it talks to the phone through the two-method :class:`PhoneLink`,
so the engine plugs in the real WebRTC peer and tests plug in an in-memory one.

Every method runs on the engine's asyncio loop. Quality analysis and store
writes go to the default executor so a 12 MP photo never stalls video or
heartbeats; writes go through a :class:`~inspector.spool.LiveWriter`, so a
database locked by another process delays a photo's row, never the phone's
"saved". State that matters after a crash lives in the store (captures and
their review), which is why a new controller on the same inspection resumes at
the first shot still missing a usable photo.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, ParamSpec, Protocol, TypeVar

import cv2
import numpy as np
import numpy.typing as npt

from inspector.domain import quality
from inspector.domain import status as status_rules
from inspector.domain.checklist import (
    Checklist,
    Shot,
    damage_pair,
    load_checklist,
    parse_damage_shot_id,
)
from inspector.domain.models import (
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Inspection,
    InspectionStatus,
    Language,
    Part,
    QualityReason,
    QualityReport,
    QualityThresholds,
    Severity,
    Text,
    Verdict,
)
from inspector.domain.progress import Progress
from inspector.domain.walk import ShotState, Walk
from inspector.live import damages as live_damage
from inspector.live import events, protocol
from inspector.live.timings import HINT_INTERVAL, STILL_TIMEOUT
from inspector.storage import StoreError
from inspector.storage.rows import new_id
from inspector.storage.spool import LiveWriter, reviewed
from inspector.storage.store import Store
from inspector.usecases import status as lifecycle

__all__ = [
    "DamagePair",
    "LiveSample",
    "Mode",
    "PhoneLink",
    "SessionController",
    "ShotState",
]

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]
Mode = Literal["operator", "self"]
_P = ParamSpec("_P")
_T = TypeVar("_T")

#: JPEG quality of a video frame stored as a capture fallback.
FRAME_JPEG_QUALITY = 92

_NOT_SAVED = Text(fr="Photo non enregistrée, réessayez", en="Photo not saved, retry")
_NO_PHOTO = Text(
    fr="Aucune photo reçue, réessayez",
    en="No photo received, please retry",
)
_UNREADABLE = Text(fr="Photo illisible, réessayez", en="Unreadable photo, retry")
_OPERATOR_RETAKE = Text(
    fr="Merci de reprendre cette photo",
    en="Please take this photo again",
)
_DONE = Text(
    fr="Merci ! Toutes les photos sont prises. Vous pouvez fermer cette page.",
    en="Thank you! All the photos are taken. You can close this page.",
)


class PhoneLink(Protocol):
    """What the controller needs from a connected phone (the peer, or a test double)."""

    def send(self, text: str) -> object:
        """Send one protocol text message; the result (if any) is ignored."""
        ...

    def latest_frame(self) -> Frame | None:
        """The newest decoded video frame as a BGR uint8 array, if any."""
        ...


@dataclass(frozen=True)
class LiveSample:
    """One analysed live frame: what the hint and the autopilot decide on."""

    at: float  # loop time
    metrics: dict[str, float]
    motion: float | None  # None for the first frame: nothing to compare with
    hint: QualityReason | None
    verdict: Verdict  # the still verdict, ignoring resolution (the stream is smaller)

    @property
    def steady(self) -> bool:
        return self.motion is not None and self.motion <= quality.MAX_MOTION


@dataclass(frozen=True)
class DamagePair:
    """A damage added live: its record (to complete) and the two shots to take of it.

    ``guess`` is the part guessed from the shot being taken, None when that shot
    shows no particular part (the record then holds a placeholder part).
    """

    number: int
    wide: Shot
    closeup: Shot
    damage: Damage
    guess: Part | None = None


@dataclass
class _Request:
    """A capture asked of the phone and not yet fulfilled."""

    id: str
    shot: Shot
    result: asyncio.Future[Capture | None]
    timer: asyncio.Task[None] | None = None


def _session_language(value: object) -> str | None:
    """'fr' or 'en' from a browser language tag like 'fr-FR', else None."""
    if not isinstance(value, str):
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in (Language.FR, Language.EN) else None


def _phone_datetime(value: datetime | float | None) -> datetime | None:
    """The phone's clock as a datetime; JS sends milliseconds since the epoch.

    Values small enough to be seconds are taken as seconds, so either unit works.
    """
    if value is None or isinstance(value, datetime):
        return value
    try:
        seconds = value / 1000.0 if abs(value) > 1e11 else float(value)
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _analyze_live(
    frame: Frame, previous: Frame | None, thresholds: QualityThresholds
) -> tuple[dict[str, float], float | None, QualityReason | None, Verdict]:
    """Executor side of a live sample: metrics, motion, hint and resolution-free verdict."""
    metrics = quality.measure(frame)
    motion = None if previous is None else quality.frame_difference(frame, previous)
    hint = quality.live_hint(metrics, motion, thresholds)
    # The video stream is smaller than the still will be: judge everything but size.
    any_size = dataclasses.replace(thresholds, min_width=1, min_height=1)
    verdict = quality.assess(metrics, any_size).verdict
    return metrics, motion, hint, verdict


def _encode_frame(frame: Frame, thresholds: QualityThresholds) -> tuple[bytes, QualityReport]:
    """Executor side of the frame fallback: JPEG bytes and their verdict."""
    if frame.ndim == 3 and frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)  # type: ignore[assignment]
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, FRAME_JPEG_QUALITY])
    if not ok:
        raise quality.QualityError("cannot encode the video frame as JPEG")
    return bytes(buf), quality.analyze_frame(frame, thresholds)


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
    ) -> None:
        if mode not in ("operator", "self"):
            raise ValueError(f"mode must be 'operator' or 'self', not {mode!r}")
        if still_timeout <= 0:
            raise ValueError("still_timeout must be positive")
        self._store = store
        self._writer = writer if writer is not None else LiveWriter(store)
        self.inspection_id = inspection_id
        self.mode: Mode = mode
        self._emit_cb = emit
        self.still_timeout = still_timeout
        self.auto_advance = auto_advance
        self.hint_interval = hint_interval

        self.inspection: Inspection = store.get_inspection(inspection_id)
        self.checklist: Checklist = load_checklist(self.inspection.checklist)
        # With the spool's captures and reviews: written late, they are not lost meanwhile.
        captures = self._writer.overlay(inspection_id, None)
        damages = store.damages(inspection_id)
        # Damages added live, by pair number: their record exists before their photos.
        self._damages: dict[int, Damage] = {d.pair: d for d in damages if d.pair is not None}
        # Starts at the first shot still needing a photo (see inspector.domain.walk).
        self._walk = Walk(self.checklist, captures, damages)
        self._damage_lock = asyncio.Lock()  # one pair number, one record, one at a time
        self._damage_tasks: set[asyncio.Task[None]] = set()
        self._language = _session_language(self.inspection.seller.language) or Language.FR.value
        self._finished = self._walk.complete  # resumed a complete inspection: nothing to ask

        self._link: PhoneLink | None = None
        self._pending: dict[str, _Request] = {}
        self._results: dict[str, asyncio.Future[Capture | None]] = {}
        self._last_frame: Frame | None = None
        self._prev_sample: Frame | None = None
        self._live: LiveSample | None = None
        self._hint_code: str | None = None
        self._last_sample_at = float("-inf")
        self._sample_lock: asyncio.Lock | None = None
        self._sample_task: asyncio.Task[LiveSample | None] | None = None
        self._shutter_handler: Callable[[], None] | None = None
        self._closed = False

    @classmethod
    async def open(cls, store: Store, inspection_id: str, **kwargs: Any) -> SessionController:
        """Build a controller with its store reads in the executor (for the engine loop)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, functools.partial(cls, store, inspection_id, **kwargs)
        )

    # -- read-only views ------------------------------------------------------

    @property
    def shots(self) -> list[Shot]:
        return self._walk.shots

    @property
    def index(self) -> int:
        return self._walk.index

    @property
    def current(self) -> Shot:
        return self._walk.current

    @property
    def language(self) -> str:
        return self._language

    @property
    def linked(self) -> bool:
        return self._link is not None

    @property
    def live(self) -> LiveSample | None:
        """The newest analysed live frame (hint, motion, verdict), if any."""
        return self._live

    @property
    def capture_in_flight(self) -> bool:
        return bool(self._pending)

    @property
    def progress(self) -> Progress:
        return self._walk.progress

    @property
    def complete(self) -> bool:
        return self._walk.complete

    @property
    def states(self) -> dict[str, ShotState]:
        return self._walk.states()

    @property
    def damages(self) -> dict[int, Damage]:
        """The damages added live (this call or an earlier one), by pair number."""
        return dict(self._damages)

    def captures_of(self, shot_id: str) -> list[Capture]:
        """Every capture of a shot this inspection has, oldest first."""
        return [c for c in self._walk.captures if c.shot_id == shot_id]

    def latest_capture(self, shot_id: str) -> Capture | None:
        """The newest capture of a shot, whatever its verdict."""
        return self._walk.latest_capture(shot_id)

    def latest_frame(self) -> Frame | None:
        """The newest video frame: the link's, else the last one given to :meth:`on_frame`."""
        frame = self._link.latest_frame() if self._link is not None else None
        if frame is not None:
            self._last_frame = frame
            return frame
        return self._last_frame

    # -- the phone joining and leaving ------------------------------------------

    def attach(self, link: PhoneLink, hello: dict[str, Any]) -> None:
        """A phone joined (or rejoined): greet it and show the current shot.

        ``hello["resume_shot"]`` is only logged: the controller's current shot wins
        (see the class docstring).
        """
        self._link = link
        self._hint_code = None  # a fresh page shows no hint
        self._greet(hello)

    def detach(self) -> None:
        """The link is gone; everything else (pending captures included) stays."""
        self._link = None

    def _greet(self, hello: dict[str, Any]) -> None:
        self._language = (
            _session_language(hello.get("language"))
            or _session_language(self.inspection.seller.language)
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
        vehicle = self.inspection.vehicle
        self._send(
            "welcome",
            mode=self.mode,
            language=self._language,
            inspection={
                "id": self.inspection_id,
                "vehicle": vehicle.title(),
                "plate": vehicle.plate,
                "checklist": self.checklist.id,
                "total": progress.total,
                "required": progress.required,
                "done": progress.done,
            },
        )
        self._send_shot()
        if self._finished:
            self._send("done", text=_DONE.get(self._language))

    async def handle_message(self, msg: dict[str, Any]) -> None:
        """A validated FROM_PHONE message other than photo transfer and heartbeat."""
        kind = msg.get("type")
        if kind == "shutter":
            if self.mode != "self":
                log.debug("%s: shutter ignored in operator mode", self.inspection_id)
            elif self._shutter_handler is not None:
                self._shutter_handler()  # the autopilot keeps one capture in flight
            elif not self._pending:
                await self.capture()
        elif kind == "hello":
            if self._link is not None:
                self._greet(msg)  # the page restarted on the same link: re-sync it
        else:
            log.debug("%s: message %r not for the session", self.inspection_id, kind)

    def set_shutter_handler(self, handler: Callable[[], None] | None) -> None:
        """Route the seller's shutter button to ``handler`` (the autopilot) instead."""
        self._shutter_handler = handler

    # -- navigation --------------------------------------------------------------

    def select(self, shot_id: str) -> Shot:
        """Make ``shot_id`` the current shot and show it on the phone."""
        try:
            index = self._walk.index_of(shot_id)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        self._go(index)
        return self.current

    def next(self) -> Shot:
        """The following shot (stays on the last one)."""
        self._go(min(self.index + 1, len(self._walk.shots) - 1))
        return self.current

    def previous(self) -> Shot:
        """The preceding shot (stays on the first one)."""
        self._go(max(self.index - 1, 0))
        return self.current

    async def add_damage_pair(self) -> DamagePair:
        """Record one more damage and append its wide view and close-up, numbered after the others.

        The damage is stored before anything else (a crash cannot lose it), with
        the part guessed from the current shot and marked "to complete"; see
        :mod:`inspector.live_damage`. If everything else was already done the
        new wide view becomes current, since it is now the only thing left to
        photograph. StoreError if the damage cannot be recorded (nothing changes).
        """
        if not self.checklist.damage_shots:
            raise ValueError(f"checklist {self.checklist.id!r} has no damage shots")
        async with self._damage_lock:
            number = self._walk.damage_count + 1
            part = live_damage.guess_part(self.current, self._damages)
            damage = live_damage.new_live_damage(self.inspection_id, number, part)
            await self._run(self._store.add_damage, damage)
            self._damages[number] = damage
            wide, closeup = self._walk.add_damage_pairs(number)
        if self._finished and wide.required:
            self._finished = False
            self.select(wide.id)
        return DamagePair(number, wide, closeup, damage, part)

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
        async with self._damage_lock:
            damage = await self._run(
                functools.partial(
                    live_damage.complete_damage,
                    self._store,
                    self.inspection_id,
                    damage_id,
                    part=part,
                    type=type,
                    severity=severity,
                    note=note,
                )
            )
            if damage.pair is not None:
                self._damages[damage.pair] = damage
            return damage

    def _link_when_stored(self, request: _Request) -> None:
        """Once a damage's close-up is stored, point the damage at it (see live_damage)."""
        parsed = parse_damage_shot_id(request.shot.id)
        if parsed is None or not self.checklist.damage_shots:
            return
        number = parsed[0]
        closeup_id = damage_pair(self.checklist, number)[1].id
        if request.shot.id != closeup_id:
            return

        def stored(result: asyncio.Future[Capture | None]) -> None:
            if result.cancelled() or result.result() is None or number not in self._damages:
                return
            task = asyncio.get_running_loop().create_task(
                self._link_closeup(number, result.result()), name=f"damage-link-{number}"
            )
            self._damage_tasks.add(task)
            task.add_done_callback(self._damage_tasks.discard)

        request.result.add_done_callback(stored)

    async def _link_closeup(self, number: int, capture: Capture | None) -> None:
        if capture is None:
            return
        async with self._damage_lock:
            damage = self._damages.get(number)
            if damage is None:
                return
            try:
                linked = await self._run(live_damage.link_closeup, self._store, damage, capture)
            except (StoreError, sqlite3.Error) as exc:
                # The pair number still finds the photo (inspections.damage_photos).
                log.warning(
                    "%s: damage %s not linked to %s: %s",
                    self.inspection_id,
                    damage.id,
                    capture.id,
                    exc,
                )
                return
            if linked is not None:
                self._damages[number] = linked

    def _go(self, index: int) -> None:
        if not self._walk.go(index):
            return
        self._send_shot()
        total = len(self._walk.shots)
        self._emit(events.ShotChanged(self.inspection_id, index, self.current.id, total))

    def _send_shot(self) -> None:
        shot = self.current
        lang = self._language
        self._send(
            "shot",
            index=self.index,
            total=len(self._walk.shots),
            id=shot.id,
            category=shot.category,
            title=shot.title.get(lang),
            instruction=shot.instruction.get(lang),
            overlay=shot.overlay,
            state=self._walk.state(shot.id).value,
        )

    # -- capturing ----------------------------------------------------------------

    async def capture(self) -> str:
        """Ask the phone for a still of the current shot; returns the capture id.

        If no still arrives within ``still_timeout`` the newest video frame is
        stored instead (source "frame"), so a flaky phone never blocks the walk.
        """
        loop = asyncio.get_running_loop()
        request = _Request(new_id(), self.current, loop.create_future())
        self._pending[request.id] = request
        self._results[request.id] = request.result
        self._send("capture", id=request.id)
        self._emit(events.CaptureRequested(self.inspection_id, request.id, request.shot.id))
        self._link_when_stored(request)
        request.timer = loop.create_task(
            self._fallback_after(request.id), name=f"capture-fallback-{request.id}"
        )
        return request.id

    async def wait_result(self, capture_id: str) -> Capture | None:
        """The stored capture of a request, or None if it failed; waits until it settles.

        Cancelling the waiter does not cancel the request.
        """
        future = self._results.get(capture_id)
        if future is None:
            raise ValueError(f"no capture request {capture_id!r}")
        return await asyncio.shield(future)

    async def on_photo(
        self,
        capture_id: str,
        data: bytes,
        *,
        width: int,
        height: int,
        phone_time: datetime | float | None = None,
    ) -> Capture | None:
        """A complete, hash-checked still arrived; store it with its verdict.

        Unknown or already-fulfilled ids (a still arriving after the frame
        fallback) are ignored so a request never yields two captures.
        """
        request = self._take(capture_id)
        if request is None:
            log.info(
                "%s: ignoring photo for unknown or fulfilled capture %s",
                self.inspection_id,
                capture_id,
            )
            return None
        try:
            report = await self._run(quality.analyze_jpeg, data, request.shot.quality)
        except quality.QualityError as exc:
            self._fail(request, f"cannot analyse the photo: {exc}", _UNREADABLE)
            return None
        return await self._store_capture(
            request,
            data,
            width=width,
            height=height,
            source=CaptureSource.STILL,
            report=report,
            phone_time=_phone_datetime(phone_time),
        )

    def on_photo_failed(self, capture_id: str, reason: str) -> None:
        """The phone could not deliver the still: report it so the seller can retry."""
        request = self._take(capture_id)
        if request is None:
            log.info(
                "%s: photo failure for unknown capture %s: %s",
                self.inspection_id,
                capture_id,
                reason,
            )
            return
        self._fail(request, reason or "the phone could not send the photo", _NOT_SAVED)

    def _take(self, capture_id: str) -> _Request | None:
        """Claim a pending request (once) and stop its fallback timer."""
        request = self._pending.pop(capture_id, None)
        if request is not None and request.timer is not None:
            if request.timer is not asyncio.current_task():
                request.timer.cancel()
            request.timer = None
        return request

    async def _fallback_after(self, capture_id: str) -> None:
        await asyncio.sleep(self.still_timeout)
        request = self._take(capture_id)
        if request is None:
            return
        frame = self.latest_frame()
        if frame is None:
            self._fail(request, "no photo arrived and no video frame was seen", _NO_PHOTO)
            return
        log.info(
            "%s: no still for %s after %.1f s; storing the video frame",
            self.inspection_id,
            capture_id,
            self.still_timeout,
        )
        try:
            data, report = await self._run(_encode_frame, frame, request.shot.quality)
        except quality.QualityError as exc:
            self._fail(request, f"cannot use the video frame: {exc}", _NO_PHOTO)
            return
        height, width = frame.shape[:2]
        await self._store_capture(
            request,
            data,
            width=width,
            height=height,
            source=CaptureSource.FRAME,
            report=report,
            phone_time=None,
        )

    async def _store_capture(
        self,
        request: _Request,
        data: bytes,
        *,
        width: int,
        height: int,
        source: CaptureSource,
        report: QualityReport,
        phone_time: datetime | None,
    ) -> Capture | None:
        """Make the photo durable (store, or spool if the database is locked), then say so."""
        previous = self.latest_capture(request.shot.id)
        try:
            saved = await self._run(
                functools.partial(
                    self._writer.add_capture,
                    self.inspection_id,
                    request.shot.id,
                    data,
                    width=width,
                    height=height,
                    source=source,
                    quality=report,
                    phone_time=phone_time,
                    retake_of=previous.id if previous is not None else None,
                    capture_id=request.id,
                )
            )
            capture = saved.capture
            path = str(self._store.photo_path(capture.sha256))
        except StoreError as exc:
            log.warning("%s: capture %s not stored: %s", self.inspection_id, request.id, exc)
            self._fail(request, str(exc), _NOT_SAVED)
            return None
        self._walk.add_capture(capture)
        reject = report.verdict is Verdict.REJECT
        self._send(
            "capture_result",
            id=capture.id,
            verdict=report.verdict.value,
            reasons=self._reason_texts(report.reasons),
            stored=True,
            retake=reject,
        )
        self._emit(
            events.CaptureStored(self.inspection_id, capture, path=path, spooled=saved.spooled)
        )
        if not request.result.done():
            request.result.set_result(capture)
        return capture

    def _fail(self, request: _Request, reason: str, said: Text) -> None:
        """Nothing was stored for ``request``: tell the phone and the console."""
        self._send(
            "capture_result",
            id=request.id,
            verdict="error",
            reasons=[said.get(self._language)],
            stored=False,
            retake=True,
        )
        self._emit(events.CaptureFailed(self.inspection_id, request.id, reason))
        if not request.result.done():
            request.result.set_result(None)

    def _reason_texts(self, reasons: tuple[QualityReason, ...]) -> list[str]:
        return [r.message.get(self._language) for r in reasons]

    # -- review -------------------------------------------------------------------

    async def accept(self, capture_id: str, *, note: QualityReason | None = None) -> None:
        """Keep a capture; with auto_advance move on (or finish if nothing is left).

        ``note`` (the autopilot's "kept after N attempts") is added to the
        capture's quality reasons so the inspector sees why it needs a look.
        """
        capture = self._reviewed(capture_id, True)
        await self._run(self._writer.review, capture_id, True, note)
        self._replace(capture, accepted=True, quality=reviewed(capture, True, note).quality)
        self._emit(events.CaptureReviewed(self.inspection_id, capture_id, True))
        if not self.auto_advance:
            if self.complete and not self._finished:
                await self._finish()
            return
        following = self._walk.next_needing(self.index)
        if following is None:
            if not self._finished:
                await self._finish()
        elif capture.shot_id == self.current.id:
            self._go(following)

    async def retake(self, capture_id: str) -> None:
        """Turn a capture down and ask the seller for that shot again, saying why."""
        capture = self._reviewed(capture_id, False)
        await self._run(self._writer.review, capture_id, False)
        self._replace(capture, accepted=False)
        self._emit(events.CaptureReviewed(self.inspection_id, capture_id, False))
        if not self.complete:
            self._finished = False
        reasons = self._reason_texts(capture.quality.reasons) or [
            _OPERATOR_RETAKE.get(self._language)
        ]
        if capture.shot_id != self.current.id:
            self.select(capture.shot_id)  # "take it again" means now, so go there
        self._send(
            "capture_result",
            id=capture_id,
            verdict=capture.quality.verdict.value,
            reasons=reasons,
            stored=True,
            retake=True,
        )

    def _reviewed(self, capture_id: str, accepted: bool) -> Capture:
        for capture in self._walk.captures:
            if capture.id == capture_id:
                return capture
        verb = "accept" if accepted else "retake"
        raise ValueError(f"cannot {verb} capture {capture_id!r}: not a capture of this session")

    def _replace(self, capture: Capture, **changes: Any) -> None:
        # Replace rather than mutate: the console may still hold the old object.
        for c in self._walk.captures:
            if c.id == capture.id:
                self._walk.add_capture(dataclasses.replace(c, **changes))

    async def _finish(self) -> None:
        """Every required shot has a usable photo: thank the seller, mark the inspection."""
        self._finished = True
        self._walk.finish()
        self._send("done", text=_DONE.get(self._language))
        try:
            await self._run(self._mark_captured)
        except StoreError as exc:
            log.warning("%s: cannot mark the inspection captured: %s", self.inspection_id, exc)
            self._emit(events.EngineError(str(exc), self.inspection_id))
        self._emit(events.Completed(self.inspection_id))

    def _mark_captured(self) -> None:
        lifecycle.captured(self._writer, self.inspection_id)
        if self.inspection.status in status_rules.CAPTURED.allowed_from:
            self.inspection.status = InspectionStatus.CAPTURED

    # -- live guidance ------------------------------------------------------------

    def on_frame(self, frame: Frame) -> None:
        """A new video frame: keep it for the fallback and maybe sample a live hint.

        Cheap on the loop: at most one analysis every ``hint_interval`` seconds,
        in the executor, and a frame is dropped while one is still running.
        """
        self._last_frame = frame
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        busy = self._sample_task is not None and not self._sample_task.done()
        if busy or now - self._last_sample_at < self.hint_interval:
            return
        self._last_sample_at = now
        self._sample_task = loop.create_task(self.sample(frame), name="live-hint")
        self._sample_task.add_done_callback(self._sample_done)

    def _sample_done(self, task: asyncio.Task[LiveSample | None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: live hint failed", self.inspection_id, exc_info=task.exception())

    async def sample(self, frame: Frame | None = None) -> LiveSample | None:
        """Analyse ``frame`` (default: the newest) for the live hint; None without a frame.

        Sends the phone a ``hint`` only when the hint changes, and emits LiveHint then.
        """
        if frame is None:
            frame = self.latest_frame()
        if frame is None:
            return None
        if self._sample_lock is None:
            self._sample_lock = asyncio.Lock()
        async with self._sample_lock:
            shot = self.current
            try:
                metrics, motion, hint, verdict = await self._run(
                    _analyze_live, frame, self._prev_sample, shot.quality
                )
            except quality.QualityError as exc:
                log.debug("%s: frame not analysed: %s", self.inspection_id, exc)
                return None
            self._prev_sample = frame
            sample = LiveSample(asyncio.get_running_loop().time(), metrics, motion, hint, verdict)
            self._live = sample
            code = hint.code if hint is not None else None
            if code != self._hint_code:
                self._hint_code = code
                text = hint.message.get(self._language) if hint is not None else ""
                self._send("hint", code=code, text=text)
                self._emit(events.LiveHint(self.inspection_id, code, dict(metrics)))
            return sample

    # -- operator tools -------------------------------------------------------------

    def torch(self, on: bool) -> None:
        self._send("torch", on=bool(on))

    def pointer(self, x: float | None, y: float | None) -> None:
        """Point at (x, y), 0-1 over the picture the phone shows; (None, None) hides it."""
        if (x is None) != (y is None):
            raise ValueError("pointer needs both x and y, or neither to hide it")
        if x is not None and y is not None and not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValueError(f"pointer position ({x}, {y}) must be within 0-1")
        self._send("pointer", x=x, y=y)

    def message(self, text: str) -> None:
        text = text.strip()
        if not text:
            raise ValueError("the message is empty")
        limit = protocol.TO_PHONE["message"]["text"].max_len
        if len(text) > limit:
            raise ValueError(f"the message is too long ({len(text)} characters, at most {limit})")
        self._send("message", text=text)

    # -- shutting down ----------------------------------------------------------------

    async def close(self) -> None:
        """Stop timers and sampling; pending requests settle as failed (None)."""
        self._closed = True
        tasks: list[asyncio.Task[Any]] = [
            r.timer for r in self._pending.values() if r.timer is not None
        ]
        if self._sample_task is not None:
            tasks.append(self._sample_task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for request in self._pending.values():
            if not request.result.done():
                request.result.set_result(None)
        self._pending.clear()
        self._link = None
        # Links of close-ups just stored are short store writes: let them land. One
        # turn of the loop first, so that their "stored" callbacks have started them.
        await asyncio.sleep(0)
        if self._damage_tasks:
            await asyncio.gather(*self._damage_tasks, return_exceptions=True)

    # -- plumbing ---------------------------------------------------------------------

    def _send(self, kind: str, **fields: Any) -> None:
        """Validate and send; dropped when no phone is linked (attach re-sends the shot)."""
        text = protocol.encode(kind, **fields)
        if self._link is None:
            return
        try:
            self._link.send(text)
        except Exception:  # a dying transport must not take the session down
            log.warning("%s: sending %s failed", self.inspection_id, kind, exc_info=True)

    def _emit(self, event: events.Event) -> None:
        try:
            self._emit_cb(event)
        except Exception:  # a broken listener must not break the capture path
            log.exception("%s: event listener failed on %s", self.inspection_id, event.name)

    async def _run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))
