"""The framing overlays as polylines, so the demo phone can draw what the outline frames.

Only the white strokes are read (the dark halo under them repeats the same
shapes). The overlays use a small SVG subset: ``path`` with absolute M, L, Q, C
and Z, ``circle``, ``ellipse`` and ``rect`` (rounded corners approximated).
Coordinates stay in the overlay's 1600 x 900 view box.
"""

from __future__ import annotations

import functools
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inspector.assets import asset_path

__all__ = ["VIEW_H", "VIEW_W", "Stroke", "load_outline"]

VIEW_W, VIEW_H = 1600, 900
_NS = "{http://www.w3.org/2000/svg}"
_TOKEN = re.compile(r"[MLQCZmlqcz]|-?\d*\.?\d+(?:[eE][-+]?\d+)?")
_CURVE_STEPS = 16


@dataclass(frozen=True)
class Stroke:
    """One shape of an overlay: its points (N x 2, view box units)."""

    points: npt.NDArray[np.float64]
    closed: bool
    primary: bool
    """Drawn with the thick line (the main outline) rather than the thin detail line."""
    kind: str
    """``path``, ``circle``, ``ellipse`` or ``rect``."""


def _path_points(d: str) -> list[tuple[list[tuple[float, float]], bool]]:
    tokens = _TOKEN.findall(d)
    runs: list[tuple[list[tuple[float, float]], bool]] = []
    points: list[tuple[float, float]] = []
    i, command = 0, "M"

    def num() -> float:
        nonlocal i
        value = float(tokens[i])
        i += 1
        return value

    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i].upper()
            i += 1
            if command == "Z":
                if points:
                    runs.append((points, True))
                points = []
                continue
        if command == "M":
            if points:
                runs.append((points, False))
            points = [(num(), num())]
            command = "L"
        elif command == "L":
            points.append((num(), num()))
        elif command in ("Q", "C"):
            count = 2 if command == "Q" else 3
            controls = [points[-1]] + [(num(), num()) for _ in range(count)]
            points.extend(_bezier(controls))
        else:  # an unsupported command: skip its token
            i += 1
    if points:
        runs.append((points, False))
    return runs


def _bezier(controls: list[tuple[float, float]]) -> list[tuple[float, float]]:
    p = np.array(controls, np.float64)
    n = len(p) - 1
    out = []
    for t in np.linspace(0, 1, _CURVE_STEPS + 1)[1:]:
        coeff = [math.comb(n, k) * (1 - t) ** (n - k) * t**k for k in range(n + 1)]
        x, y = (np.array(coeff)[:, None] * p).sum(axis=0)
        out.append((float(x), float(y)))
    return out


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> list[tuple[float, float]]:
    steps = max(24, int(max(rx, ry) / 4))
    return [
        (cx + rx * math.cos(a), cy + ry * math.sin(a))
        for a in np.linspace(0, 2 * math.pi, steps, endpoint=False)
    ]


def _rect(x: float, y: float, w: float, h: float, r: float) -> list[tuple[float, float]]:
    r = min(r, w / 2, h / 2)
    if r <= 0:
        return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    out: list[tuple[float, float]] = []
    for cx, cy, start in (
        (x + w - r, y + r, -90),
        (x + w - r, y + h - r, 0),
        (x + r, y + h - r, 90),
        (x + r, y + r, 180),
    ):
        for a in range(start, start + 91, 15):
            out.append((cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a))))
    return out


def _f(element: ET.Element, name: str) -> float:
    return float(element.get(name, "0"))


@functools.cache
def load_outline(name: str) -> tuple[Stroke, ...]:
    """The white strokes of ``assets/overlays/<name>.svg``, in document order."""
    root = ET.parse(asset_path("overlays", f"{name}.svg")).getroot()
    strokes: list[Stroke] = []
    for group in root.iter(f"{_NS}g"):
        if group.get("stroke", "").lower() != "#ffffff":
            continue
        primary = group.get("stroke-opacity") is None
        for element in group:
            tag = element.tag.removeprefix(_NS)
            if tag == "path":
                runs = _path_points(element.get("d", ""))
            elif tag == "circle":
                r = _f(element, "r")
                runs = [(_ellipse(_f(element, "cx"), _f(element, "cy"), r, r), True)]
            elif tag == "ellipse":
                runs = [(_ellipse(*(_f(element, k) for k in ("cx", "cy", "rx", "ry"))), True)]
            elif tag == "rect":
                args = (_f(element, k) for k in ("x", "y", "width", "height", "rx"))
                runs = [(_rect(*args), True)]
            else:
                continue
            for points, closed in runs:
                if len(points) >= 2:
                    strokes.append(Stroke(np.array(points, np.float64), closed, primary, tag))
    return tuple(strokes)
