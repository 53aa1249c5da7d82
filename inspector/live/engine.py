"""The live engine: its own asyncio loop thread running the phone server and sessions.

The console (Qt main thread), the CLI and tests drive it through a
thread-safe API: every command returns a ``concurrent.futures.Future`` and
runs on the engine's loop; :meth:`Engine.latest_frame` reads the frame slot
directly. Events (``inspector.events``) go to one callback, called on the
engine's thread: the console's bridge turns them into Qt signals.

Per inspection the engine keeps a session: the frame slot, the
:class:`~inspector.session.SessionController` (checklist walk, captures), the
current :class:`~inspector.peer.PhonePeer` (one per negotiation: a reconnecting
phone replaces it, the controller and its state stay) and, for
self-inspection with ``autopilot=True``, an :class:`~inspector.autopilot.Autopilot`.

An exception escaping any task on the loop becomes an ``EngineError`` event;
the engine stays up. The stats loop survives a failing round (reported, then
it goes on). A listener (``on_event``) that raises is logged and never reaches
the engine. If the loop thread itself ends without ``stop()`` (a
``SystemExit`` in a callback, someone stopping the loop), the engine emits a
last ``EngineError`` ("the engine stopped unexpectedly ...") from that thread
and ``running`` becomes False; commands then fail with
:class:`EngineNotRunning`. ``stop()`` never hangs: every step has a deadline.

One process owns a data folder's live sessions: ``start()`` takes the folder's
:class:`~inspector.live_lock.LiveLock` (``stop()`` gives it up) and fails with
"already served by process N" when another process holds it. Holding it, the
engine knows an inspection still marked live is left over from a call that
ended with a crash: before listening it writes what its spool kept, puts such
inspections back to what their photos say and reports a ``CallInterrupted``
for each. A session closed (call ended, engine stopped) does the same for its
inspection, without the report.

The loop never waits on the database: every store call runs in the executor;
token checks are answered from memory (:meth:`Invitations.known`); the
session's writes go through a :class:`~inspector.spool.LiveWriter` whose
spool takes them while another process holds the database's write lock (the
engine retries it every ``SPOOL_RETRY`` seconds).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from inspector.config import ServerSettings
from inspector.domain.checklist import Shot
from inspector.domain.models import Damage, DamageType, InspectionStatus, Part, Severity
from inspector.live import events, protocol
from inspector.live.autopilot import Autopilot
from inspector.live.frames import Frame, FrameSlot
from inspector.live.owner import DataDirBusy, LiveLock
from inspector.live.peer import PhonePeer
from inspector.live.photo_receiver import ReceivedPhoto
from inspector.live.server import PhoneServer, SignalingError
from inspector.live.session import DamagePair, SessionController
from inspector.live.tls import lan_addresses, ssl_context
from inspector.live.tokens import Invitations
from inspector.storage.spool import LiveWriter
from inspector.storage.store import Store

__all__ = ["Engine", "EngineNotRunning", "EngineStartError"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")
Mode = Literal["operator", "self"]
EventCallback = Callable[[events.Event], None]

#: How often a session feeds a frame to its controller (live hints, autopilot).
CONTROLLER_FRAME_INTERVAL = 0.2
#: A FrameAvailable nobody read is re-announced after this long.
FRAME_EVENT_RETRY = 1.0
STATS_INTERVAL = 1.0
OFFER_TIMEOUT = 10.0
#: How often writes kept in the spool (database locked) are tried again.
SPOOL_RETRY = 1.0


class EngineStartError(RuntimeError):
    """The engine could not start (port taken, certificate, ...); the message says why."""


class EngineNotRunning(RuntimeError):
    pass


class _Link:
    """The :class:`~inspector.session.PhoneLink` of one peer."""

    def __init__(self, peer: PhonePeer, slot: FrameSlot) -> None:
        self.peer = peer
        self.slot = slot

    def send(self, text: str) -> bool:
        return self.peer.send(text)

    def latest_frame(self) -> npt.NDArray[np.uint8] | None:
        frame = self.slot.latest()
        return None if frame is None else frame.bgr()


class _Session:
    """One inspection's live state; implements :class:`~inspector.peer.PeerHandler`."""

    def __init__(self, engine: Engine, inspection_id: str, mode: Mode) -> None:
        self.engine = engine
        self.inspection_id = inspection_id
        self.mode: Mode = mode
        self.slot = FrameSlot()
        self.controller: SessionController | None = None
        self.autopilot: Autopilot | None = None
        self.peer: PhonePeer | None = None
        self.attached: PhonePeer | None = None  # the peer whose hello the controller has
        self.left_at: float | None = None
        self.state = "closed"
        self._frame_lock = threading.Lock()
        self._frame_pending_since: float | None = None
        self._last_controller_frame = 0.0
        self._converting = False  # a frame on its way to the controller: skip others
        self._opening: asyncio.Future[SessionController] | None = None

    # -- controller -------------------------------------------------------

    async def ensure_controller(self) -> SessionController:
        if self.controller is not None:
            return self.controller
        if self._opening is None:
            loop = asyncio.get_running_loop()
            self._opening = loop.create_future()
            try:
                controller = await SessionController.open(
                    self.engine.store,
                    self.inspection_id,
                    mode=self.mode,
                    emit=self.engine._emit,
                    still_timeout=self.engine.still_timeout,
                    auto_advance=self.engine.auto_advance or self.mode == "self",
                    writer=self.engine.writer,
                )
            except BaseException as exc:
                self._opening.set_exception(exc)
                self._opening.exception()  # retrieved: nobody else may be waiting
                self._opening = None
                raise
            self.controller = controller
            self._opening.set_result(controller)
            return controller
        return await asyncio.shield(self._opening)

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.engine._emit(events.ConnectionChanged(self.inspection_id, state))

    # -- frames -------------------------------------------------------------

    def frame_read(self) -> Frame | None:
        """Any thread: the newest frame; clears the pending FrameAvailable."""
        with self._frame_lock:
            self._frame_pending_since = None
        return self.slot.latest()

    def on_frame(self, peer: PhonePeer, frame: Frame) -> None:
        if peer is not self.peer:
            return
        now = time.monotonic()
        with self._frame_lock:
            pending = self._frame_pending_since
            announce = pending is None or now - pending > FRAME_EVENT_RETRY
            if announce:
                self._frame_pending_since = now
        if announce:
            self.engine._emit(events.FrameAvailable(self.inspection_id, frame.seq))
        controller = self.controller
        if (
            controller is not None
            and self.attached is peer
            and now - self._last_controller_frame >= CONTROLLER_FRAME_INTERVAL
        ):
            self._last_controller_frame = now
            if not self._converting:
                self._converting = True
                self.engine._spawn(
                    self._feed_controller(peer, controller, frame), "frame-to-controller"
                )

    async def _feed_controller(
        self, peer: PhonePeer, controller: SessionController, frame: Frame
    ) -> None:
        """Convert the frame to BGR in the executor (not on the loop), then hand it over."""
        try:
            bgr = await self.engine._run(frame.bgr)
            if self.controller is controller:
                controller.on_frame(bgr)
        except Exception as exc:  # like a failure in the frame handler itself
            peer.report_frame_error(exc)
        finally:
            self._converting = False

    # -- PeerHandler --------------------------------------------------------

    def on_channel_open(self, peer: PhonePeer) -> None:
        log.debug("%s: data channel open", self.inspection_id)

    async def on_message(self, peer: PhonePeer, message: dict[str, Any]) -> None:
        if peer is not self.peer:
            return
        controller = await self.ensure_controller()
        if message["type"] == "hello" and self.attached is not peer:
            self.attached = peer
            controller.attach(_Link(peer, self.slot), message)
            self.left_at = None
            self.set_state("connected")
            camera = message.get("camera")
            self.engine._emit(
                events.PhoneJoined(
                    self.inspection_id,
                    str(message.get("user_agent", ""))[:200],
                    dict(camera) if isinstance(camera, dict) else {},
                    str(message.get("language", "")),
                )
            )
            await self.engine._mark(self.inspection_id, InspectionStatus.LIVE)
            await self.start_autopilot()
            return
        await controller.handle_message(message)

    async def on_photo(self, peer: PhonePeer, photo: ReceivedPhoto) -> None:
        controller = await self.ensure_controller()
        await controller.on_photo(
            photo.id,
            photo.data,
            width=photo.width,
            height=photo.height,
            phone_time=photo.phone_time,
        )

    def on_photo_failed(self, peer: PhonePeer, capture_id: str, reason: str) -> None:
        if self.controller is not None:
            self.controller.on_photo_failed(capture_id, reason)
        else:
            self.engine._emit(events.CaptureFailed(self.inspection_id, capture_id, reason))

    def on_dead(self, peer: PhonePeer, reason: str) -> None:
        if peer is not self.peer:
            return
        log.info("%s: link lost (%s)", self.inspection_id, reason)
        self.peer = None
        self.left_at = time.monotonic()
        self._detach(peer)
        self.set_state("reconnecting")
        self.engine._spawn(peer.close(), "close-peer")

    def _detach(self, peer: PhonePeer) -> None:
        if self.attached is peer:
            self.attached = None
            if self.controller is not None:
                self.controller.detach()

    # -- negotiation ------------------------------------------------------------

    async def offer(self, sdp: str) -> str:
        try:
            await self.ensure_controller()
        except Exception as exc:
            log.error("%s: cannot open the session: %s", self.inspection_id, exc)
            self.engine._emit(
                events.EngineError(f"cannot open the session: {exc}"[:500], self.inspection_id)
            )
            raise SignalingError("this inspection cannot be opened right now") from None
        peer = PhonePeer(
            self,
            self.slot,
            ice_servers=self.engine.settings.ice_servers,
            heartbeat_timeout=self.engine.heartbeat_timeout,
            name=f"peer-{self.inspection_id}",
        )
        old, self.peer = self.peer, peer
        if old is not None:
            self._detach(old)
            await old.close()
        self.set_state("connecting")
        try:
            return await asyncio.wait_for(peer.answer(sdp), OFFER_TIMEOUT)
        except Exception as exc:
            if self.peer is peer:
                self.peer = None
                self.left_at = time.monotonic()
                self.set_state("reconnecting" if self.attached is None else self.state)
            await peer.close()
            raise SignalingError(f"the offer could not be answered: {str(exc)[:120]}") from None

    def last_seen(self) -> float | None:
        if self.peer is not None and self.peer.dead_reason is None:
            return time.monotonic()
        return self.left_at

    async def start_autopilot(self) -> None:
        if self.mode != "self" or not self.engine.autopilot or self.controller is None:
            return
        if self.autopilot is None:
            self.autopilot = Autopilot(
                self.controller,
                steady_seconds=self.engine.steady_seconds,
                settle_seconds=self.engine.settle_seconds,
            )
        await self.autopilot.start()

    async def close_link(self, reason: str) -> None:
        """The phone is gone for good (bye, end of session): close the peer, keep state."""
        peer, self.peer = self.peer, None
        if peer is not None:
            self._detach(peer)
            await peer.close()
        self.left_at = time.monotonic()
        if self.state != "closed":
            self.engine._emit(events.PhoneLeft(self.inspection_id, reason))
        self.set_state("closed")

    async def close(self, reason: str) -> None:
        if self.autopilot is not None:
            await self.autopilot.stop()
            self.autopilot = None
        await self.close_link(reason)
        if self.controller is not None:
            await self.controller.close()
        await self.engine._settle(self.inspection_id)


