"""The live coverage map: the vehicle diagram with each exterior part in its coverage colour.

The engine's session computes the map (:mod:`inspector.domain.coverage`) and
reports it (``CoverageChanged``, and ``session_info`` when the page opens); this
widget shows a :class:`~inspector.domain.coverage.Coverage` it is given, and turns
a click on a part into ``shot_requested(shot_id)`` (the shot covering it). The
drawing is ``assets/overlays/vehicle_diagram.svg`` (the review's and the report's),
its parts refilled and rendered again whenever the map changes: a few kB of SVG.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QByteArray, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from inspector.assets import asset_path
from inspector.domain.coverage import Coverage, PartCoverage, PartState
from inspector.domain.models import Part
from ui.crossing import run_task
from ui.review._qt import alive
from ui.review.diagram import DIAGRAM_FILE
from ui.review.labels import part_label, severity_label

__all__ = ["CoverageDrawing", "CoverageMap", "describe"]

_SVG = "{http://www.w3.org/2000/svg}"
_STATE_WORDS = {
    PartState.NOT_YET: "not photographed yet",
    PartState.COVERED: "photographed",
    PartState.DAMAGED: "damaged",
    PartState.UNLISTED: "no shot of this checklist covers it",
}


def describe(p: PartCoverage) -> str:
    """A part's tooltip: name, state, severity, the shot a click goes to."""
    what = _STATE_WORDS[p.state]
    if p.state is PartState.DAMAGED:
        severity = severity_label(p.severity).lower() if p.severity is not None else "to complete"
        what = f"damaged ({severity})" + (", photographed" if p.covered else "")
    text = f"{part_label(p.part)}: {what}"
    if p.shot_id is not None:
        text += " — click to go to its shot"
    return text


class CoverageDrawing(QWidget):
    """The diagram itself, painted in the map's colours, keeping its aspect ratio."""

    part_clicked = Signal(str)  # Part value

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tree: ET.ElementTree[ET.Element] | None = None
        self._svg = QSvgRenderer(self)
        self.renderer: QSvgRenderer | None = None  # self._svg once it holds a valid drawing
        self.coverage: Coverage | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(90, 150)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

    def set_svg(self, data: bytes) -> None:
        tree = ET.ElementTree(ET.fromstring(data))
        for parent in tree.getroot().iter():
            for title in parent.findall(f"{_SVG}title"):
                parent.remove(title)  # tooltips come from the widget
        self._tree = tree
        self._render()

    def set_coverage(self, coverage: Coverage | None) -> None:
        self.coverage = coverage
        self._render()

    def fill_of(self, part: Part) -> str | None:
        """The colour the drawing gives ``part`` now (tests, screenshots)."""
        if self._tree is None:
            return None
        for element in self._tree.getroot().iter():
            if element.get("id") == part.value:
                return element.get("fill")
        return None

    def _render(self) -> None:
        if self._tree is None:
            return
        colours = {p.part.value: p.colour for p in self.coverage.parts} if self.coverage else {}
        for element in self._tree.getroot().iter():
            colour = colours.get(element.get("id") or "")
            if colour is not None:
                element.set("fill", colour)
        data = ET.tostring(self._tree.getroot())
        # One renderer, loaded again: no renderer objects made and dropped on every change.
        ok = self._svg.load(QByteArray(data))
        self.renderer = self._svg if ok and self._svg.isValid() else None
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(120, 240)

    def _target(self) -> QRectF:
        """Where the drawing is painted: centred, aspect kept."""
        if self.renderer is None:
            return QRectF(self.rect())
        box = self.renderer.viewBoxF()
        if box.isEmpty():
            return QRectF(self.rect())
        scale = min(self.width() / box.width(), self.height() / box.height())
        w, h = box.width() * scale, box.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.renderer is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.renderer.render(painter, self._target())
        painter.end()

    def part_at(self, pos: QPointF) -> Part | None:
        """The part under a widget position: the smallest region containing it."""
        if self.renderer is None:
            return None
        target = self._target()
        box = self.renderer.viewBoxF()
        if target.width() <= 0 or box.width() <= 0:
            return None
        x = box.x() + (pos.x() - target.x()) * box.width() / target.width()
        y = box.y() + (pos.y() - target.y()) * box.height() / target.height()
        best: tuple[float, Part] | None = None
        for part in Part:
            if not self.renderer.elementExists(part.value):
                continue
            bounds = self.renderer.transformForElement(part.value).mapRect(
                self.renderer.boundsOnElement(part.value)
            )
            if bounds.contains(QPointF(x, y)):
                area = bounds.width() * bounds.height()
                if best is None or area < best[0]:
                    best = (area, part)
        return None if best is None else best[1]

    def part_centre(self, part: Part) -> QPointF | None:
        """Where a part is drawn in widget coordinates (tests click there)."""
        if self.renderer is None or not self.renderer.elementExists(part.value):
            return None
        bounds = self.renderer.transformForElement(part.value).mapRect(
            self.renderer.boundsOnElement(part.value)
        )
        target, box = self._target(), self.renderer.viewBoxF()
        c = bounds.center()
        return QPointF(
            target.x() + (c.x() - box.x()) * target.width() / box.width(),
            target.y() + (c.y() - box.y()) * target.height() / box.height(),
        )

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        part = self.part_at(event.position())
        tip = ""
        if part is not None and self.coverage is not None:
            tip = describe(self.coverage.of(part))
        self.setToolTip(tip)
        self.setCursor(
            Qt.CursorShape.PointingHandCursor if part is not None else Qt.CursorShape.ArrowCursor
        )
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            part = self.part_at(event.position())
            if part is not None:
                self.part_clicked.emit(part.value)
                event.accept()
                return
        super().mousePressEvent(event)


