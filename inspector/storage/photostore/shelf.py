"""Copying a file beside the photos and back, hashed on the way (see :class:`FileShelf`)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO, Protocol

from inspector.atomic import atomic_path
from inspector.storage.errors import ChecksumMismatch

__all__ = ["copy_checked", "file_sha256", "same_file"]

_CHUNK = 1 << 20


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def copy_checked(source: _Readable | BinaryIO, dest: Path, sha256: str, what: str) -> None:
    """``source``'s bytes to ``dest``, whole or not at all; they must hash to ``sha256``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with atomic_path(dest) as tmp:
        with open(tmp, "wb") as out:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:  # leaving the block unfinished removes the copy
            raise ChecksumMismatch(f"{what}: its bytes do not match their SHA-256")


def file_sha256(path: Path) -> tuple[str, int]:
    """The SHA-256 and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths are one file (or would be: the shelf is the data folder itself)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(os.path.abspath(a)) == Path(os.path.abspath(b))
