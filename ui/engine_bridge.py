"""The one module that carries engine events (engine thread) into Qt (main thread).

The engine calls :meth:`EngineBridge.on_event` from its own asyncio thread. The
bridge never touches a widget there: it emits a private signal connected with
a *queued* connection, so the event is re-dispatched on the main thread as one
public, typed signal per event kind. Frame notifications are coalesced: at most
one per session waits in the Qt queue, and views read the newest pixels from the
engine's frame slot themselves.

Commands go the other way through :meth:`EngineBridge.call`: the engine's
thread-safe methods return ``concurrent.futures.Future`` objects whose result
is handed back to a callback on the main thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from inspector.live import events as ev

__all__ = ["EngineBridge"]


class EngineBridge(QObject):
    """Engine events as Qt signals; create it on the main thread."""

    listening = Signal(object)  # events.Listening
    invite = Signal(object)  # events.Invite
    phone_joined = Signal(object)  # events.PhoneJoined
    phone_left = Signal(object)  # events.PhoneLeft
    connection_changed = Signal(object)  # events.ConnectionChanged
    stats = Signal(object)  # events.LinkStats
    frame_available = Signal(str, int)  # inspection id, frame seq (coalesced)
    shot_changed = Signal(object)  # events.ShotChanged
    capture_requested = Signal(object)  # events.CaptureRequested
    capture_stored = Signal(object)  # events.CaptureStored
    capture_failed = Signal(object)  # events.CaptureFailed
    capture_reviewed = Signal(object)  # events.CaptureReviewed
    hint = Signal(object)  # events.LiveHint
    completed = Signal(object)  # events.Completed
    error = Signal(object)  # events.EngineError
    event = Signal(object)  # every event, after its own signal (logs, tests)

    _queued = Signal(object)
    _result = Signal(object, object, object)  # callback, error callback, future

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._frame_pending: set[str] = set()
        self._closed = False
        # Queued even when emitted on the main thread: engine code never runs Qt slots.
        self._queued.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self._result.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._signals: dict[type[ev.Event], Any] = {
            ev.Listening: self.listening,
            ev.Invite: self.invite,
            ev.PhoneJoined: self.phone_joined,
            ev.PhoneLeft: self.phone_left,
            ev.ConnectionChanged: self.connection_changed,
            ev.LinkStats: self.stats,
            ev.ShotChanged: self.shot_changed,
            ev.CaptureRequested: self.capture_requested,
            ev.CaptureStored: self.capture_stored,
            ev.CaptureFailed: self.capture_failed,
            ev.CaptureReviewed: self.capture_reviewed,
            ev.LiveHint: self.hint,
            ev.Completed: self.completed,
            ev.EngineError: self.error,
        }

    # -- engine thread -----------------------------------------------------------

    def on_event(self, event: ev.Event) -> None:
        """The engine's callback: safe to call from any thread."""
        if isinstance(event, ev.FrameAvailable):
            with self._lock:
                if self._closed or event.inspection_id in self._frame_pending:
                    return  # one already waits in the queue; the view reads the newest
                self._frame_pending.add(event.inspection_id)
        elif self._closed:
            return
        # The QObject may be gone in a shutdown race: then nobody listens anyway.
        with contextlib.suppress(RuntimeError):
            self._queued.emit(event)

    def close(self) -> None:
        """Drop events that still arrive (the window is closing)."""
        with self._lock:
            self._closed = True

    # -- main thread ---------------------------------------------------------------

    @Slot(object)
    def _dispatch(self, event: ev.Event) -> None:
        if isinstance(event, ev.FrameAvailable):
            with self._lock:
                self._frame_pending.discard(event.inspection_id)
            self.frame_available.emit(event.inspection_id, event.seq)
        else:
            signal = self._signals.get(type(event))
            if signal is not None:
                signal.emit(event)
        self.event.emit(event)

    def call(
        self,
        future: Future[Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Future[Any]:
        """Run ``on_done(result)`` or ``on_error(exc)`` on the main thread when ``future`` ends."""

        def done(f: Future[Any]) -> None:  # any thread
            with contextlib.suppress(RuntimeError):
                self._result.emit(on_done, on_error, f)

        future.add_done_callback(done)
        return future

    @Slot(object, object, object)
    def _deliver(
        self,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        future: Future[Any],
    ) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            if on_error is not None:
                on_error(exc)
            else:
                self.error.emit(ev.EngineError(message=str(exc) or type(exc).__name__))
        elif on_done is not None:
            on_done(future.result())
