from __future__ import annotations

from typing import Any

from inspector.domain.checklist import load_checklist
from inspector.domain.models import (
    CaptureSource,
    Damage,
    DamageType,
    Part,
    QualityReason,
    QualityReport,
    Region,
    Severity,
    Verdict,
)
from inspector.domain.progress import (
    KEPT_AFTER_ATTEMPTS,
    below_bar,
    damage_photos,
    inspection_grade,
    inspection_shots,
    kept_after_attempts,
    progress,
)
from inspector.i18n import LocalText
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection


def _capture(store: Store, inspection_id: str, shot_id: str, verdict: Verdict) -> str:
    return store.add_capture(
        inspection_id,
        shot_id,
        f"{shot_id}-{verdict}".encode(),
        width=1920,
        height=1080,
        source=CaptureSource.STILL,
        quality=QualityReport(verdict),
    ).id


def test_progress_counts_usable_required_shots_and_damage_pairs(
    store: Store, vehicle_input: dict[str, Any], seller_input: dict[str, Any]
) -> None:
    inspection, warnings = create_inspection(
        store, checklist="quick", vehicle=vehicle_input, seller=seller_input
    )
    assert warnings  # the European VIN's check digit
    checklist = load_checklist("quick")
    required = sum(1 for s in checklist.shots if s.required)
    first, second = checklist.shots[0].id, checklist.shots[1].id
    _capture(store, inspection.id, first, Verdict.OK)
    _capture(store, inspection.id, second, Verdict.REJECT)
    p = progress(checklist, store.captures(inspection.id))
    assert (p.done, p.required, p.captured) == (1, required, 2)

    # A photographed damage pair adds both of its shots to what is required.
    _capture(store, inspection.id, "damage_1_wide", Verdict.WARN)
    captures = store.captures(inspection.id)
    ids = [s.id for s in inspection_shots(checklist, captures)]
    assert ids[-2:] == ["damage_1_wide", "damage_1_closeup"]
    p = progress(checklist, captures)
    assert (p.done, p.required) == (2, required + 2)
    assert not p.complete


def test_progress_names_what_is_missing_and_what_to_check(
    store: Store, vehicle_input: dict[str, Any], seller_input: dict[str, Any]
) -> None:
    """One computation gives the counts and the lists, so they cannot disagree."""
    inspection, _ = create_inspection(
        store, checklist="standard", vehicle=vehicle_input, seller=seller_input
    )
    checklist = load_checklist("standard")
    for shot in checklist.shots[2:]:
        _capture(store, inspection.id, shot.id, Verdict.OK)
    _capture(store, inspection.id, "front", Verdict.WARN)  # usable, below the bar
    _capture(store, inspection.id, "damage_1_wide", Verdict.OK)  # its close-up is missing
    kept = store.add_capture(
        inspection.id,
        "odometer",
        b"kept",
        width=640,
        height=480,
        source=CaptureSource.STILL,
        quality=QualityReport(
            Verdict.REJECT,
            (QualityReason(KEPT_AFTER_ATTEMPTS, LocalText.of({"fr": "", "en": ""})),),
        ),
    )
    store.set_capture_accepted(kept.id, True)
    p = progress(checklist, store.captures(inspection.id))
    assert [s.id for s in p.missing] == ["three_quarter_front_left", "damage_1_closeup"]
    assert p.done == p.required - len(p.missing) == 23
    assert not p.complete and str(p) == "23/25"
    assert [s.id for s in p.optional_missing] == []
    assert {c.shot_id for c in p.to_check} == {"front", "odometer"}
    kept = next(c for c in p.to_check if c.id == kept.id)
    assert kept.accepted and kept_after_attempts(kept) and below_bar(kept)

    grade = inspection_grade(inspection, [], p)
    assert grade.grade is None and (grade.missing, grade.required) == (2, 25)
    assert grade.cap == 3  # the photo kept after repeated rejections


def test_kept_after_attempts_is_the_autopilots_reason() -> None:
    from inspector.live.autopilot import KEPT_AFTER_ATTEMPTS as AUTOPILOT_REASON

    assert AUTOPILOT_REASON == KEPT_AFTER_ATTEMPTS


def test_damage_photos_finds_the_pair_of_a_damage(
    store: Store, vehicle_input: dict[str, Any], seller_input: dict[str, Any]
) -> None:
    inspection, _ = create_inspection(
        store, checklist="quick", vehicle=vehicle_input, seller=seller_input
    )
    checklist = load_checklist("quick")
    iid = inspection.id

    def damage(capture_id: str | None, pair: int | None, region: Region | None = None) -> Damage:
        return Damage(
            "d", iid, capture_id, Part.BONNET, DamageType.DENT, Severity.MINOR, region, pair=pair
        )

    # Recorded live with its pair number; photos not taken yet, then taken (and retaken).
    assert damage_photos(damage(None, 1), [], checklist) == damage_photos(
        damage(None, 1), store.captures(iid), checklist
    )
    wide = _capture(store, iid, "damage_1_wide", Verdict.OK)
    blurred = _capture(store, iid, "damage_1_closeup", Verdict.OK)
    store.set_capture_accepted(blurred, False)  # the operator asked for a retake
    closeup = _capture(store, iid, "damage_1_closeup", Verdict.WARN)
    _capture(store, iid, "damage_1_closeup", Verdict.REJECT)  # unusable: not chosen
    photos = damage_photos(damage(blurred, 1), store.captures(iid), checklist)
    assert photos.number == 1
    assert (photos.wide and photos.wide.id, photos.closeup and photos.closeup.id) == (wide, closeup)
    # Marked in review (with a box) on the pair's photo: that photo, and the pair it belongs to.
    box = Region(0.1, 0.1, 0.2, 0.2)
    photos = damage_photos(damage(blurred, None, box), store.captures(iid), checklist)
    assert photos.number == 1 and photos.closeup is not None and photos.closeup.id == blurred
    # Marked on an ordinary photo of the checklist: no pair.
    front = _capture(store, iid, checklist.shots[0].id, Verdict.OK)
    assert damage_photos(damage(front, None, box), store.captures(iid), checklist).number is None
    # A pair recorded without photos still counts in the walk.
    shots = inspection_shots(checklist, [], [damage(None, 3)])
    assert [s.id for s in shots][-2:] == ["damage_3_wide", "damage_3_closeup"]
