"""What every photo must pass before it is kept, whether it came live or in a bundle.

A JPEG is decoded whole (at reduced scale) so a truncated or corrupt file is caught,
its size is checked against a decompression-bomb limit before decoding, scans are
counted (a scan bomb costs nothing to send and a lot to decode), and its EXIF
orientation must be one a reader can apply.
"""

from __future__ import annotations

import io

from PIL import Image, JpegImagePlugin

__all__ = ["MAX_PHOTO_BYTES", "MAX_PHOTO_SIDE", "MAX_SCANS", "BadPhoto", "decode_jpeg_size"]

MAX_PHOTO_BYTES = 25 * 1024 * 1024
MAX_PHOTO_SIDE = 8192
#: Start-of-scan markers a photo may have (a baseline JPEG has 1, a progressive one ~10).
MAX_SCANS = 64
_EXIF_ORIENTATION = 0x0112


class BadPhoto(ValueError):
    """A photo refused; ``code`` is ``bad_image`` or ``too_many_pixels``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _pixel_limit() -> int:
    side = MAX_PHOTO_SIDE * MAX_PHOTO_SIDE
    bomb = Image.MAX_IMAGE_PIXELS  # read at call time: tests lower it
    return side if bomb is None else min(side, int(bomb))


def decode_jpeg_size(data: bytes) -> tuple[int, int]:
    """Fully decode a JPEG (at reduced scale) and return its true (width, height).

    Raises :class:`BadPhoto` ``bad_image`` (not a JPEG, truncated, corrupt)
    or ``too_many_pixels`` (decompression bomb). The plugin class is used
    directly so Pillow's own bomb check (a warning below twice the limit)
    never fires: our check is stricter and comes first.
    """
    # In entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so
    # FF DA only occurs as a start of scan (or inside metadata: an over-count only refuses).
    if data.count(b"\xff\xda") > MAX_SCANS:
        raise BadPhoto("bad_image", f"more than {MAX_SCANS} JPEG scans")
    try:
        img = JpegImagePlugin.JpegImageFile(io.BytesIO(data))
    except Exception as exc:  # OSError, SyntaxError, ValueError, struct.error, ...
        raise BadPhoto("bad_image", f"not a JPEG image: {str(exc)[:80]}") from None
    try:
        width, height = img.size
        if width <= 0 or height <= 0:
            raise BadPhoto("bad_image", "the image has no pixels")
        if width * height > _pixel_limit() or max(width, height) > MAX_PHOTO_SIDE:
            raise BadPhoto("too_many_pixels", f"image of {width}x{height} is too large")
        _check_exif(img)
        img.draft("RGB", (max(1, width // 8), max(1, height // 8)))  # parses every block
        img.load()
        return width, height
    except BadPhoto:
        raise
    except Exception as exc:  # Pillow raises many types on corrupt data
        raise BadPhoto("bad_image", f"the image cannot be decoded: {str(exc)[:80]}") from None
    finally:
        img.close()


def _check_exif(img: Image.Image) -> None:
    """Refuse EXIF that downstream readers (EXIF rotation in reports) could trip on."""
    try:
        orientation = img.getexif().get(_EXIF_ORIENTATION)
    except Exception as exc:
        raise BadPhoto("bad_image", f"unreadable EXIF: {str(exc)[:80]}") from None
    if orientation is None:
        return
    if type(orientation) is not int or not 1 <= orientation <= 8:
        raise BadPhoto("bad_image", f"invalid EXIF orientation {str(orientation)[:20]!r}")
