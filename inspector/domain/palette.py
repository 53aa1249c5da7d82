"""The colours of damage severities and photo quality verdicts, for every front end.

Defined once so the report and the console show a severe damage or a rejected
photo in the same colour. Plain ``#RRGGBB`` strings: each front end builds its
own colour objects from them (reportlab in ``inspector.report.theme``, Qt in
``ui.theme``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from inspector.domain.models import Severity, Verdict

__all__ = ["SEVERITY_COLOURS", "TO_COMPLETE_COLOUR", "VERDICT_COLOURS"]

SEVERITY_COLOURS: Mapping[Severity, str] = MappingProxyType(
    {
        Severity.MINOR: "#D99A00",
        Severity.MODERATE: "#E36C0A",
        Severity.SEVERE: "#C0392B",
    }
)
#: A damage still to complete: its severity is only a placeholder, so no severity colour.
TO_COMPLETE_COLOUR = "#6A6A6A"

VERDICT_COLOURS: Mapping[Verdict, str] = MappingProxyType(
    {
        Verdict.OK: "#2E8B57",
        Verdict.WARN: "#D99A00",
        Verdict.REJECT: "#C0392B",
    }
)