class Engine:
    """See the module docstring. ``start()`` → base URL; ``stop()``; commands → futures."""

    def __init__(
        self,
        store: Store,
        settings: ServerSettings,
        on_event: EventCallback,
        *,
        autopilot: bool = False,
        still_timeout: float = 8.0,
        steady_seconds: float = 1.0,
        settle_seconds: float = 1.5,
        auto_advance: bool = True,
        heartbeat_timeout: float = protocol.HEARTBEAT_TIMEOUT,
        grace_seconds: float = 10.0,
        assets: Path | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.on_event = on_event
        self.autopilot = autopilot
        self.still_timeout = still_timeout
        self.steady_seconds = steady_seconds
        self.settle_seconds = settle_seconds
        self.auto_advance = auto_advance
        self.heartbeat_timeout = heartbeat_timeout
        self.grace_seconds = grace_seconds
        self.assets = assets
        self.invitations = Invitations(store, settings.token_ttl_seconds)
        self.base_url: str | None = None
        self.lan_url: str | None = None
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._server: PhoneServer | None = None
        self._sessions: dict[str, _Session] = {}
        self._modes: dict[str, Mode] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stats_task: asyncio.Task[None] | None = None
        self._lock = threading.Lock()
        self._live_lock = LiveLock(store.data_dir)
        self._spool_task: asyncio.Task[None] | None = None
        #: The session's writes; made once the engine owns the data folder (``start``).
        self.writer: LiveWriter | None = None
        self._stopping = False
        #: Why the loop thread ended on its own (None while running or after stop()).
        self.died: str | None = None

    # -- lifecycle (any thread) ---------------------------------------------------

    @property
    def running(self) -> bool:
        return (
            self._loop is not None
            and self._thread is not None
            and self._thread.is_alive()
            and self.died is None
        )

    def start(self, timeout: float = 15.0) -> str:
        """Start the loop thread and the server; blocks until listening; returns the base URL."""
        if self.running:
            raise EngineStartError("the engine is already running")
        try:
            self._live_lock.acquire()
        except DataDirBusy as exc:
            raise EngineStartError(str(exc)) from None
        try:
            self.writer = LiveWriter(self.store)  # only the folder's owner touches its spool
        except OSError as exc:
            self._live_lock.release()
            raise EngineStartError(f"cannot read the spool: {exc}") from None
        loop = asyncio.new_event_loop()
        executor = concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="engine-worker")
        loop.set_default_executor(executor)
        loop.set_exception_handler(self._on_loop_exception)
        self._loop, self._executor = loop, executor
        self._stopping = False
        self.died = None
        thread = threading.Thread(target=self._run_loop, args=(loop,), name="engine", daemon=True)
        self._thread = thread
        thread.start()
        future = asyncio.run_coroutine_threadsafe(self._astart(), loop)
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

    def stop(self, timeout: float = 10.0) -> None:
        """Close sessions, peers, sockets, the server and the loop; returns within ~timeout."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._stopping = True
        deadline = time.monotonic() + timeout
        if thread.is_alive() and not loop.is_closed():
            future = asyncio.run_coroutine_threadsafe(self._astop(), loop)
            try:
                future.result(max(0.1, timeout * 0.7))
            except BaseException as exc:  # a step hung or failed: stop regardless
                log.warning("engine stop was not clean: %r", exc)
                future.cancel()
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
        thread.join(max(0.1, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("the engine thread did not end in time; left as a daemon")
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._loop = self._thread = self._executor = None
        self._server = None
        self._live_lock.release()

    def _run_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        ended = "its loop stopped"
        try:
            try:
                loop.run_forever()
            except BaseException as exc:  # SystemExit, KeyboardInterrupt from a callback
                ended = f"{type(exc).__name__}: {exc}"
                log.critical("the engine loop died", exc_info=True)
            if not self._stopping:
                # Nobody asked for this: say so before the thread is gone, never silently.
                self.died = ended
                self._emit(
                    events.EngineError(
                        f"the engine stopped unexpectedly ({ended}); restart it"[:500]
                    )
                )
                try:  # free the port and the peers: a dead engine must not look alive
                    loop.run_until_complete(asyncio.wait_for(self._astop(), 6.0))
                except BaseException:
                    log.exception("cleaning up after the engine loop died")
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=2.0))
            loop.run_until_complete(asyncio.wait_for(loop.shutdown_asyncgens(), 2.0))
        except Exception:
            log.exception("engine loop shutdown")
        finally:
            loop.close()

    async def _astart(self) -> str:
        await self._recover()  # before listening: no phone may join a half-recovered folder
        s = self.settings
        ctx = None
        host = s.host
        lan_ip = None
        if s.lan:
            addresses = lan_addresses()
            lan_ip = addresses[0] if addresses else None
            try:
                ctx = await self._run(ssl_context, self.store.data_dir, addresses)
            except Exception as exc:
                raise EngineStartError(f"cannot prepare the TLS certificate: {exc}") from exc
            if host in ("127.0.0.1", "localhost"):
                host = "0.0.0.0"
        server = PhoneServer(
            self.invitations,
            self,
            ice_servers=s.ice_servers,
            ssl_context=ctx,
            secure_cookies=ctx is not None
            or bool(s.public_url and s.public_url.startswith("https")),
            assets=self.assets,
            grace_seconds=self.grace_seconds,
        )
        try:
            port = await server.start(host, s.port)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise EngineStartError(
                    f"port {s.port} on {host} is already in use; choose another port"
                ) from None
            raise EngineStartError(f"cannot listen on {host}:{s.port}: {exc}") from None
        self._server = server
        self.port = port
        scheme = "https" if ctx is not None else "http"
        url_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        local = f"{scheme}://{url_host}:{port}"
        self.lan_url = f"{scheme}://{lan_ip}:{port}" if lan_ip else None
        if s.public_url:
            self.base_url = s.public_url.rstrip("/")
        elif self.lan_url:
            self.base_url = self.lan_url
        else:
            self.base_url = local
        loop = asyncio.get_running_loop()
        self._stats_task = loop.create_task(self._stats_loop(), name="stats")
        self._spool_task = loop.create_task(self._spool_loop(), name="spool")
        self._emit(events.Listening(self.base_url, self.lan_url))
        return self.base_url

    async def _astop(self) -> None:
        if self._stats_task is not None:
            self._stats_task.cancel()
        if self._spool_task is not None:
            self._spool_task.cancel()
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
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)

    # -- plumbing -------------------------------------------------------------------

    def _emit(self, event: events.Event) -> None:
        try:
            self.on_event(event)
        except Exception:
            log.exception("the event listener failed on %s", event.name)

    def _on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = context.get("message", "error in the engine")
        if exc is not None:
            message = f"{message}: {type(exc).__name__}: {exc}"
        log.error("engine: %s", message, exc_info=exc)
        self._emit(events.EngineError(str(message)[:500]))

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                t.get_loop().call_exception_handler(
                    {"message": f"task {t.get_name()} failed", "exception": t.exception()}
                )

        task.add_done_callback(done)
        return task

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    def call(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        """Run a coroutine on the engine's loop from any thread (e.g. the demo phone)."""
        return self._submit(coro)

    def set_auto_advance(self, inspection_id: str, on: bool) -> concurrent.futures.Future[None]:
        """Whether accepting a photo moves to the next shot (self-inspection always does)."""

        async def go() -> None:
            self.auto_advance = on
            controller = await self._controller(inspection_id)
            controller.auto_advance = on or self._session(inspection_id).mode == "self"

        return self._submit(go())

    def _submit(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        loop = self._loop
        if loop is None or not self.running:
            coro.close()
            failed: concurrent.futures.Future[_T] = concurrent.futures.Future()
            failed.set_exception(EngineNotRunning("the engine is not running"))
            return failed
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def _session(self, inspection_id: str) -> _Session:
        session = self._sessions.get(inspection_id)
        if session is None:
            mode = self._modes.get(inspection_id, "self" if self.autopilot else "operator")
            session = _Session(self, inspection_id, mode)
            self._sessions[inspection_id] = session
        return session

    async def _controller(self, inspection_id: str) -> SessionController:
        return await self._session(inspection_id).ensure_controller()

    async def _mark(self, inspection_id: str, status: InspectionStatus) -> None:
        """Invited (from draft) or live (from draft or invited); a failure is reported only."""
        before: tuple[InspectionStatus, ...] = (InspectionStatus.DRAFT,)
        if status is InspectionStatus.LIVE:
            before = (InspectionStatus.DRAFT, InspectionStatus.INVITED)
        assert self.writer is not None
        try:
            await self._run(self.writer.mark_status, inspection_id, status, before)
        except Exception as exc:
            log.warning("%s: cannot mark it %s: %s", inspection_id, status.value, exc)
            self._emit(events.EngineError(f"cannot mark it {status.value}: {exc}"[:500]))

    async def _settle(self, inspection_id: str) -> InspectionStatus | None:
        """No call holds it any more: "live" goes back to what its photos say."""
        assert self.writer is not None
        try:
            return await self._run(self.writer.settle, inspection_id)
        except Exception as exc:
            log.warning("%s: cannot settle its status: %s", inspection_id, exc)
            self._emit(events.EngineError(f"cannot settle its status: {exc}"[:500]))
            return None

    async def _recover(self) -> None:
        """What a crashed owner of the folder left: the spool, inspections still live."""
        await self._flush_spool()
        try:
            inspections = await self._run(self.store.list_inspections)
        except Exception as exc:
            self._emit(events.EngineError(f"cannot look for interrupted calls: {exc}"[:500]))
            return
        for inspection in inspections:
            if inspection.status is InspectionStatus.LIVE:
                status = await self._settle(inspection.id)
                if status is not None:
                    log.warning("%s: a call was interrupted; now %s", inspection.id, status.value)
                    v = inspection.vehicle
                    vehicle = " ".join(p for p in (v.title(), v.plate) if p)
                    self._emit(events.CallInterrupted(inspection.id, status.value, vehicle))

    async def _flush_spool(self) -> None:
        writer = self.writer
        if writer is None or not writer.pending():
            return
        try:
            result = await self._run(writer.flush)
        except Exception as exc:
            log.exception("writing the spool failed")
            self._emit(events.EngineError(f"writing the spool failed: {exc}"[:500]))
            return
        if result.written:
            log.info("%d spooled write(s) now in the database", result.written)
        for failure in result.failed:
            self._emit(events.EngineError(f"a spooled write was refused: {failure}"[:500]))

    async def _spool_loop(self) -> None:
        while True:
            await asyncio.sleep(SPOOL_RETRY)
            await self._flush_spool()

    async def _stats_loop(self) -> None:
        while True:
            await asyncio.sleep(STATS_INTERVAL)
            try:
                await self._stats_round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one bad round must not end the stats for good
                log.exception("engine: link statistics failed")
                self._emit(events.EngineError(f"link statistics failed: {exc}"[:500]))

    async def _stats_round(self) -> None:
        for session in list(self._sessions.values()):
            peer = session.peer
            if peer is None or peer.closed:
                continue
            st = await peer.stats()
            self._emit(
                events.LinkStats(
                    session.inspection_id,
                    st.fps,
                    st.width,
                    st.height,
                    st.rtt_ms,
                    st.bitrate_kbps,
                )
            )

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

    # -- commands (any thread) -------------------------------------------------------------

    def invite(
        self, inspection_id: str, mode: Mode | None = None
    ) -> concurrent.futures.Future[events.Invite]:
        """Issue a join link (status → invited); the Invite event is emitted too."""
        return self._submit(self._invite(inspection_id, mode))

    async def _invite(self, inspection_id: str, mode: Mode | None) -> events.Invite:
        if mode is None:
            mode = "self" if self.autopilot else "operator"
        if mode not in ("operator", "self"):
            raise ValueError(f"mode must be 'operator' or 'self', not {mode!r}")
        await self._run(self.store.get_inspection, inspection_id)  # NotFound if unknown
        token, expires_at = await self._run(self.invitations.issue, inspection_id)
        await self._mark(inspection_id, InspectionStatus.INVITED)
        self._modes[inspection_id] = mode
        session = self._sessions.get(inspection_id)
        if session is not None and session.mode != mode and session.controller is None:
            session.mode = mode
        assert self.base_url is not None
        invite = events.Invite(inspection_id, f"{self.base_url}/j/{token}", expires_at.isoformat())
        self._emit(invite)
        return invite

    def revoke(self, inspection_id: str) -> concurrent.futures.Future[int]:
        """Revoke every link of the inspection and end its live session."""
        return self._submit(self._revoke(inspection_id))

    async def _revoke(self, inspection_id: str) -> int:
        count = await self._run(self.invitations.revoke, inspection_id)
        await self._end(inspection_id, "revoked")
        return count

    def end_session(self, inspection_id: str) -> concurrent.futures.Future[None]:
        return self._submit(self._end(inspection_id, "ended"))

    async def _end(self, inspection_id: str, reason: str) -> None:
        if self._server is not None:
            await self._server.disconnect(inspection_id)
        session = self._sessions.pop(inspection_id, None)
        if session is not None:
            await session.close(reason)

    def select_shot(self, inspection_id: str, shot_id: str) -> concurrent.futures.Future[Shot]:
        async def go() -> Shot:
            return (await self._controller(inspection_id)).select(shot_id)

        return self._submit(go())

    def next_shot(self, inspection_id: str) -> concurrent.futures.Future[Shot]:
        async def go() -> Shot:
            return (await self._controller(inspection_id)).next()

        return self._submit(go())

    def previous_shot(self, inspection_id: str) -> concurrent.futures.Future[Shot]:
        async def go() -> Shot:
            return (await self._controller(inspection_id)).previous()

        return self._submit(go())

    def add_damage_pair(self, inspection_id: str) -> concurrent.futures.Future[DamagePair]:
        """Record a damage (to complete) and add its wide view and close-up to the walk."""

        async def go() -> DamagePair:
            return await (await self._controller(inspection_id)).add_damage_pair()

        return self._submit(go())

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

        async def go() -> Damage:
            controller = await self._controller(inspection_id)
            return await controller.complete_damage(
                damage_id, part=part, type=type, severity=severity, note=note
            )

        return self._submit(go())

    def capture(self, inspection_id: str) -> concurrent.futures.Future[str]:
        """Ask for a still of the current shot; the future gives the capture id."""

        async def go() -> str:
            return await (await self._controller(inspection_id)).capture()

        return self._submit(go())

    def accept(self, inspection_id: str, capture_id: str) -> concurrent.futures.Future[None]:
        async def go() -> None:
            await (await self._controller(inspection_id)).accept(capture_id)

        return self._submit(go())

    def retake(self, inspection_id: str, capture_id: str) -> concurrent.futures.Future[None]:
        async def go() -> None:
            await (await self._controller(inspection_id)).retake(capture_id)

        return self._submit(go())

    def torch(self, inspection_id: str, on: bool) -> concurrent.futures.Future[None]:
        async def go() -> None:
            (await self._controller(inspection_id)).torch(on)

        return self._submit(go())

    def pointer(
        self, inspection_id: str, x: float | None, y: float | None
    ) -> concurrent.futures.Future[None]:
        async def go() -> None:
            (await self._controller(inspection_id)).pointer(x, y)

        return self._submit(go())

    def message(self, inspection_id: str, text: str) -> concurrent.futures.Future[None]:
        async def go() -> None:
            (await self._controller(inspection_id)).message(text)

        return self._submit(go())

    def session_info(self, inspection_id: str) -> concurrent.futures.Future[dict[str, Any]]:
        """Where the walk is: current shot, progress, shot states, link state."""

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
                "states": {k: v.value for k, v in c.states.items()},
                "connection": session.state,
                "mode": session.mode,
            }

        return self._submit(go())

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

    def start_on_any_port(self, timeout: float = 15.0) -> str:
        """``start()``; when the configured port is taken, start on a free one instead."""
        import dataclasses

        try:
            return self.start(timeout)
        except EngineStartError as exc:
            if self.settings.port == 0 or "in use" not in str(exc):
                raise
            log.warning("%s; using a free port instead", exc)
            with self._lock:
                self.settings = dataclasses.replace(self.settings, port=0)
            return self.start(timeout)
