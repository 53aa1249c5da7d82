"""The vehicle diagram of the report, drawn from ``assets/overlays/vehicle_diagram.svg``.

svglib is not available, so this reads the SVG with ``xml.etree`` and draws its
geometry itself: ``rect``, ``circle``, ``ellipse``, ``line``, ``polyline``,
``polygon`` and ``path`` (every command, arcs included), under ``translate``,
``scale``, ``rotate``, ``skewX/Y`` and ``matrix`` transforms. Text, images,
``use``, ``defs``, clip paths and masks are ignored; the SVG's own colours too,
so the diagram matches the report whatever the file says.

An element belongs to a part when it, or an ancestor group, has an ``id`` that
is a :class:`~inspector.models.Part` value. A damage marker goes to the centre
of its part's bounding box; parts the diagram lacks (interior items, usually)
are listed beside it by the report. If the file is missing or unreadable the
diagram says so instead of failing the whole report.
"""

from __future__ import annotations

import math
import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Flowable

from inspector.assets import asset_path
from inspector.domain.models import Part

DIAGRAM_FILE = "vehicle_diagram.svg"

Matrix = tuple[float, float, float, float, float, float]  # a b c d e f, SVG order
Point = tuple[float, float]
# A subpath is a start point and a list of segments: ("L", p) or ("C", p1, p2, p).
Segment = tuple[Any, ...]
Subpath = tuple[Point, list[Segment], bool]

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_PARTS = {p.value: p for p in Part}
_SKIP = {
    "defs",
    "clipPath",
    "mask",
    "symbol",
    "marker",
    "pattern",
    "title",
    "desc",
    "metadata",
    "style",
    "text",
    "image",
    "use",
    "linearGradient",
    "radialGradient",
}


class DiagramError(ValueError):
    """The SVG cannot be used as a diagram."""


def _mul(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + c * b2,
        b * a2 + d * b2,
        a * c2 + c * d2,
        b * c2 + d * d2,
        a * e2 + c * f2 + e,
        b * e2 + d * f2 + f,
    )


def _apply(m: Matrix, p: Point) -> Point:
    a, b, c, d, e, f = m
    x, y = p
    return a * x + c * y + e, b * x + d * y + f


_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def parse_transform(text: str | None) -> Matrix:
    m = IDENTITY
    if not text:
        return m
    for name, args_text in re.findall(r"([a-zA-Z]+)\s*\(([^)]*)\)", text):
        args = [float(v) for v in re.findall(_NUM, args_text)]
        if name == "matrix" and len(args) == 6:
            t: Matrix = (args[0], args[1], args[2], args[3], args[4], args[5])
        elif name == "translate" and args:
            t = (1, 0, 0, 1, args[0], args[1] if len(args) > 1 else 0.0)
        elif name == "scale" and args:
            t = (args[0], 0, 0, args[1] if len(args) > 1 else args[0], 0, 0)
        elif name == "rotate" and args:
            r = math.radians(args[0])
            cos, sin = math.cos(r), math.sin(r)
            t = (cos, sin, -sin, cos, 0, 0)
            if len(args) == 3:
                cx, cy = args[1], args[2]
                t = _mul(_mul((1, 0, 0, 1, cx, cy), t), (1, 0, 0, 1, -cx, -cy))
        elif name == "skewX" and args:
            t = (1, 0, math.tan(math.radians(args[0])), 1, 0, 0)
        elif name == "skewY" and args:
            t = (1, math.tan(math.radians(args[0])), 0, 1, 0, 0)
        else:
            raise DiagramError(f"unsupported transform {name}({args_text})")
        m = _mul(m, t)
    return m


