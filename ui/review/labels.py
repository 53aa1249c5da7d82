"""Display names for parts, damage types and severities in the console (English)."""

from __future__ import annotations

from inspector.grading import GRADE_NAMES, SEVERITY_NAMES
from inspector.models import DamageType, Part, Severity

_QUALIFIERS = {"front", "rear", "left", "right"}

SEVERITY_COLOURS: dict[Severity, str] = {
    Severity.MINOR: "#e0b000",
    Severity.MODERATE: "#e06c00",
    Severity.SEVERE: "#d0202a",
}

# The part a damage on a shot most likely sits on: a better first choice than
# the first item of a 38-item list.
SHOT_PARTS: dict[str, Part] = {
    "front": Part.FRONT_BUMPER,
    "rear": Part.REAR_BUMPER,
    "three_quarter_front_left": Part.WING_FRONT_LEFT,
    "three_quarter_front_right": Part.WING_FRONT_RIGHT,
    "three_quarter_rear_left": Part.WING_REAR_LEFT,
    "three_quarter_rear_right": Part.WING_REAR_RIGHT,
    "side_left": Part.DOOR_FRONT_LEFT,
    "side_right": Part.DOOR_FRONT_RIGHT,
    "odometer": Part.DASHBOARD,
    "front_seats": Part.SEAT_FRONT,
    "rear_seats": Part.SEAT_REAR,
    "boot": Part.BOOT_INTERIOR,
    "spare_wheel": Part.BOOT_INTERIOR,
}


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


def default_part(shot_id: str) -> Part | None:
    """The part a damage marked on this shot is most likely on, if any."""
    if shot_id in SHOT_PARTS:
        return SHOT_PARTS[shot_id]
    try:
        return Part(shot_id)
    except ValueError:
        return None
