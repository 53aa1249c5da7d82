"""Small Qt helpers shared by the review views."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from inspector.domain.models import Verdict

VERDICT_COLOURS = {Verdict.OK: "#2e9d4a", Verdict.WARN: "#d99100", Verdict.REJECT: "#d0202a"}
VERDICT_TEXT = {Verdict.OK: "Good", Verdict.WARN: "Fair", Verdict.REJECT: "Poor"}


def alive(obj: QObject) -> bool:
    """False once Qt has deleted the object (a late worker result must then be dropped)."""
    return shiboken6.isValid(obj)


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property used by it changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()
