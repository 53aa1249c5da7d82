"""Drawing helpers for the demo phone's views, in the overlays' 1600 x 900 units.

A :class:`Canvas` maps the overlay's view box onto a picture of any size (the
whole box fits, centred, the rest is scenery), so a 16:9 video frame and a 4:3
still show the same framing as the outline the seller sees. Textures are made
at a coarse scale and enlarged, so a 12 MP still stays cheap to render.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from inspector.assets import asset_path
from inspector.live.contrib.outline import VIEW_H, VIEW_W

__all__ = ["BGR", "Canvas", "Pixels", "plate_font"]

Pixels = npt.NDArray[np.uint8]
Mask = npt.NDArray[Any]
"""A 0-255 single-channel uint8 mask; typed loosely because OpenCV types its results so."""
BGR = tuple[int, int, int]
Point = tuple[float, float]


@functools.cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = asset_path("fonts", name)
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def plate_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The bold sans-serif used for number plates and labels, ``size`` pixels."""
    return _font("DejaVuSans-Bold.ttf", size)


class Canvas:
    """A BGR picture with the overlay view box mapped onto it (``s`` pixels per unit)."""

    def __init__(self, width: int, height: int, seed: int) -> None:
        self.w, self.h = width, height
        self.s = min(width / VIEW_W, height / VIEW_H)
        self.ox = (width - VIEW_W * self.s) / 2
        self.oy = (height - VIEW_H * self.s) / 2
        self.img: Pixels = np.zeros((height, width, 3), np.uint8)
        self.rng = np.random.default_rng(seed)

    # -- coordinates ------------------------------------------------------------------

    def p(self, x: float, y: float) -> tuple[int, int]:
        """A view-box point in pixels."""
        return round(self.ox + x * self.s), round(self.oy + y * self.s)

    def pts(self, points: Sequence[Point] | npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
        arr = np.asarray(points, np.float64)
        out = np.empty_like(arr)
        out[:, 0] = self.ox + arr[:, 0] * self.s
        out[:, 1] = self.oy + arr[:, 1] * self.s
        return np.round(out).astype(np.int32)

    def n(self, length: float) -> int:
        """A length in pixels, at least 1."""
        return max(1, round(length * self.s))

    def y_px(self, y: float) -> int:
        return round(self.oy + y * self.s)

    # -- fills ------------------------------------------------------------------------

    def vgradient(self, top: BGR, bottom: BGR, y0: float = 0, y1: float = VIEW_H) -> None:
        """Fill the rows between view y0 and y1 (to the picture's edges) with a gradient."""
        a = 0 if y0 <= 0 else max(0, self.y_px(y0))
        b = self.h if y1 >= VIEW_H else min(self.h, self.y_px(y1))
        if b <= a:
            return
        t = np.linspace(0.0, 1.0, b - a, dtype=np.float32)[:, None]
        col = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
        self.img[a:b] = col[:, None, :].astype(np.uint8)

    def noise(self, amount: float, grain: float = 3.0, mask: Pixels | None = None) -> None:
        """Add grain (texture so sharpness has something to measure), ``grain`` units big.

        Grain is never finer than 2.5 units (a pixel of the quality check's 640-pixel
        copy): finer grain would be averaged away, more at some picture sizes than
        at others, and the same view would pass at 720p and warn as a 4:3 still.
        """
        grain = max(grain, 2.5)
        cw = max(8, int(self.w / max(1.0, grain * self.s)))
        ch = max(8, int(self.h / max(1.0, grain * self.s)))
        small = self.rng.normal(0, amount, (ch, cw)).astype(np.float32)
        big = cv2.resize(small, (self.w, self.h), interpolation=cv2.INTER_LINEAR)
        if mask is not None:
            big = cv2.multiply(big, mask, scale=1 / 255, dtype=cv2.CV_32F)
        # OpenCV's saturating mixed-type arithmetic: ten times numpy's speed on a 12 MP still.
        self.img[:] = cv2.add(self.img, cv2.merge([big] * 3), dtype=cv2.CV_8U)

    def mask(self) -> Pixels:
        return np.zeros((self.h, self.w), np.uint8)

    def paint(self, mask: Mask, colour: BGR | Pixels, alpha: float = 1.0) -> None:
        """Fill ``mask`` (0-255, soft edges allowed) with a colour, only where it is set."""
        x, y, w, h = cv2.boundingRect(mask)
        if w == 0 or h == 0:
            return
        weight = mask[y : y + h, x : x + w].astype(np.float32) * np.float32(alpha / 255)
        roi = self.img[y : y + h, x : x + w]
        if isinstance(colour, np.ndarray):
            src = np.ascontiguousarray(colour[y : y + h, x : x + w])
        else:
            src = np.empty_like(roi)
            src[:] = colour
        roi[:] = cv2.blendLinear(roi, src, 1 - weight, weight)

    def shade(self, mask: Mask, top: float, bottom: float, y0: float, y1: float) -> None:
        """Multiply ``mask``'s pixels by a factor going from ``top`` (at y0) to ``bottom``."""
        x, y, w, h = cv2.boundingRect(mask)
        if w == 0 or h == 0:
            return
        rows = (np.arange(y, y + h, dtype=np.float32) - self.y_px(y0)) / max(
            1, self.y_px(y1) - self.y_px(y0)
        )
        factor = (top + (bottom - top) * np.clip(rows, 0, 1) - 1).astype(np.float32)
        m = mask[y : y + h, x : x + w].astype(np.float32) * np.float32(1 / 255)
        f = np.asarray(1 + m * factor[:, None], dtype=np.float32)
        roi = self.img[y : y + h, x : x + w]
        roi[:] = cv2.multiply(roi, cv2.merge([f] * 3), dtype=cv2.CV_8U)

    def soft(self, mask: Pixels, blur: float) -> Pixels:
        """``mask`` blurred by ``blur`` units (wide blurs done small and enlarged: cheap)."""
        k = max(1.0, blur * self.s)
        if k <= 4:
            return np.asarray(cv2.GaussianBlur(mask, (0, 0), k), dtype=np.uint8)
        f = k / 4
        small = cv2.resize(
            mask, (max(1, int(self.w / f)), max(1, int(self.h / f))), interpolation=cv2.INTER_AREA
        )
        small = cv2.GaussianBlur(small, (0, 0), 4)
        return np.asarray(
            cv2.resize(small, (self.w, self.h), interpolation=cv2.INTER_LINEAR), dtype=np.uint8
        )

    # -- shapes -----------------------------------------------------------------------

    def poly(self, points: Sequence[Point], colour: BGR, line: int = -1) -> None:
        arr = self.pts(points)
        if line < 0:
            cv2.fillPoly(self.img, [arr], colour, cv2.LINE_AA)
        else:
            cv2.polylines(self.img, [arr], True, colour, self.n(line), cv2.LINE_AA)

    def rect(self, x: float, y: float, w: float, h: float, colour: BGR, line: int = -1) -> None:
        thick = -1 if line < 0 else self.n(line)
        cv2.rectangle(self.img, self.p(x, y), self.p(x + w, y + h), colour, thick, cv2.LINE_AA)

    def circle(self, x: float, y: float, r: float, colour: BGR, line: int = -1) -> None:
        thick = -1 if line < 0 else self.n(line)
        cv2.circle(self.img, self.p(x, y), self.n(r), colour, thick, cv2.LINE_AA)

    def line(self, a: Point, b: Point, colour: BGR, width: float = 2) -> None:
        cv2.line(self.img, self.p(*a), self.p(*b), colour, self.n(width), cv2.LINE_AA)

    def text(
        self,
        text: str,
        x: float,
        y: float,
        size: float,
        colour: BGR,
        *,
        font: str = "DejaVuSans-Bold.ttf",
        anchor: str = "mm",
        box: tuple[float, float] | None = None,
    ) -> None:
        """Text ``size`` units tall at (x, y); shrunk to fit ``box`` (w, h units) if given."""
        px = max(6, int(size * self.s))
        f = _font(font, px)
        if box is not None and isinstance(f, ImageFont.FreeTypeFont):
            left, top, right, bottom = f.getbbox(text)
            fit = min(
                box[0] * self.s / max(1, right - left), box[1] * self.s / max(1, bottom - top)
            )
            if fit < 1:
                px = max(6, int(px * fit))
                f = _font(font, px)
        cx, cy = self.p(x, y)
        pad = px * (len(text) + 2)
        x0, y0 = max(0, cx - pad), max(0, cy - 2 * px)
        x1, y1 = min(self.w, cx + pad), min(self.h, cy + 2 * px)
        if x1 <= x0 or y1 <= y0:
            return
        region = Image.fromarray(np.ascontiguousarray(self.img[y0:y1, x0:x1, ::-1]))
        ImageDraw.Draw(region).text(
            (cx - x0, cy - y0), text, fill=colour[::-1], font=f, anchor=anchor
        )
        self.img[y0:y1, x0:x1] = np.asarray(region)[:, :, ::-1]
