"""What the data folder keeps of the photos for speed: thumbnails, and local copies
of photos held in object storage.

A cache, safe to delete at any time: everything in it is made again from the
photo store. ``thumbs/<sha256>_<size>.jpg`` are the thumbnails (whichever store
holds the photos); ``cache/photos/<sha256>.jpg`` are whole photos of a remote
store that the console decodes from a file (the photo viewers), at most
:data:`COPIES_MAX_BYTES` of them, the least recently used going first.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from PIL import Image

from inspector.storage.errors import NotFound, StoreError
from inspector.storage.photos import THUMBS_DIR, write_atomic

__all__ = ["COPIES_DIR", "COPIES_MAX_BYTES", "PhotoCache"]

COPIES_DIR = "cache/photos"
COPIES_MAX_BYTES = 512 << 20
"""About a hundred 12 MP photos: the inspections a desk is looking at today."""

Source = Callable[[], Path | bytes]
"""Where a thumbnail is made from: the photo's file, or its bytes."""


class PhotoCache:
    """The thumbnails and copies of one data folder."""

    def __init__(self, data_dir: Path, *, copies_max_bytes: int = COPIES_MAX_BYTES) -> None:
        self.thumbs_dir = Path(data_dir) / THUMBS_DIR
        self.copies_dir = Path(data_dir) / COPIES_DIR
        self.copies_max_bytes = copies_max_bytes

    def thumbnail(self, sha256: str, size: int, source: Source) -> Path:
        """A JPEG whose longest side is ``size`` pixels, made from ``source()`` once."""
        thumb = self.thumbs_dir / f"{sha256}_{size}.jpg"
        if thumb.exists():
            return thumb
        try:
            found = source()
            with Image.open(found if isinstance(found, Path) else io.BytesIO(found)) as image:
                image.draft("RGB", (size, size))  # decode at reduced size: far faster
                img = image.convert("RGB")
                img.thumbnail((size, size), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                img.save(out, "JPEG", quality=85)
        except FileNotFoundError as exc:
            raise NotFound(f"photo {sha256[:12]} is missing") from exc
        except (OSError, Image.DecompressionBombError) as exc:
            raise StoreError(f"photo {sha256[:12]} cannot be read: {exc}") from exc
        write_atomic(thumb, out.getvalue())
        return thumb

    def copy(self, sha256: str, read: Callable[[], bytes], data: bytes | None = None) -> Path:
        """A local file with the photo's bytes: ``data`` if given, else ``read()``, kept once.

        The bytes are checked against ``sha256`` before they are kept.
        """
        path = self.copies_dir / f"{sha256}.jpg"
        if path.is_file():
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used: kept by the pruning
            return path
        if data is None:
            data = read()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoreError(f"photo {sha256[:12]} does not match its SHA-256: not kept")
        write_atomic(path, data)
        self._prune(keep=path)
        return path

    def cached_copy(self, sha256: str) -> Path | None:
        """The local copy of a remote photo, if one is kept."""
        path = self.copies_dir / f"{sha256}.jpg"
        return path if path.is_file() else None

    def forget(self, shas: Iterable[str]) -> None:
        """Drop the thumbnails and copies of these photos (deleted, or replaced)."""
        for sha in shas:
            with contextlib.suppress(OSError):
                (self.copies_dir / f"{sha}.jpg").unlink()
            with contextlib.suppress(OSError):
                for thumb in self.thumbs_dir.glob(f"{sha}_*.jpg"):
                    thumb.unlink()

    def _prune(self, keep: Path) -> None:
        """Remove the least recently used copies until they fit in a quarter under the bound."""
        entries: list[tuple[float, int, Path]] = []
        try:
            with os.scandir(self.copies_dir) as found:
                for entry in found:
                    if not entry.name.endswith(".jpg"):
                        continue  # another thread's copy being written
                    with contextlib.suppress(OSError):
                        st = entry.stat()
                        entries.append((st.st_mtime, st.st_size, Path(entry.path)))
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        if total <= self.copies_max_bytes:
            return
        for _, size, path in sorted(entries):
            if total <= self.copies_max_bytes * 3 // 4:
                break
            if path == keep:
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