class _Scanner:
    """Reads path data; arc flags may be written without separators ("011")."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n,":
            self.pos += 1

    def command(self) -> str | None:
        self._skip()
        if self.pos < len(self.text) and self.text[self.pos].isalpha():
            self.pos += 1
            return self.text[self.pos - 1]
        return None

    def has_number(self) -> bool:
        self._skip()
        return self.pos < len(self.text) and (
            self.text[self.pos].isdigit() or self.text[self.pos] in "+-."
        )

    def number(self) -> float:
        self._skip()
        match = re.compile(_NUM).match(self.text, self.pos)
        if match is None:
            raise DiagramError(f"bad path data near {self.text[self.pos : self.pos + 20]!r}")
        self.pos = match.end()
        return float(match.group())

    def flag(self) -> bool:
        self._skip()
        if self.pos < len(self.text) and self.text[self.pos] in "01":
            self.pos += 1
            return self.text[self.pos - 1] == "1"
        raise DiagramError(f"bad arc flag near {self.text[self.pos : self.pos + 20]!r}")

    def done(self) -> bool:
        self._skip()
        return self.pos >= len(self.text)


def _arc_points(
    p0: Point, rx: float, ry: float, angle: float, large: bool, sweep: bool, p1: Point
) -> list[Point]:
    """Points along an SVG elliptical arc (endpoint parameterization), p0 excluded."""
    if p0 == p1:
        return []
    if rx == 0 or ry == 0:
        return [p1]
    rx, ry = abs(rx), abs(ry)
    phi = math.radians(angle)
    cos, sin = math.cos(phi), math.sin(phi)
    dx, dy = (p0[0] - p1[0]) / 2, (p0[1] - p1[1]) / 2
    x1 = cos * dx + sin * dy
    y1 = -sin * dx + cos * dy
    scale = x1 * x1 / (rx * rx) + y1 * y1 / (ry * ry)
    if scale > 1:
        rx, ry = rx * math.sqrt(scale), ry * math.sqrt(scale)
    num = rx * rx * ry * ry - rx * rx * y1 * y1 - ry * ry * x1 * x1
    den = rx * rx * y1 * y1 + ry * ry * x1 * x1
    coef = math.sqrt(max(num / den, 0)) if den else 0.0
    if large == sweep:
        coef = -coef
    cx1, cy1 = coef * rx * y1 / ry, -coef * ry * x1 / rx
    cx = cos * cx1 - sin * cy1 + (p0[0] + p1[0]) / 2
    cy = sin * cx1 + cos * cy1 + (p0[1] + p1[1]) / 2

    def ang(ux: float, uy: float, vx: float, vy: float) -> float:
        a = math.atan2(ux * vy - uy * vx, ux * vx + uy * vy)
        return a

    t1 = ang(1, 0, (x1 - cx1) / rx, (y1 - cy1) / ry)
    dt = ang((x1 - cx1) / rx, (y1 - cy1) / ry, (-x1 - cx1) / rx, (-y1 - cy1) / ry)
    if not sweep and dt > 0:
        dt -= 2 * math.pi
    elif sweep and dt < 0:
        dt += 2 * math.pi
    steps = max(4, int(abs(dt) / (math.pi / 16)))
    points = []
    for k in range(1, steps + 1):
        t = t1 + dt * k / steps
        ex, ey = rx * math.cos(t), ry * math.sin(t)
        points.append((cos * ex - sin * ey + cx, sin * ex + cos * ey + cy))
    points[-1] = p1
    return points


def parse_path(d: str) -> list[Subpath]:
    """SVG path data as absolute subpaths of lines and cubic curves."""
    s = _Scanner(d)
    subpaths: list[Subpath] = []
    start: Point = (0.0, 0.0)
    cur: Point = (0.0, 0.0)
    segs: list[Segment] = []
    closed = False
    last_ctrl: Point | None = None
    last_cmd = ""
    cmd: str | None = None

    def flush() -> None:
        nonlocal segs, closed
        if segs:
            subpaths.append((start, segs, closed))
        segs, closed = [], False

    while not s.done():
        new = s.command()
        if new is not None:
            cmd = new
        elif cmd is None:
            raise DiagramError("path data must start with a command")
        assert cmd is not None
        rel = cmd.islower()
        c = cmd.upper()
        ox, oy = cur if rel else (0.0, 0.0)
        if c == "Z":
            closed = True
            flush()
            cur = start
            last_ctrl, last_cmd = None, "Z"
            continue
        if not s.has_number():
            raise DiagramError(f"path command {cmd} without numbers")
        if c == "M":
            flush()
            cur = (ox + s.number(), oy + s.number())
            start = cur
            cmd = "l" if rel else "L"  # further pairs are line-tos
            last_ctrl = None
        elif c == "L":
            cur = (ox + s.number(), oy + s.number())
            segs.append(("L", cur))
            last_ctrl = None
        elif c == "H":
            cur = (ox + s.number(), cur[1])
            segs.append(("L", cur))
            last_ctrl = None
        elif c == "V":
            cur = (cur[0], (cur[1] if rel else 0.0) + s.number())
            segs.append(("L", cur))
            last_ctrl = None
        elif c in "CS":
            if c == "C":
                p1 = (ox + s.number(), oy + s.number())
            else:
                p1 = (
                    (2 * cur[0] - last_ctrl[0], 2 * cur[1] - last_ctrl[1])
                    if last_ctrl is not None and last_cmd in "CS"
                    else cur
                )
            p2 = (ox + s.number(), oy + s.number())
            p = (ox + s.number(), oy + s.number())
            segs.append(("C", p1, p2, p))
            last_ctrl, cur = p2, p
        elif c in "QT":
            if c == "Q":
                q = (ox + s.number(), oy + s.number())
            else:
                q = (
                    (2 * cur[0] - last_ctrl[0], 2 * cur[1] - last_ctrl[1])
                    if last_ctrl is not None and last_cmd in "QT"
                    else cur
                )
            p = (ox + s.number(), oy + s.number())
            c1 = (cur[0] + 2 / 3 * (q[0] - cur[0]), cur[1] + 2 / 3 * (q[1] - cur[1]))
            c2 = (p[0] + 2 / 3 * (q[0] - p[0]), p[1] + 2 / 3 * (q[1] - p[1]))
            segs.append(("C", c1, c2, p))
            last_ctrl, cur = q, p
        elif c == "A":
            rx, ry, angle = s.number(), s.number(), s.number()
            large, sweep = s.flag(), s.flag()
            p = (ox + s.number(), oy + s.number())
            segs.extend(("L", q) for q in _arc_points(cur, rx, ry, angle, large, sweep, p))
            cur = p
            last_ctrl = None
        else:
            raise DiagramError(f"unknown path command {cmd!r}")
        last_cmd = c
    flush()
    return subpaths


def _f(el: ET.Element, name: str, default: float = 0.0) -> float:
    raw = el.get(name)
    if raw is None:
        return default
    match = re.match(_NUM, raw.strip())
    if match is None:
        raise DiagramError(f"<{_tag(el)}> has a bad {name}={raw!r}")
    return float(match.group())


def _tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> list[Subpath]:
    k = 0.5522847498
    segs: list[Segment] = [
        ("C", (cx + rx, cy + k * ry), (cx + k * rx, cy + ry), (cx, cy + ry)),
        ("C", (cx - k * rx, cy + ry), (cx - rx, cy + k * ry), (cx - rx, cy)),
        ("C", (cx - rx, cy - k * ry), (cx - k * rx, cy - ry), (cx, cy - ry)),
        ("C", (cx + k * rx, cy - ry), (cx + rx, cy - k * ry), (cx + rx, cy)),
    ]
    return [((cx + rx, cy), segs, True)]


def _points(text: str | None) -> list[Point]:
    values = [float(v) for v in re.findall(_NUM, text or "")]
    return list(zip(values[0::2], values[1::2], strict=False))


def shape_subpaths(el: ET.Element) -> list[Subpath]:
    """The geometry of one SVG shape element in its own user space."""
    tag = _tag(el)
    if tag == "rect":
        x, y, w, h = _f(el, "x"), _f(el, "y"), _f(el, "width"), _f(el, "height")
        if w <= 0 or h <= 0:
            return []
        rx = _f(el, "rx", -1)
        ry = _f(el, "ry", -1)
        rx, ry = (ry if rx < 0 else rx), (rx if ry < 0 else ry)
        rx, ry = min(max(rx, 0), w / 2), min(max(ry, 0), h / 2)
        if rx == 0 or ry == 0:
            return [((x, y), [("L", (x + w, y)), ("L", (x + w, y + h)), ("L", (x, y + h))], True)]
        k = 0.5522847498
        segs: list[Segment] = [
            ("L", (x + w - rx, y)),
            ("C", (x + w - rx + k * rx, y), (x + w, y + ry - k * ry), (x + w, y + ry)),
            ("L", (x + w, y + h - ry)),
            ("C", (x + w, y + h - ry + k * ry), (x + w - rx + k * rx, y + h), (x + w - rx, y + h)),
            ("L", (x + rx, y + h)),
            ("C", (x + rx - k * rx, y + h), (x, y + h - ry + k * ry), (x, y + h - ry)),
            ("L", (x, y + ry)),
            ("C", (x, y + ry - k * ry), (x + rx - k * rx, y), (x + rx, y)),
        ]
        return [((x + rx, y), segs, True)]
    if tag == "circle":
        r = _f(el, "r")
        return _ellipse(_f(el, "cx"), _f(el, "cy"), r, r) if r > 0 else []
    if tag == "ellipse":
        rx, ry = _f(el, "rx"), _f(el, "ry")
        return _ellipse(_f(el, "cx"), _f(el, "cy"), rx, ry) if rx > 0 and ry > 0 else []
    if tag == "line":
        return [((_f(el, "x1"), _f(el, "y1")), [("L", (_f(el, "x2"), _f(el, "y2")))], False)]
    if tag in ("polyline", "polygon"):
        pts = _points(el.get("points"))
        if len(pts) < 2:
            return []
        return [(pts[0], [("L", p) for p in pts[1:]], tag == "polygon")]
    if tag == "path":
        return parse_path(el.get("d", ""))
    return []


@dataclass
class _Shape:
    subpaths: list[Subpath]  # already in viewBox coordinates
    part: Part | None
    closed: bool


@dataclass
class Diagram:
    """The parsed SVG: shapes in viewBox coordinates and each part's bounding box."""

    view: tuple[float, float, float, float]
    shapes: list[_Shape]
    boxes: dict[Part, tuple[float, float, float, float]]


