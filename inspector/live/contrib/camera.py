"""The simulated phone's camera: a pre-rendered scene, paced, with frame numbers.

Frames are cheap: the scene is rendered once (sharp, blurred and dark
variants), each frame is a shifted crop of it with the frame number stamped as
32 black/white blocks in the top rows (:func:`read_stamp` reads it back, so a
benchmark can measure latency).
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time

import av
import cv2
import numpy as np
import numpy.typing as npt
from aiortc import MediaStreamTrack

__all__ = [
    "MODES",
    "STAMP_BITS",
    "STAMP_ROWS",
    "SyntheticCamera",
    "read_stamp",
    "render_scene",
    "stamp",
]

Pixels = npt.NDArray[np.uint8]
STAMP_BITS = 32
STAMP_ROWS = 16
MODES = ("normal", "blurred", "dark")
_VIDEO_CLOCK = 90000


def render_scene(width: int, height: int, seed: int = 7) -> Pixels:
    """A sharp vehicle-ish BGR picture: sky, ground, a car body, windows, wheels, a plate."""
    rng = np.random.default_rng(seed)
    img = np.empty((height, width, 3), np.uint8)
    sky = np.linspace(235, 170, height // 2, dtype=np.float32)
    img[: height // 2] = np.stack([sky, sky * 0.9, sky * 0.75], axis=1)[:, None, :].astype(np.uint8)
    img[height // 2 :] = (70, 80, 85)
    s = min(width, height) / 720
    for _ in range(250):  # texture so the sharpness measure has edges to find
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        c = tuple(int(v) for v in rng.integers(40, 140, 3))
        cv2.rectangle(img, (x, y), (x + int(30 * s), y + int(8 * s)), c, -1)
    cx, cy = width // 2, int(height * 0.58)
    bw, bh = int(width * 0.36), int(height * 0.14)
    body = (40, 40, 170)
    cv2.rectangle(img, (cx - bw, cy - bh), (cx + bw, cy + bh), body, -1)
    roof = np.array(
        [
            (cx - int(bw * 0.6), cy - bh),
            (cx - int(bw * 0.35), cy - int(bh * 2.3)),
            (cx + int(bw * 0.4), cy - int(bh * 2.3)),
            (cx + int(bw * 0.7), cy - bh),
        ],
        np.int32,
    )
    cv2.fillConvexPoly(img, roof, body)
    glass = (120, 90, 60)
    cv2.fillConvexPoly(img, (roof * [1, 1] + [[10, -4], [10, 8], [-10, 8], [-10, -4]]), glass)
    cv2.line(img, (cx, cy - int(bh * 2.2)), (cx, cy + bh), (20, 20, 90), max(2, int(4 * s)))
    r = int(bh * 0.9)
    for wx in (cx - int(bw * 0.65), cx + int(bw * 0.65)):
        cv2.circle(img, (wx, cy + bh), r, (25, 25, 25), -1)
        cv2.circle(img, (wx, cy + bh), int(r * 0.5), (170, 170, 170), -1)
        for k in range(5):
            a = k * 2 * math.pi / 5
            end = (wx + int(r * 0.45 * math.cos(a)), cy + bh + int(r * 0.45 * math.sin(a)))
            cv2.line(img, (wx, cy + bh), end, (60, 60, 60), max(1, int(3 * s)))
    pw, ph = int(bw * 0.3), int(bh * 0.35)
    cv2.rectangle(img, (cx - pw, cy - ph // 2), (cx + pw, cy + ph // 2), (245, 245, 245), -1)
    cv2.putText(
        img,
        "AB-123-CD",
        (cx - int(pw * 0.9), cy + int(ph * 0.3)),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.9 * s,
        (20, 20, 20),
        max(1, int(2 * s)),
        cv2.LINE_AA,
    )
    for lx in (cx - int(bw * 0.85), cx + int(bw * 0.7)):
        cv2.rectangle(
            img,
            (lx, cy - int(bh * 0.7)),
            (lx + int(bw * 0.15), cy - int(bh * 0.3)),
            (200, 240, 255),
            -1,
        )
    return img


def _variant(sharp: Pixels, mode: str) -> Pixels:
    if mode == "blurred":
        return np.asarray(cv2.GaussianBlur(sharp, (0, 0), 9), dtype=np.uint8)
    if mode == "dark":
        return (sharp.astype(np.uint16) * 3 // 20).astype(np.uint8)
    return sharp


def stamp(frame: Pixels, number: int) -> None:
    """Write ``number`` (mod 2**32) as black/white blocks over the top rows, in place."""
    width = frame.shape[1]
    block = width // STAMP_BITS
    for bit in range(STAMP_BITS):
        value = 255 if (number >> (STAMP_BITS - 1 - bit)) & 1 else 0
        frame[:STAMP_ROWS, bit * block : (bit + 1) * block] = value


def read_stamp(frame_bgr: npt.NDArray[np.uint8]) -> int | None:
    """The frame number stamped by the simulated phone, or None if there is no clear stamp."""
    if frame_bgr.ndim != 3 or frame_bgr.shape[0] < STAMP_ROWS or frame_bgr.shape[1] < STAMP_BITS:
        return None
    width = frame_bgr.shape[1]
    block = width // STAMP_BITS
    margin_x = max(1, block // 4)
    strip = frame_bgr[3 : STAMP_ROWS - 3].mean(axis=2)
    number = 0
    for bit in range(STAMP_BITS):
        value = float(strip[:, bit * block + margin_x : (bit + 1) * block - margin_x].mean())
        if 70 < value < 185:
            return None
        number = (number << 1) | int(value >= 128)
    return number


class SyntheticCamera(MediaStreamTrack):
    """A paced video track of shifted crops of a pre-rendered scene."""

    kind = "video"

    def __init__(self, width: int, height: int, fps: float, mode: str = "normal") -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.margin = max(8, width // 40)
        sharp = render_scene(width + 2 * self.margin, height + 2 * self.margin)
        self._variants = {m: _variant(sharp, m) for m in MODES}
        self.mode = mode
        self.frames_sent = 0
        self.sent_at: dict[int, float] = {}  # frame number -> monotonic time (last 300)
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            from aiortc.mediastreams import MediaStreamError

            raise MediaStreamError
        n = self.frames_sent
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + n / self.fps
        if due > now:
            await asyncio.sleep(due - now)
        m = self.margin
        # A slow drift, well under the motion threshold.
        dx = int(m + m * 0.5 * math.sin(n / 150.0))
        dy = int(m + m * 0.3 * math.cos(n / 190.0))
        picture = self._variants[self.mode][dy : dy + self.height, dx : dx + self.width].copy()
        if self.mode == "normal":  # sharp blocks would lift a blurred or dark picture's metrics
            stamp(picture, n)
        frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
        frame.pts = int(n * _VIDEO_CLOCK / self.fps)
        frame.time_base = fractions.Fraction(1, _VIDEO_CLOCK)
        self.frames_sent = n + 1
        self.sent_at[n] = time.monotonic()
        self.sent_at.pop(n - 300, None)
        return frame
