"""The seller's camera, live: the newest frame painted aspect-correct, with badges.

The view never stores pixels of its own: it holds the newest ``Frame`` (whose
BGRA array the engine's frame slot converts once) and wraps that array in a
``QImage`` (``Format_RGB32``, no copy) for the duration of one paint. Painting
follows the bridge's coalesced ``frame_available`` signal; ``update()`` calls
made before the next paint merge into one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QSizePolicy, QWidget

from inspector.domain.models import Verdict
from inspector.live.frames import Frame
from ui import theme

_WAITING = {
    "new": "Waiting for the seller's phone",
    "closed": "Waiting for the seller's phone",
    "disconnected": "Connection lost · waiting for the phone",
    "failed": "Connection lost · waiting for the phone",
}
"""What the badge says while there is no video: what the operator waits for, not a state."""

__all__ = ["EMPTY_TEXT", "HINT_TEXT", "LiveView", "fit_rect"]

EMPTY_TEXT = "Open an inspection and send the link, or use Live › Demo phone to try without a phone"
NO_VIDEO_AFTER_S = 2.0
POINTER_SHOWN_S = 3.0

HINT_TEXT: dict[str | None, str] = {
    None: "Quality: good",
    "blurry": "Blurry: hold steady",
    "blur": "Blurry: hold steady",
    "blurred": "Blurry: hold steady",
    "sharpness": "Blurry: hold steady",
    "dark": "Too dark",
    "too_dark": "Too dark",
    "bright": "Too bright",
    "too_bright": "Too bright",
    "overexposed": "Too bright",
    "glare": "Glare: change the angle",
    "resolution": "Low resolution",
    "low_resolution": "Low resolution",
    "moving": "Moving: hold steady",
    "motion": "Moving: hold steady",
}

FrameSource = Callable[[], Frame | None]


def fit_rect(width: int, height: int, area: QRectF) -> QRectF:
    """The largest ``width:height`` rectangle centred in ``area``."""
    if width <= 0 or height <= 0 or area.width() <= 0 or area.height() <= 0:
        return QRectF()
    scale = min(area.width() / width, area.height() / height)
    w, h = width * scale, height * scale
    return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)


class LiveView(QWidget):
    """Paints the newest frame; a click points at that spot on the seller's screen."""

    pointer_requested = Signal(float, float)  # normalized 0-1 position on the picture

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("The seller's camera. Click to point at a spot on the seller's screen.")
        self._source: FrameSource | None = None
        self._frame: Frame | None = None
        self._frozen = False
        self._overlay_visible = True
        self._overlay_svg: bytes | None = None
        self._overlay_renderer: QSvgRenderer | None = None
        self._overlay_cache: tuple[QSize, QPixmap] | None = None
        self._pointer: tuple[float, float, float] | None = None  # x, y, shown at
        self._state = ""
        self._stats: tuple[float, int, int, float | None] | None = None
        self._path: str | None = None  # "relay" when the media goes through TURN
        self._hint: str | None = None
        self._last_painted_seq = 0
        self.painted_frames = 0  # distinct frames painted (tests and the bench count them)
        self.paints = 0
        self._watchdog = QTimer(self, interval=500)
        self._watchdog.timeout.connect(self._tick)
        self._watchdog.start()

    # -- inputs ----------------------------------------------------------------------

    def set_source(self, source: FrameSource | None) -> None:
        """Where to read the newest frame (``engine.latest_frame`` bound to a session)."""
        self._source = source
        self._frame = None
        self._frozen = False
        self._last_painted_seq = 0
        self.update()

    def on_frame_available(self, seq: int = 0) -> None:
        """A newer frame exists: schedule a paint (merged with any pending one)."""
        if self._frozen or self._source is None:
            return
        frame = self._source()
        if frame is not None and (self._frame is None or frame.seq != self._frame.seq):
            self._frame = frame
            self.update()

    def set_frozen(self, frozen: bool) -> None:
        """Freeze frame: keep showing the current picture while the video goes on."""
        self._frozen = frozen
        if not frozen:
            self.on_frame_available()
        self.update()

    @property
    def frozen(self) -> bool:
        return self._frozen

    def set_overlay_svg(self, svg: bytes | None) -> None:
        """The framing overlay of the current shot (SVG bytes, loaded off the UI thread)."""
        if svg == self._overlay_svg:
            return
        self._overlay_svg = svg
        self._overlay_cache = None
        self._overlay_renderer = None
        if svg:
            renderer = QSvgRenderer(svg)
            self._overlay_renderer = renderer if renderer.isValid() else None
        self.update()

    def set_overlay_visible(self, visible: bool) -> None:
        self._overlay_visible = visible
        self.update()

    @property
    def overlay_visible(self) -> bool:
        return self._overlay_visible

    def set_connection(self, state: str) -> None:
        self._state = state
        if state in ("closed", ""):
            self._stats = None
        self.update()

    def set_stats(
        self,
        fps: float,
        width: int,
        height: int,
        rtt_ms: float | None,
        path: str | None = None,
    ) -> None:
        self._stats = (fps, width, height, rtt_ms)
        self._path = path
        self.update()

    def set_hint(self, code: str | None) -> None:
        self._hint = code
        self.update()

    def clear(self) -> None:
        """Back to the empty state (call ended)."""
        self._frame = None
        self._frozen = False
        self._state = ""
        self._stats = None
        self._hint = None
        self._pointer = None
        self.update()

    # -- what is shown (read by tests) -----------------------------------------------------

    def connection_text(self) -> str:
        if not self._state:
            return ""
        if self._state in _WAITING:
            return _WAITING[self._state]
        parts = [self._state.capitalize()]
        if self._stats is not None and self._state == "connected":
            fps, w, h, rtt = self._stats
            parts.append(f"{fps:.0f} fps")
            if w and h:
                parts.append(f"{w}×{h}")
            if rtt is not None:
                parts.append(f"RTT {rtt:.0f} ms")
            if self._path == "relay":  # worth knowing: a relay adds latency and costs bandwidth
                parts.append("via TURN relay")
        return " · ".join(parts)

    def quality_text(self) -> str:
        if self._frame is None:
            return ""  # the engine only reports changes: no hint yet means it looks fine
        return HINT_TEXT.get(
            self._hint, self._hint.replace("_", " ").capitalize() if self._hint else ""
        )

    def quality_ok(self) -> bool:
        return self._hint is None

    def video_age(self) -> float | None:
        """Seconds since the newest frame arrived, or None without video."""
        if self._frame is None:
            return None
        return time.monotonic() - self._frame.received

    def status_text(self) -> str:
        """The centre message: empty state, waiting, or "no video for N s"."""
        if self._frame is None:
            if self._source is None:
                return EMPTY_TEXT
            if self._state in ("connecting", "connected", "reconnecting"):
                return "Waiting for video…"
            return "Waiting for the seller to open the link…"
        if self._frozen:
            return ""
        age = self.video_age()
        if age is not None and age >= NO_VIDEO_AFTER_S:
            return f"No video for {int(age)} s"
        return ""

    def video_rect(self) -> QRectF:
        if self._frame is None:
            return QRectF()
        return fit_rect(self._frame.width, self._frame.height, QRectF(self.rect()))

    # -- events ---------------------------------------------------------------------------

    def _tick(self) -> None:
        if self._frame is not None and not self._frozen:
            # Frames may have arrived without a signal (the bridge was busy); pick them up.
            self.on_frame_available()
            age = self.video_age()
            if age is not None and age >= NO_VIDEO_AFTER_S:
                self.update()
        if self._pointer is not None and time.monotonic() - self._pointer[2] > POINTER_SHOWN_S:
            self._pointer = None
            self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        rect = self.video_rect()
        pos = event.position()
        if rect.isEmpty() or not rect.contains(pos):
            return None
        x = (pos.x() - rect.x()) / rect.width()
        y = (pos.y() - rect.y()) / rect.height()
        x, y = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
        self._pointer = (x, y, time.monotonic())
        self.update()
        self.pointer_requested.emit(x, y)
        return None

    def paintEvent(self, event: QPaintEvent) -> None:
        self.paints += 1
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(24, 24, 28))
        frame = self._frame
        if frame is not None:
            rect = fit_rect(frame.width, frame.height, QRectF(self.rect()))
            pixels = frame.bgra()
            # Wraps the engine's array, no copy; it outlives this paint.
            image = QImage(
                pixels.data,
                frame.width,
                frame.height,
                pixels.strides[0],
                QImage.Format.Format_RGB32,
            )
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(rect, image)
            if frame.seq != self._last_painted_seq:
                self._last_painted_seq = frame.seq
                self.painted_frames += 1
            if self._overlay_visible:
                self._paint_overlay(painter, rect)
            self._paint_pointer(painter, rect)
        self._paint_badges(painter)
        message = self.status_text()
        if message:
            self._paint_message(painter, message)
        painter.end()

    # -- painting helpers ----------------------------------------------------------------------

    def _paint_overlay(self, painter: QPainter, rect: QRectF) -> None:
        renderer = self._overlay_renderer
        if renderer is None or rect.isEmpty():
            return
        size = rect.size().toSize()
        if self._overlay_cache is None or self._overlay_cache[0] != size:
            # Render the vector once per size, not once per frame.
            pixmap = QPixmap(size)
            pixmap.fill(Qt.GlobalColor.transparent)
            p = QPainter(pixmap)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(p, QRectF(0, 0, size.width(), size.height()))
            p.end()
            self._overlay_cache = (size, pixmap)
        painter.drawPixmap(rect.topLeft(), self._overlay_cache[1])

    def _paint_pointer(self, painter: QPainter, rect: QRectF) -> None:
        if self._pointer is None:
            return
        x, y, _ = self._pointer
        centre = QPointF(rect.x() + x * rect.width(), rect.y() + y * rect.height())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 64, 64), 3))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(centre, 18, 18)
        painter.drawEllipse(centre, 4, 4)

    def _badge(
        self, painter: QPainter, text: str, x: float, y: float, colour: QColor, right: bool = False
    ) -> None:
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        w = metrics.horizontalAdvance(text) + 16
        h = metrics.height() + 8
        box = QRectF(x - w if right else x, y, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_badges(self, painter: QPainter) -> None:
        conn = self.connection_text()
        if conn:
            colour = {
                "connected": theme.verdict_colour(Verdict.OK, 210),
                "connecting": QColor(160, 120, 20, 210),
                "reconnecting": QColor(190, 90, 20, 210),
            }.get(self._state, QColor(90, 90, 90, 210))
            self._badge(painter, conn, 10, 10, colour)
        quality = self.quality_text()
        if quality:
            ok = self.quality_ok()
            colour = theme.verdict_colour(Verdict.OK if ok else Verdict.WARN, 210 if ok else 220)
            self._badge(painter, quality, self.width() - 10, 10, colour, right=True)
        if self._frozen:
            self._badge(painter, "Frozen (F)", 10, self.height() - 40, QColor(40, 90, 170, 220))

    def _paint_message(self, painter: QPainter, message: str) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        painter.setFont(font)
        area = QRectF(self.rect()).adjusted(40, 40, -40, -40)
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        bounds = painter.boundingRect(area, flags, message).adjusted(-16, -10, 16, 10)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 160))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.drawRoundedRect(bounds, 8, 8)
        painter.setPen(QColor(235, 235, 235))
        painter.drawText(area, flags, message)

    def sizeHint(self) -> QSize:
        return QSize(800, 450)
