"""One process owns a data folder's live sessions.

The one-device rule and each session's state live in the memory of the
process running the engine, so two processes serving one data folder would let
two phones drive one inspection at once. Anything that runs live sessions
(``inspector serve``, ``inspector demo``, the console's engine) first takes an
exclusive lock on ``DATA_DIR/live.lock`` and keeps it while its engine runs.
The kernel releases it when the process ends, however it ends (a ``SIGKILL``
included), so a lock never outlives its holder. The holder writes its pid in
the file: a second process is told who serves the folder. Once it listens it
also writes where phones reach it (:meth:`LiveLock.announce`), so ``inspector
invite`` prints a link to the server actually running (:func:`running_server`),
never to a port nobody listens on; a record whose holder died is never read,
since its lock is free.

Holding the lock also means no other process has a call going on this folder:
an inspection still marked "live" is the trace of a call a crash interrupted
(see :func:`inspector.usecases.status.restore_after_interruption`).

POSIX only (``fcntl.flock``); where it is missing (Windows) the lock is not
taken and a warning is logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms we test
    fcntl = None

__all__ = ["LOCK_NAME", "DataDirBusy", "LiveLock", "RunningServer", "running_server"]

log = logging.getLogger(__name__)

LOCK_NAME = "live.lock"


class DataDirBusy(Exception):
    """Another process runs the live sessions of this data folder; the message says which."""


@dataclass(frozen=True)
class RunningServer:
    """The process serving a data folder, and where phones reach it."""

    pid: int | None
    base_url: str | None  # what join links start with; None until it listens
    lan_url: str | None


class LiveLock:
    """The exclusive, process-wide right to run live sessions on one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise :class:`DataDirBusy` at once (never waits)."""
        if self._fd is not None:
            return
        if fcntl is None:  # pragma: no cover
            log.warning("no file locks on this platform: %s is not protected", self.path.parent)
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DataDirBusy(
                f"cannot use {self.path.parent} for live sessions: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise DataDirBusy(
                f"the data folder {self.path.parent} is already served by {who}; "
                "stop it first, or use another --data-dir"
            ) from None
        with contextlib.suppress(OSError):  # the pid is information, not the lock
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def announce(self, base_url: str, lan_url: str | None) -> None:
        """Record where phones reach this holder (after its pid, in the lock file)."""
        if self._fd is None:
            return
        record = json.dumps({"base_url": base_url, "lan_url": lan_url})
        with contextlib.suppress(OSError):  # information, not the lock
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"{os.getpid()}\n{record}\n".encode(), 0)

    def release(self) -> None:
        """Give the lock up (closing the file releases it); safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)


def running_server(data_dir: Path) -> RunningServer | None:
    """The process running this folder's live sessions, or None when none runs.

    Never creates anything; a lock file left by a process that died is free, so
    what it says is ignored.
    """
    if fcntl is None:  # pragma: no cover
        return None
    try:
        fd = os.open(Path(data_dir) / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:  # held: someone serves the folder
            pass
        else:
            return None
        lines = _read(fd).splitlines()
    finally:
        os.close(fd)
    pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
    base_url = lan_url = None
    if len(lines) > 1:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            record = json.loads(lines[1])
            base_url = str(record["base_url"]) if record.get("base_url") else None
            lan_url = str(record["lan_url"]) if record.get("lan_url") else None
    return RunningServer(pid, base_url, lan_url)


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        return ""


def _read_pid(fd: int) -> int | None:
    text = _read(fd).split("\n", 1)[0].strip()
    return int(text) if text.isdigit() else None
