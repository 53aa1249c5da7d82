"""Display names for parts, damage types, severities and grades in the console.

The console speaks English; the words are the domain's one vocabulary
(:mod:`inspector.domain.vocabulary`), the same the report and the phone show.
"""

from __future__ import annotations

from inspector.domain import vocabulary
from inspector.domain.models import DamageType, Part, Severity

CONSOLE_LANGUAGE = "en"


def part_label(part: Part) -> str:
    """ "wing_front_left" -> "Front left wing", as the report says it."""
    return vocabulary.part_name(part, CONSOLE_LANGUAGE)


def type_label(damage_type: DamageType) -> str:
    return vocabulary.damage_type_name(damage_type, CONSOLE_LANGUAGE)


def severity_label(severity: Severity) -> str:
    return vocabulary.severity_name(severity, CONSOLE_LANGUAGE)


def grade_label(grade: int) -> str:
    return f"{grade} – {vocabulary.grade_name(grade, CONSOLE_LANGUAGE)}"
