"""A top-down vehicle outline with a numbered marker per damage, placed on its part.

The outline is ``assets/overlays/vehicle_diagram.svg``: one element per
exterior part, its id being the ``Part`` value. Damages on parts the outline
does not draw (the interior) sit in a row under the car.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QResizeEvent
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtSvgWidgets import QGraphicsSvgItem
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from inspector.assets import asset_path
from inspector.domain.models import Damage, Part
from inspector.report.i18n import damage_ref
from ui import theme
from ui.crossing import run_task
from ui.review._qt import alive, paint_numbered_disc
from ui.review.annotations import DamageModel
from ui.review.labels import part_label, severity_label, type_label

__all__ = ["DIAGRAM_FILE", "DamageMarker", "VehicleDiagram"]

DIAGRAM_FILE = ("overlays", "vehicle_diagram.svg")
_DAMAGE_KEY = 0
_SPACING = 22  # screen pixels between markers of the same part


class DamageMarker(QGraphicsItem):
    """A numbered disc of constant screen size; ``slot`` shifts it beside its neighbours."""

    RADIUS = 10

    def __init__(self, damage: Damage, number: int, slot: float, selected: bool) -> None:
        super().__init__()
        self.damage_id = damage.id
        self.number = number
        self._offset = QPointF(slot * _SPACING, 0)
        # A damage added live and not completed has no severity yet: no severity colour.
        self._colour = theme.severity_colour(damage.severity, to_complete=damage.to_complete)
        self._selected = selected
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(2 if selected else 1)
        self.setData(_DAMAGE_KEY, damage.id)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        what = (
            "to complete"
            if damage.to_complete
            else f"{type_label(damage.type).lower()}, {severity_label(damage.severity).lower()}"
        )
        self.setToolTip(
            f"{damage_ref(number)} {part_label(damage.part)}: {what} — click to open its photo"
        )

    def boundingRect(self) -> QRectF:
        r = self.RADIUS + 3
        return QRectF(self._offset.x() - r, self._offset.y() - r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        ring = QColor("#1a1a1a") if self._selected else None  # dark on the light drawing
        paint_numbered_disc(
            painter,
            self._offset,
            self.RADIUS,
            self._colour,
            self.number,
            selected_ring=ring,
            pixel_size=11,
        )


class VehicleDiagram(QGraphicsView):
    """The damages on a drawing of the car; clicking a marker asks to open the damage."""

    damage_activated = Signal(str)
    ready = Signal()

    def __init__(
        self, model: DamageModel, svg_path: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setToolTip("Where the damages are; click a number to open the photo at that damage")
        self.setMinimumSize(160, 200)
        self.renderer: QSvgRenderer | None = None
        self._outline: QGraphicsSvgItem | None = None
        self._body = QRectF(0, 0, 200, 400)
        self.markers: dict[str, DamageMarker] = {}
        self._extra: list[QGraphicsItem] = []
        self._error = ""
        model.reset.connect(self.refresh)
        model.added.connect(self.refresh)
        model.changed.connect(self.refresh)
        model.removed.connect(self.refresh)
        model.selection_changed.connect(self.refresh)
        path = svg_path or asset_path(*DIAGRAM_FILE)
        # Reading the file is disk work: worker thread. Parsing a few kB of SVG
        # is cheap and QSvgRenderer belongs to the thread that uses it: UI thread.
        run_task(path.read_bytes, self._svg_loaded, self._svg_failed)
        self.refresh()

    def _svg_loaded(self, data: bytes) -> None:
        if not alive(self):
            return
        renderer = QSvgRenderer(QByteArray(data), self)
        if not renderer.isValid():
            self._svg_failed(ValueError("not a valid SVG file"))
            return
        self.renderer = renderer
        self._outline = QGraphicsSvgItem()
        self._outline.setSharedRenderer(renderer)
        self._outline.setZValue(0)
        self.scene().addItem(self._outline)
        self._body = self._outline.boundingRect()
        self.refresh()
        self.ready.emit()

    def _svg_failed(self, exc: BaseException) -> None:
        if alive(self):
            self._error = f"Vehicle diagram not available ({exc})"
            self.refresh()
            self.ready.emit()

    def part_anchor(self, part: Part) -> QPointF | None:
        """Centre of the part's element in scene coordinates, if the outline has it."""
        if self.renderer is None or not self.renderer.elementExists(part.value):
            return None
        bounds = self.renderer.boundsOnElement(part.value)
        # boundsOnElement ignores the transforms of parent groups; apply them.
        bounds = self.renderer.transformForElement(part.value).mapRect(bounds)
        view_box = self.renderer.viewBoxF()
        outline = self._body
        sx = outline.width() / view_box.width() if view_box.width() else 1.0
        sy = outline.height() / view_box.height() if view_box.height() else 1.0
        c = bounds.center()
        return QPointF((c.x() - view_box.x()) * sx, (c.y() - view_box.y()) * sy)

    def refresh(self, *_args: object) -> None:
        scene = self.scene()
        for item in [*self.markers.values(), *self._extra]:
            scene.removeItem(item)
        self.markers = {}
        self._extra = []
        groups: dict[tuple[float, float], list[tuple[int, Damage]]] = {}
        loose: list[tuple[int, Damage]] = []
        for number, damage in enumerate(self.model.damages(), start=1):
            anchor = self.part_anchor(damage.part)
            if anchor is None:
                loose.append((number, damage))
            else:
                groups.setdefault((anchor.x(), anchor.y()), []).append((number, damage))
        body = self._body
        bottom = body.bottom() + body.height() * 0.06
        if self._error:
            note = QGraphicsTextItem(self._error)
            note.setTextWidth(body.width())
            font = note.font()
            font.setPixelSize(int(body.width() / 14))
            note.setFont(font)
            note.setDefaultTextColor(QColor("#777"))
            note.setPos(body.left(), body.top() + body.height() * 0.3)
            scene.addItem(note)
            self._extra.append(note)
        if loose:
            caption = QGraphicsSimpleTextItem("Interior & other")
            caption.setBrush(QColor("#555"))
            caption.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            caption.setPos(body.left(), bottom)
            scene.addItem(caption)
            self._extra.append(caption)
            groups[(body.center().x(), bottom + body.height() * 0.08)] = loose
        selected = self.model.selected_id
        for (x, y), members in groups.items():
            for i, (number, damage) in enumerate(members):
                marker = DamageMarker(
                    damage, number, i - (len(members) - 1) / 2, damage.id == selected
                )
                marker.setPos(x, y)
                scene.addItem(marker)
                self.markers[damage.id] = marker
        rect = body.adjusted(-12, -12, 12, 12)
        if loose:
            rect.setBottom(bottom + body.height() * 0.14)
        scene.setSceneRect(rect)
        self._fit()

    def _fit(self) -> None:
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            for item in self.items(event.position().toPoint()):
                damage_id = item.data(_DAMAGE_KEY)
                if damage_id:
                    self.damage_activated.emit(str(damage_id))
                    event.accept()
                    return
        super().mousePressEvent(event)
