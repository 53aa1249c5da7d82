"""Photo files named by their content: ``photos/ab/<sha256>.jpg``, and the
cross-process lock that keeps a file from being removed while a row is about to
point at it (thumbnails are :mod:`.photocache`'s).

A photo is written atomically (:mod:`inspector.atomic`) *before* the row that
points at it is committed, so a process killed at any instant never leaves a row
pointing at a missing or partial file; at worst a whole, unreferenced file.

Files are shared by content, so one is only ever unlinked under an exclusive
lock on ``.photos.lock`` after checking that no row uses it, and every photo
write holds that lock shared from the file to its row's commit: a delete (or a
sweep) in another process can never remove a photo a row is about to point at.
A file that is reused is hashed first (a damaged one is replaced) and its time
refreshed, so the orphan sweep sees it as young.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal

if sys.platform != "win32":  # Windows has no flock: no cross-process photo lock there
    import fcntl

from inspector import atomic
from inspector.storage.errors import DatabaseBusy, DiskFull, NotFound, ReadOnly, StoreError

__all__ = [
    "ORPHAN_MIN_AGE_SECONDS",
    "ORPHAN_SWEEP_LIMIT",
    "PHOTOS_DIR",
    "PHOTOS_LOCK",
    "PHOTOS_LOCK_TIMEOUT",
    "THUMBS_DIR",
    "PhotoFiles",
    "count_photo_files",
    "file_sha256",
    "photos_lock",
    "write_atomic",
]

PHOTOS_DIR = "photos"
THUMBS_DIR = "thumbs"
ORPHAN_MIN_AGE_SECONDS = 3600.0
"""Younger unreferenced photos may be a write in flight in another process."""
ORPHAN_SWEEP_LIMIT = 20
"""More old unreferenced photos than this is not a few killed writes but a database
that lost records (restored from an older backup...): then nothing is swept."""
PHOTOS_LOCK = ".photos.lock"
PHOTOS_LOCK_TIMEOUT = 30.0
"""How long a photo write waits for a delete or a sweep in another process."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write photo bytes whole or not at all; failures worded for the user."""
    try:
        atomic.write_atomic(path, data)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(f"photo not saved: the disk is full ({path.parent})") from exc
        raise StoreError(f"photo not saved: cannot write {path.parent} ({exc.strerror})") from exc