class CoverageMap(QWidget):
    """The map with its count; a click on a part asks for the shot covering it."""

    shot_requested = Signal(str)

    def __init__(self, svg_path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("coverage-map")
        self.coverage: Coverage | None = None
        self.title = QLabel("Coverage")
        self.title.setStyleSheet("font-weight: bold;")
        self.count = QLabel("")
        self.count.setWordWrap(True)
        self.count.setToolTip(
            "Exterior parts an accepted photo shows, of those the checklist's shots cover"
        )
        self.drawing = CoverageDrawing()
        self.drawing.setToolTip("Which parts of the car are photographed; click one to go to it")
        self.drawing.part_clicked.connect(self._clicked)
        legend = QLabel(
            "<span style='color:#2E8B57'>■</span> photographed "
            "<span style='color:#B8BEC6'>■</span> to do "
            "<span style='color:#C0392B'>■</span> damaged"
        )
        legend.setStyleSheet("font-size: 8pt;")
        legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.drawing, 1)
        layout.addWidget(self.count)
        layout.addWidget(legend)
        path = svg_path or asset_path(*DIAGRAM_FILE)
        run_task(path.read_bytes, self._svg_loaded, self._svg_failed)

    def _svg_loaded(self, data: bytes) -> None:
        if alive(self):
            self.drawing.set_svg(data)

    def _svg_failed(self, exc: BaseException) -> None:
        if alive(self):
            self.count.setText(f"Vehicle diagram not available ({exc})")

    def set_coverage(self, coverage: Coverage | None) -> None:
        """Show ``coverage`` (None: no inspection)."""
        self.coverage = coverage
        self.drawing.set_coverage(coverage)
        if coverage is None:
            self.count.setText("")
            return
        text = f"{coverage.covered} of {coverage.listed} parts photographed"
        damaged = sum(1 for p in coverage.parts if p.state is PartState.DAMAGED)
        if damaged:
            text += f" · {damaged} damaged"
        self.count.setText(text)

    def _clicked(self, part_value: str) -> None:
        if self.coverage is None:
            return
        shot_id = self.coverage.of(Part(part_value)).shot_id
        if shot_id is not None:
            self.shot_requested.emit(shot_id)
