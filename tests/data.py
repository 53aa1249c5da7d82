"""Test data, made on the fly: one helper for every test that needs a picture."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image


def scene(width: int = 1280, height: int = 720, seed: int = 1) -> np.ndarray:
    """A sharp synthetic BGR picture with edges, shapes and text."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), 128, np.uint8)
    s = width / 1280
    for _ in range(40):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        color = tuple(int(c) for c in rng.integers(20, 235, 3))
        cv2.rectangle(img, (x, y), (x + int(120 * s), y + int(60 * s)), color, -1)
    for i in range(12):
        cv2.putText(
            img,
            f"VIN{i}",
            (int(60 * s), int((50 + 55 * i) * s)),
            cv2.FONT_HERSHEY_SIMPLEX,
            1.2 * s,
            (10, 10, 10),
            max(1, int(3 * s)),
        )
    return img


def jpeg_bytes(image: np.ndarray, quality: int = 90) -> bytes:
    """Encode a BGR ndarray as JPEG."""
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=quality)
    return out.getvalue()
