"""Close views of the demo car: a wheel, the VIN plates, the windscreen, damage.

Each draws into a :class:`~inspector.live.contrib.canvas.Canvas` at the place
its framing overlay asks for (coordinates are the overlay's), so the part sits
in the outline. Text is large, dark on light and in a plain font: a reader
(OCR) can get the VIN back from the picture.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from inspector.live.contrib.canvas import BGR, Canvas
from inspector.live.contrib.outline import load_outline

__all__ = ["draw_damage", "draw_door_jamb", "draw_vin_plate", "draw_wheel", "draw_windscreen"]


def _shape(overlay: str, index: int) -> np.ndarray:
    return load_outline(overlay)[index].points


def _bodywork(c: Canvas, paint: BGR) -> None:
    """A painted panel filling the picture, lit from above, with a soft reflection."""
    top = tuple(min(255, int(v * 1.3)) for v in paint)
    bottom = tuple(int(v * 0.7) for v in paint)
    c.vgradient(top, bottom)  # type: ignore[arg-type]
    band = c.mask()
    band[c.y_px(260) : c.y_px(330)] = 255
    c.paint(c.soft(band, 30), (240, 240, 240), 0.25)
    c.noise(5, grain=1.5)
    c.noise(9, grain=0.7)  # the paint's metallic flake


def draw_wheel(c: Canvas, paint: BGR, turn: float, spare: bool = False) -> None:
    """A tyre and rim filling the wheel outline (r 345 and 230), turned ``turn`` radians."""
    if spare:  # the spare in its well under the boot floor
        c.vgradient((52, 52, 54), (30, 30, 32))
        c.noise(8, grain=2)
        c.circle(800, 450, 420, (40, 40, 42))
    else:
        _bodywork(c, paint)
        c.circle(800, 470, 420, (28, 28, 30))  # the wheel arch's shadow
        c.vgradient((120, 122, 124), (96, 98, 100), 810, 900)
        c.noise(8, grain=2)
    c.circle(800, 450, 345, (36, 36, 38))
    for k in range(72):  # tread blocks round the edge
        a = k * 2 * math.pi / 72 + turn
        p1 = (800 + 330 * math.cos(a), 450 + 330 * math.sin(a))
        p2 = (800 + 345 * math.cos(a), 450 + 345 * math.sin(a))
        c.line(p1, p2, (20, 20, 22), 5)
    c.circle(800, 450, 300, (46, 46, 48), line=3)
    for i, ch in enumerate("MICHELIN PRIMACY 4  205/55 R16 91V"):
        a = turn - 2.2 + i * 0.085
        c.text(ch, 800 + 268 * math.cos(a), 450 + 268 * math.sin(a), 26, (120, 120, 122))
    steel = spare
    rim_light: BGR = (150, 152, 155) if steel else (205, 207, 210)
    rim_dark: BGR = (100, 102, 105) if steel else (120, 122, 126)
    c.circle(800, 450, 230, rim_dark)
    c.circle(800, 450, 215, rim_light)
    c.circle(800, 450, 190, (45, 45, 48))
    for k in range(5):  # spokes
        a = turn + k * 2 * math.pi / 5 - math.pi / 2
        pts = [
            (800 + 60 * math.cos(a - 0.45), 450 + 60 * math.sin(a - 0.45)),
            (800 + 200 * math.cos(a - 0.17), 450 + 200 * math.sin(a - 0.17)),
            (800 + 200 * math.cos(a + 0.17), 450 + 200 * math.sin(a + 0.17)),
            (800 + 60 * math.cos(a + 0.45), 450 + 60 * math.sin(a + 0.45)),
        ]
        c.poly(pts, rim_light)
        c.poly(pts, rim_dark, line=2)
    c.circle(800, 450, 80, rim_light)
    for k in range(5):  # the bolts, where the overlay marks them
        a = turn + k * 2 * math.pi / 5 - math.pi / 2
        c.circle(800 + 100 * math.cos(a), 450 + 100 * math.sin(a), 13, (60, 62, 66))
    c.circle(800, 450, 48, (80, 82, 86))
    c.text("P" if not steel else "", 800, 450, 46, (215, 215, 215))
    a = turn + 0.6  # the valve
    c.circle(800 + 222 * math.cos(a), 450 + 222 * math.sin(a), 8, (20, 20, 20))


def draw_vin_plate(c: Canvas, vin: str) -> None:
    """The VIN seen through the windscreen: 17 characters in the overlay's 17 boxes."""
    c.vgradient((62, 58, 56), (28, 28, 30))  # the dashboard top, under glass
    c.noise(7, grain=2)
    c.line((0, 140), (1600, 180), (90, 88, 86), 6)  # the windscreen's edge
    c.rect(190, 315, 1220, 270, (196, 200, 202))
    c.rect(190, 315, 1220, 270, (120, 124, 126), line=4)
    for i, ch in enumerate(vin[:17].ljust(17)):
        c.text(ch, 284 + i * 64.5, 452, 92, (24, 24, 26), font="DejaVuSansMono.ttf")
    c.text("VIN", 230, 345, 24, (70, 72, 74), anchor="lm")
    glare = c.mask()
    cv2.fillPoly(glare, [c.pts([(1000, 0), (1150, 0), (700, 900), (550, 900)])], 255)
    c.paint(c.soft(glare, 40), (230, 225, 215), 0.12)


