"""What the report says, on plain data: D-numbers, damage photo titles, the contact sheet."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from inspector.domain.checklist import load_checklist
from inspector.domain.models import (
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Inspection,
    Part,
    QualityReport,
    Region,
    Severity,
    Verdict,
)
from inspector.report.plan import plan_report

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CENTRE = Region(0.5, 0.5)


def capture(shot_id: str, n: int, *, accepted: bool | None = None) -> Capture:
    return Capture(
        id=f"c{n}",
        inspection_id="i1",
        shot_id=shot_id,
        sha256=f"{n:064x}",
        width=400,
        height=300,
        source=CaptureSource.STILL,
        quality=QualityReport(Verdict.OK),
        captured_at=T0 + timedelta(seconds=n),
        accepted=accepted,
    )


def damage(n: int, capture_id: str | None, region: Region | None = CENTRE) -> Damage:
    return Damage(f"d{n}", "i1", capture_id, Part.BONNET, DamageType.DENT, Severity.MINOR, region)


def test_pair_photos_take_the_number_of_the_damage_marked_on_them() -> None:
    checklist = load_checklist("standard")
    captures = [
        capture("front", 1),
        capture("front", 2),  # a retake: the damage stays on the first photo
        capture("damage_1_wide", 3),
        capture("damage_1_closeup", 4),
        capture("damage_2_wide", 5),
        capture("damage_2_closeup", 6),
        capture("damage_3_wide", 7),
    ]
    damages = [damage(1, "c6"), damage(2, "c1"), damage(3, "c3"), damage(4, None)]
    plan = plan_report(Inspection("i1", "standard"), checklist, captures, damages, "en")

    assert [r.ref for r in plan.refs] == ["D1", "D2", "D3", "D4"]
    titles = {c.shot_id + c.id: plan.titles[c.id] for c in captures}
    assert titles["damage_2_closeupc6"] == "D1 – close-up"
    assert titles["damage_2_widec5"] == "D1 – wide view"
    assert titles["damage_1_widec3"] == "D3 – wide view"
    assert titles["damage_3_widec7"] == "Unrecorded damage photo (pair 3) – wide view"
    assert plan.shot_title("damage_3_closeup") == "Unrecorded damage photo (pair 3) – close-up"

    blocks = [(b.title, [r.ref for r in b.damages], b.pair) for b in plan.blocks]
    assert blocks == [
        ("D1", ["D1"], 2),
        ("D2", ["D2"], None),
        ("D3", ["D3"], 1),
        ("D4", ["D4"], None),
        ("Unrecorded damage photo (pair 3)", [], 3),
    ]
    d2 = plan.blocks[1]
    assert d2.wide is not None and d2.wide.capture.id == "c1"  # the photo it is marked on
    assert d2.crop_of is not None and d2.crop_of.ref == "D2"  # enlarged: no close-up taken
    d3 = plan.blocks[2]
    assert d3.closeup is not None and d3.closeup.capture.id == "c4" and d3.crop_of is None
    assert plan.blocks[3].wide is None  # no photo at all
    unrecorded = plan.blocks[4]
    assert unrecorded.wide is not None and unrecorded.closeup is None
    assert unrecorded.crop_of is None and plan.unrecorded == [unrecorded]

    # The contact sheet: the checklist shots' best photos only, each photo once.
    assert [p.capture.id for p in plan.contact] == ["c2"]
    assert sorted(p.capture.id for p in plan.photos) == ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]
    marks = {p.capture.id: [r.ref for r in p.marks] for p in plan.photos}
    assert marks["c6"] == ["D1"] and marks["c1"] == ["D2"] and marks["c2"] == []


def test_several_damages_on_one_pair_share_its_photos() -> None:
    checklist = load_checklist("standard")
    captures = [capture("damage_1_wide", 1), capture("damage_1_closeup", 2)]
    damages = [damage(1, "c2"), damage(2, "c2", Region(0.1, 0.1, 0.2, 0.2))]
    plan = plan_report(Inspection("i1", "standard"), checklist, captures, damages, "fr")
    (block,) = plan.blocks
    assert block.title == "D1, D2" and len(block.damages) == 2
    assert plan.titles["c2"] == "D1, D2 – gros plan"
    assert plan.titles["c1"] == "D1, D2 – vue d'ensemble"


def test_a_rejected_photo_leaves_its_shot_missing() -> None:
    checklist = load_checklist("quick")
    captures = [capture(checklist.shots[0].id, 1, accepted=False)]
    plan = plan_report(Inspection("i1", "quick"), checklist, captures, [], "en")
    assert plan.progress is not None and plan.progress.done == 0
    assert plan.contact == [] and plan.photos == []
    assert plan.grade.grade is None and plan.grade.missing == plan.progress.required


def test_photos_to_check_are_the_completions_and_cap_the_grade() -> None:
    """The summary's list, the photo flags and the grade's cap come from one list."""
    checklist = load_checklist("standard")
    blurred = QualityReport(Verdict.WARN)
    captures = [
        capture(s.id, n) for n, s in enumerate(checklist.shots, start=10) if s.id != "front"
    ]
    captures.append(dataclasses.replace(capture("front", 1), quality=blurred))
    captures.append(capture("front", 2))  # retaken: the blurred one is superseded
    captures.append(dataclasses.replace(capture("odometer", 3), quality=blurred))
    damages = [damage(1, "c1")]  # marked on the superseded photo: shown in its block
    plan = plan_report(Inspection("i1", "standard"), checklist, captures, damages, "en")
    assert plan.progress is not None
    assert [p.capture.id for p in plan.to_check] == [c.id for c in plan.progress.to_check]
    assert [p.capture.id for p in plan.to_check] == ["c3"]
    assert plan.grade.cap == 4 and plan.grade.grade == 4


def test_a_live_damage_titles_its_pair_through_its_pair_number() -> None:
    """Recorded by "Add damage": found by ``pair``, whether its close-up is linked or not."""
    checklist = load_checklist("standard")
    captures = [capture("damage_1_wide", 1), capture("damage_1_closeup", 2)]
    live = dataclasses.replace(damage(1, None, None), pair=1, to_complete=True)
    recorded = dataclasses.replace(damage(2, None, None), pair=2)  # no photo taken yet
    for linked in (None, "c2"):
        first = dataclasses.replace(live, capture_id=linked)
        plan = plan_report(
            Inspection("i1", "standard"), checklist, captures, [first, recorded], "en"
        )
        assert plan.titles == {"c1": "D1 – wide view", "c2": "D1 – close-up"}
        blocks = [(b.title, b.pair, b.wide, b.closeup) for b in plan.blocks]
        assert [b[:2] for b in blocks] == [("D1", 1), ("D2", 2)]
        assert plan.blocks[0].wide is not None and plan.blocks[0].wide.capture.id == "c1"
        assert plan.blocks[0].closeup is not None and plan.blocks[0].closeup.capture.id == "c2"
        assert plan.blocks[1].wide is None and plan.blocks[1].closeup is None
        assert plan.unrecorded == [] and [r.ref for r in plan.to_complete] == ["D1"]
        # Pair 2's photos are missing, titled by its D-number; D1 to complete: no grade.
        assert plan.progress is not None
        missing = [plan.shot_title(s.id) for s in plan.progress.missing]
        assert missing[-2:] == ["D2 – wide view", "D2 – close-up"]
        assert plan.grade.grade is None and plan.grade.to_complete == 1
