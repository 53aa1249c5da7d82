"""The overall grade rule: 5 without damage, lower with count and severity; none or capped
when the photos do not allow it."""

from __future__ import annotations

import itertools

import pytest

from inspector.domain.grading import (
    GRADE_NAMES,
    PENALTY,
    QUALITY_CAPS,
    DamageSummary,
    grade_for_penalty,
    grade_name,
    overall_grade,
    suggest_grade,
    summarize,
)
from inspector.domain.models import Damage, DamageType, Part, Severity, Verdict
from inspector.report.i18n import label

MINOR, MODERATE, SEVERE = Severity.MINOR, Severity.MODERATE, Severity.SEVERE


def damage(severity: Severity, n: int = 0) -> Damage:
    return Damage(f"d{n}", "i1", None, Part.BONNET, DamageType.SCRATCH, severity)


@pytest.mark.parametrize(
    ("damages", "grade"),
    [
        ([], 5),
        ([MINOR], 4),
        ([MINOR, MINOR], 4),
        ([MINOR] * 3, 3),
        ([MODERATE], 3),
        ([MODERATE, MODERATE], 3),
        ([MODERATE, MODERATE, MINOR], 2),
        ([SEVERE], 2),
        ([SEVERE, MODERATE], 2),
        ([SEVERE, MODERATE, MINOR, MINOR], 1),
        ([SEVERE, SEVERE], 1),
        ([MINOR] * 12, 2),
        ([MINOR] * 13, 1),
    ],
)
def test_documented_rule(damages: list[Severity], grade: int) -> None:
    assert suggest_grade(damages) == grade
    assert suggest_grade([damage(s, i) for i, s in enumerate(damages)]) == grade


def test_one_severe_damage_is_never_better_than_poor() -> None:
    assert suggest_grade([SEVERE]) <= 2


def test_more_or_worse_damage_never_raises_the_grade() -> None:
    combos = [
        list(c) for n in range(5) for c in itertools.combinations_with_replacement(Severity, n)
    ]
    for combo in combos:
        grade = suggest_grade(combo)
        assert 1 <= grade <= 5
        for extra in Severity:
            assert suggest_grade([*combo, extra]) <= grade
        for i, s in enumerate(combo):
            if s < SEVERE:
                worse = [*combo[:i], Severity(s + 1), *combo[i + 1 :]]
                assert suggest_grade(worse) <= grade


def test_summary_by_severity() -> None:
    summary = summarize([damage(MINOR, 1), damage(SEVERE, 2), damage(MINOR, 3)])
    assert summary == DamageSummary(minor=2, moderate=0, severe=1)
    assert summary.total == 3
    assert summary.penalty == 2 + 8
    assert summary.by_severity() == [(SEVERE, 1), (MODERATE, 0), (MINOR, 2)]
    assert summarize([]).total == 0


def test_grade_names_in_both_languages() -> None:
    assert grade_name(5, "fr") == "Excellent"
    assert grade_name(2, "fr") == "Médiocre"
    assert grade_name(1, "en") == "Bad"
    assert set(GRADE_NAMES) == {1, 2, 3, 4, 5}
    with pytest.raises(ValueError):
        grade_name(0, "en")
    with pytest.raises(ValueError):
        grade_for_penalty(-1)


# -- what the photos allow ----------------------------------------------------------------


def test_no_grade_while_a_required_photo_is_missing() -> None:
    g = overall_grade([], missing=3, required=23)
    assert g.grade is None and g.incomplete and (g.missing, g.required) == (3, 23)
    # not even one the inspector chose
    assert overall_grade([MINOR], chosen=5, missing=1, required=23).grade is None
    assert overall_grade([], missing=0, required=23).grade == 5


def test_no_grade_while_a_damage_is_to_complete() -> None:
    """A damage added live has a placeholder severity: not counted, and no grade until described."""
    live = Damage("d9", "i1", None, Part.BONNET, DamageType.OTHER, SEVERE, pair=1, to_complete=True)
    assert summarize([live]).total == 0 and suggest_grade([live, damage(MINOR)]) == 4
    g = overall_grade([damage(MINOR), live], chosen=5, required=23)
    assert g.grade is None and g.to_complete == 1 and not g.incomplete
    assert (g.suggested, g.base) == (4, 5)
    live.to_complete = False  # described: it counts
    assert overall_grade([damage(MINOR), live], required=23).grade == 2


@pytest.mark.parametrize(
    ("below_bar", "chosen", "grade", "capped"),
    [
        ([], None, 5, False),
        ([Verdict.WARN], None, 4, True),
        ([Verdict.WARN, Verdict.REJECT], None, 3, True),
        ([Verdict.REJECT], 5, 3, True),  # the inspector's grade too
        ([Verdict.WARN], 2, 2, False),  # a cap never raises a grade
        ([Verdict.OK], None, 5, False),
    ],
)
def test_photos_below_the_quality_bar_cap_the_grade(
    below_bar: list[Verdict], chosen: int | None, grade: int, capped: bool
) -> None:
    g = overall_grade([], chosen=chosen, below_bar=below_bar, required=23)
    assert g.grade == grade and g.capped is capped
    assert g.set_by_inspector is (chosen is not None)
    assert QUALITY_CAPS == {Verdict.WARN: 4, Verdict.REJECT: 3}


def test_overall_grade_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        overall_grade([], chosen=6)
    with pytest.raises(ValueError):
        overall_grade([], missing=3, required=2)


def test_the_rule_printed_in_the_report_is_the_rule_applied() -> None:
    for lang in ("fr", "en"):
        text = label("grade_rule", lang)
        for severity, points in PENALTY.items():
            assert f"{points} " in text, severity
        for cap in QUALITY_CAPS.values():
            assert f" {cap}" in text
