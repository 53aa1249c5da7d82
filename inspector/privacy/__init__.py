"""Photos a platform can publish: plates and faces found, blurred in the listing's copy.

- :mod:`.detect`: the boxes to propose (OpenCV's Haar cascades and the plate OCR);
- :mod:`.render`: a photo as published (upright, resized, blurred, no metadata).

The boxes are stored as data (:mod:`inspector.storage.blur`); when they are proposed
and how the listing is written is :mod:`inspector.usecases.privacy`.
"""

from inspector.privacy.detect import DETECTOR, DetectorError, Found, find_boxes
from inspector.privacy.render import DEFAULT_LONG_SIDE, RenderError, blur_region, listing_jpeg

__all__ = [
    "DEFAULT_LONG_SIDE",
    "DETECTOR",
    "DetectorError",
    "Found",
    "RenderError",
    "blur_region",
    "find_boxes",
    "listing_jpeg",
]
