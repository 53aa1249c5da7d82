"""The vehicle diagram of the report, drawn from ``assets/overlays/vehicle_diagram.svg``.

svglib turns the SVG into a reportlab drawing and keeps each element's ``id``
(as ``svgid``). An element belongs to a part when it, or an ancestor group, has
an id that is a :class:`~inspector.domain.models.Part` value; a part's region is
the bounding box of its shapes. Its damage labels (D1, D2…) form one block (a
row on a wide part, a column on a narrow one) at the centre of that box; blocks
are moved apart so that no two labels overlap, and a block pushed off its part
gets a leader line pointing at it. The drawing is recoloured to the report's look
whatever colours the file has: the body in white, parts in light grey, damaged
parts tinted with their damage's colour. Parts the diagram lacks (interior
items, usually) are listed beside it by the report. A missing or unusable file
gives a one-line message in the diagram's place instead of failing the report.
"""

from __future__ import annotations

import functools
import io
import math
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Group, Shape, String, mmult, transformPoint
from reportlab.lib import colors
from reportlab.platypus import Flowable
from svglib.svglib import svg2rlg

from inspector.assets import asset_path
from inspector.domain.models import Part

__all__ = [
    "DIAGRAM_FILE",
    "PILL_H",
    "Diagram",
    "DiagramError",
    "LabelGroup",
    "Marker",
    "VehicleDiagram",
    "draw_pill",
    "load_diagram",
    "parse_diagram",
    "place_labels",
]

DIAGRAM_FILE = "vehicle_diagram.svg"

Box = tuple[float, float, float, float]
"""x0, y0, x1, y1."""
Matrix = tuple[float, float, float, float, float, float]

BODY_FILL = colors.white
BODY_LINE = colors.HexColor("#5B6670")
PART_FILL = colors.HexColor("#EEF2F6")
PART_LINE = colors.HexColor("#8C97A3")
DAMAGE_FILL_OPACITY = 0.28
BODY_LINE_W, PART_LINE_W, DAMAGE_LINE_W = 0.9, 0.6, 0.9
"""Line widths in points on the page, whatever the diagram's scale."""

_PARTS = {p.value: p for p in Part}
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class DiagramError(ValueError):
    """The SVG cannot be used as a diagram."""


@dataclass(frozen=True)
class Diagram:
    """The SVG as a reportlab drawing, its shapes with their part, and each part's region
    in the drawing's coordinates (points, y upwards)."""

    drawing: Drawing
    shapes: tuple[tuple[Any, Part | None, bool], ...]
    """Every shape, the part it belongs to, whether the SVG fills it."""
    boxes: dict[Part, Box]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def size(self) -> tuple[float, float]:
        return float(self.drawing.width), float(self.drawing.height)

    def render(self, canv: Any, tints: dict[Part, colors.Color], line_scale: float) -> None:
        """Draw in the report's colours, ``tints`` colouring damaged parts.

        The shared drawing is restyled in place (every style it has is set each
        time) and drawn under a lock: cheaper than copying it for each report.
        """
        with self._lock:
            for shape, part, filled in self.shapes:
                _restyle(shape, part, filled, tints, line_scale)
            renderPDF.draw(self.drawing, canv, 0, 0)


def _restyle(
    shape: Any, part: Part | None, filled: bool, tints: dict[Part, colors.Color], line_scale: float
) -> None:
    if isinstance(shape, String):
        shape.fillColor = BODY_LINE
        return
    if part in tints:
        fill, line, width = tints[part], tints[part], DAMAGE_LINE_W
    elif part is not None:
        fill, line, width = PART_FILL, PART_LINE, PART_LINE_W
    else:
        fill, line, width = BODY_FILL, BODY_LINE, BODY_LINE_W
    if filled:  # fill="none" stays unfilled
        shape.fillColor = fill
        shape.fillOpacity = DAMAGE_FILL_OPACITY if part in tints else 1
    if hasattr(shape, "strokeColor"):
        shape.strokeColor = line
        shape.strokeWidth = width * line_scale
        shape.strokeOpacity = 1
        shape.strokeLineJoin = shape.strokeLineCap = 1  # round
        shape.strokeDashArray = None


def _walk(
    node: Any, matrix: Matrix, part: Part | None, visit: Callable[[Any, Matrix, Part | None], None]
) -> None:
    """Call ``visit(shape, matrix, part)`` for every shape under ``node``."""
    part = _PARTS.get(getattr(node, "svgid", None) or "", part)
    if isinstance(node, Group):
        matrix = mmult(matrix, tuple(node.transform))
        for child in node.contents:
            _walk(child, matrix, part, visit)
    else:
        visit(node, matrix, part)


