"""The overall grade an inspector is offered for a vehicle, from its damages.

The grade goes from 5 (excellent) to 1 (bad). It is a *suggestion*: the
inspector may set another one (``Inspection.grade``), and the report says
which of the two it shows.

The rule, kept simple enough to explain to a buyer:

    penalty = 1 point per minor damage
            + 3 points per moderate damage
            + 8 points per severe damage

    penalty 0        -> 5 excellent  (no damage)
    penalty 1 to 2   -> 4 good       (one or two minor marks)
    penalty 3 to 6   -> 3 fair       (a moderate damage, or several minor ones)
    penalty 7 to 12  -> 2 poor       (one severe damage, or many moderate ones)
    penalty 13 and up-> 1 bad        (two severe damages, or a lot of everything)

A single severe damage therefore never leaves a vehicle above "poor", and no
amount of minor scratches alone makes it "bad" before thirteen of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inspector.models import Damage, Severity, Text

__all__ = [
    "GRADE_NAMES",
    "PENALTY",
    "SEVERITY_NAMES",
    "DamageSummary",
    "grade_for_penalty",
    "grade_name",
    "suggest_grade",
    "summarize",
]

PENALTY: dict[Severity, int] = {Severity.MINOR: 1, Severity.MODERATE: 3, Severity.SEVERE: 8}
"""Points each damage costs, by severity."""

_GRADE_BOUNDS: tuple[tuple[int, int], ...] = ((0, 5), (2, 4), (6, 3), (12, 2))
"""(highest penalty, grade) in increasing order; anything above is grade 1."""

GRADE_NAMES: dict[int, Text] = {
    5: Text("Excellent", "Excellent"),
    4: Text("Bon", "Good"),
    3: Text("Correct", "Fair"),
    2: Text("Médiocre", "Poor"),
    1: Text("Mauvais", "Bad"),
}

SEVERITY_NAMES: dict[Severity, Text] = {
    Severity.MINOR: Text("Mineur", "Minor"),
    Severity.MODERATE: Text("Modéré", "Moderate"),
    Severity.SEVERE: Text("Grave", "Severe"),
}


@dataclass(frozen=True)
class DamageSummary:
    """How many damages of each severity an inspection has, and what they cost."""

    minor: int = 0
    moderate: int = 0
    severe: int = 0

    @property
    def total(self) -> int:
        return self.minor + self.moderate + self.severe

    @property
    def penalty(self) -> int:
        return (
            self.minor * PENALTY[Severity.MINOR]
            + self.moderate * PENALTY[Severity.MODERATE]
            + self.severe * PENALTY[Severity.SEVERE]
        )

    def count(self, severity: Severity) -> int:
        return {
            Severity.MINOR: self.minor,
            Severity.MODERATE: self.moderate,
            Severity.SEVERE: self.severe,
        }[severity]

    def by_severity(self) -> list[tuple[Severity, int]]:
        """(severity, count) from the most to the least severe, zeros included."""
        return [(s, self.count(s)) for s in sorted(Severity, reverse=True)]


def summarize(damages: Iterable[Damage | Severity]) -> DamageSummary:
    """Count damages (or bare severities) by severity."""
    counts = {s: 0 for s in Severity}
    for item in damages:
        severity = item if isinstance(item, Severity) else item.severity
        counts[Severity(severity)] += 1
    return DamageSummary(
        minor=counts[Severity.MINOR],
        moderate=counts[Severity.MODERATE],
        severe=counts[Severity.SEVERE],
    )


def grade_for_penalty(penalty: int) -> int:
    """The grade (5 best, 1 worst) for a penalty total, per the module rule."""
    if penalty < 0:
        raise ValueError(f"penalty cannot be negative: {penalty}")
    for highest, grade in _GRADE_BOUNDS:
        if penalty <= highest:
            return grade
    return 1


def suggest_grade(damages: Iterable[Damage | Severity]) -> int:
    """The suggested overall grade, 1 to 5, for these damages (5 = no damage)."""
    return grade_for_penalty(summarize(damages).penalty)


def grade_name(grade: int, lang: str) -> str:
    """ "Excellent", "Good"... in the report's language; ValueError outside 1-5."""
    if grade not in GRADE_NAMES:
        raise ValueError(f"grade must be 1 to 5, not {grade!r}")
    return GRADE_NAMES[grade].get(lang)
