"""The overall grade of a vehicle: suggested from its damages, bounded by the evidence.

The grade goes from 5 (excellent) to 1 (bad). The damages give a *suggestion*;
the inspector may set another one (``Inspection.grade``), and the report says
which of the two it shows. :func:`overall_grade` then applies what the photos
allow, so that a grade never claims more than was seen.

The damage rule, kept simple enough to explain to a buyer:

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

What the photos allow (:func:`overall_grade`), whoever chose the grade:

* **No grade while a required photo is missing.** Part of the vehicle was
  never seen, so any grade would be a guess: the report prints "Incomplete —
  N of M required photos missing" where the grade would be.
* **Photos below the quality bar cap the grade.** A photo kept with a quality
  warning caps it at 4 (good); a photo kept although it failed the check
  (verdict "reject", e.g. kept by the autopilot after repeated attempts) caps
  it at 3 (fair). A defect that a blurred or dark photo hides cannot be vouched
  for, so such a vehicle is never "excellent". The report lists these photos
  ("photos to check") and says that the grade was capped.
* **No grade while a damage is still to complete.** A damage recorded during
  the live call ("Add damage") carries placeholder part, type and severity
  until the operator or the inspector describes it (``Damage.to_complete``).
  Its placeholder severity never counts in the suggestion, and while any such
  damage remains the report prints "Damages to complete — N" where the grade
  would be: the vehicle's condition is not known yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inspector.domain.models import Damage, Severity, Verdict
from inspector.domain.vocabulary import GRADE_NAMES, SEVERITY_NAMES, grade_name

__all__ = [
    "GRADE_NAMES",
    "PENALTY",
    "QUALITY_CAPS",
    "SEVERITY_NAMES",
    "DamageSummary",
    "OverallGrade",
    "grade_for_penalty",
    "grade_name",
    "overall_grade",
    "suggest_grade",
    "summarize",
]

PENALTY: dict[Severity, int] = {Severity.MINOR: 1, Severity.MODERATE: 3, Severity.SEVERE: 8}
"""Points each damage costs, by severity."""

_GRADE_BOUNDS: tuple[tuple[int, int], ...] = ((0, 5), (2, 4), (6, 3), (12, 2))
"""(highest penalty, grade) in increasing order; anything above is grade 1."""

QUALITY_CAPS: dict[Verdict, int] = {Verdict.WARN: 4, Verdict.REJECT: 3}
"""The best grade a vehicle can have while one of its photos has this verdict."""


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
    """Count damages (or bare severities) by severity.

    A damage still to complete is left out: its severity is a placeholder.
    """
    counts = {s: 0 for s in Severity}
    for item in damages:
        if isinstance(item, Damage) and item.to_complete:
            continue
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
    """The suggested overall grade, 1 to 5, for these damages (5 = no damage).

    Damages still to complete do not count (see :func:`summarize`).
    """
    return grade_for_penalty(summarize(damages).penalty)


@dataclass(frozen=True)
class OverallGrade:
    """The grade a report shows, or none, and why."""

    grade: int | None
    """1-5, or None: required photos are missing or a damage is still to complete."""
    base: int
    """The inspector's grade if set, else the suggestion, before any cap."""
    suggested: int
    set_by_inspector: bool
    cap: int | None
    """The cap the photos below the quality bar impose (None: no such photo)."""
    missing: int
    required: int
    to_complete: int = 0
    """Damages recorded live whose part, type and severity nobody has confirmed yet."""

    @property
    def incomplete(self) -> bool:
        """Required photos are missing."""
        return self.missing > 0

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.base > self.cap


def overall_grade(
    damages: Iterable[Damage | Severity],
    *,
    chosen: int | None = None,
    missing: int = 0,
    required: int = 0,
    below_bar: Iterable[Verdict] = (),
) -> OverallGrade:
    """Apply the module's rules: the grade, or None while ``missing`` required photos lack
    or a damage is still to complete.

    ``below_bar`` holds the verdicts of the photos kept below the quality bar
    (pass ``Verdict.REJECT`` for a photo kept after repeated rejections).
    """
    if chosen is not None and chosen not in GRADE_NAMES:
        raise ValueError(f"grade must be 1 to 5, not {chosen!r}")
    if missing < 0 or required < missing:
        raise ValueError(f"need 0 <= missing <= required, not {missing} of {required}")
    damages = list(damages)
    to_complete = sum(1 for d in damages if isinstance(d, Damage) and d.to_complete)
    suggested = suggest_grade(damages)
    base = chosen if chosen is not None else suggested
    caps = [QUALITY_CAPS[v] for v in below_bar if v in QUALITY_CAPS]
    cap = min(caps) if caps else None
    grade = None if missing or to_complete else min(base, cap) if cap is not None else base
    return OverallGrade(
        grade=grade,
        base=base,
        suggested=suggested,
        set_by_inspector=chosen is not None,
        cap=cap,
        missing=missing,
        required=required,
        to_complete=to_complete,
    )
