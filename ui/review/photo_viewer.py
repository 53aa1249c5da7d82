"""One photo at a time: zoom, pan, damage marks, drawing new ones, and its metadata."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRect, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.models import Capture, Damage, Region, Verdict
from inspector.domain.privacy import BlurBox, clamp_region
from inspector.i18n import Message
from inspector.report.i18n import damage_ref
from ui import theme
from ui.review._qt import alive, paint_numbered_disc
from ui.review.blur import kind_label
from ui.review.labels import CONSOLE_LANGUAGE, part_label, severity_label, type_label
from ui.review.review_model import ReviewModel

__all__ = ["PhotoView", "PhotoViewer"]

MIN_ZOOM = 0.02
MAX_ZOOM = 16.0
FOCUS_MAX_ZOOM = 8.0
_CLICK_PIXELS = 5  # a press and release closer than this (on screen) drop a point
_DAMAGE_KEY = 0  # QGraphicsItem.data key holding a damage id
_BLUR_KEY = 1  # QGraphicsItem.data key holding a blur box id
_BLUR_COLOUR = QColor("#00bcd4")  # cyan: no verdict or severity colour is
_BLUR_CELLS = 8  # the preview is pixelated like the published copy (inspector.privacy)
_BLUR_TIP = Message(
    "{kind} — blurred when the photo is published ({origin}). Drag to move it; Delete removes it."
)
_DETECTED = Message("found by the detectors, confidence {score}")
_BY_HAND = Message("drawn by the inspector")
_BLUR_HINT = Message("Drag a box over what must not be published (Esc cancels)")
# The inspector's decision on a photo, in the colours of the quality verdicts.
_ACCEPTED = theme.verdict_colour(Verdict.OK).name()
_REJECTED = theme.verdict_colour(Verdict.REJECT).name()


class _Badge(QGraphicsItem):
    """A numbered disc that keeps its size on screen whatever the zoom."""

    RADIUS = 11

    def __init__(self, number: int, colour: QColor, selected: bool) -> None:
        super().__init__()
        self.number = number
        self._colour = colour
        self._selected = selected
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(3)

    def boundingRect(self) -> QRectF:
        r = self.RADIUS + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        ring = QColor("#ffeb3b") if self._selected else None  # yellow on any photo
        paint_numbered_disc(
            painter, QPointF(0, 0), self.RADIUS, self._colour, self.number, selected_ring=ring
        )


class _BlurItem(QGraphicsRectItem):
    """A blur box: the photo under it pixelated as it will be published, a dashed cyan
    outline and its kind; the inspector drags it to move it (kept on the photo)."""

    def __init__(self, box: BlurBox, rect: QRectF, preview: QPixmap, selected: bool) -> None:
        super().__init__(rect)
        self.box_id = box.id
        self._preview = preview
        self._label = kind_label(box.kind)
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemSendsGeometryChanges)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setData(_BLUR_KEY, box.id)
        self.setZValue(1)
        pen = QPen(QColor("#ffeb3b") if selected else _BLUR_COLOUR, 3 if selected else 2)
        pen.setStyle(Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        origin = (
            _DETECTED.bind(score=f"{box.score:.2f}").get(CONSOLE_LANGUAGE)
            if box.origin == "detected" and box.score is not None
            else _BY_HAND.get(CONSOLE_LANGUAGE)
        )
        self.setToolTip(_BLUR_TIP.get(CONSOLE_LANGUAGE).format(kind=self._label, origin=origin))

    def region(self, width: int, height: int) -> Region:
        r = self.rect().translated(self.pos())
        return clamp_region(r.x() / width, r.y() / height, r.width() / width, r.height() / height)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and self.scene():
            bounds, r = self.scene().sceneRect(), self.rect()
            x = min(max(value.x(), bounds.left() - r.left()), bounds.right() - r.right())
            y = min(max(value.y(), bounds.top() - r.top()), bounds.bottom() - r.bottom())
            return QPointF(x, y)
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.drawPixmap(self.rect(), self._preview, QRectF(self._preview.rect()))
        super().paint(painter, option, widget)
        painter.save()  # the label keeps its size on screen, at the box's corner
        top_left = painter.transform().map(self.rect().topLeft())
        painter.resetTransform()
        font = painter.font()
        font.setPointSizeF(8.5)
        font.setBold(True)
        painter.setFont(font)
        text = painter.fontMetrics().boundingRect(self._label).adjusted(-3, -1, 3, 1)
        text.moveTopLeft(top_left.toPoint())
        painter.fillRect(text, _BLUR_COLOUR)
        painter.setPen(QColor("#000000"))
        painter.drawText(text, Qt.AlignmentFlag.AlignCenter, self._label)
        painter.restore()


def _preview(pixmap: QPixmap, rect: QRectF) -> QPixmap:
    """The photo under ``rect`` pixelated, as the listing will show it."""
    piece = pixmap.copy(rect.toAlignedRect())
    if piece.isNull():
        return piece
    cell = max(2.0, max(piece.width(), piece.height()) / _BLUR_CELLS)
    small = (
        QSizeF(piece.width() / cell, piece.height() / cell)
        .toSize()
        .expandedTo(QSizeF(1, 1).toSize())
    )
    mode = Qt.TransformationMode.SmoothTransformation
    ignore = Qt.AspectRatioMode.IgnoreAspectRatio
    return piece.scaled(small, ignore, mode).scaled(piece.size(), ignore, mode)


class PhotoView(QGraphicsView):
    """The photo canvas. Scene coordinates are the photo's pixels."""

    region_drawn = Signal(object)  # Region
    damage_clicked = Signal(str)
    zoom_changed = Signal(float)
    blur_drawn = Signal(object)  # Region
    blur_clicked = Signal(str)  # box id
    blur_moved = Signal(str, object)  # box id, Region

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setBackgroundBrush(QColor("#2b2b2b"))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setToolTip("Wheel: zoom · drag: pan · click a numbered mark to select its damage")
        self._pixmap = QGraphicsPixmapItem()
        self._pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._pixmap)
        self._marks: list[QGraphicsItem] = []
        self._blur_items: list[_BlurItem] = []
        self._rubber: QGraphicsRectItem | None = None
        self._press: QPointF | None = None
        self._press_view: QPointF | None = None
        self.fitted = True
        self.annotating = False
        self.drawing = "damage"  # what a drawn box becomes while annotating: damage, blur

    # -- content ----------------------------------------------------------

    @property
    def has_image(self) -> bool:
        return not self._pixmap.pixmap().isNull()

    def image_size(self) -> tuple[int, int]:
        pixmap = self._pixmap.pixmap()
        return pixmap.width(), pixmap.height()

    def set_image(self, image: QImage | None) -> None:
        self._pixmap.setPixmap(QPixmap.fromImage(image) if image is not None else QPixmap())
        self.scene().setSceneRect(self._pixmap.boundingRect())
        self.fit()

    def set_marks(self, marks: list[tuple[int, Damage]], selected: str | None) -> None:
        """Draw the damages of this photo: boxes with a number, or numbered points."""
        for item in self._marks:
            self.scene().removeItem(item)
        self._marks = []
        width, height = self.image_size()
        if not width:
            return
        for number, damage in marks:
            if damage.region is None:
                continue
            region, is_selected = damage.region, damage.id == selected
            colour = theme.severity_colour(damage.severity, to_complete=damage.to_complete)
            origin = QPointF(region.x * width, region.y * height)
            if not region.is_point:
                box = QGraphicsRectItem(
                    QRectF(origin.x(), origin.y(), region.w * width, region.h * height)
                )
                pen = QPen(QColor("#ffeb3b") if is_selected else colour, 3 if is_selected else 2)
                pen.setCosmetic(True)
                box.setPen(pen)
                box.setZValue(2)
                box.setData(_DAMAGE_KEY, damage.id)
                box.setToolTip(_damage_tip(number, damage))
                self.scene().addItem(box)
                self._marks.append(box)
            badge = _Badge(number, colour, is_selected)
            badge.setPos(origin)
            badge.setData(_DAMAGE_KEY, damage.id)
            badge.setToolTip(_damage_tip(number, damage))
            self.scene().addItem(badge)
            self._marks.append(badge)

    def marks(self) -> list[QGraphicsItem]:
        return list(self._marks)

    def set_blur_boxes(self, boxes: list[BlurBox], selected: str | None) -> None:
        """Draw the blur boxes of this photo (none: hidden, or another photo)."""
        for item in self._blur_items:
            self.scene().removeItem(item)
        self._blur_items = []
        width, height = self.image_size()
        if not width:
            return
        pixmap = self._pixmap.pixmap()
        for box in boxes:
            r = box.region
            rect = QRectF(r.x * width, r.y * height, r.w * width, r.h * height)
            item = _BlurItem(box, rect, _preview(pixmap, rect), box.id == selected)
            self.scene().addItem(item)
            self._blur_items.append(item)

    def blur_items(self) -> list[_BlurItem]:
        return list(self._blur_items)

    # -- zoom -------------------------------------------------------------

    def zoom(self) -> float:
        """Screen pixels per photo pixel (1.0 is 100 %)."""
        return self.transform().m11()

    def fit(self) -> None:
        self.fitted = True
        if self.has_image:
            self.fitInView(self._pixmap, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom_changed.emit(self.zoom())

    def actual_size(self) -> None:
        self.fitted = False
        self.resetTransform()
        self.zoom_changed.emit(self.zoom())

    def zoom_by(self, factor: float) -> None:
        target = max(MIN_ZOOM, min(MAX_ZOOM, self.zoom() * factor))
        factor = target / self.zoom()
        if abs(factor - 1) > 1e-6:
            self.fitted = False
            self.scale(factor, factor)
            self.zoom_changed.emit(self.zoom())

    def region_on_screen(self, region: Region) -> QRect:
        """Where a region is on the screen (global pixels), a point as a small square."""
        width, height = self.image_size()
        w = max(region.w * width, 1.0) if not region.is_point else 1.0
        h = max(region.h * height, 1.0) if not region.is_point else 1.0
        scene = QRectF(region.x * width, region.y * height, w, h)
        view = self.mapFromScene(scene).boundingRect()
        if region.is_point:
            view = view.adjusted(-24, -24, 24, 24)  # the marker drawn around it
        top_left = self.viewport().mapToGlobal(view.topLeft())
        return QRect(top_left, view.size())

    def focus_region(self, region: Region) -> None:
        """Show a damage: its box with some room around it, or its point at least at fit."""
        width, height = self.image_size()
        if not width:
            return
        if region.is_point:
            self.fit()
            self.zoom_by(2.0)
            self.centerOn(region.x * width, region.y * height)
        else:
            rect = QRectF(region.x * width, region.y * height, region.w * width, region.h * height)
            margin = max(rect.width(), rect.height()) * 0.6
            self.fitInView(
                rect.adjusted(-margin, -margin, margin, margin), Qt.AspectRatioMode.KeepAspectRatio
            )
            self.fitted = False
            if self.zoom() > FOCUS_MAX_ZOOM:  # a tiny box would be all blur
                self.zoom_by(FOCUS_MAX_ZOOM / self.zoom())
            self.centerOn(rect.center())
            self.zoom_changed.emit(self.zoom())

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.25**steps)
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fitted:
            self.fit()

    # -- drawing ----------------------------------------------------------

    def set_annotating(self, on: bool, drawing: str = "damage") -> None:
        self.annotating = on
        self.drawing = drawing
        self.setDragMode(
            QGraphicsView.DragMode.NoDrag if on else QGraphicsView.DragMode.ScrollHandDrag
        )
        self.viewport().setCursor(
            Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor
        )

    def _clamped(self, pos: QPointF) -> QPointF:
        width, height = self.image_size()
        p = self.mapToScene(pos.toPoint())
        return QPointF(min(max(p.x(), 0.0), width), min(max(p.y(), 0.0), height))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.has_image:
            if self.annotating:
                self._press = self._clamped(event.position())
                self._press_view = event.position()
                self._rubber = QGraphicsRectItem(QRectF(self._press, self._press))
                pen = QPen(QColor("#ffeb3b"), 2, Qt.PenStyle.DashLine)
                pen.setCosmetic(True)
                self._rubber.setPen(pen)
                self._rubber.setZValue(4)
                self.scene().addItem(self._rubber)
                event.accept()
                return
            for item in self.items(event.position().toPoint()):
                damage_id = item.data(_DAMAGE_KEY)
                if damage_id:
                    self.damage_clicked.emit(str(damage_id))
                    event.accept()
                    return
                box_id = item.data(_BLUR_KEY)
                if box_id:
                    self.blur_clicked.emit(str(box_id))
                    break  # and the item is dragged (the scene moves it)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._rubber is not None and self._press is not None:
            self._rubber.setRect(QRectF(self._press, self._clamped(event.position())).normalized())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._rubber is None or self._press is None or self._press_view is None:
            super().mouseReleaseEvent(event)
            width, height = self.image_size()
            for item in list(self._blur_items):
                if not item.pos().isNull():  # dragged: the model moves it, then redraws
                    self.blur_moved.emit(item.box_id, item.region(width, height))
            return
        self.scene().removeItem(self._rubber)
        self._rubber = None
        width, height = self.image_size()
        end = self._clamped(event.position())
        moved = event.position() - self._press_view
        start, self._press, self._press_view = self._press, None, None
        if abs(moved.x()) < _CLICK_PIXELS and abs(moved.y()) < _CLICK_PIXELS:
            if self.drawing == "blur":  # a blur box needs a size: a click draws nothing
                return
            region = Region(start.x() / width, start.y() / height)
        else:
            rect = QRectF(start, end).normalized()
            if rect.width() < 1 or rect.height() < 1:  # dragged along an edge
                return
            region = Region(
                rect.x() / width, rect.y() / height, rect.width() / width, rect.height() / height
            )
        event.accept()
        if self.drawing == "blur":
            self.blur_drawn.emit(region)
        else:
            self.region_drawn.emit(region)


