"""The product's words for parts, damage types, severities, verdicts, grades and fuels.

Defined once, by their English text (the catalog msgid): the console, the report
and the phone page all show these words, translated by the one catalog
(:mod:`inspector.i18n`), so a part is never "Front seat" on one screen and
"Front seats" on another.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from inspector.domain.models import DamageType, Fuel, Part, Severity, Verdict
from inspector.i18n import Message

_Key = TypeVar("_Key")

__all__ = [
    "DAMAGE_TYPE_NAMES",
    "FUEL_NAMES",
    "GRADE_NAMES",
    "PART_NAMES",
    "SEVERITY_NAMES",
    "VERDICT_ADVICE",
    "VERDICT_NAMES",
    "damage_type_name",
    "fuel_name",
    "grade_name",
    "part_name",
    "severity_name",
    "verdict_advice",
    "verdict_name",
    "words",
]

PART_NAMES: dict[Part, Message] = {
    Part.FRONT_BUMPER: Message("Front bumper"),
    Part.REAR_BUMPER: Message("Rear bumper"),
    Part.BONNET: Message("Bonnet"),
    Part.BOOT_LID: Message("Boot lid"),
    Part.ROOF: Message("Roof"),
    Part.WING_FRONT_LEFT: Message("Front left wing"),
    Part.WING_FRONT_RIGHT: Message("Front right wing"),
    Part.WING_REAR_LEFT: Message("Rear left wing"),
    Part.WING_REAR_RIGHT: Message("Rear right wing"),
    Part.DOOR_FRONT_LEFT: Message("Front left door"),
    Part.DOOR_FRONT_RIGHT: Message("Front right door"),
    Part.DOOR_REAR_LEFT: Message("Rear left door"),
    Part.DOOR_REAR_RIGHT: Message("Rear right door"),
    Part.SILL_LEFT: Message("Left sill"),
    Part.SILL_RIGHT: Message("Right sill"),
    Part.MIRROR_LEFT: Message("Left mirror"),
    Part.MIRROR_RIGHT: Message("Right mirror"),
    Part.HEADLIGHT_LEFT: Message("Left headlight"),
    Part.HEADLIGHT_RIGHT: Message("Right headlight"),
    Part.TAILLIGHT_LEFT: Message("Left tail light"),
    Part.TAILLIGHT_RIGHT: Message("Right tail light"),
    Part.WINDSCREEN: Message("Windscreen"),
    Part.REAR_WINDOW: Message("Rear window"),
    Part.WINDOW_FRONT_LEFT: Message("Front left window"),
    Part.WINDOW_FRONT_RIGHT: Message("Front right window"),
    Part.WINDOW_REAR_LEFT: Message("Rear left window"),
    Part.WINDOW_REAR_RIGHT: Message("Rear right window"),
    Part.WHEEL_FRONT_LEFT: Message("Front left wheel"),
    Part.WHEEL_FRONT_RIGHT: Message("Front right wheel"),
    Part.WHEEL_REAR_LEFT: Message("Rear left wheel"),
    Part.WHEEL_REAR_RIGHT: Message("Rear right wheel"),
    Part.DASHBOARD: Message("Dashboard"),
    Part.SEAT_FRONT: Message("Front seats"),
    Part.SEAT_REAR: Message("Rear seats"),
    Part.STEERING_WHEEL: Message("Steering wheel"),
    Part.INTERIOR_TRIM: Message("Interior trim"),
    Part.BOOT_INTERIOR: Message("Boot interior"),
    Part.ENGINE_BAY: Message("Engine bay"),
}

DAMAGE_TYPE_NAMES: dict[DamageType, Message] = {
    DamageType.SCRATCH: Message("Scratch"),
    DamageType.DENT: Message("Dent"),
    DamageType.CHIP: Message("Chip"),
    DamageType.CRACK: Message("Crack"),
    DamageType.BROKEN_GLASS: Message("Broken glass"),
    DamageType.BROKEN_LIGHT: Message("Broken light"),
    DamageType.RUST: Message("Rust"),
    DamageType.PAINT_DAMAGE: Message("Paint damage"),
    DamageType.MISSING_PART: Message("Missing part"),
    DamageType.TYRE_WEAR: Message("Tyre wear"),
    DamageType.OTHER: Message("Other"),
}

SEVERITY_NAMES: dict[Severity, Message] = {
    Severity.MINOR: Message("Minor"),
    Severity.MODERATE: Message("Moderate"),
    Severity.SEVERE: Message("Severe"),
}

GRADE_NAMES: dict[int, Message] = {
    5: Message("Excellent"),
    4: Message("Good"),
    3: Message("Fair"),
    2: Message("Poor"),
    1: Message("Bad"),
}

VERDICT_NAMES: dict[Verdict, Message] = {
    # The same words as the grades: a photo is good, fair or poor as a vehicle is.
    Verdict.OK: Message("Good"),
    Verdict.WARN: Message("Fair"),
    Verdict.REJECT: Message("Poor"),
}

VERDICT_ADVICE: dict[Verdict, Message] = {
    # The verdict as advice, the moment a photo arrives.
    Verdict.OK: Message("Good photo"),
    Verdict.WARN: Message("Usable, with warnings"),
    Verdict.REJECT: Message("Rejected: retake advised"),
}

FUEL_NAMES: dict[Fuel, Message] = {
    Fuel.PETROL: Message("Petrol"),
    Fuel.DIESEL: Message("Diesel"),
    Fuel.HYBRID: Message("Hybrid"),
    Fuel.ELECTRIC: Message("Electric"),
    Fuel.LPG: Message("LPG"),
    Fuel.OTHER: Message("Other"),
}


def part_name(part: Part, lang: str) -> str:
    return PART_NAMES[Part(part)].get(lang)


def damage_type_name(kind: DamageType, lang: str) -> str:
    return DAMAGE_TYPE_NAMES[DamageType(kind)].get(lang)


def severity_name(severity: Severity, lang: str) -> str:
    return SEVERITY_NAMES[Severity(severity)].get(lang)


def verdict_name(verdict: Verdict, lang: str) -> str:
    return VERDICT_NAMES[Verdict(verdict)].get(lang)


def verdict_advice(verdict: Verdict, lang: str) -> str:
    return VERDICT_ADVICE[Verdict(verdict)].get(lang)


def fuel_name(fuel: Fuel, lang: str) -> str:
    return FUEL_NAMES[Fuel(fuel)].get(lang)


def grade_name(grade: int, lang: str) -> str:
    """ "Excellent", "Good"... in ``lang``; ValueError outside 1-5."""
    if grade not in GRADE_NAMES:
        raise ValueError(f"grade must be 1 to 5, not {grade!r}")
    return GRADE_NAMES[grade].get(lang)


def words(table: Mapping[_Key, Message], lang: str) -> dict[str, str]:
    """A table as ``{value: word}`` in ``lang``, e.g. for the phone page's JSON."""
    return {str(getattr(k, "value", k)): m.get(lang) for k, m in table.items()}
