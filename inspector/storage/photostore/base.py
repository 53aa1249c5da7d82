"""What every photo store promises, whatever holds the bytes.

A photo is kept under the SHA-256 of its bytes. ``put`` returns only once the
photo is durable, so the row that points at it can be committed after it: a
process killed at any instant leaves at worst a whole photo no row uses, which
the sweep removes once it is older than a grace period (so an upload in flight,
or one whose row is about to be committed, is never swept).

Writers hold :meth:`PhotoStore.writing` from the first ``put`` to the commit of
the rows that use the photos. On a folder that is a cross-process lock which
deletes wait for; object storage has none, so there a delete never takes a
photo stored (or stored again) within the grace period, and re-checks the rows
right before it deletes.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from inspector.storage.errors import StoreError
from inspector.storage.photos import ORPHAN_MIN_AGE_SECONDS, ORPHAN_SWEEP_LIMIT

__all__ = [
    "ORPHAN_MIN_AGE_SECONDS",
    "ORPHAN_SWEEP_LIMIT",
    "FileShelf",
    "PhotoState",
    "PhotoStore",
    "StoredPhoto",
    "check_file_name",
    "check_sha256",
    "photo_name",
    "sha256_of_name",
]

PhotoState = Literal["ok", "missing", "altered"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"(?:^|/)photos/([0-9a-f]{2})/([0-9a-f]{64})\.jpg$")
_FILE_NAME = re.compile(
    r"(recordings|signatures)/([0-9a-f]{2})/([0-9a-f]{64})\.(mp4|webm|json|png)"
)


@dataclass(frozen=True)
class StoredPhoto:
    """One photo as the store lists it; ``modified`` in seconds since the epoch."""

    sha256: str
    size: int
    modified: float


def check_sha256(sha256: str) -> str:
    """``sha256`` if it is one (64 lowercase hex digits), else a StoreError."""
    if not _SHA256.fullmatch(sha256):
        raise StoreError(f"not a SHA-256: {sha256!r}")
    return sha256


def photo_name(sha256: str) -> str:
    """The photo's name under the store's root: ``photos/ab/<sha256>.jpg``."""
    check_sha256(sha256)
    return f"photos/{sha256[:2]}/{sha256}.jpg"


def sha256_of_name(name: str) -> str | None:
    """The SHA-256 a stored name stands for, or None for anything else (a temporary...)."""
    match = _NAME.search(name)
    if match is None or not match.group(2).startswith(match.group(1)):
        return None
    return match.group(2)


def check_file_name(name: str) -> str:
    """``name`` if it names a file kept beside the photos (``recordings/ab/<sha256>.mp4``,
    ``signatures/ab/<sha256>.png``...), else a StoreError: no other key is ever written."""
    match = _FILE_NAME.fullmatch(name)
    if match is None or not match.group(3).startswith(match.group(2)):
        raise StoreError(f"not a stored file's name: {name!r}")
    return name


@runtime_checkable
class FileShelf(Protocol):
    """The files other than photos an inspection has (the seller's signature drawings,
    the call recordings), kept beside the photos so that every desk of a team reads them.

    Each is named by its SHA-256 (:func:`check_file_name`) and written first to the data
    folder of the desk that made it; :meth:`put_file` copies it to the shelf, checked.
    """

    def put_file(self, name: str, path: Path, sha256: str, content_type: str) -> None:
        """Keep the local file ``path`` as ``name``, once durable; its bytes must hash to
        ``sha256`` (:class:`ChecksumMismatch` else); idempotent."""
        ...

    def fetch_file(self, name: str, sha256: str, dest: Path) -> None:
        """Write the file ``name`` to ``dest`` (atomically, hash checked: :class:`NotFound`,
        :class:`ChecksumMismatch`)."""
        ...

    def has_file(self, name: str) -> bool: ...

    def delete_files(self, names: Iterable[str]) -> None:
        """Delete these files (missing ones are fine)."""
        ...


@runtime_checkable
class PhotoStore(Protocol):
    """Photo bytes by their SHA-256: a local folder or S3-compatible object storage.

    Which photos are still used is the database's to say: the deleting methods
    take it as a function.
    """

    @property
    def url(self) -> str:
        """Where the photos are, as given to :func:`photo_store_for` (no secrets)."""
        ...

    def put(self, data: bytes, sha256: str | None = None) -> str:
        """Store ``data`` under its SHA-256 and return it, once durable; idempotent.

        ``sha256``, when given, is the name the caller expects: bytes that do not
        hash to it are refused with :class:`ChecksumMismatch` (on S3 by the server,
        which checks what it received). Storing the same bytes again refreshes
        the photo's time, so a sweep sees it as young.
        """
        ...

    def get(self, sha256: str) -> bytes:
        """The photo's bytes (:class:`NotFound` if there is none)."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def state(self, sha256: str, *, deep: bool = False) -> PhotoState:
        """ "ok" or "missing"; ``deep`` reads the bytes and says "altered" if they changed."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """The file holding the photo when the store is a folder (it may not exist); else None."""
        ...

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Hold from the first ``put`` to the commit of the rows that use the photos."""
        ...

    def size(self, sha256: str) -> int:
        """The photo's size in bytes (:class:`NotFound` if there is none)."""
        ...

    def list(self) -> Iterator[StoredPhoto]:
        """Every whole photo stored (never a temporary or an unfinished upload)."""
        ...

    def remove_unused(self, shas: Iterable[str], used_of: Callable[[set[str]], set[str]]) -> int:
        """Delete those of ``shas`` that ``used_of`` says no row uses; how many went.

        ``used_of`` is asked right before deleting. A folder waits a little for
        writers in other processes, else leaves the photos to the sweep; object
        storage leaves to the sweep every photo stored within the grace period.
        """
        ...

    def sweep(
        self, used: Callable[[], set[str]], grace_seconds: float = ORPHAN_MIN_AGE_SECONDS
    ) -> int:
        """Delete photos not in ``used()`` and older than ``grace_seconds``; how many went.

        Never when ``used()`` is empty (an emptied database would lose every
        photo), nor when more than ``ORPHAN_SWEEP_LIMIT`` would go (a database
        restored from an older backup). Also clears what killed uploads left.
        """
        ...

    def ping(self) -> None:
        """Check, now, that the store answers (a readiness probe); raises a ``StoreError``."""
        ...

    def close(self) -> None: ...
