"""The files an inspection has besides its photos: the seller's signature drawings and
the call recordings.

Each is named by its SHA-256 and written first to the data folder of the desk that made
it (``signatures/ab/<sha256>.png``, ``recordings/ab/<sha256>.mp4`` and ``.json``), then
put on the photo store's shelf (:class:`FileShelf`: the same names beside the photos, in
the folder or the bucket) before the row that names it is committed, so that every desk
of a team reads it. A desk that lacks one fetches it from the shelf, hash checked, into
its data folder, which is then a cache. With the photos in the data folder itself the
shelf is that folder and nothing is copied.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from pathlib import Path

from inspector.storage.errors import NotFound
from inspector.storage.photostore import PhotoStore
from inspector.storage.photostore.base import FileShelf

__all__ = ["CACHE_GRACE_SECONDS", "SideFiles", "recording_name", "signature_name"]

CACHE_GRACE_SECONDS = 3600.0
"""A local side file younger than this is never swept: its row may be on its way."""

_EXTENSIONS = {"video/mp4": ".mp4", "video/webm": ".webm", "application/json": ".json"}


def signature_name(sha256: str) -> str:
    return f"signatures/{sha256[:2]}/{sha256}.png"


def recording_name(sha256: str, mime: str) -> str:
    """A recording's video (``video/mp4``) or timeline (``application/json``)."""
    return f"recordings/{sha256[:2]}/{sha256}{_EXTENSIONS[mime]}"


def _content_type(name: str) -> str:
    suffix = Path(name).suffix
    types = {ext: mime for mime, ext in _EXTENSIONS.items()}
    return "image/png" if suffix == ".png" else types[suffix]


class SideFiles:
    """The side files of one store: local copies in ``data_dir``, the shelf beside the photos."""

    def __init__(self, data_dir: Path, photos: PhotoStore) -> None:
        self.data_dir = Path(data_dir)
        self.shelf = photos if isinstance(photos, FileShelf) else None
        self.where = photos.url

    def local(self, name: str) -> Path:
        return self.data_dir / name

    def publish(self, name: str, sha256: str, source: Path | None = None) -> None:
        """Put the file (the local copy, or ``source``) on the shelf, once durable."""
        if self.shelf is not None:
            path = source if source is not None else self.local(name)
            self.shelf.put_file(name, path, sha256, _content_type(name))

    def on_shelf(self, name: str) -> bool:
        return self.shelf is not None and self.shelf.has_file(name)

    def fetch(self, name: str, sha256: str) -> Path:
        """The local copy, fetched from the shelf if this desk has none (NotFound if
        neither has it)."""
        path = self.local(name)
        if path.is_file():
            return path
        if self.shelf is None:
            raise NotFound(f"{name} is missing ({path})")
        try:
            self.shelf.fetch_file(name, sha256, path)
        except NotFound:
            raise NotFound(f"{name} is neither on this desk nor in {self.where}") from None
        return path

    def delete(self, names: Iterable[str]) -> None:
        """Delete from the shelf first (a StoreError leaves every copy), then here."""
        names = list(names)
        if self.shelf is not None:
            self.shelf.delete_files(names)
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                self.local(name).unlink()

    def sweep_local(self, used: set[str] | None, grace_seconds: float = CACHE_GRACE_SECONDS) -> int:
        """Delete this desk's copies no row names any more (an inspection deleted, a
        recording past its retention, on any desk), older than ``grace_seconds``; how many.
        ``used`` is None when the database has no signature nor recording row at all: then
        nothing is swept (a database emptied, or not the right one)."""
        if used is None:
            return 0
        limit = time.time() - grace_seconds
        gone = 0
        for folder in ("recordings", "signatures"):
            for path in (self.data_dir / folder).glob("??/*.*"):
                name = f"{folder}/{path.parent.name}/{path.name}"
                if name in used:
                    continue
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < limit:
                        path.unlink()
                        gone += 1
        return gone
