"""The photo store of today: a folder holding ``photos/ab/<sha256>.jpg``.

Everything goes through :class:`inspector.storage.photos.PhotoFiles` (temp file,
fsync, rename, then fsync of the folder; the cross-process photos lock), so a
folder written through this store and one written by the :class:`Store` are the
same thing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from inspector.storage.errors import ChecksumMismatch, NotFound, StoreError
from inspector.storage.photos import ORPHAN_MIN_AGE_SECONDS, PhotoFiles
from inspector.storage.photostore.base import (
    PhotoState,
    StoredPhoto,
    check_file_name,
    check_sha256,
    sha256_of_name,
)
from inspector.storage.photostore.shelf import copy_checked, same_file

__all__ = ["REMOVE_WAIT_SECONDS", "LocalPhotoStore"]

REMOVE_WAIT_SECONDS = 5.0
"""How long a delete waits for writers in other processes before leaving it to the sweep."""


class LocalPhotoStore:
    """Photos in ``root/photos/`` (``root`` is a data folder, or any folder).

    ``files``, when given, is the data folder's own :class:`PhotoFiles` (the
    :class:`Store` shares it with its database, which counts the photos).
    """

    def __init__(self, root: Path, files: PhotoFiles | None = None) -> None:
        self.root = Path(root)
        self.files = files if files is not None else PhotoFiles(self.root)

    @property
    def url(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"LocalPhotoStore({self.url!r})"

    def put(self, data: bytes, sha256: str | None = None) -> str:
        if sha256 is not None and hashlib.sha256(data).hexdigest() != check_sha256(sha256):
            raise ChecksumMismatch(
                f"photo {sha256[:12]} not saved: its bytes do not match their SHA-256"
            )
        self._make_root()
        return self.files.write(data)

    def _make_root(self) -> None:
        """A folder not made yet is made on the first write (a writer's lock included)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"photo not saved: cannot create {self.root} ({exc.strerror})"
            ) from exc

    def get(self, sha256: str) -> bytes:
        return self.files.read(check_sha256(sha256))

    def exists(self, sha256: str) -> bool:
        return self.files.state(check_sha256(sha256)) == "ok"

    def state(self, sha256: str, *, deep: bool = False) -> PhotoState:
        return self.files.state(check_sha256(sha256), deep=deep)

    def local_path(self, sha256: str) -> Path:
        return self.files.path(sha256)

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """The photos lock held shared: deletes and sweeps in any process wait."""
        self._make_root()
        return self.files.writing()

    def size(self, sha256: str) -> int:
        path = self.files.path(check_sha256(sha256))
        try:
            return path.stat().st_size
        except FileNotFoundError as exc:
            raise NotFound(f"photo {sha256[:12]} is missing from {self.files.photos_dir}") from exc

    def list(self) -> Iterator[StoredPhoto]:
        try:
            paths = sorted(self.files.photos_dir.glob("??/*.jpg"))
        except OSError:
            return
        for path in paths:
            sha = sha256_of_name(path.relative_to(self.root).as_posix())
            if sha is None:
                continue
            try:
                st = path.stat()
            except OSError:
                continue  # removed meanwhile
            yield StoredPhoto(sha, st.st_size, st.st_mtime)

    def remove_unused(self, shas: Iterable[str], used_of: Callable[[set[str]], set[str]]) -> int:
        if not self.root.is_dir():
            return 0
        wanted = {check_sha256(sha) for sha in shas}
        return self.files.remove_unused(wanted, used_of, REMOVE_WAIT_SECONDS)

    def sweep(
        self, used: Callable[[], set[str]], grace_seconds: float = ORPHAN_MIN_AGE_SECONDS
    ) -> int:
        if not self.root.is_dir():
            return 0
        self.files.sweep_temporaries()
        return self.files.sweep_orphans(used, grace_seconds)

    def ping(self) -> None:
        if not self.root.is_dir() or not os.access(self.root, os.W_OK | os.X_OK):
            raise StoreError(f"the photo folder {self.root} is missing or cannot be written")

    def close(self) -> None:
        pass

    # -- other files beside the photos (FileShelf) -----------------------------------

    def _file(self, name: str) -> Path:
        return self.root / check_file_name(name)

    def put_file(self, name: str, path: Path, sha256: str, content_type: str) -> None:
        target = self._file(name)
        if same_file(target, path):  # the photos are in the data folder: already there
            return
        try:
            with open(path, "rb") as source:
                copy_checked(source, target, sha256, f"{name} not saved")
        except OSError as exc:
            raise StoreError(f"{name} not saved in {self.root}: {exc.strerror or exc}") from exc

    def fetch_file(self, name: str, sha256: str, dest: Path) -> None:
        source_path = self._file(name)
        if same_file(source_path, dest) and dest.is_file():
            return
        try:
            with open(source_path, "rb") as source:
                copy_checked(source, dest, sha256, f"{name} in {self.root}")
        except FileNotFoundError as exc:
            raise NotFound(f"{name} is missing from {self.root}") from exc
        except OSError as exc:
            raise StoreError(f"{name} not read from {self.root}: {exc.strerror or exc}") from exc

    def has_file(self, name: str) -> bool:
        return self._file(name).is_file()

    def delete_files(self, names: Iterable[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                self._file(name).unlink()