def _bounds(shape: Shape, matrix: Matrix) -> Box | None:
    """The shape's bounding box once transformed, or None when it has no extent."""
    try:
        x0, y0, x1, y1 = shape.getBounds()
    except (TypeError, ValueError):  # an empty path
        return None
    corners = [transformPoint(matrix, (x, y)) for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _union(a: Box | None, b: Box) -> Box:
    if a is None:
        return b
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def parse_diagram(svg: str | bytes) -> Diagram:
    """The drawing and part regions of an SVG document; DiagramError says why not."""
    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    try:  # svglib's own parser recovers from broken XML silently: check it first
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise DiagramError(f"not valid XML: {exc}") from exc
    if root.tag.rsplit("}", 1)[-1] != "svg":
        raise DiagramError("the root element is not <svg>")
    drawing = svg2rlg(io.BytesIO(data))
    if drawing is None:
        raise DiagramError("svglib cannot read it")
    if not (drawing.width > 0 and drawing.height > 0):
        raise DiagramError("the SVG has no viewBox and no size")
    boxes: dict[Part, Box] = {}
    extent: list[Box] = []
    shapes: list[tuple[Any, Part | None, bool]] = []

    def visit(shape: Any, matrix: Matrix, part: Part | None) -> None:
        shapes.append((shape, part, getattr(shape, "fillColor", None) is not None))
        if isinstance(shape, String):  # text is drawn but marks no region
            return
        box = _bounds(shape, matrix)
        if box is None:
            return
        extent.append(box)
        if part is not None:
            boxes[part] = _union(boxes.get(part), box)

    _walk(drawing, _IDENTITY, None, visit)
    if not extent:
        raise DiagramError("the SVG has no shapes")
    return Diagram(drawing, tuple(shapes), boxes)


_cache_lock = threading.Lock()
_cache: dict[tuple[str, int], Diagram | str] = {}


def load_diagram(path: Path | None = None) -> Diagram | str:
    """The diagram, or a one-line reason it cannot be used (cached per file and version).

    The cached drawing is shared by every report (see :meth:`Diagram.render`).
    """
    path = path or asset_path("overlays", DIAGRAM_FILE)
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return f"{path.name} is missing"
    with _cache_lock:
        if key not in _cache:
            try:
                _cache[key] = parse_diagram(path.read_bytes())
            except Exception as exc:  # svglib may raise anything on a file it cannot read
                _cache[key] = f"{path.name} cannot be used: {exc}"
        return _cache[key]


Marker = tuple[str, Part, colors.Color]
"""A damage's identifier ("D1"), the part it is on, its severity colour."""

PILL_H = 11.0
PILL_FONT_SIZE = 7.0
LABEL_GAP = 1.5
"""The least room between two labels."""
_REACH = 48.0
_STEP = 1.5


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


@functools.cache
def _offsets() -> list[tuple[float, float]]:
    """Moves from an anchor, nearest first; sideways is cheaper (labels read in rows)."""
    n = int(_REACH / _STEP)
    moves = [(i * _STEP, j * _STEP) for i in range(-n, n + 1) for j in range(-n, n + 1)]
    return sorted(moves, key=lambda m: (m[0] ** 2 + (1.5 * m[1]) ** 2, -m[0], m[1]))


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(x: float, y: float, box: Box) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


@dataclass(frozen=True)
class LabelGroup:
    """The labels of one part: its centre and region on the flowable, each label's width."""

    x: float
    y: float
    region: Box
    widths: tuple[float, ...]

    def grid(self) -> tuple[int, int, float]:
        """Columns, rows and column pitch of the block the labels form: a row on a wide
        part, a column on a narrow one (two columns past three labels)."""
        pitch = max(self.widths) + LABEL_GAP
        n = len(self.widths)
        cols = min(n, 3, max(1, int((self.region[2] - self.region[0]) // pitch)))
        if cols == 1 and n > 3:
            cols = 2
        return cols, math.ceil(n / cols), pitch

    def size(self) -> tuple[float, float]:
        cols, rows, pitch = self.grid()
        return cols * pitch - LABEL_GAP, rows * (PILL_H + LABEL_GAP) - LABEL_GAP


@dataclass(frozen=True)
class PlacedGroup:
    """Where a group's block went (its rectangle) and each of its labels' centres."""

    box: Box
    centres: list[tuple[float, float]]

    def leader_end(self, x: float, y: float) -> tuple[float, float]:
        """The point of the block nearest (x, y): where a leader line from there meets it."""
        return min(max(x, self.box[0]), self.box[2]), min(max(y, self.box[1]), self.box[3])


def _free_spot(
    group: LabelGroup, placed: list[Box], size: tuple[float, float], on_part: bool
) -> tuple[float, float] | None:
    """The nearest centre for a group's block that overlaps none placed, or None."""
    bw, bh = group.size()
    half_w, half_h = bw / 2 + LABEL_GAP / 2, bh / 2 + LABEL_GAP / 2
    for dx, dy in _offsets():
        x = min(max(group.x + dx, bw / 2), size[0] - bw / 2)
        y = min(max(group.y + dy, bh / 2), size[1] - bh / 2)
        if on_part and not _inside(x, y, group.region):
            continue
        box = (x - half_w, y - half_h, x + half_w, y + half_h)
        if not any(_overlap(box, other) for other in placed):
            return x, y
    return None


def place_labels(groups: Sequence[LabelGroup], width: float, height: float) -> list[PlacedGroup]:
    """Blocks of labels, one per part, that overlap no other, inside ``width`` x ``height``.

    Each block goes as near its part's centre as the blocks placed before it
    allow, on the part itself if there is room there, at least ``LABEL_GAP``
    from any other. Only when nothing is free within reach (a diagram crowded
    beyond reading) does a block sit on its part regardless.
    """
    placed: list[Box] = []
    out: list[PlacedGroup] = []
    for group in groups:
        cx, cy = (
            _free_spot(group, placed, (width, height), on_part=True)
            or _free_spot(group, placed, (width, height), on_part=False)
            or (group.x, group.y)
        )
        bw, bh = group.size()
        cols, _, pitch = group.grid()
        left, top = cx - bw / 2, cy + bh / 2
        centres = []
        for k in range(len(group.widths)):
            row, col = divmod(k, cols)
            in_row = min(cols, len(group.widths) - row * cols)  # a last, shorter row: centred
            x = left + (col + (cols - in_row) / 2) * pitch + (pitch - LABEL_GAP) / 2
            centres.append((x, top - row * (PILL_H + LABEL_GAP) - PILL_H / 2))
        box = (left, cy - bh / 2, left + bw, top)
        gap = LABEL_GAP / 2
        placed.append((box[0] - gap, box[1] - gap, box[2] + gap, box[3] + gap))
        out.append(PlacedGroup(box, centres))
    return out


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
            dw, dh = self.diagram.size
            self.scale = min(width / dw, height / dh)
            self.height = dh * self.scale  # shrink-wrap: no empty band under the car
            self.offset_x = (width - dw * self.scale) / 2

    def has(self, part: Part) -> bool:
        return isinstance(self.diagram, Diagram) and part in self.diagram.boxes

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def _region(self, box: Box) -> Box:
        """A region of the drawing on this flowable."""
        x0, y0, x1, y1 = box
        s, ox = self.scale, self.offset_x
        return ox + x0 * s, y0 * s, ox + x1 * s, y1 * s

    def _centre(self, box: Box) -> tuple[float, float]:
        x0, y0, x1, y1 = self._region(box)
        return (x0 + x1) / 2, (y0 + y1) / 2

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
        tints: dict[Part, colors.Color] = {}
        for _, part, colour in self.markers:
            tints.setdefault(part, colour)  # the first damage's colour, as in the list
        canv.saveState()
        canv.translate(self.offset_x, 0)
        canv.scale(self.scale, self.scale)
        diagram.render(canv, tints, 1 / self.scale)
        canv.restoreState()

        per_part: dict[Part, list[tuple[str, colors.Color]]] = {}
        for ref, part, colour in self.markers:
            if self.has(part):
                per_part.setdefault(part, []).append((ref, colour))
        groups = [
            LabelGroup(
                *self._centre(diagram.boxes[part]),
                self._region(diagram.boxes[part]),
                tuple(canv.stringWidth(r, self.bold_font, PILL_FONT_SIZE) + 7 for r, _ in items),
            )
            for part, items in per_part.items()
        ]
        placed = place_labels(groups, self.width, self.height)
        canv.saveState()
        canv.setLineWidth(0.6)
        for group, block, items in zip(groups, placed, per_part.values(), strict=True):
            bx, by = (block.box[0] + block.box[2]) / 2, (block.box[1] + block.box[3]) / 2
            if not _inside(bx, by, group.region):  # pushed off its part: point at the part
                colour = items[0][1]
                canv.setStrokeColor(colour)
                canv.setFillColor(colour)
                canv.line(group.x, group.y, *block.leader_end(group.x, group.y))
                canv.circle(group.x, group.y, 1.3, stroke=0, fill=1)
        for block, items in zip(placed, per_part.values(), strict=True):
            for (ref, colour), (x, y) in zip(items, block.centres, strict=True):
                draw_pill(canv, x, y, ref, colour, self.bold_font)
        canv.restoreState()
