"""Real operating-system faults for tests: a small disk, a read-only folder, a held lock.

Mounting needs root (the test containers run as root); without it the tests
that need a mount are skipped locally and fail on CI, like the browser tests.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.unavailable import unavailable

ROOT = Path(__file__).resolve().parents[2]


def _mount(*argv: str) -> None:
    if os.geteuid() != 0:
        unavailable("mounting a test file system needs root")
    proc = subprocess.run(["mount", *argv], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        unavailable(f"cannot mount here: {proc.stderr.strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


@contextmanager
def small_disk(path: Path, size: str = "1m") -> Iterator[Path]:
    """A real tmpfs of ``size`` mounted at ``path`` (removed afterwards)."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield path
    finally:
        _umount(path)


def fill_disk(path: Path, leave: int = 0) -> Path:
    """Fill the file system holding ``path`` until ``leave`` bytes are free."""
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    filler = path / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free - leave))
    return filler


@contextmanager
def read_only_view(source: Path, view: Path) -> Iterator[Path]:
    """``source`` seen read-only at ``view`` (a read-only bind mount: root cannot write it)."""
    view.mkdir(parents=True, exist_ok=True)
    _mount("--bind", str(source), str(view))
    try:
        proc = subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(view)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            unavailable(f"cannot remount read-only: {proc.stderr.strip()}")
        yield view
    finally:
        _umount(view)


def inspector(
    *argv: str | bytes, data_dir: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m inspector`` as a real process (Ctrl-C behaves as in a terminal)."""
    args: list[str | bytes] = [sys.executable, "-m", "inspector"]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    return subprocess.run(
        [*args, *argv],
        capture_output=True,
        text=True,
        errors="backslashreplace",
        cwd=ROOT,
        timeout=timeout,
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    # A shell starts background jobs with SIGINT ignored, and children inherit that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def corrupt(db_path: Path, *, offset: int, length: int, seed: int = 7) -> None:
    """Write random bytes over ``length`` bytes of the database at ``offset``."""
    data = random.Random(seed).randbytes(length)
    with open(db_path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def checkpoint(db_path: Path) -> None:
    """Fold the WAL into the database file, so corrupting the file hits the data."""
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


_HOLDER = textwrap.dedent(
    """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.readline()
    db.execute("ROLLBACK")
    """
)


@contextmanager
def database_locked(db_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds the database's write lock until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
        proc.stdout.close()
