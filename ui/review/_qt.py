"""Small Qt helpers shared by the review views."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPen
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


def place_beside(window: QWidget, avoid: QRect, margin: int = 16) -> None:
    """Move a dialog so it does not cover ``avoid`` (global pixels), on the same screen.

    Tries right of it, left, below, then above; the first place that fits the
    screen wins (else the place that covers the least of it).
    """
    screen = QGuiApplication.screenAt(avoid.center()) or QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    size = window.frameGeometry().size()
    y = min(max(avoid.center().y() - size.height() // 2, area.top()), area.bottom() - size.height())
    x = min(max(avoid.center().x() - size.width() // 2, area.left()), area.right() - size.width())
    candidates = [
        QPoint(avoid.right() + margin, y),
        QPoint(avoid.left() - margin - size.width(), y),
        QPoint(x, avoid.bottom() + margin),
        QPoint(x, avoid.top() - margin - size.height()),
    ]

    def overlap(point: QPoint) -> int:
        placed = QRect(point, size)
        inter = placed.intersected(avoid)
        outside = (
            size.width() * size.height()
            - placed.intersected(area).width() * placed.intersected(area).height()
        )
        return (inter.width() * inter.height() if not inter.isEmpty() else 0) + outside

    best = min(candidates, key=overlap)
    best.setX(min(max(best.x(), area.left()), area.right() - size.width()))
    best.setY(min(max(best.y(), area.top()), area.bottom() - size.height()))
    window.move(best)
