"""Files that are either whole or absent: the one atomic-write sequence.

Write to a temporary name beside the target, flush and fsync it, rename it over
the target, then fsync the folder so the rename itself survives a power cut. A
failure or an interruption at any point leaves the target as it was and no
temporary file behind (or, after a kill, one ending in ``TMP_SUFFIX`` that the
owner sweeps).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

__all__ = ["TMP_SUFFIX", "atomic_path", "folder_problem", "fsync_dir", "write_atomic"]

TMP_SUFFIX = ".part"


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (not every filesystem allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path, *, hidden: bool = False) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; renamed over it on success.

    For writers that want a file name (reportlab, zipfile). ``hidden`` starts the
    temporary name with a dot, so a half-written report never shows in a file list.
    """
    path = Path(path)
    prefix = "." if hidden else ""
    tmp = path.with_name(f"{prefix}{path.name}.{secrets.token_hex(4)}{TMP_SUFFIX}")
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that it is either whole or absent (raises OSError)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()


def folder_problem(folder: Path, what: str) -> str | None:
    """Why ``what`` cannot be written as the new or empty ``folder`` (None: it can).

    Checked before the work starts, so a typo or a full folder is said at once; the
    folder's parent must exist (a typo must not quietly create folders)."""
    if folder.exists() and not folder.is_dir():
        return f"{folder} is a file; give a folder for {what}"
    if folder.is_dir():
        try:
            if any(folder.iterdir()):
                return f"the folder {folder} is not empty; give a new or empty one"
        except PermissionError as exc:
            return f"cannot read the folder {folder}: {exc.strerror}"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"cannot write in the folder {folder}"
    parent = folder.parent
    if not parent.is_dir():
        return f"the folder {parent} does not exist; create it first"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write in the folder {parent}"
    return None
