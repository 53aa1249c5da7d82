"""The demo car seen from outside, drawn from the exterior framing overlays.

The overlay's own outline is the car: its strokes are closed into a
silhouette, the closed areas inside it become glass (high up) or lamps (small),
the most rectangular wide box in the lower half carries the number plate
(warped to the angle), wheels are the circles near the ground. So the car sits
exactly in the outline the seller is asked to fit it in, and each of the eight
angles shows a different car view.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from inspector.domain.framing import EXTERIOR_OUTLINES
from inspector.live.contrib.canvas import BGR, Canvas, Pixels, plate_font
from inspector.live.contrib.outline import VIEW_H, VIEW_W, Stroke, load_outline

__all__ = ["EXTERIOR_VIEWS", "draw_car", "draw_outdoors", "draw_plate"]

EXTERIOR_VIEWS = EXTERIOR_OUTLINES  # the car from each side its overlays outline
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


def _plate_picture(plate: str, height: int) -> Pixels:
    """A French-style plate, flat: white, blue bands, black characters (520 x 110 shape)."""
    w, h = int(height * 520 / 110), height
    img = Image.new("RGB", (w, h), (234, 234, 232))
    draw = ImageDraw.Draw(img)
    band = int(w * 0.08)
    draw.rectangle((0, 0, band, h), fill=(20, 60, 150))
    draw.rectangle((w - band, 0, w, h), fill=(20, 60, 150))
    draw.rectangle((0, 0, w - 1, h - 1), outline=(60, 60, 60), width=max(1, h // 30))
    size = int(h * 0.78)
    font = plate_font(size)
    while size > 6 and font.getlength(plate) > w - 2.6 * band:
        size -= 1
        font = plate_font(size)
    draw.text((w / 2, h / 2), plate, fill=(25, 25, 25), font=font, anchor="mm")
    draw.text((band / 2, h * 0.72), "F", fill=(235, 235, 235), font=plate_font(h // 3), anchor="mm")
    return np.asarray(img)[:, :, ::-1].copy()


@functools.cache
def _plate_quad(view: str) -> npt.NDArray[np.float64] | None:
    """The corners (view units; top left, top right, bottom right, bottom left) of the
    number plate's box in ``view``'s outline: the most rectangular wide four-sided area
    in the lower half of the car. Found once per view, at the outline's own scale."""
    c = Canvas(VIEW_W, VIEW_H, 0)
    strokes = load_outline(view)
    lines = _lines(c, strokes, 3)
    body = _silhouette(c, strokes)
    inside = cv2.bitwise_and(body, cv2.bitwise_not(cv2.dilate(lines, np.ones((3, 3), np.uint8))))
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(inside, connectivity=4)
    ys = np.nonzero(body.any(axis=1))[0]
    if len(ys) == 0:
        return None
    top, bottom = int(ys[0]), int(ys[-1])
    body_area = float(np.count_nonzero(body))
    best: tuple[float, npt.NDArray[np.float64]] | None = None
    for idx in range(1, count):
        area = float(stats[idx, cv2.CC_STAT_AREA])
        rel = (centroids[idx][1] - top) / max(1, bottom - top)
        if not (0.0015 * body_area < area < 0.03 * body_area and rel > 0.55):
            continue
        x, y, w, h = (int(v) for v in stats[idx, :4])
        part = np.where(labels[y : y + h, x : x + w] == idx, 255, 0).astype(np.uint8)
        contours, _ = cv2.findContours(part, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        k = max(contours, key=cv2.contourArea)
        (_, _), (rw, rh), _ = cv2.minAreaRect(k)
        aspect = max(rw, rh) / max(1.0, min(rw, rh))
        fill = area / max(1.0, rw * rh)
        corners = cv2.approxPolyDP(k, 0.04 * cv2.arcLength(k, True), True)
        if len(corners) != 4 or fill < 0.85 or not 2.5 <= aspect <= 6.5:
            continue
        if best is None or fill > best[0]:
            pts = corners[:, 0, :].astype(np.float64) + np.array([x, y], np.float64)
            best = (fill, pts)
    if best is None:
        return None
    pts = best[1]
    s, d = pts.sum(axis=1), pts[:, 0] - pts[:, 1]
    return np.array([pts[s.argmin()], pts[d.argmax()], pts[s.argmax()], pts[d.argmin()]])


def draw_plate(c: Canvas, quad: npt.NDArray[np.float64], plate: str) -> None:
    """The plate warped onto ``quad`` (view units), as the camera sees it at that angle."""
    dst = c.pts(quad).astype(np.float32)
    x, y, w, h = cv2.boundingRect(dst)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(c.w, x + w), min(c.h, y + h)
    if x1 - x0 < 4 or y1 - y0 < 2:
        return
    flat = _plate_picture(plate, max(24, int(2 * max(np.ptp(dst[:, 1]), np.ptp(dst[:, 0]) / 4.7))))
    fh, fw = flat.shape[:2]
    src = np.array([(0, 0), (fw, 0), (fw, fh), (0, fh)], np.float32)
    m = cv2.getPerspectiveTransform(src, dst - np.array([x0, y0], np.float32))
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(flat, m, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((fh, fw), 255, np.uint8), m, size, flags=cv2.INTER_LINEAR)
    roi = c.img[y0:y1, x0:x1]
    a = mask.astype(np.float32)[:, :, None] / 255
    roi[:] = (roi * (1 - a) + warped * a).astype(np.uint8)


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
        elif area < 0.03 * body_area and 0.2 < rel < 0.75 and fill > 0.3:
            c.paint(region, (50, 50, 205) if rear else (228, 230, 226))
            c.shade(region, 1.1, 0.8, (by - c.oy) / c.s, (by + bh - c.oy) / c.s)
    c.paint(lines, tuple(int(v * 0.35) for v in paint))  # type: ignore[arg-type]
    for cx, cy, rx, ry in _wheels(c, strokes, top, bottom):
        _wheel(c, cx, cy, rx, ry)
    quad = _plate_quad(view)
    if quad is not None:
        draw_plate(c, quad, plate)


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
