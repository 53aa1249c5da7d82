"""Photos with a number plate and a face, made on the fly, with where they are (the truth).

The car and its plate are the demo phone's (:mod:`inspector.live.contrib.views`: a French
plate warped onto the view's plate area); the face is drawn (skin, hair, eyes, brows,
nose, mouth, softened): OpenCV's frontal-face cascade finds it, as it would a real face
looking at the camera. Used by the privacy tests and ``bench/privacy.py``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from inspector.domain.models import Region
from inspector.live.contrib.canvas import Canvas
from inspector.live.contrib.car import _plate_quad
from inspector.live.contrib.views import DemoVehicle, View, render_view

Pixels = npt.NDArray[np.uint8]

SKINS = ((150, 180, 225), (120, 160, 210), (90, 125, 175), (60, 90, 135))  # BGR


def face_picture(size: int, skin: tuple[int, int, int] = SKINS[0]) -> tuple[Pixels, Pixels]:
    """A face looking at the camera, ``size`` pixels square, and its mask (255: the head)."""
    s = size
    img = np.zeros((s, s, 3), np.uint8)
    mask = np.zeros((s, s), np.uint8)
    c = s // 2
    hair = (int(s * 0.36), int(s * 0.30))
    head = (int(s * 0.32), int(s * 0.42))
    cv2.ellipse(img, (c, int(c * 0.75)), hair, 0, 180, 360, (30, 40, 60), -1)
    cv2.ellipse(mask, (c, int(c * 0.75)), hair, 0, 180, 360, 255, -1)
    cv2.ellipse(img, (c, c), head, 0, 0, 360, skin, -1)
    cv2.ellipse(mask, (c, c), head, 0, 0, 360, 255, -1)
    for dx in (-1, 1):
        ex = c + dx * int(s * 0.13)
        eye = (int(s * 0.075), int(s * 0.035))
        cv2.ellipse(img, (ex, int(s * 0.42)), eye, 0, 0, 360, (245, 245, 245), -1)
        cv2.circle(img, (ex, int(s * 0.42)), int(s * 0.03), (40, 30, 20), -1)
        brow = max(2, s // 40)
        left, right = (ex - int(s * 0.08), int(s * 0.35)), (ex + int(s * 0.08), int(s * 0.34))
        cv2.line(img, left, right, (40, 40, 60), brow)
    darker = tuple(max(0, v - 30) for v in skin)
    cv2.ellipse(img, (c, int(s * 0.56)), (int(s * 0.04), int(s * 0.08)), 0, 0, 360, darker, -1)
    mouth = (int(s * 0.10), int(s * 0.035))
    cv2.ellipse(img, (c, int(s * 0.70)), mouth, 0, 0, 360, (90, 90, 170), -1)
    soft = max(0.6, s / 150)
    img = cv2.GaussianBlur(img, (0, 0), soft)
    mask = cv2.GaussianBlur(mask, (0, 0), soft)
    return np.asarray(img, np.uint8), np.asarray(mask, np.uint8)


def paste_face(
    image: Pixels, x: int, y: int, size: int, skin: tuple[int, int, int] = SKINS[0]
) -> Region:
    """Draw a face with its top left at (x, y) (pixels), in place; where it is (0-1)."""
    face, mask = face_picture(size, skin)
    h, w = image.shape[:2]
    roi = image[y : y + size, x : x + size]
    a = mask.astype(np.float32)[: roi.shape[0], : roi.shape[1], None] / 255
    roi[:] = (roi * (1 - a) + face[: roi.shape[0], : roi.shape[1]] * a).astype(np.uint8)
    # The face's own box: the head ellipse.
    return Region((x + 0.18 * size) / w, (y + 0.08 * size) / h, 0.64 * size / w, 0.84 * size / h)


def plate_region(view: str, width: int, height: int) -> Region | None:
    """Where the demo car's plate is in ``view`` rendered at ``width`` x ``height``."""
    quad = _plate_quad(view)
    if quad is None:
        return None
    pts = Canvas(width, height, 0).pts(quad)
    x, y, w, h = cv2.boundingRect(pts.astype(np.int32))
    return Region(x / width, y / height, w / width, h / height)


@dataclass
class PrivacyScene:
    """A photo and what must be blurred on it."""

    image: Pixels
    view: str
    plates: list[Region] = field(default_factory=list)
    faces: list[Region] = field(default_factory=list)


def car_scene(
    view: str = "front",
    width: int = 1920,
    height: int = 1080,
    *,
    plate: str = "AB-123-CD",
    face: tuple[float, float, float] | None = (0.06, 0.08, 0.16),
    skin: tuple[int, int, int] = SKINS[0],
) -> PrivacyScene:
    """The demo car's ``view`` with its plate, and a face at ``face`` = (x, y, size) as
    fractions of the height (None: no face)."""
    image = np.array(render_view(View(view), width, height, DemoVehicle(plate=plate)))
    scene = PrivacyScene(image, view)
    if view in ("front", "rear") or view.startswith("three_quarter"):
        region = plate_region(view, width, height)
        if region is not None:
            scene.plates.append(region)
    if face is not None:
        fx, fy, fs = face
        size = round(fs * height)
        scene.faces.append(paste_face(image, round(fx * width), round(fy * height), size, skin))
    return scene


def jpeg_with_gps(image: Pixels, quality: int = 92) -> bytes:
    """``image`` as a phone writes it: a JPEG with EXIF (maker, model, time) and GPS."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x0132] = "2026:05:01 10:00:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 7.0)
    out = io.BytesIO()
    Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).save(
        out, "JPEG", quality=quality, exif=exif
    )
    return out.getvalue()


def detail(image: Pixels, region: Region) -> float:
    """The variance of the Laplacian (grey levels) inside ``region``: its fine detail."""
    h, w = image.shape[:2]
    x0, y0 = int(region.x * w), int(region.y * h)
    x1, y1 = int((region.x + region.w) * w), int((region.y + region.h) * h)
    grey = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())
