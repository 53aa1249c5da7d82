"""Small Qt helpers shared by the review views."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget


def alive(obj: QObject) -> bool:
    """False once Qt has deleted the object (a late worker result must then be dropped)."""
    return shiboken6.isValid(obj)


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property used by it changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


def paint_numbered_disc(
    painter: QPainter,
    centre: QPointF,
    radius: float,
    colour: QColor,
    number: int,
    *,
    selected_ring: QColor | None = None,
    pixel_size: int = 12,
) -> None:
    """A damage's number on a disc of its colour: ringed white, or thicker when selected."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    ring = selected_ring if selected_ring is not None else QColor("white")
    painter.setPen(QPen(ring, 3 if selected_ring is not None else 2))
    painter.setBrush(colour)
    painter.drawEllipse(centre, radius, radius)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(pixel_size)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    box = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, str(number))
