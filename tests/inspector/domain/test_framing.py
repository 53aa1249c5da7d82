"""The framing check: a picture lined up with the shot's outline passes, others do not."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inspector.domain.framing import FRAMED_MIN, FRAMING_OVERLAYS, framing_score, outline_points
from tests.data import scene


def drawn_outline(overlay: str, width: int = 1280, height: int = 720) -> np.ndarray:
    """A picture whose edges are exactly the outline, over a textured background."""
    image = scene(width, height, seed=3)
    image = cv2.GaussianBlur(image, (0, 0), 1.0)
    points = outline_points(overlay, width, height)
    mask = np.zeros((height, width), np.uint8)
    mask[points[:, 1], points[:, 0]] = 255
    mask = cv2.dilate(mask, np.ones((9, 9), np.uint8))
    image[mask > 0] = (40, 40, 160)  # a car body's colour, filling the outline's strokes
    return image


def test_the_outline_is_fitted_like_the_phone_shows_it() -> None:
    wide = outline_points("front", 320, 180)
    tall = outline_points("front", 320, 240)  # a 4:3 still: the 16:9 outline is centred
    assert len(wide) > 500
    assert tall[:, 1].min() >= 30 - 1 and tall[:, 1].max() <= 240 - 30 + 1
    assert abs(int(wide[:, 0].mean()) - 160) < 20


@pytest.mark.parametrize("overlay", sorted(FRAMING_OVERLAYS))
def test_a_picture_on_its_outline_passes_and_not_on_the_others(overlay: str) -> None:
    image = drawn_outline(overlay)
    own = framing_score(image, overlay)
    assert own.framed and own.score >= FRAMED_MIN, own
    assert own.on_outline > own.baseline
    shifted = np.roll(image, 260, axis=1)  # the seller two steps to the side
    assert not framing_score(shifted, overlay).framed


def test_a_busy_scene_without_the_car_is_not_framed() -> None:
    for overlay in sorted(FRAMING_OVERLAYS):
        result = framing_score(scene(1280, 720, seed=5), overlay)
        assert not result.framed, (overlay, result)
        assert result.baseline > 0.1  # the texture alone matches a little everywhere
