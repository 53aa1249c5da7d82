"""Which part of a photo to read: the shot's overlay guide, with a margin.

The overlays are drawn on a 1600x900 canvas (``assets/overlays``); the boxes below are
their text areas as fractions of the picture (left, top, right, bottom), a little wider
than drawn because sellers rarely frame exactly. Reading only there is faster and
leaves out text the guide does not ask for (stickers, other labels).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["GUIDES", "crop_for"]

GUIDES: dict[str, tuple[float, float, float, float]] = {
    # vin_plate.svg: the 17-character frame (190..1410 x 315..585) and its corner marks.
    "vin_plate": (120 / 1600, 245 / 900, 1480 / 1600, 655 / 900),
    # door_jamb_label.svg: the label (590..1010 x 150..750), with room around it.
    "door_jamb_label": (530 / 1600, 110 / 900, 1070 / 1600, 790 / 900),
    # odometer.svg: the cluster between and under the two dials.
    "odometer": (0.12, 0.25, 0.88, 0.85),
    # front.svg / rear.svg: the plate sits low in the middle of the car.
    "front": (0.22, 0.45, 0.78, 0.98),
    "rear": (0.22, 0.45, 0.78, 0.98),
}


def crop_for(image: npt.NDArray[np.uint8], overlay: str | None) -> npt.NDArray[np.uint8]:
    """The guide's area of ``image`` (the whole image for an overlay without one)."""
    box = GUIDES.get(overlay or "")
    if box is None:
        return image
    h, w = image.shape[:2]
    left, top, right, bottom = box
    return image[round(top * h) : round(bottom * h), round(left * w) : round(right * w)]
