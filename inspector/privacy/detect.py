"""Finding number plates and faces in a photo: OpenCV's Haar cascades and the plate OCR.

The cascades are the ones OpenCV's 4.x wheels ship in ``cv2/data`` (the 5.x wheels have
neither them nor ``CascadeClassifier``: ``opencv-python-headless<5`` in pyproject.toml).
Both plate cascades were trained on Russian plates and find few French ones, so plates
come from two sources:

- the OCR's text lines (rapidocr, :mod:`inspector.ocr`) that read like a plate
  (:func:`~inspector.domain.privacy.looks_like_plate`), on the whole photo: it finds the
  plate in every exterior view, at any angle;
- the plate cascades, run only inside the plate area of the shot's overlay guide (the
  front and rear views: :data:`inspector.ocr.crop.GUIDES`), where a false box costs
  little.

Faces: ``haarcascade_frontalface_default`` on the whole photo, a box kept only when
enough of its middle has a skin tone (the cascade also fires on wheels and hub caps).
Every box is padded (a plate's frame, a face's hair and ears) and overlapping boxes of
one kind are merged. Figures: docs/PERFORMANCE.md (``bench/privacy.py``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from inspector.domain.models import Region
from inspector.domain.privacy import BlurKind, clamp_region, looks_like_plate
from inspector.ocr import ocr_boxes
from inspector.ocr.crop import GUIDES

__all__ = ["CASCADES", "DETECTOR", "DetectorError", "Found", "cascade_path", "find_boxes"]

CASCADES = {
    "plate": "haarcascade_russian_plate_number.xml",
    "plate16": "haarcascade_license_plate_rus_16stages.xml",
    "face": "haarcascade_frontalface_default.xml",
}
DETECTOR = "haar-ocr-1"
"""Names the detector and its settings in each scan's record (a later one may rescan)."""

HAAR_SIDE = 1600
"""The plate cascade looks at the photo scaled to this long side at most."""
FACE_SIDE = 1280
"""The face cascade looks at the photo scaled to this long side at most (a face smaller
than its smallest box, 32 px here, is not recognisable in a 1920 px listing photo)."""
FACE_MIN = 32
PLATE_CASCADES = ("plate",)
"""The 16-stage plate cascade finds none of the French plates of the bench: left out."""
PLATE_OVERLAYS = ("front", "rear")
"""Overlays whose guide says where the plate is (the cascades look there only)."""
MIN_OCR_SCORE = 0.5
FACE_MIN_SKIN = 0.25
"""Share of skin-toned pixels a face box's middle needs."""

Image = npt.NDArray[np.uint8]


class DetectorError(Exception):
    """The detectors cannot run (no cascades in this OpenCV); ``str()`` says why."""


@dataclass(frozen=True)
class Found:
    """One box to blur: its kind, where (0-1), the detector's confidence, which found it."""

    kind: BlurKind
    region: Region
    score: float
    how: str  # "ocr", "cascade" or "cascade+ocr"


def cascade_path(name: str) -> str:
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if not folder:  # pragma: no cover - the 5.x wheels
        raise DetectorError(
            "OpenCV has no Haar cascades (cv2.data): install opencv-python-headless<5"
        )
    return str(folder) + CASCADES[name]


_local = threading.local()  # a CascadeClassifier is not safe to share between threads


def _cascade(name: str) -> cv2.CascadeClassifier:
    cache: dict[str, cv2.CascadeClassifier] = getattr(_local, "cascades", None) or {}
    _local.cascades = cache
    if name not in cache:
        classifier = cv2.CascadeClassifier(cascade_path(name))
        if classifier.empty():
            raise DetectorError(f"cannot load the Haar cascade {CASCADES[name]}")
        cache[name] = classifier
    return cache[name]


def find_boxes(
    image_bgr: Image,
    overlay: str | None = None,
    *,
    plates: bool = True,
    faces: bool = True,
    ocr: bool = True,
) -> list[Found]:
    """The plates and faces in a BGR photo (as displayed: EXIF rotation applied).

    ``overlay``: the shot's overlay, whose guide tells where its plate is (front, rear).
    ``ocr``: read plates with the OCR too (most of what is found on French plates).
    """
    h, w = image_bgr.shape[:2]
    scale = min(1.0, HAAR_SIDE / max(h, w))
    small = image_bgr
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = np.asarray(cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA), np.uint8)
    gray = np.asarray(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), np.uint8)
    found: list[Found] = []
    if plates:
        found += _plates(small, gray, overlay, ocr)
    if faces:
        found += _faces(small, gray)
    return _merged(found)


# -- plates -----------------------------------------------------------------------------


