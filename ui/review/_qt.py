"""Small Qt helpers shared by the review views."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget


def alive(obj: QObject) -> bool:
    """False once Qt has deleted the object (a late worker result must then be dropped)."""
    return shiboken6.isValid(obj)


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property used by it changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()
