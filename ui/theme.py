"""The console's colours and verdict words, defined once for every page.

Severity and verdict colours come from the core (``inspector.domain.palette``),
so the console shows a severe damage or a rejected photo in the colour the
report prints. The functions return a new ``QColor`` each time: callers may
change its alpha without touching anyone else's. For rich text use ``.name()``.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

from inspector.domain import palette, vocabulary
from inspector.domain.models import Severity, Verdict

__all__ = [
    "ACCENT",
    "MUTED",
    "SKIPPED",
    "TO_COMPLETE_COLOUR",
    "VERDICT_ADVICE",
    "VERDICT_WORDS",
    "qcolor",
    "severity_colour",
    "verdict_colour",
]

#: The current shot, the selected photo tile, drawing hints.
ACCENT = "#2A6FDB"
#: Greyed: a shot still to take, a photo set aside.
MUTED = "#969696"
#: An optional shot passed over.
SKIPPED = "#7878C8"

#: A damage still to complete (no severity yet), as the report shows it.
TO_COMPLETE_COLOUR = palette.TO_COMPLETE_COLOUR

#: A photo's quality verdict in one word (review tiles, photo details, filmstrip),
#: from the domain's vocabulary, in the console's language.
VERDICT_WORDS: dict[Verdict, str] = {v: vocabulary.verdict_name(v, "en") for v in Verdict}
#: The same verdict as advice to the operator, the moment the photo arrives.
VERDICT_ADVICE: dict[Verdict, str] = {v: vocabulary.verdict_advice(v, "en") for v in Verdict}


def qcolor(hex_rgb: str, alpha: int = 255) -> QColor:
    """A new ``QColor`` of one of this module's colours."""
    colour = QColor(hex_rgb)
    colour.setAlpha(alpha)
    return colour


def verdict_colour(verdict: Verdict, alpha: int = 255) -> QColor:
    return qcolor(palette.VERDICT_COLOURS[Verdict(verdict)], alpha)


def severity_colour(severity: Severity, *, to_complete: bool = False) -> QColor:
    """The report's severity colour; grey for a damage still to complete (no severity yet)."""
    if to_complete:
        return qcolor(TO_COMPLETE_COLOUR)
    return qcolor(palette.SEVERITY_COLOURS[Severity(severity)])
