"""Inside the demo car, under the bonnet and beside it: the cabin, boot, engine, keys
and the service book, each where its framing overlay puts it.

The odometer shows the inspection's mileage in its centre display, large and
dark on light, so it can be read back from the picture.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from inspector.live.contrib.canvas import BGR, Canvas
from inspector.live.contrib.outline import load_outline

__all__ = [
    "draw_boot",
    "draw_dashboard",
    "draw_document",
    "draw_engine_bay",
    "draw_keys",
    "draw_odometer",
    "draw_seats",
    "draw_steering_wheel",
]

_PLASTIC: BGR = (58, 56, 54)


def _shape(overlay: str, index: int) -> np.ndarray:
    return load_outline(overlay)[index].points


def _cabin(c: Canvas) -> None:
    """Dark grained plastic, lit from the windscreen."""
    c.vgradient((120, 118, 116), (44, 42, 40))
    c.noise(12, grain=1.8)


def _gauge(c: Canvas, cx: float, cy: float, top: int, step: int, needle: float) -> None:
    c.circle(cx, cy, 215, (28, 28, 30))
    c.circle(cx, cy, 215, (150, 150, 150), line=4)
    for k in range(13):
        a = math.radians(135 + k * 22.5)
        c.line(
            (cx + 180 * math.cos(a), cy + 180 * math.sin(a)),
            (cx + 205 * math.cos(a), cy + 205 * math.sin(a)),
            (230, 230, 230),
            5,
        )
        if k % 2 == 0:
            c.text(
                str(k * step // 2),
                cx + 145 * math.cos(a),
                cy + 145 * math.sin(a),
                30,
                (225, 225, 225),
            )
    a = math.radians(135 + needle * 270)
    c.line((cx, cy), (cx + 170 * math.cos(a), cy + 170 * math.sin(a)), (40, 90, 240), 9)
    c.circle(cx, cy, 18, (90, 90, 95))
    c.text(f"x{top}" if top > 1 else "km/h", cx, cy + 90, 26, (200, 200, 200))


def draw_odometer(c: Canvas, mileage: int) -> None:
    """The instrument cluster: rev counter, speedometer, the mileage in the middle."""
    _cabin(c)
    c.poly([*list(map(tuple, _shape("odometer", 3))), (1490, 900), (110, 900)], (36, 36, 38))
    _gauge(c, 440, 470, 1000, 8, 0.1)
    _gauge(c, 1160, 470, 1, 40, 0.0)
    c.rect(690, 360, 220, 200, (30, 32, 34))
    c.rect(700, 372, 200, 176, (190, 200, 196))
    c.text("ODO", 800, 410, 30, (40, 44, 42))
    c.text(f"{mileage:06d}", 800, 470, 60, (20, 22, 22), font="DejaVuSansMono.ttf", box=(190, 70))
    c.text("km", 800, 525, 32, (40, 44, 42))
    for i, colour in enumerate(((40, 170, 240), (60, 200, 60), (40, 40, 220), (40, 170, 240))):
        c.circle(680 + i * 80, 640, 12, colour)


def draw_dashboard(c: Canvas) -> None:
    """The dashboard from the passenger seat: wheel, cluster, screen, vents."""
    c.vgradient((215, 200, 185), (150, 146, 140))  # the view through the windscreen
    c.poly([*list(map(tuple, _shape("dashboard", 0))), (1560, 900), (40, 900)], _PLASTIC)
    c.poly([(0, 400), (40, 420), (40, 900), (0, 900)], _PLASTIC)
    c.poly([(1560, 420), (1600, 400), (1600, 900), (1560, 900)], _PLASTIC)
    c.noise(7, grain=1.6)
    c.rect(700, 360, 240, 160, (20, 20, 22))
    c.rect(712, 372, 216, 136, (120, 80, 40))  # the centre screen, showing a map
    c.line((712, 440), (928, 420), (200, 200, 200), 6)
    c.line((800, 372), (830, 508), (200, 200, 200), 4)
    c.text("12:47", 880, 392, 22, (240, 240, 240))
    for y in (380, 450):  # vents
        c.rect(990, y, 120, 50, (30, 30, 32))
        for k in range(4):
            c.line((1000, y + 10 + k * 10), (1100, y + 10 + k * 10), (80, 80, 82), 3)
    c.poly(list(map(tuple, _shape("dashboard", 10))), (40, 40, 42))  # glovebox
    c.poly([(700, 580), (940, 580), (1020, 900), (620, 900)], (48, 46, 44))  # centre console
    cv2.ellipse(
        c.img, c.p(460, 560), (c.n(215), c.n(235)), 0, 0, 360, (30, 30, 32), c.n(34), cv2.LINE_AA
    )
    cv2.ellipse(c.img, c.p(460, 560), (c.n(80), c.n(70)), 0, 0, 360, (44, 44, 46), -1, cv2.LINE_AA)
    c.line((380, 560), (250, 600), (30, 30, 32), 30)
    c.line((540, 560), (670, 600), (30, 30, 32), 30)
    c.text("PEUGEOT", 460, 560, 20, (170, 170, 170))


def draw_steering_wheel(c: Canvas) -> None:
    """The steering wheel and the gear lever, worn as a real one would be."""
    _cabin(c)
    c.rect(1100, 650, 340, 250, (40, 40, 42))
    c.circle(700, 430, 310, (34, 34, 36))
    c.circle(700, 430, 250, (72, 70, 68))
    c.noise(6, grain=1.2)
    for a, b in (
        ((590, 410), (450, 420)),
        ((600, 490), (455, 500)),
        ((810, 410), (950, 420)),
        ((800, 490), (945, 500)),
        ((655, 520), (645, 678)),
        ((745, 520), (755, 678)),
    ):
        c.line(a, b, (38, 38, 40), 24)
    c.poly(list(map(tuple, _shape("steering_wheel", 1))), (46, 46, 48))
    c.text("PEUGEOT", 700, 440, 26, (180, 180, 180))
    c.circle(700, 125, 12, (150, 150, 150))  # the wear mark at the top
    c.poly([(1150, 800), (1270, 690), (1390, 800), (1390, 900), (1150, 900)], (30, 30, 32))
    c.line((1270, 618), (1270, 720), (50, 50, 52), 36)
    c.circle(1270, 560, 60, (70, 70, 74))
    c.text("1 3 5", 1270, 545, 20, (220, 220, 220))
    c.text("2 4 6", 1270, 580, 20, (220, 220, 220))


def draw_seats(c: Canvas, rear: bool) -> None:
    """Two front seats seen from the back seat, or the rear bench through a door."""
    _cabin(c)
    fabric: BGR = (70, 66, 64) if not rear else (84, 76, 70)
    if rear:
        c.rect(250, 250, 1100, 470, fabric)  # the bench's back behind both seats
        c.line((800, 260), (800, 700), (40, 40, 40), 6)
    for base in (0, 600):
        for idx in (1, 2):
            c.poly([(x + base, y) for x, y in _shape("seats", idx)], fabric)
        c.poly([(x + base, y) for x, y in _shape("seats", 0)], fabric)
        for x in (455, 545):
            c.line((x + base, 225), (x + base, 262), (170, 170, 170), 8)
        for a, b in (((410, 300), (380, 690)), ((590, 300), (620, 690))):
            c.line((a[0] + base, a[1]), (b[0] + base, b[1]), (45, 42, 40), 6)
    m = c.mask()
    for base in (0, 600):
        cv2.fillPoly(m, [c.pts([(x + base, y) for x, y in _shape("seats", 1)])], 255)
    c.shade(m, 1.25, 0.8, 262, 700)
    c.noise(14, grain=0.9, mask=m)  # the fabric's weave
    if rear:
        for x in (330, 1270):  # seat belts
            c.line((x, 120), (x + 60, 700), (30, 30, 30), 22)


def draw_boot(c: Canvas, paint: BGR) -> None:
    """The open boot: the sill, the carpet, the side trims."""
    top = tuple(min(255, int(v * 1.25)) for v in paint)
    c.vgradient(top, tuple(int(v * 0.7) for v in paint))  # type: ignore[arg-type]
    c.vgradient((110, 112, 114), (84, 86, 88), 760, 900)
    c.noise(8, grain=2)
    opening = list(map(tuple, _shape("boot", 0)))
    c.poly(opening, (40, 40, 42))
    c.poly([(400, 560), (1200, 560), (1340, 700), (260, 700)], (66, 66, 68))  # the floor
    c.poly([(400, 200), (1200, 200), (1200, 560), (400, 560)], (56, 56, 58))  # the seat backs
    c.line((800, 200), (800, 560), (36, 36, 38), 5)
    m = c.mask()
    cv2.fillPoly(m, [c.pts(opening)], 255)
    c.noise(18, grain=1.0, mask=m)  # carpet
    c.line((150, 790), (1450, 790), (190, 190, 192), 8)  # the sill's trim
    c.rect(120, 280, 70, 160, (50, 50, 210))  # tail lights
    c.rect(1410, 280, 70, 160, (50, 50, 210))


def draw_engine_bay(c: Canvas, paint: BGR) -> None:
    """The engine bay from the front, bonnet up: engine cover, caps, battery."""
    lid = tuple(int(v * 0.8) for v in paint)
    c.vgradient((70, 70, 72), (40, 40, 42))
    c.noise(10, grain=2)
    c.poly([(330, 255), (390, 70), (1210, 70), (1270, 255)], lid)  # type: ignore[arg-type]
    bay = list(map(tuple, _shape("engine_bay", 0)))
    c.poly(bay, (44, 44, 46))
    m = c.mask()
    cv2.fillPoly(m, [c.pts(bay)], 255)
    c.noise(16, grain=1.5, mask=m)
    c.poly(list(map(tuple, _shape("engine_bay", 2))), (36, 36, 38))  # the engine cover
    c.text("PureTech", 800, 455, 50, (180, 180, 182))
    c.line((620, 530), (980, 530), (70, 70, 72), 8)
    for a, b in (((440, 370), (577, 420)), ((1160, 370), (1022, 420)), ((460, 560), (577, 560))):
        c.line(a, b, (24, 24, 26), 22)  # hoses
    for k in range(6):  # the fuse box's and the airbox's ribs
        c.line((250 + k * 30, 450), (250 + k * 30, 500), (70, 70, 72), 6)
    c.circle(390, 370, 55, (40, 160, 220))  # coolant
    c.circle(1210, 370, 55, (190, 120, 40))  # washer fluid
    c.circle(420, 560, 40, (40, 200, 230))  # oil cap
    c.rect(1110, 480, 190, 150, (30, 30, 32))  # battery
    c.circle(1150, 500, 14, (40, 40, 200))
    c.circle(1260, 500, 14, (50, 50, 50))
    c.line((230, 690), (1370, 690), (150, 150, 152), 10)


def draw_keys(c: Canvas) -> None:
    """Two keys side by side on a light wooden table, from above."""
    c.vgradient((150, 178, 200), (130, 160, 186))
    for k in range(40):  # the wood grain
        y = 20 + k * 22 + float(c.rng.normal(0, 4))
        c.line((0, y), (1600, y + float(c.rng.normal(0, 8))), (118, 146, 172), 3)
    c.noise(6, grain=1.5)
    for dy, dx in ((0, 0), (230, 150)):
        fob = [(x + dx, y + dy - 90) for x, y in _shape("keys", 0)]
        blade = [(x + dx, y + dy - 90) for x, y in _shape("keys", 1)]
        c.poly(blade, (190, 192, 196))
        c.poly(blade, (120, 120, 124), line=2)
        c.poly(fob, (30, 30, 32))
        c.poly(fob, (70, 70, 72), line=3)
        for bx, by in ((635, 380), (635, 450), (635, 520)):
            c.circle(bx + dx, by + dy - 90, 26, (58, 58, 60))
        c.circle(520 + dx, 450 + dy - 90, 22, (150, 150, 152))


def draw_document(c: Canvas, mileage: int, plate: str) -> None:
    """The service book open at its last stamped service."""
    c.vgradient((90, 110, 130), (70, 88, 104))
    c.noise(6, grain=2)
    page = list(map(tuple, _shape("document", 0)))
    c.poly([(x + 10, y + 12) for x, y in page], (50, 60, 70))
    c.poly(page, (226, 232, 234))
    c.line((800, 190), (800, 790), (170, 176, 180), 4)
    entries = [
        ("2021-03-12", mileage - 45000),
        ("2022-04-02", mileage - 30500),
        ("2023-03-28", mileage - 15800),
        ("2024-04-15", mileage),
    ]
    c.text("ENTRETIEN / SERVICE", 540, 240, 30, (60, 40, 30))
    c.text(plate, 540, 290, 30, (60, 40, 30))
    for i, (date, km) in enumerate(entries):
        y = 360 + i * 100
        c.text(
            f"{date}   {max(0, km):,} km".replace(",", " "),
            360,
            y,
            30,
            (50, 40, 40),
            anchor="lm",
            box=(400, 40),
        )
        c.line((360, y + 30), (720, y + 30), (180, 180, 186), 2)
    for k in range(8):
        c.line((880, 260 + k * 58), (1240 - (k % 3) * 60, 260 + k * 58), (150, 150, 160), 3)
    c.circle(1150, 620, 70, (150, 60, 40), line=5)
    c.circle(1150, 620, 52, (150, 60, 40), line=2)
    c.text("GARAGE", 1150, 620, 22, (150, 60, 40))
