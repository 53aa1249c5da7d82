"""The one module that crosses threads between the core and the Qt main thread.

Three ways across, one error policy:

- ``run_task`` runs blocking work (disk, images, reports) on a ``QThreadPool``
  worker and hands its result back on the main thread (Picard's ``run_task``).
- :class:`EngineBridge` carries engine events (engine thread) into Qt as one
  typed signal per event kind, and hands the outcome of engine commands
  (``concurrent.futures.Future``) back to callbacks on the main thread.
- :func:`wait` blocks for an engine command's answer, for the few places
  that may block: a worker thread, or the window shutting down.

Every failure reaches an error handler on the main thread: the caller's, or
else :func:`report_error`, which logs it and shows it where the operator
looks (the sink a window installs with :func:`add_error_sink`, its status
bar). Nothing is dropped silently. No widget is ever touched off the main
thread: every delivery is a queued signal.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal, Slot

from inspector.live import events as ev

__all__ = [
    "EngineBridge",
    "ErrorHandler",
    "MainThreadCollector",
    "add_error_sink",
    "remove_error_sink",
    "report_error",
    "run_task",
    "run_task_with_progress",
    "wait",
    "wait_for_tasks",
]

log = logging.getLogger(__name__)

_T = TypeVar("_T")
ErrorHandler = Callable[[BaseException], None]

# -- the error policy -----------------------------------------------------------------

_sinks: list[ErrorHandler] = []


def add_error_sink(sink: ErrorHandler) -> None:
    """Where failures nobody handled are shown (the main window's status bar); newest wins."""
    _sinks.append(sink)


def remove_error_sink(sink: ErrorHandler) -> None:
    with contextlib.suppress(ValueError):
        _sinks.remove(sink)


def report_error(exc: BaseException) -> None:
    """The default error handler (main thread): log the failure and show it."""
    log.error("background work failed: %s", exc, exc_info=exc)
    while _sinks:
        sink = _sinks[-1]
        try:
            sink(exc)
        except RuntimeError:  # its window is gone (Qt deleted it): try the one before
            remove_error_sink(sink)
        else:
            return


def _handler(on_error: ErrorHandler | None) -> ErrorHandler:
    return on_error if on_error is not None else report_error


# -- blocking work on worker threads --------------------------------------------------


class _Relay(QObject):
    """Lives on the main thread, so its slots run there: the signals are queued."""

    done = Signal(object)
    failed = Signal(object)

    def __init__(self, on_done: Callable[[Any], None], on_error: ErrorHandler | None) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_error = _handler(on_error)
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_error)

    @Slot(object)
    def _deliver_done(self, result: Any) -> None:
        _pending.discard(self)
        self._on_done(result)

    @Slot(object)
    def _deliver_error(self, exc: BaseException) -> None:
        _pending.discard(self)
        self._on_error(exc)


def _work(fn: Callable[[], Any], relay: _Relay) -> None:
    """The worker side: run ``fn``, hand its result or error to the relay."""
    try:
        result = fn()
    except Exception as exc:  # delivered to an error handler on the main thread
        relay.failed.emit(exc)
    else:
        relay.done.emit(result)


def _start(fn: Callable[[], Any], relay: _Relay) -> None:
    # A plain callable, not a QRunnable subclass: PySide6 (6.11) keeps the Python
    # wrapper of some QRunnables that finish quickly alive for ever, and with it
    # the work and the relay (about one fast task in ten, measured).
    QThreadPool.globalInstance().start(lambda: _work(fn, relay))


_pending: set[_Relay] = set()


def run_task(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: ErrorHandler | None = None,
) -> None:
    """Run ``fn`` off the UI thread, then ``on_done(result)`` or the error handler on it."""
    relay = _Relay(on_done, on_error)
    _pending.add(relay)
    _start(fn, relay)


def wait_for_tasks(msecs: int = 5000) -> bool:
    """Block until the worker threads are idle (used on shutdown and in tests)."""
    return QThreadPool.globalInstance().waitForDone(msecs)


class _ProgressRelay(_Relay):
    """A relay that also carries ``progress(done, total)`` from the worker."""

    progress = Signal(int, int)

    def __init__(
        self,
        on_progress: Callable[[int, int], None],
        on_done: Callable[[Any], None],
        on_error: ErrorHandler | None,
    ) -> None:
        super().__init__(on_done, on_error)
        self._on_progress = on_progress
        self.progress.connect(self._deliver_progress)

    @Slot(int, int)
    def _deliver_progress(self, done: int, total: int) -> None:
        self._on_progress(done, total)


def run_task_with_progress(
    fn: Callable[[Callable[[int, int], None]], Any],
    on_progress: Callable[[int, int], None],
    on_done: Callable[[Any], None],
    on_error: ErrorHandler | None = None,
) -> None:
    """Like ``run_task``; ``fn(report)`` may call ``report(done, total)`` from the worker.

    Each report reaches ``on_progress`` on the UI thread through a queued signal.
    """
    relay = _ProgressRelay(on_progress, on_done, on_error)
    _pending.add(relay)
    _start(lambda: fn(relay.progress.emit), relay)


