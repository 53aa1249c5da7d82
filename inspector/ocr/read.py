"""A photo in, a reading out: decode, crop to the overlay guide, OCR, post-check.

Which kind a shot is read for: the VIN on the windscreen and door-jamb shots, the
mileage on the odometer, the plate on the front and rear views.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import numpy.typing as npt

from inspector.domain.identity import Kind, Reading, pick_mileage, pick_plate, pick_vin
from inspector.ocr.crop import crop_for
from inspector.ocr.engine import OcrError, ocr_lines

__all__ = ["SHOT_KINDS", "kind_of_shot", "read_image", "read_photo"]

SHOT_KINDS: dict[str, Kind] = {
    "vin_windscreen": "vin",
    "vin_door_jamb": "vin",
    "odometer": "odometer",
    "front": "plate",
    "rear": "plate",
}
#: The crop is read at most this large (longest side): enough for 17 characters.
READ_SIDE = 1600


def kind_of_shot(shot_id: str) -> Kind | None:
    return SHOT_KINDS.get(shot_id)


def read_photo(data: bytes, kind: Kind, overlay: str | None = None) -> Reading:
    """Read a JPEG/PNG photo's bytes (cropped to ``overlay``'s guide when given)."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise OcrError("the image cannot be decoded")
    return read_image(np.asarray(image, dtype=np.uint8), kind, overlay)


def read_image(image_bgr: npt.NDArray[np.uint8], kind: Kind, overlay: str | None = None) -> Reading:
    crop = crop_for(image_bgr, overlay)
    h, w = crop.shape[:2]
    scale = READ_SIDE / max(h, w)
    if scale < 1:
        size = (round(w * scale), round(h * scale))
        crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    started = time.perf_counter()
    lines = ocr_lines(np.ascontiguousarray(crop))
    elapsed = time.perf_counter() - started
    raw = tuple(t for t, _ in lines)
    notes: tuple[str, ...] = (f"read in {elapsed:.2f} s",)
    if kind == "vin":
        vin, score, why = pick_vin(lines)
        return Reading(kind, vin, score, raw, (*why, *notes))
    if kind == "odometer":
        km, score = pick_mileage(lines)
        return Reading(kind, None if km is None else str(km), score, raw, notes)
    plate, score, fmt = pick_plate(lines)
    return Reading(kind, plate, score, raw, notes, plate_format=fmt)