def folder_error(folder: Path, exc: OSError) -> StoreError:
    """A photos folder that cannot be used, in words a user can act on."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"photo not saved: the disk is full ({folder})")
    if exc.errno == errno.ENOENT:
        return StoreError(
            f"the photos folder {folder} does not exist: is its disk or network share "
            "mounted? (or fix --photo-store)"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnly(f"the photos folder {folder} cannot be written ({exc.strerror})")
    return StoreError(f"cannot use the photos folder {folder} ({exc.strerror})")


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a file's bytes, or None if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def count_photo_files(photos_dir: Path) -> int:
    """How many photo files ``photos/`` holds (0 if there is no such folder)."""
    try:
        return sum(1 for _ in photos_dir.glob("??/*.jpg"))
    except OSError:
        return 0


@contextlib.contextmanager
def photos_lock(data_dir: Path, *, exclusive: bool, timeout: float) -> Iterator[None]:
    """``flock`` on ``.photos.lock``: shared by writers, exclusive for unlinking.

    Between processes (and between threads: each holder opens its own file).
    Raises :class:`DatabaseBusy` after ``timeout`` seconds.
    """
    if sys.platform == "win32":  # pragma: no cover
        yield
        return
    try:
        fd = os.open(Path(data_dir) / PHOTOS_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise folder_error(Path(data_dir), exc) from exc
    try:
        op = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline, pause = time.monotonic() + timeout, 0.001
        while True:
            try:
                fcntl.flock(fd, op | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        "the photos folder is busy (another program is deleting or "
                        "writing photos), try again"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


class PhotoFiles:
    """The ``photos/`` and ``thumbs/`` folders of one data directory.

    Which photos rows still use is the database's to say: the sweeps take it
    as a function, called under the exclusive lock.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.photos_dir = data_dir / PHOTOS_DIR
        self.thumbs_dir = data_dir / THUMBS_DIR
        self._held = threading.local()

    def make_folders(self) -> None:
        self.photos_dir.mkdir(exist_ok=True)
        self.thumbs_dir.mkdir(exist_ok=True)

    def count(self) -> int:
        return count_photo_files(self.photos_dir)

    # -- the photos lock ------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, *, exclusive: bool, timeout: float) -> Iterator[None]:
        """:func:`photos_lock`, re-entrant per thread (a thread holding it goes on).

        A thread holding it shared cannot take it exclusively (that would wait
        for itself): unlink photos after the writes, not in the middle.
        """
        held = getattr(self._held, "mode", None)
        if held is not None:
            if exclusive and held == "shared":
                raise RuntimeError("photos lock: cannot unlink while writing photos")
            yield
            return
        with photos_lock(self.data_dir, exclusive=exclusive, timeout=timeout):
            self._held.mode = "exclusive" if exclusive else "shared"
            try:
                yield
            finally:
                self._held.mode = None

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """The lock held shared, for writing photos and committing their rows."""
        return self.lock(exclusive=False, timeout=PHOTOS_LOCK_TIMEOUT)

    # -- files --------------------------------------------------------------

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise StoreError(f"not a SHA-256: {sha256!r}")
        return self.photos_dir / sha256[:2] / f"{sha256}.jpg"

    def write(self, data: bytes) -> str:
        """Store photo bytes by their SHA-256 and return it; idempotent.

        A file already there is hashed: a damaged one is replaced (atomically),
        a good one gets a fresh time so that a sweep sees it as young.
        """
        sha = hashlib.sha256(data).hexdigest()
        path = self.path(sha)
        with self.writing():
            if file_sha256(path) == sha:
                with contextlib.suppress(OSError):
                    os.utime(path)
            else:
                existed = path.exists()
                write_atomic(path, data)
                if existed:  # a damaged file was replaced: so are its thumbnails
                    self._remove_thumbnails(sha)
        return sha

    def state(self, sha256: str, *, deep: bool = False) -> Literal["ok", "missing", "altered"]:
        """The photo file's state: "ok", "missing" or "altered" (``deep``: by its SHA-256)."""
        path = self.path(sha256)
        if deep:
            actual = file_sha256(path)
            return "missing" if actual is None else ("ok" if actual == sha256 else "altered")
        return "ok" if path.is_file() else "missing"

    def read(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"photo {sha256[:12]} is missing from {self.photos_dir}") from exc

    def _remove(self, sha256: str) -> None:
        with contextlib.suppress(OSError):
            self.path(sha256).unlink()
        self._remove_thumbnails(sha256)

    def _remove_thumbnails(self, sha256: str) -> None:
        for thumb in self.thumbs_dir.glob(f"{sha256}_*.jpg"):
            with contextlib.suppress(OSError):
                thumb.unlink()

    # -- sweeps: the only places files are unlinked ---------------------------

    def sweep_temporaries(self) -> None:
        """Remove leftovers of writes a killed process never finished."""
        try:
            with self.lock(exclusive=True, timeout=0):
                for tmp in self.photos_dir.rglob(f"*{atomic.TMP_SUFFIX}"):
                    with contextlib.suppress(OSError):
                        tmp.unlink()
        except DatabaseBusy:
            pass  # a write is in flight elsewhere: next time

    def sweep_orphans(self, used: Callable[[], set[str]], min_age_seconds: float) -> int:
        """Delete photo files not in ``used()`` and older than ``min_age_seconds``.

        Never when ``used()`` is empty (an emptied database would lose every
        photo), nor when more than ``ORPHAN_SWEEP_LIMIT`` would go, nor while
        another process writes or deletes photos. Returns how many were removed.
        """
        try:
            with self.lock(exclusive=True, timeout=0):
                in_use = used()
                if not in_use:
                    return 0
                now, old = time.time(), []
                for path in self.photos_dir.glob("??/*.jpg"):
                    if path.stem in in_use:
                        continue
                    with contextlib.suppress(OSError):
                        if now - path.stat().st_mtime >= min_age_seconds:
                            old.append(path)
                if len(old) > ORPHAN_SWEEP_LIMIT:
                    return 0  # records were lost, not writes: `inspector repair` adopts them
                removed = 0
                for path in old:
                    with contextlib.suppress(OSError):
                        path.unlink()
                        removed += 1
                return removed
        except DatabaseBusy:
            return 0

    def remove_unused(
        self, shas: Iterable[str], used_of: Callable[[set[str]], set[str]], wait: float
    ) -> int:
        """Unlink those of ``shas`` that ``used_of`` says no row uses, under the exclusive lock.

        If the lock is not free within ``wait`` seconds the files are left for
        a later sweep. Returns how many were removed.
        """
        wanted = set(shas)
        if not wanted:
            return 0
        try:
            with self.lock(exclusive=True, timeout=wait):
                unused = wanted - used_of(wanted)
                for sha in unused:
                    self._remove(sha)
                return len(unused)
        except DatabaseBusy:
            return 0
