"""The demo car seen from outside, drawn from the exterior framing overlays.

The overlay's own outline is the car: its strokes are closed into a
silhouette, the closed areas inside it become glass (high up), lamps (small)
or the number plate (a wide box low and centred), wheels are the circles near
the ground. So the car sits exactly in the outline the seller is asked to fit
it in, and each of the eight angles shows a different car view.
"""

from __future__ import annotations

import cv2
import numpy as np

from inspector.live.contrib.canvas import BGR, Canvas, Pixels
from inspector.live.contrib.outline import Stroke, load_outline

__all__ = ["EXTERIOR_VIEWS", "draw_car", "draw_outdoors", "draw_plate"]

EXTERIOR_VIEWS = (
    "front",
    "rear",
    "side_left",
    "side_right",
    "three_quarter_front_left",
    "three_quarter_front_right",
    "three_quarter_rear_left",
    "three_quarter_rear_right",
)
_TYRE: BGR = (34, 34, 36)
_GLASS_TOP: BGR = (92, 74, 60)
_GLASS_BOTTOM: BGR = (58, 50, 44)


def draw_outdoors(c: Canvas, horizon: float = 470) -> None:
    """Sky, a tree line, a car park: the scenery around an exterior view."""
    c.vgradient((238, 214, 176), (220, 208, 196), 0, horizon)
    y = horizon
    for _ in range(70):  # trees and hedges, darker towards the bottom
        x = float(c.rng.uniform(-100, 1700))
        r = float(c.rng.uniform(25, 70))
        green = (
            int(c.rng.integers(45, 75)),
            int(c.rng.integers(95, 125)),
            int(c.rng.integers(60, 85)),
        )
        c.circle(x, y - r * 0.6 + float(c.rng.uniform(-10, 25)), r, green)
    c.vgradient((118, 122, 124), (88, 92, 96), horizon, 900)
    c.noise(9, grain=2.5, mask=_below(c, horizon))
    for x in (-260, 560, 1380):  # parking bay lines
        c.poly(
            [(x, 900), (x + 40, 900), (x + 200, horizon + 10), (x + 190, horizon + 10)],
            (196, 200, 200),
        )


def _below(c: Canvas, y: float) -> Pixels:
    m = c.mask()
    m[max(0, c.y_px(y)) :] = 255
    return m


def _lines(c: Canvas, strokes: tuple[Stroke, ...], width: float) -> Pixels:
    m = c.mask()
    for s in strokes:
        cv2.polylines(m, [c.pts(s.points)], s.closed, 255, c.n(width), cv2.LINE_8)
    return m


def _wheels(
    c: Canvas, strokes: tuple[Stroke, ...], top: float, bottom: float
) -> list[tuple[float, float, float, float]]:
    """Ellipses (cx, cy, rx, ry) of the round strokes near the ground, biggest per wheel."""
    found: list[tuple[float, float, float, float]] = []
    for s in strokes:
        pts = s.points
        if len(pts) < 12:
            continue
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        w, h = x1 - x0, y1 - y0
        gap = float(np.hypot(*(pts[0] - pts[-1])))
        if not (0.3 < w / max(h, 1) < 1.6 and h > 0.18 * (bottom - top) and gap < 0.35 * h):
            continue
        if (y0 + y1) / 2 < top + 0.5 * (bottom - top):
            continue
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        for i, (fx, fy, rx, ry) in enumerate(found):
            if abs(fx - cx) < rx and abs(fy - cy) < ry:
                if w / 2 > rx:
                    found[i] = (cx, cy, w / 2, h / 2)
                break
        else:
            found.append((cx, cy, w / 2, h / 2))
    return found


