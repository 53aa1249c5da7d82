"""Reading the car's identity in its photos: VIN, odometer, plate (rapidocr, offline).

- :mod:`.engine`: the OCR engine, loaded once, from the models inside rapidocr's wheel
  (never downloaded: a reading works with the network blocked);
- :mod:`.crop`: which part of a photo to read, from the shot's overlay guide;
- :mod:`.read`: a photo in, a :class:`~inspector.domain.identity.Reading` out (the
  post-checks are :mod:`inspector.domain.identity`).
"""

from inspector.ocr.engine import OcrError, ocr_boxes
from inspector.ocr.read import SHOT_KINDS, kind_of_shot, read_image, read_photo

__all__ = ["SHOT_KINDS", "OcrError", "kind_of_shot", "ocr_boxes", "read_image", "read_photo"]
