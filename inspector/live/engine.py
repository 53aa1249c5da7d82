"""The live engine: its own asyncio loop thread running the phone server and sessions.

The console (Qt main thread), the CLI and tests drive it through a
thread-safe API: every command returns a ``concurrent.futures.Future`` and
runs on the engine's loop; :meth:`Engine.latest_frame` reads the frame slot
directly. Events (``inspector.live.events``) go to one callback, called on the
engine's thread: the console's bridge turns them into Qt signals.

The pieces: the loop thread (:mod:`~inspector.live.loop`: deadlines, error
reporting, death detection), one :class:`~inspector.live.phone_session.PhoneSession`
per inspection (peer, frames, the checklist walk, the autopilot), the
start-up steps and background loops (:mod:`~inspector.live.startup`), and the
timings (:mod:`~inspector.live.timings`). This module is the façade that ties
them together.

An exception escaping any task on the loop becomes an ``EngineError`` event;
the engine stays up. The stats loop survives a failing round (reported, then
it goes on). A listener (``on_event``) that raises is logged and never reaches
the engine. If the loop thread itself ends without ``stop()`` (a
``SystemExit`` in a callback, someone stopping the loop), the engine emits a
last ``EngineError`` ("the engine stopped unexpectedly ...") from that thread
and ``running`` becomes False; commands then fail with
:class:`EngineNotRunning`. ``stop()`` never hangs: every step has a deadline.

One process owns a data folder's live sessions: ``start()`` takes the folder's
:class:`~inspector.live.owner.LiveLock` (``stop()`` gives it up) and fails with
"already served by process N" when another process holds it. Holding it, the
engine knows an inspection still marked live is left over from a call that
ended with a crash: before listening it writes what its spool kept, puts such
inspections back to what their photos say and reports a ``CallInterrupted``
for each. A session closed (call ended, engine stopped) does the same for its
inspection, without the report.

The loop never waits on the database: every store call runs in the executor;
token checks are answered from memory (:meth:`Invitations.known`); the
session's writes go through a :class:`~inspector.storage.spool.LiveWriter` whose
spool takes them while another process holds the database's write lock (the
engine retries it every ``SPOOL_RETRY`` seconds).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import functools
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from inspector.config import ServerSettings
from inspector.domain.checklist import Shot
from inspector.domain.models import Damage, DamageType, InspectionStatus, Part, Severity
from inspector.domain.signature import Summary
from inspector.live import events, startup
from inspector.live.frames import Frame
from inspector.live.loop import LoopNotRunning, LoopThread
from inspector.live.owner import DataDirBusy, LiveLock
from inspector.live.phone_session import PhoneSession
from inspector.live.server import PhoneServer
from inspector.live.server.claims import SharedClaims
from inspector.live.session import DamagePair, Mode, SessionController
from inspector.live.startup import EngineStartError
from inspector.live.timings import (
    DRAIN_TIMEOUT,
    ENGINE_START_TIMEOUT,
    ENGINE_STOP_TIMEOUT,
    GRACE_SECONDS,
    HEARTBEAT_TIMEOUT,
    SETTLE_SECONDS,
    STEADY_SECONDS,
    STILL_TIMEOUT,
    LiveTimings,
)
from inspector.live.tokens import Invitations
from inspector.storage.spool import LiveWriter, Mirror
from inspector.storage.store import Store
from inspector.usecases import status as lifecycle

__all__ = ["Engine", "EngineNotRunning", "EngineStartError"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")
#: A shutdown's last seconds of waiting for captures: a still still arriving then is
#: given up for its video frame, which takes well under this to store.
_HURRY_MARGIN = 3.0
EventCallback = Callable[[events.Event], None]

#: A command sent to an engine that is not running (never started, stopped, dead).
EngineNotRunning = LoopNotRunning


class Engine:
    """See the module docstring. ``start()`` → base URL; ``stop()``; commands → futures."""

    def __init__(
        self,
        store: Store,
        settings: ServerSettings,
        on_event: EventCallback,
        *,
        autopilot: bool = False,
        still_timeout: float = STILL_TIMEOUT,
        steady_seconds: float = STEADY_SECONDS,
        settle_seconds: float = SETTLE_SECONDS,
        auto_advance: bool = True,
        heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
        grace_seconds: float = GRACE_SECONDS,
        assets: Path | None = None,
        extend_app: Callable[[web.Application], None] | None = None,
        settle_interrupted: bool = True,
        shared_claims: bool | None = None,
        mirror: Mirror | None = None,
        relayed_calls: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.store = store
        #: Inspections whose call runs elsewhere but through this process (the team
        #: server's relay to a console): as much this process's own as its sessions.
        self.relayed_calls = relayed_calls
        #: Where every live write must be acknowledged too (a team server), if anywhere.
        self.mirror = mirror
        self.settings = settings
        self.on_event = on_event
        self.autopilot = autopilot
        self.timings = LiveTimings(
            still_timeout=still_timeout,
            heartbeat_timeout=heartbeat_timeout,
            grace_seconds=grace_seconds,
            steady_seconds=steady_seconds,
            settle_seconds=settle_seconds,
        )
        self.auto_advance = auto_advance
        self.assets = assets
        #: Adds routes and middlewares to the phone server's app (the team server's).
        self.extend_app = extend_app
        #: Whether an inspection left "live" is settled at start (a crash of this folder's
        #: owner). Not for a team server: on a shared database another process may hold it.
        self.settle_interrupted = settle_interrupted
        #: Whether the device rule is kept in the database too (``server.claims``): by
        #: default on a shared database (PostgreSQL), where another process may serve
        #: the same inspection; the team server always.
        if shared_claims is None:
            shared_claims = not store.is_sqlite
        self.shared_claims = shared_claims and not store.readonly
        self.invitations = Invitations(store, settings.token_ttl_seconds)
        self.base_url: str | None = None
        self.lan_url: str | None = None
        self.port: int | None = None
        self.thread = LoopThread(
            "engine", on_error=self._on_error, on_death=self._on_death, shutdown=self._astop
        )
        self._server: PhoneServer | None = None
        self._sessions: dict[str, PhoneSession] = {}
        self._lock = threading.Lock()  # settings the console changes from its thread
        self._modes: dict[str, Mode] = {}
        self._languages: dict[str, str] = {}  # the seller's, known from the invitation
        self._store_state = events.StoreState(True, 0)  # the last said
        self._background: list[asyncio.Task[None]] = []  # stats and spool loops
        self._live_lock = LiveLock(store.data_dir)
        #: The session's writes; made once the engine owns the data folder (``start``).
        self.writer: LiveWriter | None = None

    # -- lifecycle (any thread) ---------------------------------------------------

    @property
    def running(self) -> bool:
        return self.thread.running

    @property
    def died(self) -> str | None:
        """Why the loop thread ended on its own (None while running or after stop())."""
        return self.thread.died

    def start(self, timeout: float = ENGINE_START_TIMEOUT) -> str:
        """Start the loop thread and the server; blocks until listening; returns the base URL."""
        if self.running:
            raise EngineStartError("the engine is already running")
        try:
            self._live_lock.acquire()
        except DataDirBusy as exc:
            raise EngineStartError(str(exc)) from None
        try:
            # Only the folder's owner touches its spool.
            self.writer = LiveWriter(self.store, mirror=self.mirror)
        except OSError as exc:
            self._live_lock.release()
            raise EngineStartError(f"cannot read the spool: {exc}") from None
        self.thread.start()
        future = self.thread.call(self._astart())
        try:
            return future.result(timeout)
        except BaseException as exc:
            future.cancel()
            self.stop(timeout=5.0)
            if isinstance(exc, EngineStartError) or not isinstance(exc, Exception):
                raise  # ours, or Ctrl-C while starting: not a failure to explain
            if isinstance(exc, concurrent.futures.TimeoutError):
                raise EngineStartError(f"the server did not start within {timeout} s") from None
            raise EngineStartError(f"the server could not start: {exc}") from exc

    def stop(self, timeout: float = ENGINE_STOP_TIMEOUT) -> None:
        """Close sessions, peers, sockets, the server and the loop; returns within ~timeout."""
        if not self.thread.stop(timeout):
            return
        self._server = None
        self._live_lock.release()

    def drain(self, timeout: float = DRAIN_TIMEOUT) -> int:
        """A graceful shutdown's first half (any thread but the engine's); then ``stop()``.

        Stop listening (open connections go on), stop the autopilots (no new capture
        request), wait at most ``timeout`` for the stills on their way to be stored,
        end the sessions (their inspections settled), then tell every phone ``bye`` on
        its signaling socket: the page reconnects by itself, through the proxy to
        another server. Returns how many captures it waited for.
        """
        if not self.running:
            return 0
        future = self.call(self._adrain(timeout))
        try:
            return future.result(timeout + 10.0)
        except Exception as exc:  # a shutdown goes on whatever happened
            log.warning("draining the engine failed: %s", exc)
            return 0

    async def _adrain(self, timeout: float) -> int:
        server = self._server
        if server is not None:
            server.stop_accepting()
        sessions = list(self._sessions.values())
        for session in sessions:
            if session.autopilot is not None:
                await session.autopilot.stop()
                session.autopilot = None
        waiting = [
            future
            for session in sessions
            if session.controller is not None
            for future in session.controller.unsettled_captures()
        ]
        if waiting:
            log.info("shutting down: waiting for %d capture(s) to be stored", len(waiting))
            # Stills still arriving near the end fall back to their video frame, stored
            # before the deadline: something kept rather than nothing.
            margin = min(_HURRY_MARGIN, timeout / 2)
            _, pending = await asyncio.wait(waiting, timeout=timeout - margin)
            if pending:
                for session in sessions:
                    if session.controller is not None:
                        session.controller.hurry_captures()
                await asyncio.wait(pending, timeout=margin)
        # The sessions end (their inspections settled) before any phone is told to go: a
        # phone reconnecting elsewhere finds its inspection settled, never settled after.
        self._sessions.clear()
        if sessions:
            await asyncio.wait(
                [asyncio.ensure_future(s.close("server shutting down")) for s in sessions],
                timeout=4.0,
            )
        if server is not None:
            await asyncio.wait_for(server.signaling.close(), 4.0)
        return len(waiting)

    async def _astart(self) -> str:
        # Before listening: no phone may join a half-recovered folder.
        if self.settle_interrupted:
            await startup.recover(
                self.store, self.thread, self._flush_spool, self._settle, self.emit
            )
        else:
            await self._flush_spool()
        if not self.store.readonly:
            days = self.settings.recording_retention_days
            await startup.sweep_recordings(self.store, self.thread, days, self.emit)
        listening = await startup.listen(
            self.settings,
            self.invitations,
            self,
            data_dir=self.store.data_dir,
            thread=self.thread,
            assets=self.assets,
            grace_seconds=self.timings.grace_seconds,
            extend=self.extend_app,
            claims=SharedClaims(self.store.claims) if self.shared_claims else None,
            on_claim_lost=lambda inspection_id: self._end(inspection_id, "taken over elsewhere"),
        )
        self._server = listening.server
        self.port = listening.port
        self.base_url, self.lan_url = listening.base_url, listening.lan_url
        self._live_lock.announce(self.base_url, self.lan_url)
        loop = asyncio.get_running_loop()
        self._background = [
            loop.create_task(
                startup.stats_loop(lambda: list(self._sessions.values()), self.emit), name="stats"
            ),
            loop.create_task(startup.spool_loop(self._flush_spool), name="spool"),
        ]
        if not self.store.readonly:
            days = self.settings.recording_retention_days
            retention = startup.retention_loop(self.store, self.thread, days, self.emit)
            self._background.append(loop.create_task(retention, name="retention"))
        claims = listening.server.claims
        if claims is not None and not self.settle_interrupted:  # a team server's duty
            abandoned = startup.abandoned_loop(
                claims,
                lambda: [*self._sessions, *self.relayed_calls()],
                self.store,
                self.thread,
                self._settle,
                self.emit,
            )
            self._background.append(loop.create_task(abandoned, name="abandoned-calls"))
        self.emit(events.Listening(self.base_url, self.lan_url, listening.local_url))
        return self.base_url

    async def _astop(self) -> None:
        for task in self._background:
            task.cancel()
        sessions = list(self._sessions.values())
        self._sessions.clear()
        if sessions:
            await asyncio.wait(
                [asyncio.ensure_future(s.close("engine stopped")) for s in sessions], timeout=4.0
            )
        if self._server is not None:
            await asyncio.wait_for(self._server.close(), 4.0)
        with contextlib.suppress(TimeoutError):  # what is left waits for the next start
            await asyncio.wait_for(self._flush_spool(), 2.0)
        await self.thread.cancel_spawned(1.0)

    # -- plumbing -------------------------------------------------------------------

    def emit(self, event: events.Event) -> None:
        """Hand an event to the listener; a listener that raises is logged, never fatal."""
        try:
            self.on_event(event)
        except Exception:
            log.exception("the event listener failed on %s", event.name)
        inspection_id = getattr(event, "inspection_id", None)
        session = self._sessions.get(inspection_id) if inspection_id else None
        if session is not None and session.recording is not None:
            session.recording.mark_event(event)  # the recording's timeline
        if isinstance(event, events.CaptureStored) and event.spooled:
            self._say_store_state()

    def _say_store_state(self) -> None:
        """A StoreState event when the store stops or starts taking the live writes."""
        writer = self.writer
        if writer is None:
            return
        pending = writer.pending()
        state = events.StoreState(
            pending == 0, pending, "" if not pending else writer.unavailable or ""
        )
        if state != self._store_state:
            self._store_state = state
            self.emit(state)

    def _on_error(self, message: str) -> None:
        self.emit(events.EngineError(message[:500]))

    def _on_death(self, why: str) -> None:
        self.emit(events.EngineError(f"the engine stopped unexpectedly ({why}); restart it"[:500]))

    def call(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        """Run a coroutine on the engine's loop from any thread (e.g. the demo phone)."""
        return self.thread.call(coro)

    def _session(self, inspection_id: str) -> PhoneSession:
        session = self._sessions.get(inspection_id)
        if session is None:
            mode = self._modes.get(inspection_id, "self" if self.autopilot else "operator")
            session = PhoneSession(self, inspection_id, mode)
            self._sessions[inspection_id] = session
        return session

    async def _controller(self, inspection_id: str) -> SessionController:
        return await self._session(inspection_id).ensure_controller()

    def _command(
        self, inspection_id: str, act: Callable[[SessionController], _T | Awaitable[_T]]
    ) -> concurrent.futures.Future[_T]:
        """Any thread: ``act`` on the inspection's controller (opened if need be), on the loop."""

        async def go() -> _T:
            result = act(await self._controller(inspection_id))
            return await result if inspect.isawaitable(result) else result

        return self.call(go())

    async def _mark(self, inspection_id: str, status: InspectionStatus) -> None:
        """Invited or live (see inspector.usecases.status); a failure is reported only."""
        change = lifecycle.live if status is InspectionStatus.LIVE else lifecycle.invited
        assert self.writer is not None
        try:
            await self.thread.run(change, self.writer, inspection_id)
        except Exception as exc:
            log.warning("%s: cannot mark it %s: %s", inspection_id, status.value, exc)
            self.emit(events.EngineError(f"cannot mark it {status.value}: {exc}"[:500]))

    async def _settle(self, inspection_id: str) -> InspectionStatus | None:
        """No call holds it any more: "live" goes back to what its photos say."""
        assert self.writer is not None
        try:
            return await self.thread.run(
                lifecycle.restore_after_interruption, self.writer, inspection_id
            )
        except Exception as exc:
            log.warning("%s: cannot settle its status: %s", inspection_id, exc)
            self.emit(events.EngineError(f"cannot settle its status: {exc}"[:500]))
            return None

    async def _flush_spool(self) -> None:
        await startup.flush_spool(self.writer, self.thread, self.emit)
        self._say_store_state()

    # -- SignalingBackend (loop thread) -------------------------------------------------

    def mode(self, inspection_id: str) -> str:
        return self._session(inspection_id).mode

    async def offer(self, inspection_id: str, sdp: str, device: str) -> str:
        return await self._session(inspection_id).offer(sdp)

    async def bye(self, inspection_id: str, device: str) -> None:
        session = self._sessions.get(inspection_id)
        if session is not None:
            await session.close_link("bye")

    def last_seen(self, inspection_id: str) -> float | None:
        session = self._sessions.get(inspection_id)
        return None if session is None else session.last_seen()

    def language(self, inspection_id: str) -> str | None:
        session = self._sessions.get(inspection_id)
        controller = None if session is None else session.controller
        if controller is None:  # no call yet: the language the seller was invited in
            return self._languages.get(inspection_id)
        return controller.language

    def takeover_asked(self, inspection_id: str) -> None:
        self.emit(events.TakeoverAsked(inspection_id))

    # -- commands (any thread) -------------------------------------------------------------

    def invite(
        self,
        inspection_id: str,
        mode: Mode | None = None,
        *,
        actor: str | None = None,
        request_id: str | None = None,
    ) -> concurrent.futures.Future[events.Invite]:
        """Issue a join link (status → invited); the Invite event is emitted too.
        ``actor`` and ``request_id``: who sends it and their request, for the audit log
        (else the one acting in the worker)."""
        return self.call(self._invite(inspection_id, mode, actor, request_id))

    async def _invite(
        self,
        inspection_id: str,
        mode: Mode | None,
        actor: str | None = None,
        request_id: str | None = None,
    ) -> events.Invite:
        if mode is None:
            mode = "self" if self.autopilot else "operator"
        if mode not in ("operator", "self"):
            raise ValueError(f"mode must be 'operator' or 'self', not {mode!r}")
        inspection = await self.thread.run(self.store.get_inspection, inspection_id)
        self._languages[inspection_id] = inspection.seller.language.value
        token, expires_at = await self.thread.run(
            functools.partial(
                self.invitations.issue,
                inspection_id,
                mode=mode,
                actor=actor,
                request_id=request_id,
            )
        )
        await self._mark(inspection_id, InspectionStatus.INVITED)
        self._modes[inspection_id] = mode
        session = self._sessions.get(inspection_id)
        if session is not None and session.mode != mode and session.controller is None:
            session.mode = mode
        assert self.base_url is not None
        invite = events.Invite(inspection_id, f"{self.base_url}/j/{token}", expires_at.isoformat())
        self.emit(invite)
        return invite

    def revoke(self, inspection_id: str) -> concurrent.futures.Future[int]:
        """Revoke every link of the inspection and end its live session."""
        return self.call(self._revoke(inspection_id))

    async def _revoke(self, inspection_id: str) -> int:
        count = await self.thread.run(self.invitations.revoke, inspection_id)
        await self._end(inspection_id, "revoked")
        return count

    def answer_takeover(self, inspection_id: str, allow: bool) -> concurrent.futures.Future[bool]:
        """The operator's answer to another device asking for the inspection (TakeoverAsked).

        Allowed, that device's waiting page opens the inspection and the current phone
        is let go; the result is False when no request was waiting.
        """

        async def go() -> bool:
            if self._server is None:
                return False
            answered = self._server.signaling.answer_takeover(inspection_id, allow)
            if answered:
                log.info("%s: take-over %s", inspection_id, "allowed" if allow else "declined")
            return answered

        return self.call(go())

    def end_session(self, inspection_id: str) -> concurrent.futures.Future[None]:
        """End the inspection's live session (the phone is told; its state is settled)."""
        return self.call(self._end(inspection_id, "ended"))

    async def _end(self, inspection_id: str, reason: str) -> None:
        if self._server is not None:
            await self._server.disconnect(inspection_id)
        session = self._sessions.pop(inspection_id, None)
        if session is not None:
            await session.close(reason)

    def let_go(self, inspection_id: str) -> concurrent.futures.Future[None]:
        """Drop the call without touching its status: another console holds it now (a
        team server's call taken over). The phone's link closes; it reconnects by itself,
        and the server relays it to the console that took over."""
        return self.call(self._let_go(inspection_id))

    async def _let_go(self, inspection_id: str) -> None:
        session = self._sessions.pop(inspection_id, None)
        if session is not None:
            await session.close("taken over", settle=False)

    def set_auto_advance(self, inspection_id: str, on: bool) -> concurrent.futures.Future[None]:
        """Whether accepting a photo moves to the next shot (self-inspection always does)."""

        async def go() -> None:
            self.auto_advance = on
            controller = await self._controller(inspection_id)
            controller.auto_advance = on or self._session(inspection_id).mode == "self"

        return self.call(go())

    def select_shot(self, inspection_id: str, shot_id: str) -> concurrent.futures.Future[Shot]:
        """Make ``shot_id`` the current shot and show it on the phone."""
        return self._command(inspection_id, lambda c: c.select(shot_id))

    def next_shot(self, inspection_id: str) -> concurrent.futures.Future[Shot]:
        """The following shot (stays on the last one)."""
        return self._command(inspection_id, lambda c: c.next())

    def previous_shot(self, inspection_id: str) -> concurrent.futures.Future[Shot]:
        """The preceding shot (stays on the first one)."""
        return self._command(inspection_id, lambda c: c.previous())

    def add_damage_pair(self, inspection_id: str) -> concurrent.futures.Future[DamagePair]:
        """Record a damage (to complete) and add its wide view and close-up to the walk."""
        return self._command(inspection_id, lambda c: c.add_damage_pair())

    def complete_damage(
        self,
        inspection_id: str,
        damage_id: str,
        *,
        part: Part,
        type: DamageType,
        severity: Severity,
        note: str | None = None,
    ) -> concurrent.futures.Future[Damage]:
        """Say what a damage added live is: part, type, severity (and a note)."""
        return self._command(
            inspection_id,
            lambda c: c.complete_damage(
                damage_id, part=part, type=type, severity=severity, note=note
            ),
        )

    def request_signature(self, inspection_id: str) -> concurrent.futures.Future[Summary]:
        """Show the seller the summary to confirm and sign (again after a change)."""
        return self._command(inspection_id, lambda c: c.request_signature())

    def capture(self, inspection_id: str) -> concurrent.futures.Future[str]:
        """Ask for a still of the current shot; the future gives the capture id."""
        return self._command(inspection_id, lambda c: c.capture())

    def accept(self, inspection_id: str, capture_id: str) -> concurrent.futures.Future[None]:
        """Keep a capture; with auto-advance move on (or finish if nothing is left)."""
        return self._command(inspection_id, lambda c: c.accept(capture_id))

    def retake(self, inspection_id: str, capture_id: str) -> concurrent.futures.Future[None]:
        """Turn a capture down and ask the seller for that shot again, saying why."""
        return self._command(inspection_id, lambda c: c.retake(capture_id))

    def torch(self, inspection_id: str, on: bool) -> concurrent.futures.Future[None]:
        """Switch the phone's torch on or off."""
        return self._command(inspection_id, lambda c: c.torch(on))

    def pointer(
        self, inspection_id: str, x: float | None, y: float | None
    ) -> concurrent.futures.Future[None]:
        """Point at (x, y), 0-1 over the picture the phone shows; (None, None) hides it."""
        return self._command(inspection_id, lambda c: c.pointer(x, y))

    def message(self, inspection_id: str, text: str) -> concurrent.futures.Future[None]:
        """Show a short message on the phone."""

        def send(c: SessionController) -> None:
            c.message(text)
            session = self._sessions.get(inspection_id)
            if session is not None:
                session.mark("message", text=text.strip()[:500])

        return self._command(inspection_id, send)

    def session_info(self, inspection_id: str) -> concurrent.futures.Future[dict[str, Any]]:
        """Where the walk is: current shot, progress, shot states, link state, coverage map."""

        async def go() -> dict[str, Any]:
            c = await self._controller(inspection_id)
            session = self._session(inspection_id)
            p = c.progress
            return {
                "index": c.index,
                "shot_id": c.current.id,
                "total": len(c.shots),
                "done": p.done,
                "required": p.required,
                "complete": c.complete,
                # Originals of photos sent as previews still on their way (their bytes).
                "originals_pending": c.originals_pending,
                "originals_bytes_left": c.originals_bytes_left,
                "states": {k: v.value for k, v in c.states.items()},
                "connection": session.state,
                "mode": session.mode,
                "coverage": c.coverage,
                "recording": session.recording is not None and session.recording.recording,
                "recording_consent": (
                    None if session.recording is None else session.recording.consent
                ),
            }

        return self.call(go())

    def latest_frame(self, inspection_id: str) -> Frame | None:
        """Any thread, no waiting: the newest frame of the session (``.bgra()`` to paint)."""
        session = self._sessions.get(inspection_id)
        return None if session is None else session.frame_read()

    # -- options changed from other threads (the console) -----------------------------
    # Self-contained on purpose: the console never writes the engine's attributes.

    def set_default_auto_advance(self, on: bool) -> None:
        """Whether sessions opened from now on move on after Accept (any thread, any time).

        ``set_auto_advance`` changes an open session's controller as well.
        """
        with self._lock:
            self.auto_advance = on

    def restart_on_lan(self, timeout: float = 15.0) -> str:
        """Stop, then serve HTTPS on the local network (any thread but the engine's).

        Phones cannot open a loopback link; the console offers this in one click
        while no phone is connected. Every open session ends (a phone that was
        on loopback could only be this computer's own demo phone).
        """
        self.stop()
        with self._lock:
            self.settings = dataclasses.replace(self.settings, lan=True)
        return self.start_on_any_port(timeout)

    def start_on_any_port(self, timeout: float = 15.0) -> str:
        """``start()``; when the configured port is taken, start on a free one instead."""
        try:
            return self.start(timeout)
        except EngineStartError as exc:
            if self.settings.port == 0 or "in use" not in str(exc):
                raise
            log.warning("%s; using a free port instead", exc)
            with self._lock:
                self.settings = dataclasses.replace(self.settings, port=0)
            return self.start(timeout)