# -- Python's cycle collector, on the main thread only ---------------------------------


class MainThreadCollector(QObject):
    """Runs Python's cyclic garbage collector on the main thread, never elsewhere.

    Automatic collection runs in whichever thread happens to allocate: a worker, the
    engine's loop. Widgets left in reference cycles (a panel and the closures its
    signals hold) would then be destroyed there, and Qt crashes destroying a widget off
    its thread (seen as a segfault "Garbage-collecting" in a worker). So automatic
    collection is turned off while this object lives, and a timer collects on the main
    thread instead, as often as the thresholds would have (pyqtgraph's approach).
    """

    def __init__(self, interval_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    @Slot()
    def collect(self) -> int:
        """The generations the allocation counts call for, like automatic collection."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        found = 0
        if counts[0] > thresholds[0]:
            generation = 0
            if counts[1] > thresholds[1]:
                generation = 2 if counts[2] > thresholds[2] else 1
            found = gc.collect(generation)
        return found

    def stop(self) -> None:
        """Collect once more here, and give collection back to Python."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()


# -- the engine: events in, command results back ---------------------------------------


def wait(future: Future[_T], timeout: float) -> _T:
    """Block for an engine command's result (a worker thread, or shutdown: never a UI slot)."""
    return future.result(timeout)


class EngineBridge(QObject):
    """Engine events as Qt signals; create it on the main thread.

    The engine calls :meth:`on_event` from its own asyncio thread. The bridge never
    touches a widget there: it emits a private signal connected with a *queued*
    connection, so the event is re-dispatched on the main thread as one public,
    typed signal. Frame notifications are coalesced: at most one per session waits
    in the Qt queue, and views read the newest pixels from the engine's frame slot.
    """

    listening = Signal(object)  # events.Listening
    invite = Signal(object)  # events.Invite
    phone_joined = Signal(object)  # events.PhoneJoined
    phone_left = Signal(object)  # events.PhoneLeft
    takeover_asked = Signal(object)  # events.TakeoverAsked
    connection_changed = Signal(object)  # events.ConnectionChanged
    stats = Signal(object)  # events.LinkStats
    frame_available = Signal(str, int)  # inspection id, frame seq (coalesced)
    shot_changed = Signal(object)  # events.ShotChanged
    capture_requested = Signal(object)  # events.CaptureRequested
    capture_stored = Signal(object)  # events.CaptureStored
    capture_failed = Signal(object)  # events.CaptureFailed
    capture_reviewed = Signal(object)  # events.CaptureReviewed
    # events.OriginalProgress, OriginalStored, OriginalFailed: originals after previews
    originals = Signal(object)
    hint = Signal(object)  # events.LiveHint
    completed = Signal(object)  # events.Completed
    coverage_changed = Signal(object)  # events.CoverageChanged
    recording_changed = Signal(object)  # events.RecordingChanged
    # events.SignatureRequested, SellerSigned, SellerRemarked: the seller's confirmation
    seller_confirmation = Signal(object)
    identity_read = Signal(object)  # events.IdentityRead
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
            ev.TakeoverAsked: self.takeover_asked,
            ev.ConnectionChanged: self.connection_changed,
            ev.LinkStats: self.stats,
            ev.ShotChanged: self.shot_changed,
            ev.CaptureRequested: self.capture_requested,
            ev.CaptureStored: self.capture_stored,
            ev.CaptureFailed: self.capture_failed,
            ev.CaptureReviewed: self.capture_reviewed,
            ev.OriginalProgress: self.originals,
            ev.OriginalStored: self.originals,
            ev.OriginalFailed: self.originals,
            ev.LiveHint: self.hint,
            ev.Completed: self.completed,
            ev.CoverageChanged: self.coverage_changed,
            ev.RecordingChanged: self.recording_changed,
            ev.IdentityRead: self.identity_read,
            ev.SignatureRequested: self.seller_confirmation,
            ev.SellerSigned: self.seller_confirmation,
            ev.SellerRemarked: self.seller_confirmation,
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
        on_error: ErrorHandler | None = None,
    ) -> Future[Any]:
        """Run ``on_done(result)`` or the error handler on the main thread when ``future`` ends.

        A cancelled command reaches neither: whoever cancelled it no longer wants it.
        """

        def done(f: Future[Any]) -> None:  # any thread
            with contextlib.suppress(RuntimeError):
                self._result.emit(on_done, on_error, f)

        future.add_done_callback(done)
        return future

    @Slot(object, object, object)
    def _deliver(
        self,
        on_done: Callable[[Any], None] | None,
        on_error: ErrorHandler | None,
        future: Future[Any],
    ) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            _handler(on_error)(exc)
        elif on_done is not None:
            on_done(future.result())