def draw_door_jamb(c: Canvas, paint: BGR, vin: str, make: str) -> None:
    """The manufacturer's label on the door pillar, with the VIN and the weights."""
    _bodywork(c, tuple(int(v * 0.8) for v in paint))  # type: ignore[arg-type]
    for x in (0, 1130):  # the door edges either side
        c.rect(x, 0, 470, 900, tuple(int(v * 0.55) for v in paint))  # type: ignore[arg-type]
    c.noise(3, grain=1.5)
    c.rect(598, 158, 420, 600, (60, 60, 60))  # its shadow
    c.rect(590, 150, 420, 600, (226, 228, 226))
    c.rect(590, 150, 420, 600, (150, 150, 150), line=3)
    lines = [
        (make.upper() or "AUTOMOBILES", 34),
        ("e2*2007/46*0012*07", 24),
        (vin, 36),
        ("1795 kg", 26),
        ("1-1010 kg   2-960 kg", 24),
        ("PAINT  KTH  TRIM  C9FX", 22),
    ]
    for (text, size), y in zip(lines, (230, 285, 340, 395, 450, 505), strict=True):
        c.text(
            text, 640, y, size, (25, 25, 25), anchor="lm", box=(350, 50), font="DejaVuSansMono.ttf"
        )
    rng = np.random.default_rng(sum(map(ord, vin)))
    bar = 640.0
    while bar < 960:  # a barcode
        w = float(rng.choice([3, 3, 6, 9]))
        c.rect(bar, 600, w, 95 if rng.random() < 0.8 else 100, (20, 20, 20))
        bar += w + float(rng.choice([3, 6]))


def draw_windscreen(c: Canvas, paint: BGR) -> None:
    """The windscreen from the front: sky reflected, the mirror, the wipers, the bonnet."""
    _bodywork(c, paint)
    shape = _shape("windscreen", 0)
    m = c.mask()
    cv2.fillPoly(m, [c.pts(shape)], 255, cv2.LINE_AA)
    c.paint(cv2.dilate(m, np.ones((c.n(30), c.n(30)), np.uint8)), (30, 30, 32))
    c.paint(m, (110, 96, 84))
    c.shade(m, 1.45, 0.7, 170, 770)
    streak = c.mask()
    cv2.fillPoly(streak, [c.pts([(900, 150), (1060, 150), (760, 780), (600, 780)])], 255)
    c.paint(cv2.bitwise_and(c.soft(streak, 25), m), (215, 205, 195), 0.3)
    c.rect(720, 205, 160, 58, (40, 40, 42))
    c.line((800, 172), (800, 205), (40, 40, 42), 10)
    for a, b in (((300, 745), (780, 665)), ((860, 745), (1340, 665))):
        c.line(a, b, (25, 25, 25), 12)
    c.rect(245, 700, 130, 34, (200, 204, 206))  # the VIN plate, small, driver's side
    c.text("VF3", 310, 717, 22, (40, 40, 40))
    c.noise(8, grain=0.8)


def draw_damage(c: Canvas, paint: BGR, close: bool, seed: int) -> None:
    """A scratch (close-up) or a dent with its panel (wide) in the overlay's circle."""
    _bodywork(c, paint)
    rng = np.random.default_rng(seed)
    if not close:
        c.line((0, 250), (1600, 230), tuple(int(v * 0.4) for v in paint), 4)  # type: ignore[arg-type]
        c.line((0, 700), (1600, 690), tuple(int(v * 0.4) for v in paint), 4)  # type: ignore[arg-type]
        c.rect(1150, 420, 160, 30, (60, 60, 62))  # a door handle
    r = 110 if not close else 240
    dent = c.mask()
    cv2.ellipse(dent, c.p(800, 450), (c.n(r * 0.8), c.n(r * 0.55)), -15, 0, 360, 255, -1)
    c.shade(c.soft(dent, r * 0.35), 0.62, 1.0, 450 - r, 450 + r)
    x, y = 800 - r * 0.9, 450 + r * 0.3
    for _ in range(14 if close else 6):  # the scratch: a jagged light line
        nx, ny = x + r * 0.14, y - r * 0.05 + float(rng.normal(0, r * 0.03))
        c.line((x, y), (nx, ny), (225, 228, 230), 4 if close else 2)
        x, y = nx, ny