def _damage_tip(number: int, damage: Damage) -> str:
    text = (
        f"{damage_ref(number)} {part_label(damage.part)}: {type_label(damage.type).lower()}, "
        f"{severity_label(damage.severity).lower()}"
    )
    return f"{text}\n{damage.note}" if damage.note else text


def _format_bytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


class PhotoViewer(QWidget):
    """The current photo of the review with its header and metadata panel."""

    region_drawn = Signal(str, object)  # capture id, Region
    blur_drawn = Signal(str, object)  # capture id, Region
    image_shown = Signal(str)  # capture id, once its photo is on screen

    META_FIELDS = (
        ("taken", "Taken", "When the photo was captured (console clock; phone clock if known)"),
        ("source", "Source", "Full-resolution still from the phone camera, or a video frame"),
        ("resolution", "Resolution", "Size of the photo in pixels and on disk"),
        ("quality", "Quality", "Automatic quality verdict when the photo was taken"),
        (
            "metrics",
            "Metrics",
            "Sharpness (variance of the Laplacian), mean brightness, glare and clipped shares",
        ),
        ("sha256", "SHA-256", "Fingerprint of the photo file, printed in the report"),
    )

    def __init__(self, model: ReviewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = PhotoView()
        self.view.setMinimumSize(320, 240)
        self.title = QLabel("No photo")
        self.title.setToolTip("The checklist shot of this photo")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title.setFont(font)
        self.position = QLabel()
        self.position.setToolTip("Which photo of the inspection this is (Left/Right to move)")
        self.decision = QLabel()
        self.decision.setToolTip("The inspector's decision on this photo (A accept, X reject)")
        self.zoom_label = QLabel()
        self.zoom_label.setToolTip("Zoom: F fits the photo, 1 shows it at 100 %")
        self.zoom_label.setMinimumWidth(60)
        self.hint = QLabel()
        self.hint.setStyleSheet(f"color: {theme.ACCENT}; font-weight: bold;")
        header = QHBoxLayout()
        header.setSpacing(14)
        header.addWidget(self.title, 1)
        header.addWidget(self.hint)
        header.addWidget(self.decision)
        header.addWidget(self.position)
        header.addWidget(self.zoom_label)
        self.meta: dict[str, QLabel] = {}
        meta_box = QFrame()
        meta_box.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(meta_box)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(1)
        for i, (key, name, tip) in enumerate(self.META_FIELDS):
            caption = QLabel(f"{name}:")
            caption.setStyleSheet("color: palette(dark);")
            caption.setToolTip(tip)
            value = QLabel("–")
            value.setToolTip(tip)
            if key != "sha256":  # wrap rather than widen the page or clip the figures
                value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.meta[key] = value
            row, col = (i % 3), (i // 3) * 2
            if key == "sha256":
                value.setStyleSheet("font-family: monospace;")
                row, col = 3, 0
                grid.addWidget(caption, row, col)
                grid.addWidget(value, row, col + 1, 1, 3)
                continue
            grid.addWidget(caption, row, col)
            grid.addWidget(value, row, col + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.meta_box = meta_box
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)
        layout.addWidget(meta_box)
        self._shown: str | None = None
        self._focus_after_load: str | None = None
        self.view.zoom_changed.connect(self._zoom_changed)
        self.view.region_drawn.connect(self._region_drawn)
        self.view.blur_drawn.connect(self._blur_drawn)
        self.view.damage_clicked.connect(self.model.damages.select)
        self.view.blur_clicked.connect(self._blur_clicked)
        self.view.blur_moved.connect(self._blur_moved)
        model.current_changed.connect(self._current_changed)
        model.capture_changed.connect(self._capture_changed)
        damages = model.damages
        for signal in (damages.reset, damages.changed, damages.selection_changed):
            signal.connect(self.refresh_marks)
        damages.added.connect(self.refresh_marks)
        damages.removed.connect(self.refresh_marks)
        blur = model.blur
        for signal in (
            blur.reset,
            blur.added,
            blur.changed,
            blur.removed,
            blur.selection_changed,
            blur.visibility_changed,
        ):
            signal.connect(self.refresh_blur)
        damages.selection_changed.connect(self._damage_selected)
        self._current_changed(model.current)

    @property
    def shown_capture_id(self) -> str | None:
        """The capture whose photo is on screen (None while it is loading)."""
        return self._shown

    def set_annotating(self, on: bool, drawing: str = "damage") -> None:
        self.view.set_annotating(on, drawing)
        hint = ""
        if on and drawing == "blur":
            hint = _BLUR_HINT.get(CONSOLE_LANGUAGE)
        elif on:
            hint = "Drag a box or click a point on the damage (Esc cancels)"
        self.hint.setText(hint)

    def show_damage(self, damage_id: str) -> None:
        """Open the damage's photo, select the damage and zoom on its mark."""
        damage = self.model.damages.get(damage_id)
        self.model.damages.select(damage_id)
        photo = self.model.damage_photo(damage)  # a damage added live: its close-up
        if photo is None:
            return
        if self._shown == photo.id:
            if damage.region is not None:
                self.view.focus_region(damage.region)
            return
        self._focus_after_load = damage_id
        self.model.set_current(photo.id)

    def _current_changed(self, capture: Capture | None) -> None:
        self._shown = None
        self._show_metadata(capture)
        if capture is None:
            self.view.set_image(None)
            self.refresh_marks()
            self.refresh_blur()
            return
        self.view.set_blur_boxes([], None)  # the previous photo's, until this one shows
        capture_id = capture.id

        def show(image: QImage) -> None:
            current = self.model.current
            if not alive(self) or current is None or current.id != capture_id:
                return  # the user moved on while it loaded
            self.view.set_image(image)
            self._shown = capture_id
            self.refresh_marks()
            self.refresh_blur()
            pending, self._focus_after_load = self._focus_after_load, None
            if pending is not None:
                region = self.model.damages.get(pending).region
                if region is not None:
                    self.view.focus_region(region)
            self.image_shown.emit(capture_id)

        def failed(exc: BaseException) -> None:
            if alive(self):
                self.view.set_image(None)
                self.title.setText(f"{self.title.text()} — cannot show the photo: {exc}")

        self.model.request_photo(capture.sha256, show, failed)

    def _capture_changed(self, capture: Capture) -> None:
        current = self.model.current
        if current is not None and current.id == capture.id:
            self._show_metadata(capture)

    def _show_metadata(self, capture: Capture | None) -> None:
        if capture is None:
            self.title.setText("No photo" if self.model.is_loaded else "Loading…")
            self.position.setText("")
            self.decision.setText("")
            for label in self.meta.values():
                label.setText("–")
            return
        shot = self.model.shot(capture.shot_id)
        self.title.setText(
            f"{shot.title.get('en')}  <span style='color:gray;font-weight:normal'>"
            f"{self.model.category_title(shot.category)}</span>"
        )
        pos, total = self.model.position()
        self.position.setText(f"{pos} / {total}")
        self.decision.setText(
            {
                True: f"<span style='color:{_ACCEPTED}'>✓ accepted</span>",
                False: f"<span style='color:{_REJECTED}'>✗ rejected</span>",
                None: "<span style='color:gray'>not reviewed</span>",
            }[capture.accepted]
        )
        taken = capture.captured_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        if capture.phone_time is not None:
            taken += f" (phone {capture.phone_time.astimezone().strftime('%H:%M:%S')})"
        self.meta["taken"].setText(taken)
        self.meta["source"].setText(
            "Still (full resolution)" if capture.source.value == "still" else "Video frame"
        )
        self.meta["resolution"].setText(
            f"{capture.width} × {capture.height} · {_format_bytes(capture.size)}"
        )
        q = capture.quality
        reasons = "; ".join(r.message.get("en") for r in q.reasons)
        colour = theme.verdict_colour(q.verdict).name()
        self.meta["quality"].setText(
            f"<span style='color:{colour}'>● {theme.VERDICT_WORDS[q.verdict]}</span>"
            + (f" — {reasons}" if reasons else "")
        )
        m = q.metrics
        parts = []
        if "sharpness" in m:
            parts.append(f"sharpness {m['sharpness']:.0f}")
        if "brightness" in m:
            parts.append(f"brightness {m['brightness']:.0f}")
        if "glare" in m:
            parts.append(f"glare {m['glare'] * 100:.1f} %")
        if "dark_clipped" in m and "bright_clipped" in m:
            parts.append(
                f"clipped {m['dark_clipped'] * 100:.1f} / {m['bright_clipped'] * 100:.1f} %"
            )
        self.meta["metrics"].setText(" · ".join(parts) or "not measured")
        self.meta["sha256"].setText(capture.sha256)

    def refresh_marks(self, *_args: object) -> None:
        current = self.model.current
        if current is None or self._shown != current.id:
            self.view.set_marks([], None)
            return
        damages = self.model.damages
        self.view.set_marks(damages.on_capture(current.id), damages.selected_id)

    def refresh_blur(self, *_args: object) -> None:
        current, blur = self.model.current, self.model.blur
        if current is None or self._shown != current.id or not blur.visible:
            self.view.set_blur_boxes([], None)
            return
        self.view.set_blur_boxes(blur.on_capture(current.id), blur.selected_id)

    def _blur_clicked(self, box_id: str) -> None:
        self.model.damages.select(None)
        self.model.blur.select(box_id)

    def _damage_selected(self, damage_id: object) -> None:
        if damage_id is not None:
            self.model.blur.select(None)

    def _blur_moved(self, box_id: str, region: Region) -> None:
        self.model.blur.move(box_id, region)
        self.refresh_blur()  # dropped where it was: put the item back in its place

    def _blur_drawn(self, region: Region) -> None:
        current = self.model.current
        if current is not None:
            self.blur_drawn.emit(current.id, region)

    def _zoom_changed(self, zoom: float) -> None:
        percent = f"{zoom * 100:.0f} %"
        self.zoom_label.setText(f"Fit ({percent})" if self.view.fitted else percent)

    def _region_drawn(self, region: Region) -> None:
        current = self.model.current
        if current is not None:
            self.region_drawn.emit(current.id, region)
