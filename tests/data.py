"""Test data, made on the fly: one helper for every test that needs a picture, and a
status put by hand."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from inspector.domain.models import InspectionStatus
from inspector.storage.store import Store


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


def force_status(store: Store, inspection_id: str, status: InspectionStatus) -> None:
    """Put an inspection in ``status`` whatever it is now (a test's starting point, or what
    a crash leaves): :meth:`Store.transition` from any status, so no jump is refused."""
    store.transition(inspection_id, status, allowed_from=list(InspectionStatus))
