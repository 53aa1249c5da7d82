"""A photo as published: upright, resized, blurred where boxed, without metadata.

The original bytes are only read. Decoding applies the EXIF orientation (as the review
shows the photo, so the boxes fall where the inspector saw them); the copy is scaled to
the platform's size (never up), every box is pixelated then smoothed (a plate cannot be
read back from it), and the JPEG is encoded afresh: it carries no EXIF, no GPS, no
comment, nothing but the pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from inspector.config import LISTING_LONG_SIDE
from inspector.domain.models import Region

__all__ = ["DEFAULT_LONG_SIDE", "JPEG_QUALITY", "RenderError", "blur_region", "listing_jpeg"]

DEFAULT_LONG_SIDE = LISTING_LONG_SIDE
JPEG_QUALITY = 88
CELLS = 8
"""A box is pixelated to about this many cells along its longer side."""

Image = npt.NDArray[np.uint8]


class RenderError(Exception):
    """A photo cannot be decoded; ``str()`` says why."""


def decode(data: bytes) -> Image:
    """A JPEG's pixels (BGR), upright as its EXIF orientation says."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise RenderError("the photo cannot be decoded")
    return np.asarray(image, dtype=np.uint8)


def resized(image: Image, long_side: int) -> Image:
    """``image`` scaled down so its longer side is at most ``long_side``."""
    h, w = image.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _pixels(region: Region, w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0 = int(np.floor(region.x * w)), int(np.floor(region.y * h))
    x1 = int(np.ceil((region.x + region.w) * w))
    y1 = int(np.ceil((region.y + region.h) * h))
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def blur_region(image: Image, region: Region) -> None:
    """Make one box of ``image`` unreadable, in place; nothing outside it changes."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = _pixels(region, w, h)
    bw, bh = x1 - x0, y1 - y0
    if bw < 1 or bh < 1:
        return
    cell = max(2.0, max(bw, bh) / CELLS)
    small = (max(1, round(bw / cell)), max(1, round(bh / cell)))
    box = image[y0:y1, x0:x1]
    mosaic = cv2.resize(box, small, interpolation=cv2.INTER_AREA)
    mosaic = cv2.resize(mosaic, (bw, bh), interpolation=cv2.INTER_LINEAR)
    image[y0:y1, x0:x1] = cv2.GaussianBlur(mosaic, (0, 0), cell / 2)


def listing_jpeg(data: bytes, boxes: Sequence[Region], long_side: int = DEFAULT_LONG_SIDE) -> bytes:
    """The published copy of a photo: see the module notes."""
    if long_side < 16:
        raise ValueError("the long side must be at least 16 pixels")
    image = resized(decode(data), long_side).copy()
    for region in boxes:
        blur_region(image, region)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV always encodes a BGR image
        raise RenderError("the photo cannot be encoded")
    return encoded.tobytes()