def _hidden(el: ET.Element) -> bool:
    style = (el.get("style") or "").replace(" ", "")
    return (
        el.get("display") == "none"
        or el.get("visibility") == "hidden"
        or "display:none" in style
        or "visibility:hidden" in style
    )


def parse_diagram(svg_text: str) -> Diagram:
    try:
        root = ET.fromstring(svg_text)
    except ET.ParseError as exc:
        raise DiagramError(f"not valid XML: {exc}") from exc
    if _tag(root) != "svg":
        raise DiagramError("the root element is not <svg>")
    vb = [float(v) for v in re.findall(_NUM, root.get("viewBox", ""))]
    if len(vb) == 4 and vb[2] > 0 and vb[3] > 0:
        view = (vb[0], vb[1], vb[2], vb[3])
    else:
        view = (0.0, 0.0, _f(root, "width", 0), _f(root, "height", 0))
    if view[2] <= 0 or view[3] <= 0:
        raise DiagramError("the SVG has no viewBox and no size")
    shapes: list[_Shape] = []
    boxes: dict[Part, list[float]] = {}

    def walk(el: ET.Element, m: Matrix, part: Part | None) -> None:
        tag = _tag(el)
        if tag in _SKIP or _hidden(el):
            return
        m = _mul(m, parse_transform(el.get("transform")))
        part = _PARTS.get(el.get("id", ""), part)
        subpaths = shape_subpaths(el)
        if subpaths:
            moved: list[Subpath] = []
            for start, segs, closed in subpaths:
                new_segs: list[Segment] = [
                    (seg[0], *(_apply(m, p) for p in seg[1:])) for seg in segs
                ]
                moved.append((_apply(m, start), new_segs, closed))
            shapes.append(_Shape(moved, part, any(c for _, _, c in moved)))
            if part is not None:
                box = boxes.setdefault(part, [math.inf, math.inf, -math.inf, -math.inf])
                for start, segs, _ in moved:
                    for p in [start] + [s[-1] for s in segs]:
                        box[0], box[1] = min(box[0], p[0]), min(box[1], p[1])
                        box[2], box[3] = max(box[2], p[0]), max(box[3], p[1])
        for child in el:
            walk(child, m, part)

    walk(root, IDENTITY, None)
    if not shapes:
        raise DiagramError("the SVG has no shapes")
    return Diagram(view, shapes, {p: (b[0], b[1], b[2], b[3]) for p, b in boxes.items()})


