"""Store writes from the review, one after another, off the UI thread, and the row
versions they carry."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

from inspector.storage import ChangedElsewhere
from ui.crossing import run_task


class StoreWriter:
    """Runs small store writes in submission order through ``run_task``.

    The writes are single rows, but ``synchronous=FULL`` means an fsync each on
    SQLite (a round trip on a database server), which can take tens of milliseconds:
    too long for the UI thread. Running them one at a time keeps their order (an
    undo right after an add must never reach the store first).

    A write refused because someone else changed the record (:class:`ChangedElsewhere`)
    goes to ``on_changed_elsewhere`` when anyone listens there, else to ``on_failed``
    like any other failure.
    """

    def __init__(self) -> None:
        self._queue: deque[tuple[Callable[[], Any], str]] = deque()
        self._busy = False
        self.submitted = 0
        """How many writes were ever submitted: a load that started before one is stale."""
        self.on_failed: list[Callable[[str], None]] = []
        self.on_changed_elsewhere: list[Callable[[str], None]] = []
        self.on_idle: list[Callable[[], None]] = []

    @property
    def busy(self) -> bool:
        """Whether some write has not reached the store yet."""
        return self._busy or bool(self._queue)

    def submit(self, fn: Callable[[], Any], what: str) -> None:
        """Queue ``fn`` (a store call); ``what`` names it in an error message."""
        self.submitted += 1
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
        listeners = self.on_failed
        if isinstance(exc, ChangedElsewhere) and self.on_changed_elsewhere:
            listeners = self.on_changed_elsewhere
        for callback in list(listeners):
            callback(f"{what} was not saved: {exc}")
        self._next()


class RowVersions:
    """The version of each record as the store holds it after this review's own writes.

    Set from what the review loaded, then by each write as it lands. A write names
    the version the previous write left (the :class:`StoreWriter` runs them one at a
    time), so the review's own quick successive saves never look like someone
    else's change, and someone else's always does. Read and set from the UI thread
    and the writes' worker threads.
    """

    def __init__(self) -> None:
        self._versions: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: int) -> int:
        with self._lock:
            return self._versions.get(key, default)

    def set(self, key: Hashable, version: int) -> None:
        with self._lock:
            self._versions[key] = version

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._versions.pop(key, None)