def _plates(image: Image, gray: Image, overlay: str | None, ocr: bool) -> list[Found]:
    h, w = gray.shape[:2]
    found: list[Found] = []
    if ocr:
        for text, score, quad in ocr_boxes(np.ascontiguousarray(image)):
            if score < MIN_OCR_SCORE or not looks_like_plate(text):
                continue
            x0, y0 = quad.min(axis=0)
            x1, y1 = quad.max(axis=0)
            # The text line, widened to the plate's frame and its blue bands.
            pad_x, pad_y = 0.14 * (x1 - x0), 0.35 * (y1 - y0)
            found.append(
                Found(
                    "plate",
                    _region(x0 - pad_x, y0 - pad_y, x1 + pad_x, y1 + pad_y, w, h),
                    score,
                    "ocr",
                )
            )
    guide = GUIDES.get(overlay or "") if overlay in PLATE_OVERLAYS else None
    if guide is not None:
        left, top, right, bottom = guide
        gx, gy = round(left * w), round(top * h)
        crop = gray[gy : round(bottom * h), gx : round(right * w)]
        min_w = max(24, round(0.04 * w))
        for name in PLATE_CASCADES:
            hits = _cascade(name).detectMultiScale(
                crop, scaleFactor=1.1, minNeighbors=4, minSize=(min_w, max(8, min_w // 4))
            )
            for x, y, bw, bh in hits:
                pad_x, pad_y = 0.06 * bw, 0.1 * bh
                found.append(
                    Found(
                        "plate",
                        _region(
                            gx + x - pad_x,
                            gy + y - pad_y,
                            gx + x + bw + pad_x,
                            gy + y + bh + pad_y,
                            w,
                            h,
                        ),
                        0.5,
                        "cascade",
                    )
                )
    return found


# -- faces ------------------------------------------------------------------------------


def _faces(image: Image, gray: Image) -> list[Found]:
    h, w = gray.shape[:2]
    scale = min(1.0, FACE_SIDE / max(h, w))
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        gray = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), np.uint8)
    hits = _cascade("face").detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=5, minSize=(FACE_MIN, FACE_MIN)
    )
    found = []
    hits = [np.asarray(hit, dtype=np.float64) / scale for hit in hits]
    for x, y, bw, bh in hits:
        skin = _skin_share(image[round(y) : round(y + bh), round(x) : round(x + bw)])
        if skin < FACE_MIN_SKIN:
            continue
        pad = 0.18 * bw
        region = _region(x - pad, y - 1.4 * pad, x + bw + pad, y + bh + pad, w, h)
        found.append(Found("face", region, min(1.0, 0.5 + skin / 2), "cascade"))
    return found


def _skin_share(box: Image) -> float:
    """The share of skin-toned pixels in the middle of a box (YCrCb ranges)."""
    bh, bw = box.shape[:2]
    middle = box[bh // 5 : bh - bh // 5, bw // 5 : bw - bw // 5]
    if middle.size == 0:
        return 0.0
    ycrcb = cv2.cvtColor(np.ascontiguousarray(middle), cv2.COLOR_BGR2YCrCb)
    cr, cb = ycrcb[..., 1].astype(np.int16), ycrcb[..., 2].astype(np.int16)
    skin = (cr >= 135) & (cr <= 180) & (cb >= 85) & (cb <= 135)
    return float(skin.mean())


# -- boxes ------------------------------------------------------------------------------


def _region(x0: float, y0: float, x1: float, y1: float, w: int, h: int) -> Region:
    x0, y0 = max(0.0, x0), max(0.0, y0)
    x1, y1 = min(float(w), x1), min(float(h), y1)
    return clamp_region(x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h)


def _overlap(a: Region, b: Region) -> float:
    """The shared area over the smaller box's area (1: one holds the other)."""
    ix = max(0.0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0.0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    smaller = min(a.w * a.h, b.w * b.h)
    return ix * iy / smaller if smaller > 0 else 0.0


def _merged(found: list[Found]) -> list[Found]:
    """Overlapping boxes of one kind as one box around both (the higher score kept)."""
    out: list[Found] = []
    for item in sorted(found, key=lambda f: -f.score):
        for i, kept in enumerate(out):
            if kept.kind == item.kind and _overlap(kept.region, item.region) > 0.3:
                a, b = kept.region, item.region
                x0, y0 = min(a.x, b.x), min(a.y, b.y)
                x1, y1 = max(a.x + a.w, b.x + b.w), max(a.y + a.h, b.y + b.h)
                how = kept.how if kept.how == item.how else "cascade+ocr"
                out[i] = Found(kept.kind, clamp_region(x0, y0, x1 - x0, y1 - y0), kept.score, how)
                break
        else:
            out.append(item)
    return sorted(out, key=lambda f: (f.region.y, f.region.x))