_cache_lock = threading.Lock()
_cache: dict[tuple[str, int], Diagram | str] = {}


def load_diagram(path: Path | None = None) -> Diagram | str:
    """The parsed diagram, or a one-line reason it cannot be used (cached per file)."""
    path = path or asset_path("overlays", DIAGRAM_FILE)
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns)
    except OSError:
        return f"{path.name} is missing"
    with _cache_lock:
        if key not in _cache:
            try:
                _cache[key] = parse_diagram(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, DiagramError, ValueError) as exc:
                _cache[key] = f"{path.name} cannot be used: {exc}"
        return _cache[key]


Marker = tuple[str, Part, colors.Color]
"""A damage's identifier ("D1"), the part it is on, its severity colour."""

PILL_H = 11.0
PILL_FONT_SIZE = 7.0


def draw_pill(canv: Any, cx: float, cy: float, text: str, colour: Any, font: str) -> float:
    """A rounded label centred on (cx, cy), white text on ``colour``; returns its width."""
    width: float = canv.stringWidth(text, font, PILL_FONT_SIZE) + 7
    canv.setFillColor(colour)
    canv.setStrokeColor(colors.white)
    canv.setLineWidth(0.9)
    canv.roundRect(cx - width / 2, cy - PILL_H / 2, width, PILL_H, PILL_H / 2, stroke=1, fill=1)
    canv.setFillColor(colors.white)
    canv.setFont(font, PILL_FONT_SIZE)
    canv.drawCentredString(cx, cy - PILL_FONT_SIZE * 0.36, text)
    return width


