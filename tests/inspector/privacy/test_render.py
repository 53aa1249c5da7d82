"""The published copy: blurred inside its boxes, unchanged outside, resized, no EXIF."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from inspector.domain.models import Region
from inspector.privacy import listing_jpeg
from inspector.privacy.render import RenderError, decode
from tests.privacy_images import car_scene, detail, jpeg_with_gps

#: Below this the Laplacian variance of a box says nothing can be read there (the
#: generated plate's characters and the drawn face's features are well above it).
BLURRED = 20.0
#: The JPEG blocks (16 px squares with chroma subsampling) a box touches may change, and
#: the decoder's chroma upsampling reaches one pixel into the next blocks: none further.
BLOCK = 16


def outside(image: np.ndarray, boxes: list[Region]) -> np.ndarray:
    """Where the published copy must equal the unblurred one: away from every box's blocks."""
    h, w = image.shape[:2]
    keep = np.ones((h, w), bool)
    for r in boxes:
        x0 = int(r.x * w) // BLOCK * BLOCK - 2
        y0 = int(r.y * h) // BLOCK * BLOCK - 2
        x1 = -(-int(np.ceil((r.x + r.w) * w)) // BLOCK) * BLOCK + 2
        y1 = -(-int(np.ceil((r.y + r.h) * h)) // BLOCK) * BLOCK + 2
        keep[max(0, y0) : y1, max(0, x0) : x1] = False
    assert keep.mean() > 0.8  # most of the photo is compared
    return keep


def test_boxes_lose_their_detail_and_the_rest_is_unchanged() -> None:
    scene = car_scene("front", 1920, 1080)
    data = jpeg_with_gps(scene.image)
    boxes = scene.plates + scene.faces
    before = decode(data)
    for region in boxes:
        assert detail(before, region) > 5 * BLURRED
    blurred = decode(listing_jpeg(data, boxes))
    plain = decode(listing_jpeg(data, []))
    for region in boxes:
        assert detail(blurred, region) < BLURRED, region
        assert detail(plain, region) > 5 * BLURRED
    keep = outside(blurred, boxes)
    difference = np.abs(blurred.astype(int) - plain.astype(int))[keep]
    assert difference.max() == 0


def test_exif_and_gps_are_gone() -> None:
    data = jpeg_with_gps(car_scene("rear", 800, 450).image)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the original has GPS
    out = Image.open(io.BytesIO(listing_jpeg(data, [])))
    assert out.format == "JPEG"
    assert not out.getexif()
    assert "exif" not in out.info and "comment" not in out.info
    assert not [m for m in out.applist if m[0] not in ("APP0",)]


def test_resized_to_the_long_side_never_up_and_upright() -> None:
    image = car_scene("front", 1600, 900, face=None).image
    data = jpeg_with_gps(image)
    assert decode(listing_jpeg(data, [], 640)).shape[:2] == (360, 640)
    assert decode(listing_jpeg(data, [], 4000)).shape[:2] == (900, 1600)
    # A phone held upright: the pixels are stored sideways, the EXIF says turn them.
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).save(out, "JPEG", exif=exif)
    upright = decode(listing_jpeg(out.getvalue(), [], 800))
    assert upright.shape[:2] == (800, 450)


def test_not_a_photo() -> None:
    with pytest.raises(RenderError):
        listing_jpeg(b"not a jpeg", [])
