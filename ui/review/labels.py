"""Display names for parts, damage types and severities in the console (English)."""

from __future__ import annotations

from inspector.domain.grading import GRADE_NAMES, SEVERITY_NAMES
from inspector.domain.models import DamageType, Part, Severity

_QUALIFIERS = {"front", "rear", "left", "right"}


def part_label(part: Part) -> str:
    """ "wing_front_left" -> "Front left wing"; "boot_lid" -> "Boot lid"."""
    words = part.value.split("_")
    if len(words) > 1 and words[0] not in _QUALIFIERS and set(words[1:]) <= _QUALIFIERS:
        words = [*words[1:], words[0]]
    return " ".join(words).capitalize()


def type_label(damage_type: DamageType) -> str:
    return damage_type.value.capitalize()


def severity_label(severity: Severity) -> str:
    return SEVERITY_NAMES[Severity(severity)].get("en")


def grade_label(grade: int) -> str:
    return f"{grade} – {GRADE_NAMES[grade].get('en')}"
