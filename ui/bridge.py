"""The one place that crosses threads between the core and the Qt main thread.

``run_task`` runs blocking work (disk, network, images) on a worker thread
and delivers its result or error back on the main thread as a signal, so no
widget is ever touched from another thread (Picard's ``run_task`` pattern).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot


class _Relay(QObject):
    """Lives on the main thread, so its slots run there: the signals are queued."""

    done = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_error = on_error
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_error)

    @Slot(object)
    def _deliver_done(self, result: Any) -> None:
        _pending.discard(self)
        self._on_done(result)

    @Slot(object)
    def _deliver_error(self, exc: BaseException) -> None:
        _pending.discard(self)
        if self._on_error is not None:
            self._on_error(exc)


def _work(fn: Callable[[], Any], relay: _Relay) -> None:
    """The worker side: run ``fn``, hand its result or error to the relay."""
    try:
        result = fn()
    except Exception as exc:  # delivered to the caller's error handler
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
    on_error: Callable[[BaseException], None] | None = None,
) -> None:
    """Run ``fn`` off the UI thread, then ``on_done(result)`` on the UI thread."""
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
        on_error: Callable[[BaseException], None] | None,
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
    on_error: Callable[[BaseException], None] | None = None,
) -> None:
    """Like ``run_task``; ``fn(report)`` may call ``report(done, total)`` from the worker.

    Each report reaches ``on_progress`` on the UI thread through a queued signal.
    """
    relay = _ProgressRelay(on_progress, on_done, on_error)
    _pending.add(relay)
    _start(lambda: fn(relay.progress.emit), relay)
