from __future__ import annotations

from typing import Any

from inspector.checklist import load_checklist
from inspector.inspections import create_inspection, inspection_shots, progress
from inspector.models import CaptureSource, QualityReport, Verdict
from inspector.store import Store


def _capture(store: Store, inspection_id: str, shot_id: str, verdict: Verdict) -> None:
    store.add_capture(
        inspection_id,
        shot_id,
        f"{shot_id}-{verdict}".encode(),
        width=1920,
        height=1080,
        source=CaptureSource.STILL,
        quality=QualityReport(verdict),
    )


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
