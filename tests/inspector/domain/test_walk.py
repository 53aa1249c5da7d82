"""The checklist walk, without Qt or a session: shots, states, next shot, skipped, resume."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from inspector.domain.checklist import Checklist, load_checklist, parse_checklist
from inspector.domain.models import (
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Part,
    QualityReport,
    Severity,
    Verdict,
)
from inspector.domain.progress import progress
from inspector.domain.walk import ShotState, Walk, capture_state

# a and c and e are required, b and d optional.
IDS = ("a", "b", "c", "d", "e")
OPTIONAL = {"b", "d"}


@pytest.fixture
def checklist() -> Checklist:
    shot: dict[str, Any] = {
        "category": "exterior",
        "title": {"fr": "Vue", "en": "View"},
        "instruction": {"fr": "Cadrez.", "en": "Frame it."},
        "overlay": "front",
    }
    return parse_checklist(
        {
            "format": 1,
            "id": "walk",
            "title": {"fr": "Essai", "en": "Trial"},
            "description": {"fr": "Un essai", "en": "A trial"},
            "shots": [{**shot, "id": i, "required": i not in OPTIONAL} for i in IDS],
            "damage_shots": copy.deepcopy(load_checklist("quick").to_dict()["damage_shots"]),
        }
    )


def capture(
    capture_id: str, shot_id: str, verdict: Verdict = Verdict.OK, accepted: bool | None = None
) -> Capture:
    return Capture(
        id=capture_id,
        inspection_id="i1",
        shot_id=shot_id,
        sha256="0" * 64,
        width=2000,
        height=1500,
        source=CaptureSource.STILL,
        quality=QualityReport(verdict),
        accepted=accepted,
    )


def ids(walk: Walk) -> list[str]:
    return [s.id for s in walk.shots]


def test_a_new_walk_starts_at_the_first_shot_with_every_shot_pending(
    checklist: Checklist,
) -> None:
    walk = Walk(checklist)
    assert ids(walk) == list(IDS)
    assert walk.index == 0 and walk.current.id == "a"
    assert set(walk.states().values()) == {ShotState.PENDING}
    assert not walk.complete and walk.progress.required == 3


@pytest.mark.parametrize(
    ("verdict", "accepted", "state"),
    [
        (Verdict.OK, None, ShotState.OK),
        (Verdict.WARN, None, ShotState.WARN),
        (Verdict.REJECT, None, ShotState.REJECTED),
        (Verdict.REJECT, True, ShotState.OK),  # kept by the operator
        (Verdict.OK, False, ShotState.REJECTED),  # retake asked
    ],
)
def test_a_persons_decision_wins_over_the_verdict(
    verdict: Verdict, accepted: bool | None, state: ShotState
) -> None:
    assert capture_state(capture("c", "a", verdict, accepted)) is state


def test_the_newest_capture_decides_a_shots_state(checklist: Checklist) -> None:
    walk = Walk(checklist)
    walk.add_capture(capture("c1", "a", Verdict.OK))
    walk.add_capture(capture("c2", "a", Verdict.REJECT))
    assert walk.state("a") is ShotState.REJECTED
    assert walk.review("c2", True) is not None
    assert walk.state("a") is ShotState.OK
    assert walk.review("unknown", True) is None
    assert [c.id for c in walk.captures] == ["c1", "c2"]  # a review replaces in place
    with pytest.raises(KeyError, match="no shot 'z'"):
        walk.state("z")


def test_resuming_starts_at_the_first_required_shot_without_a_usable_photo(
    checklist: Checklist,
) -> None:
    walk = Walk(checklist, [capture("c1", "a"), capture("c2", "c", Verdict.REJECT)])
    assert walk.current.id == "c"  # b is optional, c's only photo is rejected
    assert walk.first_open() == 2
    assert walk.state("b") is ShotState.SKIPPED  # an earlier session went past it
    assert walk.state("d") is ShotState.PENDING


def test_next_needing_wraps_and_is_none_when_complete(checklist: Checklist) -> None:
    walk = Walk(checklist, [capture("c1", "c")])
    assert walk.next_needing(-1) == 0
    assert walk.next_needing(0) == 4  # c has a photo, b and d are optional
    assert walk.next_needing(4) == 0  # wraps
    for shot_id in ("a", "e"):
        walk.add_capture(capture(f"c-{shot_id}", shot_id, Verdict.WARN))
    assert walk.next_needing(0) is None and walk.complete
    assert walk.first_open() == 0


def test_optional_shots_the_walk_goes_past_are_skipped(checklist: Checklist) -> None:
    walk = Walk(checklist)
    assert walk.go(2)  # a -> c: b is jumped over
    assert walk.state("b") is ShotState.SKIPPED
    assert walk.state("a") is ShotState.PENDING  # required shots are never skipped
    assert not walk.go(2)
    walk.go(3)
    assert walk.state("d") is ShotState.PENDING  # the current shot is asked for now
    walk.go(1)  # back: d was visited and left
    assert walk.state("d") is ShotState.SKIPPED
    assert walk.state("b") is ShotState.PENDING  # current again
    walk.add_capture(capture("c1", "d"))
    assert walk.state("d") is ShotState.OK  # a photo wins


def test_finishing_skips_the_optional_shots_left(checklist: Checklist) -> None:
    walk = Walk(checklist)
    walk.go(1)
    assert walk.state("d") is ShotState.PENDING
    walk.finish()
    assert walk.state("d") is ShotState.SKIPPED
    assert walk.state("b") is ShotState.PENDING  # the current one


def test_go_refuses_a_shot_outside_the_walk(checklist: Checklist) -> None:
    with pytest.raises(IndexError):
        Walk(checklist).go(5)


def test_damage_pairs_come_from_captures_recorded_damages_and_additions(
    checklist: Checklist,
) -> None:
    damage = Damage("d1", "i1", None, Part.BONNET, DamageType.DENT, Severity.MINOR, pair=1)
    walk = Walk(checklist, [capture("c1", "damage_2_closeup")], [damage])
    assert walk.damage_count == 2
    assert ids(walk)[5:] == [
        "damage_1_wide",
        "damage_1_closeup",
        "damage_2_wide",
        "damage_2_closeup",
    ]
    assert walk.state("damage_2_closeup") is ShotState.OK
    added = walk.add_damage_pairs(3)
    assert [s.id for s in added] == ["damage_3_wide", "damage_3_closeup"]
    assert walk.add_damage_pairs(3) == []
    walk.add_capture(capture("c2", "damage_5_wide"))  # a capture brings its pair
    assert walk.damage_count == 5 and ids(walk)[-1] == "damage_5_closeup"
    assert walk.index_of("damage_4_wide") == 5 + 6


def test_counts_agree_with_completion(checklist: Checklist) -> None:
    """The walk's counts are progress()'s: the one place completion is computed."""
    captures = [capture("c1", "a"), capture("c2", "damage_1_wide", Verdict.REJECT)]
    walk = Walk(checklist, captures)
    assert walk.progress == progress(checklist, captures)
    assert (walk.progress.done, walk.progress.required) == (1, 5)


def test_without_damage_shots_there_are_no_pairs() -> None:
    quick = load_checklist("quick")
    plain = Checklist(quick.id, quick.title, quick.description, quick.shots)
    walk = Walk(plain)
    assert walk.add_damage_pairs(2) == [] and walk.damage_count == 0
