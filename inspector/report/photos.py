"""The report's copies of the photos: checked, downscaled once, saved as JPEG files.

Every photo is read from the store, checked against its SHA-256, decoded once
at reduced scale (Pillow's JPEG draft mode) to at most ``PHOTO_MAX_PX`` on its
long side and saved as a JPEG file in a temporary folder: reportlab embeds such
a file unchanged. A photo with a damage to enlarge (no close-up was taken) is
decoded at twice that scale, so the enlargement keeps its detail.
Photos are prepared in parallel, and the work can be cancelled between photos.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from inspector.domain.models import Region
from inspector.storage import ChecksumMismatch, StoreError
from inspector.storage.store import Store

__all__ = [
    "CROP_MAX_PX",
    "PHOTO_MAX_PX",
    "PHOTO_QUALITY",
    "PhotoError",
    "PreparationCancelled",
    "Prepared",
    "crop_box",
    "prepare_photos",
]

PHOTO_MAX_PX = 1600
"""Cap on the long side, in pixels, of the photos embedded in the report.

Photos are decoded at a JPEG scale that lands between half this and this
(a 12-megapixel phone photo becomes 1000x750: about 250 dpi in a 100 mm box)."""
PHOTO_QUALITY = 80
CROP_MAX_PX = 1000

View = tuple[float, float, float, float]
"""A part of a photo, as x, y, width, height in 0-1 photo coordinates."""


class PhotoError(StoreError):
    """A photo cannot be used; ``str()`` says which and why."""


class PreparationCancelled(Exception):
    """``cancelled()`` turned true while photos were being prepared."""


@dataclass
class Prepared:
    """A photo's report copy, and the enlargements cut from it (by key)."""

    path: Path
    size: tuple[int, int]
    crops: dict[str, tuple[Path, tuple[int, int], View]] = field(default_factory=dict)


def crop_box(region: Region, width: int, height: int) -> tuple[int, int, int, int]:
    """A 4:3 pixel box around a damage region, with context around it."""
    cx = (region.x + region.w / 2) * width
    cy = (region.y + region.h / 2) * height
    cw = max(region.w * width * 1.8, region.h * height * 1.8 * 4 / 3, 0.3 * width)
    cw = min(cw, width, height * 4 / 3)
    ch = cw * 3 / 4
    x0 = min(max(cx - cw / 2, 0), width - cw)
    y0 = min(max(cy - ch / 2, 0), height - ch)
    return round(x0), round(y0), round(x0 + cw), round(y0 + ch)


def _decode(data: bytes, sha256: str, long_side: int) -> Image.Image:
    """Check and decode a JPEG at the smallest scale that keeps ``long_side`` pixels."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise PhotoError(
            f"photo {sha256[:12]} no longer matches its fingerprint: the file in the data "
            "directory is damaged"
        )
    try:
        with Image.open(io.BytesIO(data)) as img:
            # JPEG draft mode decodes at 1/2, 1/4 or 1/8 scale directly: a 4000x3000
            # photo decodes to 1000x750 several times faster than whole.
            w, h = img.size
            scale = min(1.0, long_side / max(w, h, 1))
            img.draft("RGB", (math.ceil(w * scale), math.ceil(h * scale)))
            return ImageOps.exif_transpose(img.convert("RGB"))
    except (OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise PhotoError(f"photo {sha256[:12]} cannot be read: {exc}") from exc


def prepare_photo(
    data: bytes, sha256: str, folder: Path, crops: list[tuple[str, Region]]
) -> Prepared:
    """Check, decode once, save the report copy and the enlargements asked for."""
    image = _decode(data, sha256, PHOTO_MAX_PX if crops else PHOTO_MAX_PX // 2)
    prepared = Prepared(folder / f"{sha256}.jpg", (0, 0))
    w, h = image.size
    for key, region in crops:
        x0, y0, x1, y1 = crop_box(region, w, h)
        piece = image.crop((x0, y0, x1, y1))
        piece.thumbnail((CROP_MAX_PX, CROP_MAX_PX), Image.Resampling.BILINEAR, reducing_gap=2.0)
        crop_path = folder / f"crop_{hashlib.sha256(key.encode()).hexdigest()[:16]}.jpg"
        piece.save(crop_path, "JPEG", quality=PHOTO_QUALITY)
        prepared.crops[key] = (
            crop_path,
            piece.size,
            (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h),
        )
    image.thumbnail((PHOTO_MAX_PX, PHOTO_MAX_PX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    image.save(prepared.path, "JPEG", quality=PHOTO_QUALITY, optimize=False, progressive=False)
    prepared.size = image.size
    return prepared


def prepare_photos(
    store: Store,
    shas: list[str],
    crops: dict[str, list[tuple[str, Region]]],
    folder: Path,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Prepared]:
    """Prepare every photo (by SHA-256) in parallel; ``progress(done)`` after each one.

    Raises :class:`PhotoError` for a damaged or unreadable photo, the store's
    ``NotFound`` for a missing one, :class:`PreparationCancelled` when
    ``cancelled()`` turns true.
    """
    results: dict[str, Prepared] = {}
    workers = max(1, min(4, os.cpu_count() or 1))
    queue = list(dict.fromkeys(shas))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report") as pool:
        pending: dict[Future[Prepared], str] = {}

        def submit_next() -> None:
            sha = queue.pop(0)
            try:
                data = store.read_photo(sha)
            except ChecksumMismatch as exc:  # object storage checks the bytes as it reads
                raise PhotoError(str(exc)) from exc
            pending[pool.submit(prepare_photo, data, sha, folder, crops.get(sha, []))] = sha

        try:
            while queue and len(pending) < workers * 2:
                submit_next()
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:  # once per photo: as many checks however fast
                    results[pending.pop(future)] = future.result()
                    if progress is not None:
                        progress(len(results))
                    if cancelled is not None and cancelled():
                        raise PreparationCancelled("report cancelled")
                while queue and len(pending) < workers * 2:
                    submit_next()
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return results
