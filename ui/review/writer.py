"""Store writes from the review, one after another, off the UI thread."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from ui.crossing import run_task


class StoreWriter:
    """Runs small store writes in submission order through ``run_task``.

    The writes are single SQLite rows, but ``synchronous=FULL`` means an fsync
    each, which can take tens of milliseconds on a slow disk: too long for the UI
    thread. Running them one at a time keeps their order (an undo right after
    an add must never reach the store first).
    """

    def __init__(self) -> None:
        self._queue: deque[tuple[Callable[[], Any], str]] = deque()
        self._busy = False
        self.on_failed: list[Callable[[str], None]] = []
        self.on_idle: list[Callable[[], None]] = []

    @property
    def busy(self) -> bool:
        """Whether some write has not reached the store yet."""
        return self._busy or bool(self._queue)

    def submit(self, fn: Callable[[], Any], what: str) -> None:
        """Queue ``fn`` (a store call); ``what`` names it in an error message."""
        self._queue.append((fn, what))
        if not self._busy:
            self._next()

    def _next(self) -> None:
        if not self._queue:
            self._busy = False
            for callback in list(self.on_idle):
                callback()
            return
        self._busy = True
        fn, what = self._queue.popleft()
        run_task(fn, lambda _result: self._next(), lambda exc: self._fail(what, exc))

    def _fail(self, what: str, exc: BaseException) -> None:
        for callback in list(self.on_failed):
            callback(f"{what} was not saved: {exc}")
        self._next()
