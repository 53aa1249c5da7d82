"""Copying one store into another: whole inspections, hashes checked, re-runnable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.domain.models import (
    CaptureSource,
    Damage,
    DamageType,
    Inspection,
    Part,
    QualityReport,
    Severity,
    Verdict,
)
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from inspector.usecases.migrate import migrate
from tests.data import jpeg_bytes, scene

_DETAILS = {
    "width": 320,
    "height": 240,
    "source": CaptureSource.STILL,
    "quality": QualityReport(Verdict.OK),
}


def _filled(store: Store, n: int) -> list[str]:
    """``n`` inspections, each with two photos (one shared by all) and a damage."""
    shared = jpeg_bytes(scene(320, 240, seed=99))
    ids = []
    for i in range(n):
        inspection = store.create_inspection(Inspection(id=new_id(), checklist="quick"))
        store.add_capture(inspection.id, "front", shared, **_DETAILS)
        own = store.add_capture(
            inspection.id, "rear", jpeg_bytes(scene(320, 240, seed=i)), **_DETAILS
        )
        store.add_damage(
            Damage(
                id=new_id(),
                inspection_id=inspection.id,
                part=Part.REAR_BUMPER,
                type=DamageType.SCRATCH,
                severity=Severity.MINOR,
                capture_id=own.id,
            )
        )
        ids.append(inspection.id)
    return ids


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "target") as store:
        yield store


def test_everything_is_copied_and_checked(store: Store, target: Store) -> None:
    ids = _filled(store, 3)
    report = migrate(store, target)
    assert report.complete
    assert (report.inspections_copied, report.inspections_present) == (3, 0)
    assert (report.photos_copied, report.photos_present) == (4, 2)  # one photo shared by all
    for inspection_id in ids:
        assert target.get_inspection(inspection_id) == store.get_inspection(inspection_id)
        assert target.captures(inspection_id) == store.captures(inspection_id)
        assert target.damages(inspection_id) == store.damages(inspection_id)
        for capture in target.captures(inspection_id):
            assert target.photo_state(capture.sha256, deep=True) == "ok"


def test_a_second_run_copies_nothing(store: Store, target: Store) -> None:
    _filled(store, 2)
    migrate(store, target)
    again = migrate(store, target)
    assert (again.inspections_copied, again.inspections_present, again.photos_copied) == (0, 2, 0)


def test_an_interrupted_run_resumes(store: Store, target: Store) -> None:
    ids = _filled(store, 3)
    first = store.list_inspections()[0].id  # the order the copy goes in

    def stop_at_second(done: int, total: int, what: str) -> None:
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        migrate(store, target, stop_at_second)
    assert [i.id for i in target.list_inspections()] == [first]
    report = migrate(store, target)
    assert (report.inspections_copied, report.inspections_present) == (2, 1)
    assert {i.id for i in target.list_inspections()} == set(ids)


def test_a_missing_source_photo_keeps_its_inspection_out(store: Store, target: Store) -> None:
    ids = _filled(store, 2)
    own = store.captures(ids[1])[1]
    store.photo_path(own.sha256).unlink()
    report = migrate(store, target)
    assert not report.complete
    assert report.inspections_copied == 1
    assert ids[1] in report.not_copied[0] and "missing" in report.not_copied[0]
    assert [i.id for i in target.list_inspections()] == [ids[0]]  # no row without its photo


def test_an_altered_source_photo_is_not_copied(store: Store, target: Store) -> None:
    ids = _filled(store, 1)
    own = store.captures(ids[0])[1]
    path = store.photo_path(own.sha256)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    report = migrate(store, target)
    assert "altered" in report.not_copied[0]
    assert target.list_inspections() == []


def test_the_sellers_signature_and_the_readings_go_along(store: Store, target: Store) -> None:
    from inspector.domain.signature import SellerRemark
    from inspector.storage.readings import StoredReading
    from tests.inspector.report.test_report_signatures import sign

    [inspection_id] = _filled(store, 1)
    signature = sign(store, inspection_id)
    store.add_remark(SellerRemark(inspection_id, "Pas de rayure à l'arrière.", "0" * 64))
    rear = store.captures(inspection_id)[1]
    store.add_reading(StoredReading(rear.id, inspection_id, "plate", "AB-123-CD", 0.97))
    assert migrate(store, target).complete
    [copied] = target.signatures(inspection_id)
    assert copied.summary_text == signature.summary_text and copied.name == signature.name
    assert target.signature_png(copied.png_sha256) == store.signature_png(signature.png_sha256)
    assert [r.text for r in target.remarks(inspection_id)] == ["Pas de rayure à l'arrière."]
    assert [r.text for r in target.readings(inspection_id)] == ["AB-123-CD"]
