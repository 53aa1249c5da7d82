"""Framing check: does the picture line up with the shot's overlay outline?

The self-inspection autopilot must not save the seller's feet as "Rear". The
phone draws the shot's outline (``assets/overlays/<name>.svg``) over the live
video; when the seller has framed the car as asked, the picture's strong edges
lie along that outline. The score is a chamfer match: the share of outline
points with an image edge within a few pixels, **minus** the same share for
the outline shifted away (left, right, up, down). The shifted outlines say how
much a busy background alone would match, so a textured car park does not
pass for a framed car; a framed view peaks at the true position.

``bench/framing.py`` measures the separation between matching and mismatched
views; :data:`FRAMED_MIN` is chosen from it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from inspector.assets import asset_path

__all__ = [
    "EXTERIOR_OUTLINES",
    "FRAMED_MIN",
    "FRAMING_OVERLAYS",
    "Framing",
    "framing_score",
    "outline_points",
]

Pixels = npt.NDArray[np.uint8]

#: Analysis width: enough for a car's outline, cheap enough for every sample.
WIDTH = 320
#: An edge this close to the outline (in analysis pixels) counts as on it.
TOLERANCE = 4.0
#: Shifts of the outline, as fractions of the picture, that give the baseline.
SHIFTS = ((0.18, 0.0), (-0.18, 0.0), (0.0, 0.22), (0.0, -0.22))
#: The least score of a framed view (see ``bench/framing.py`` for the figures).
FRAMED_MIN = 0.30

#: The overlays that outline the whole car, from its eight sides.
EXTERIOR_OUTLINES = (
    "front",
    "rear",
    "side_left",
    "side_right",
    "three_quarter_front_left",
    "three_quarter_front_right",
    "three_quarter_rear_left",
    "three_quarter_rear_right",
)
#: The overlays a framing check applies to.
FRAMING_OVERLAYS = frozenset(EXTERIOR_OUTLINES)


@dataclass(frozen=True)
class Framing:
    """The check's result: ``score`` against :data:`FRAMED_MIN`; its parts for the bench."""

    score: float
    on_outline: float  # share of outline points near an edge where the outline is
    baseline: float  # the same, averaged over the shifted outlines

    @property
    def framed(self) -> bool:
        return self.score >= FRAMED_MIN


@functools.lru_cache(maxsize=64)
def outline_points(overlay: str, width: int, height: int) -> npt.NDArray[np.int32]:
    """The (x, y) pixels of an overlay's outline at this picture size (cached).

    The overlay is fitted inside the picture as the phone shows it (centred,
    aspect kept).
    """
    path = asset_path("overlays", f"{overlay}.svg")
    mask = _render_outline(path, width, height)
    ys, xs = np.nonzero(mask)
    return np.stack([xs, ys], axis=1).astype(np.int32)


def _render_outline(path: Path, width: int, height: int) -> Pixels:
    """The overlay's white lines drawn one pixel wide, fitted and centred like the phone."""
    from svglib.svglib import svg2rlg

    drawing = svg2rlg(str(path))
    box = re.search(r'viewBox="\s*0\s+0\s+([\d.]+)\s+([\d.]+)"', path.read_text("utf-8"))
    if drawing is None or box is None:
        raise ValueError(f"cannot read the overlay {path.name}")
    view_w, view_h = float(box.group(1)), float(box.group(2))
    scale = min(width / view_w, height / view_h)
    left, top = (width - view_w * scale) / 2, (height - view_h * scale) / 2
    mask = np.zeros((height, width), np.uint8)
    for line in _white_lines(drawing):
        points = np.array([(left + x * scale, top + y * scale) for x, y in line])
        cv2.polylines(mask, [np.round(points).astype(np.int32)], False, 1, 1)
    return mask


def _white_lines(node: object) -> Iterator[list[tuple[float, float]]]:
    """The polylines (SVG user units) of the overlay's white strokes, curves flattened."""
    from reportlab.graphics.shapes import Group
    from reportlab.graphics.shapes import Path as RlPath

    if isinstance(node, Group):
        for child in node.contents:
            yield from _white_lines(child)
        return
    colour = getattr(node, "strokeColor", None)
    if not isinstance(node, RlPath) or colour is None or min(colour.rgb()) < 0.9:
        return  # not a line the seller sees (the dark halo under it, a fill)
    points, i = node.points, 0
    line: list[tuple[float, float]] = []
    for op in node.operators:
        if op == 0:  # moveTo
            if len(line) > 1:
                yield line
            line, i = [(points[i], points[i + 1])], i + 2
        elif op == 1:  # lineTo
            line.append((points[i], points[i + 1]))
            i += 2
        elif op == 2:  # curveTo: a cubic Bézier, sampled
            (x0, y0), (x1, y1, x2, y2, x3, y3) = line[-1], points[i : i + 6]
            for t in np.linspace(0.125, 1.0, 8):
                u = 1 - t
                line.append(
                    (
                        u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                        u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
                    )
                )
            i += 6
        elif op == 3 and line:  # closePath
            line.append(line[0])
    if len(line) > 1:
        yield line


def framing_score(frame_bgr: Pixels, overlay: str) -> Framing:
    """How well ``frame_bgr`` lines up with ``overlay``'s outline (pure; ~ms)."""
    height, width = frame_bgr.shape[:2]
    small_h = max(1, round(height * WIDTH / width))
    small = cv2.resize(frame_bgr, (WIDTH, small_h), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    grey = cv2.GaussianBlur(grey, (3, 3), 0)
    median = float(np.median(grey))
    edges = cv2.Canny(grey, max(10.0, 0.66 * median), min(255.0, 1.33 * median + 40))
    # Distance from every pixel to the nearest edge.
    distance = cv2.distanceTransform((edges == 0).astype(np.uint8), cv2.DIST_L2, 3)
    points = outline_points(overlay, WIDTH, small_h)
    if len(points) == 0:
        raise ValueError(f"the overlay {overlay!r} has no outline")

    def near(dx: float, dy: float) -> float:
        xs = points[:, 0] + round(dx * WIDTH)
        ys = points[:, 1] + round(dy * small_h)
        inside = (xs >= 0) & (xs < WIDTH) & (ys >= 0) & (ys < small_h)
        if not inside.any():
            return 0.0
        return float(np.mean(distance[ys[inside], xs[inside]] <= TOLERANCE))

    on = near(0.0, 0.0)
    baseline = float(np.mean([near(dx, dy) for dx, dy in SHIFTS]))
    return Framing(score=on - baseline, on_outline=on, baseline=baseline)