def _silhouette(c: Canvas, strokes: tuple[Stroke, ...]) -> Pixels:
    """The car's area: its strokes closed (on a small copy: cheap) and filled."""
    small = Canvas(400, 225, 0)
    lines = _lines(small, strokes, 3)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (small.n(40), small.n(40)))
    closed = cv2.morphologyEx(lines, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    body = c.mask()
    if not contours:
        return body
    biggest = max(cv2.contourArea(k) for k in contours)
    for k in contours:
        if cv2.contourArea(k) > 0.05 * biggest:
            view_pts = (k[:, 0, :].astype(np.float64) - (small.ox, small.oy)) / small.s
            cv2.fillPoly(body, [c.pts(view_pts)], 255, cv2.LINE_AA)
    return body


def draw_plate(c: Canvas, x: float, y: float, w: float, h: float, plate: str) -> None:
    """A French-style plate: white, blue bands, black characters, ``w`` x ``h`` units."""
    c.rect(x, y, w, h, (232, 234, 234))
    band = w * 0.08
    c.rect(x, y, band, h, (150, 60, 20))
    c.rect(x + w - band, y, band, h, (150, 60, 20))
    c.text("F", x + band / 2, y + h * 0.7, h * 0.3, (230, 230, 230))
    c.text(plate, x + w / 2, y + h / 2, h * 0.78, (25, 25, 25), box=(w - 2.6 * band, h * 0.8))
    c.rect(x, y, w, h, (60, 60, 60), line=2)


def draw_car(c: Canvas, view: str, paint: BGR, plate: str) -> None:
    """The car of exterior ``view`` (an overlay name), painted ``paint``, with its plate."""
    strokes = load_outline(view)
    lines = _lines(c, strokes, 3)
    body = _silhouette(c, strokes)
    ys = np.nonzero(body.any(axis=1))[0]
    xs = np.nonzero(body.any(axis=0))[0]
    if len(ys) == 0:
        return
    top_px, bottom_px = int(ys[0]), int(ys[-1])
    top, bottom = (top_px - c.oy) / c.s, (bottom_px - c.oy) / c.s
    left, right = (xs[0] - c.ox) / c.s, (xs[-1] - c.ox) / c.s

    shadow = c.mask()
    cv2.ellipse(
        shadow,
        c.p((left + right) / 2, bottom - 6),
        (c.n((right - left) * 0.56), c.n(34)),
        0,
        0,
        360,
        255,
        -1,
    )
    c.paint(c.soft(shadow, 14), (30, 32, 34), 0.75)
    low = bottom - 0.08 * (bottom - top)
    for s in strokes:  # tyres under the bumper (front and rear views): behind the body
        if s.points[:, 1].max() > low and s.points[:, 1].min() > top + 0.6 * (bottom - top):
            cv2.fillPoly(c.img, [c.pts(s.points)], _TYRE, cv2.LINE_AA)

    c.paint(body, paint)
    c.shade(body, 1.25, 0.62, top, bottom)
    gloss = c.mask()
    band = top + 0.42 * (bottom - top)
    gloss[c.y_px(band) : c.y_px(band + 0.05 * (bottom - top))] = 255
    c.paint(cv2.bitwise_and(c.soft(gloss, 6), body), (245, 245, 245), 0.35)
    c.noise(3, grain=1.5, mask=body)

    inside = cv2.bitwise_and(body, cv2.bitwise_not(cv2.dilate(lines, np.ones((3, 3), np.uint8))))
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(inside, connectivity=4)
    body_area = float(np.count_nonzero(body))
    order = np.argsort(-stats[1:, cv2.CC_STAT_AREA]) + 1 if count > 1 else np.array([], int)
    rear = view.startswith("rear") or "_rear_" in view
    plate_box: tuple[float, float, float, float] | None = None
    for idx in order[1:]:  # the biggest area is the bodywork itself
        area = float(stats[idx, cv2.CC_STAT_AREA])
        if area < 0.0015 * body_area:
            continue
        bx, by, bw, bh = (int(v) for v in stats[idx, :4])
        rel = (centroids[idx][1] - top_px) / max(1, bottom_px - top_px)
        fill = area / max(1, bw * bh)
        region = c.mask()
        region[by : by + bh, bx : bx + bw] = np.where(
            labels[by : by + bh, bx : bx + bw] == idx, 255, 0
        ).astype(np.uint8)
        if rel < 0.45 and area > 0.01 * body_area:
            _glass(c, region, by, by + bh)
        elif 2.4 < bw / max(bh, 1) < 7 and fill > 0.6 and rel > 0.55 and area < 0.04 * body_area:
            plate_box = ((bx - c.ox) / c.s, (by - c.oy) / c.s, bw / c.s, bh / c.s)
        elif area < 0.03 * body_area and 0.2 < rel < 0.75 and fill > 0.3:
            c.paint(region, (50, 50, 205) if rear else (228, 230, 226))
            c.shade(region, 1.1, 0.8, (by - c.oy) / c.s, (by + bh - c.oy) / c.s)
    if plate_box is None and view in ("front", "rear"):
        plate_box = (725.0, 610.0 if view == "front" else 515.0, 150.0, 34.0)
    c.paint(lines, tuple(int(v * 0.35) for v in paint))  # type: ignore[arg-type]
    for cx, cy, rx, ry in _wheels(c, strokes, top, bottom):
        _wheel(c, cx, cy, rx, ry)
    if plate_box is not None:
        x, y, w, h = plate_box
        draw_plate(c, x, y, w, h, plate)


def _glass(c: Canvas, region: Pixels, y0_px: int, y1_px: int) -> None:
    c.paint(region, _GLASS_TOP)
    c.shade(region, 1.35, 0.75, (y0_px - c.oy) / c.s, (y1_px - c.oy) / c.s)
    streak = c.mask()
    h = c.h
    for off in (0.0, 0.18):
        x = int(c.w * (0.3 + off))
        cv2.fillPoly(
            streak,
            [
                np.array(
                    [(x, 0), (x + c.n(90), 0), (x - h // 2 + c.n(90), h), (x - h // 2, h)], np.int32
                )
            ],
            255,
        )
    c.paint(cv2.bitwise_and(c.soft(streak, 10), region), (225, 220, 215), 0.28)


def _wheel(c: Canvas, cx: float, cy: float, rx: float, ry: float) -> None:
    centre = c.p(cx, cy)
    cv2.ellipse(c.img, centre, (c.n(rx), c.n(ry)), 0, 0, 360, _TYRE, -1, cv2.LINE_AA)
    rim = (c.n(rx * 0.64), c.n(ry * 0.64))
    cv2.ellipse(c.img, centre, rim, 0, 0, 360, (178, 180, 182), -1, cv2.LINE_AA)
    cv2.ellipse(
        c.img, centre, (c.n(rx * 0.5), c.n(ry * 0.5)), 0, 0, 360, (70, 72, 74), -1, cv2.LINE_AA
    )
    for k in range(5):
        a = k * 2 * np.pi / 5 + 0.3
        end = (cx + rx * 0.6 * np.cos(a), cy + ry * 0.6 * np.sin(a))
        c.line((cx, cy), end, (196, 198, 200), max(4.0, rx * 0.16))
    cv2.ellipse(
        c.img, centre, (c.n(rx * 0.14), c.n(ry * 0.14)), 0, 0, 360, (120, 122, 125), -1, cv2.LINE_AA
    )
    cv2.ellipse(c.img, centre, rim, 0, 0, 360, (90, 92, 94), c.n(2), cv2.LINE_AA)