class VehicleDiagram(Flowable):  # type: ignore[misc]
    """The top-down vehicle with labelled damage markers, fitted into width x height."""

    def __init__(
        self,
        width: float,
        height: float,
        markers: list[Marker],
        font: str,
        bold_font: str,
        muted: colors.Color,
        path: Path | None = None,
    ) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.markers, self.font, self.bold_font, self.muted = markers, font, bold_font, muted
        self.diagram = load_diagram(path)
        if isinstance(self.diagram, Diagram):
            _vx, _vy, vw, vh = self.diagram.view
            self.scale = min(width / vw, height / vh)
            self.height = vh * self.scale  # shrink-wrap: no empty band under the car

    def has(self, part: Part) -> bool:
        return isinstance(self.diagram, Diagram) and part in self.diagram.boxes

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def _xy(self, p: Point) -> Point:
        assert isinstance(self.diagram, Diagram)
        vx, vy, vw, _vh = self.diagram.view
        ox = (self.width - vw * self.scale) / 2
        return ox + (p[0] - vx) * self.scale, self.height - (p[1] - vy) * self.scale

    def draw(self) -> None:
        canv = self.canv
        diagram = self.diagram
        if not isinstance(diagram, Diagram):
            canv.saveState()
            canv.setStrokeColor(self.muted)
            canv.setDash(2, 2)
            canv.rect(0, 0, self.width, self.height, stroke=1, fill=0)
            canv.setFont(self.font, 7)
            canv.setFillColor(self.muted)
            canv.drawCentredString(self.width / 2, self.height / 2, diagram)
            canv.restoreState()
            return
        worst: dict[Part, colors.Color] = {}
        for _, part, colour in self.markers:
            worst.setdefault(part, colour)
        canv.saveState()
        canv.setLineJoin(1)
        canv.setLineCap(1)
        for shape in diagram.shapes:
            path = canv.beginPath()
            for start, segs, closed in shape.subpaths:
                path.moveTo(*self._xy(start))
                for seg in segs:
                    if seg[0] == "L":
                        path.lineTo(*self._xy(seg[1]))
                    else:
                        path.curveTo(*self._xy(seg[1]), *self._xy(seg[2]), *self._xy(seg[3]))
                if closed:
                    path.close()
            if shape.part is not None and shape.part in worst:
                canv.setFillColor(worst[shape.part], alpha=0.28)
                canv.setStrokeColor(worst[shape.part])
                canv.setLineWidth(0.9)
            elif shape.part is not None:
                canv.setFillColor(colors.HexColor("#EEF2F6"))
                canv.setStrokeColor(colors.HexColor("#8C97A3"))
                canv.setLineWidth(0.6)
            else:
                canv.setFillColor(colors.white)
                canv.setStrokeColor(colors.HexColor("#5B6670"))
                canv.setLineWidth(0.9)
            canv.drawPath(path, stroke=1, fill=1 if shape.closed else 0, fillMode=1)
        # labelled markers, several on one part side by side, kept inside the drawing
        per_part: dict[Part, list[tuple[str, colors.Color]]] = {}
        for ref, part, colour in self.markers:
            if part in diagram.boxes:
                per_part.setdefault(part, []).append((ref, colour))
        for part, items in per_part.items():
            x0, y0, x1, y1 = diagram.boxes[part]
            cx, cy = self._xy(((x0 + x1) / 2, (y0 + y1) / 2))
            widths = [canv.stringWidth(ref, self.bold_font, PILL_FONT_SIZE) + 7 for ref, _ in items]
            cols = min(len(items), 2)
            pitch = max(widths) + 2
            for k, (ref, colour) in enumerate(items):
                row, col = divmod(k, cols)
                mx = cx + (col - (cols - 1) / 2) * pitch
                my = cy - row * (PILL_H + 2)
                mx = min(max(mx, widths[k] / 2), self.width - widths[k] / 2)
                my = min(max(my, PILL_H / 2), self.height - PILL_H / 2)
                draw_pill(canv, mx, my, ref, colour, self.bold_font)
        canv.restoreState()
