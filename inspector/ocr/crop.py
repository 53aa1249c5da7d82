"""Which part of a photo to read: the shot's overlay guide, with a margin.

The overlays are drawn on a 1600x900 canvas (``assets/overlays``); the boxes
(:data:`inspector.domain.identity.GUIDES`) are their text areas as fractions of the
picture (left, top, right, bottom), a little wider than drawn because sellers rarely
frame exactly. Reading only there is faster and
leaves out text the guide does not ask for (stickers, other labels).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from inspector.domain.identity import GUIDES

__all__ = ["GUIDES", "crop_for"]


def crop_for(image: npt.NDArray[np.uint8], overlay: str | None) -> npt.NDArray[np.uint8]:
    """The guide's area of ``image`` (the whole image for an overlay without one)."""
    box = GUIDES.get(overlay or "")
    if box is None:
        return image
    h, w = image.shape[:2]
    left, top, right, bottom = box
    return image[round(top * h) : round(bottom * h), round(left * w) : round(right * w)]
