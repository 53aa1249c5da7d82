from __future__ import annotations

from typing import Any

from inspector.checklist import load_checklist
from inspector.inspections import create_inspection, damage_photos, inspection_shots, progress
from inspector.models import (
    CaptureSource,
    Damage,
    DamageType,
    Part,
    QualityReport,
    Region,
    Severity,
    Verdict,
)
from inspector.store import Store


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
