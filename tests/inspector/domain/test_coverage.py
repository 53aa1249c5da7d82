"""The coverage map's model, without Qt: parts follow accepted shots and damages."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from inspector.domain.checklist import ChecklistError, load_checklist, parse_checklist
from inspector.domain.coverage import COVERAGE_COLOURS, PartState, coverage_of
from inspector.domain.models import (
    EXTERIOR_PARTS,
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Part,
    QualityReport,
    Severity,
    Verdict,
)
from inspector.domain.palette import SEVERITY_COLOURS, TO_COMPLETE_COLOUR


def capture(capture_id: str, shot_id: str, accepted: bool | None) -> Capture:
    return Capture(
        id=capture_id,
        inspection_id="i1",
        shot_id=shot_id,
        sha256="0" * 64,
        width=2000,
        height=1500,
        source=CaptureSource.STILL,
        quality=QualityReport(Verdict.OK),
        accepted=accepted,
    )


def damage(
    damage_id: str,
    part: Part,
    severity: Severity = Severity.MINOR,
    *,
    to_complete: bool = False,
    pair: int | None = None,
) -> Damage:
    return Damage(
        id=damage_id,
        inspection_id="i1",
        capture_id=None,
        part=part,
        type=DamageType.SCRATCH,
        severity=severity,
        pair=pair,
        to_complete=to_complete,
    )


def test_every_exterior_part_is_on_the_map_in_diagram_order() -> None:
    coverage = coverage_of(load_checklist("standard"), [])
    assert tuple(p.part for p in coverage.parts) == EXTERIOR_PARTS
    assert all(p.state is PartState.NOT_YET for p in coverage.parts)
    assert coverage.covered == 0
    assert coverage.listed == len(EXTERIOR_PARTS)  # the standard walk covers every part
    assert coverage.left == EXTERIOR_PARTS


def test_an_accepted_shot_covers_its_parts_and_a_retake_uncovers_them() -> None:
    checklist = load_checklist("standard")
    front = checklist.shot("front")
    assert Part.BONNET in front.covers
    unreviewed = coverage_of(checklist, [capture("c1", "front", None)])
    assert unreviewed.of(Part.BONNET).state is PartState.NOT_YET  # not yet accepted
    accepted = coverage_of(checklist, [capture("c1", "front", True)])
    for part in front.covers:
        state = accepted.of(part)
        assert state.state is PartState.COVERED and state.covered
        assert state.colour == COVERAGE_COLOURS[PartState.COVERED]
        assert state.shot_id == "front"
    assert accepted.covered == len(front.covers)
    assert Part.BONNET not in accepted.left
    # The same shot taken again and turned down: the newest decision wins.
    retaken = coverage_of(checklist, [capture("c1", "front", True), capture("c2", "front", False)])
    assert retaken.of(Part.BONNET).state is PartState.NOT_YET


def test_a_part_points_at_the_shot_that_covers_it() -> None:
    checklist = load_checklist("standard")
    # The left front door: on the 3/4 front left view, then on the left side view.
    coverage = coverage_of(checklist, [])
    assert coverage.of(Part.DOOR_FRONT_LEFT).shot_id == "three_quarter_front_left"
    side_done = coverage_of(checklist, [capture("c1", "side_left", True)])
    assert side_done.of(Part.DOOR_FRONT_LEFT).shot_id == "side_left"  # the accepted one


def test_a_damage_colours_its_part_by_its_worst_severity() -> None:
    checklist = load_checklist("standard")
    damages = [
        damage("d1", Part.BONNET, Severity.MINOR),
        damage("d2", Part.BONNET, Severity.SEVERE),
        damage("d3", Part.DOOR_REAR_RIGHT, to_complete=True, pair=1),
    ]
    coverage = coverage_of(checklist, [capture("c1", "front", True)], damages)
    bonnet = coverage.of(Part.BONNET)
    assert bonnet.state is PartState.DAMAGED
    assert bonnet.severity is Severity.SEVERE and bonnet.damages == 2
    assert bonnet.colour == SEVERITY_COLOURS[Severity.SEVERE]
    assert bonnet.covered  # damaged and photographed
    door = coverage.of(Part.DOOR_REAR_RIGHT)
    assert door.state is PartState.DAMAGED and door.severity is None
    assert door.colour == TO_COMPLETE_COLOUR  # its severity is only a placeholder
    assert not door.covered
    # Completed, it takes its severity's colour.
    completed = coverage_of(checklist, [], [damage("d3", Part.DOOR_REAR_RIGHT, Severity.MODERATE)])
    assert completed.of(Part.DOOR_REAR_RIGHT).colour == SEVERITY_COLOURS[Severity.MODERATE]


def shot(shot_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": shot_id,
        "category": "exterior",
        "title": {"fr": "Vue", "en": "View"},
        "instruction": {"fr": "Cadrez.", "en": "Frame it."},
        "overlay": "front",
        **extra,
    }


def template(*shots: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": 1,
        "id": "cov",
        "title": {"fr": "Essai", "en": "Trial"},
        "description": {"fr": "Un essai", "en": "A trial"},
        "shots": list(shots),
        "damage_shots": copy.deepcopy(load_checklist("quick").to_dict()["damage_shots"]),
    }


def test_parts_no_shot_covers_are_unlisted_unless_damaged() -> None:
    checklist = parse_checklist(template(shot("front", covers=["bonnet"]), shot("keys")))
    coverage = coverage_of(checklist, [])
    assert coverage.listed == 1 and coverage.left == (Part.BONNET,)
    roof = coverage.of(Part.ROOF)
    assert roof.state is PartState.UNLISTED and roof.shot_id is None and not roof.listed
    # A damage recorded live on an unlisted part points at its wide view.
    damaged = coverage_of(checklist, [], [damage("d1", Part.ROOF, pair=2)])
    assert damaged.of(Part.ROOF).state is PartState.DAMAGED
    assert damaged.of(Part.ROOF).shot_id == "damage_2_wide"


def test_covers_is_data_in_the_template_and_round_trips() -> None:
    checklist = parse_checklist(template(shot("front", covers=["bonnet", "roof"])))
    assert checklist.shots[0].covers == (Part.BONNET, Part.ROOF)
    assert checklist.shots[0].to_dict()["covers"] == ["bonnet", "roof"]
    assert parse_checklist(checklist.to_dict()) == checklist
    assert parse_checklist(template(shot("front"))).shots[0].covers == ()


@pytest.mark.parametrize(
    ("covers", "error"),
    [
        ("bonnet", r"shot 'front'.*'covers' must be a list"),
        (["spoiler"], r"shot 'front'.*'covers': 'spoiler' is not a part name"),
        (["dashboard"], r"'covers': 'dashboard' is not an exterior part"),
        (["roof", "roof"], r"'covers': 'roof' is listed twice"),
        ([3], r"'covers': 3 is not a part name"),
    ],
)
def test_bad_covers_are_refused_naming_the_shot(covers: Any, error: str) -> None:
    with pytest.raises(ChecklistError, match=error):
        parse_checklist(template(shot("front", covers=covers)), "cov.json")


def test_damage_shots_cover_nothing() -> None:
    data = template(shot("front"))
    data["damage_shots"][0]["covers"] = ["bonnet"]
    with pytest.raises(ChecklistError, match=r"damage shot 'wide'.*unknown field 'covers'"):
        parse_checklist(data)


def test_the_shipped_templates_cover_every_exterior_part() -> None:
    for name in ("standard", "quick"):
        checklist = load_checklist(name)
        covered = {p for s in checklist.shots for p in s.covers}
        assert covered == set(EXTERIOR_PARTS), name
        outside = [s for s in checklist.shots if s.category not in ("exterior", "wheels")]
        assert all(not s.covers for s in outside)
