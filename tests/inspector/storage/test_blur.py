"""Blur boxes and scans kept as data, on SQLite and PostgreSQL; the photo never changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from inspector.domain.models import CaptureSource, Inspection, QualityReport, Region, Verdict
from inspector.domain.privacy import BlurBox
from inspector.storage import NotFound
from inspector.storage.blur import new_scan
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene


def _photo(store: Store, inspection_id: str, shot: str = "front", seed: int = 1) -> str:
    return store.add_capture(
        inspection_id,
        shot,
        jpeg_bytes(scene(320, 180, seed=seed)),
        width=320,
        height=180,
        source=CaptureSource.STILL,
        quality=QualityReport(Verdict.OK),
    ).id


def _box(inspection_id: str, capture_id: str, **changes: object) -> BlurBox:
    box = BlurBox(
        id=new_id(),
        inspection_id=inspection_id,
        capture_id=capture_id,
        region=Region(0.4, 0.6, 0.2, 0.08),
        kind="plate",
        origin="detected",
        score=0.93,
    )
    return dataclasses.replace(box, **changes)


@pytest.mark.timeout(120)
def test_boxes_added_moved_removed_and_scans_once(data_dir: Path, database_url: str | None) -> None:
    with Store(data_dir, database_url=database_url) as store:
        inspection = store.create_inspection(Inspection(id=new_id(), checklist="standard"))
        front = _photo(store, inspection.id)
        sha = store.get_capture(front).sha256
        original = store.read_photo(sha)

        plate = _box(inspection.id, front)
        assert store.add_blur_scan(new_scan(front, inspection.id, "test"), [plate])
        # Scanned once: a second scan (another window, another process) adds nothing.
        again = _box(inspection.id, front)
        assert not store.add_blur_scan(new_scan(front, inspection.id, "test"), [again])
        assert store.blur_boxes(inspection.id) == [plate]
        assert [s.capture_id for s in store.blur_scans(inspection.id)] == [front]

        face = _box(inspection.id, front, kind="face", origin="inspector", score=None)
        face = dataclasses.replace(face, region=Region(0.05, 0.05, 0.1, 0.2))
        store.add_blur_box(face)
        moved = dataclasses.replace(plate, region=Region(0.5, 0.62, 0.2, 0.08), kind="other")
        store.update_blur_box(moved)
        assert store.blur_boxes(inspection.id) == [moved, face]
        store.delete_blur_box(plate.id)
        assert store.blur_boxes(inspection.id) == [face]
        with pytest.raises(NotFound):
            store.delete_blur_box(plate.id)
        with pytest.raises(NotFound):
            store.update_blur_box(moved)

        assert store.read_photo(sha) == original  # boxes are data beside the photo
        store.delete_inspection(inspection.id)
        assert store.blur_boxes(inspection.id) == []
        assert store.blur_scans(inspection.id) == []


def test_a_box_is_a_box() -> None:
    with pytest.raises(ValueError, match="width and a height"):
        _box("i", "c", region=Region(0.5, 0.5))
    with pytest.raises(ValueError, match="kind"):
        _box("i", "c", kind="licence")
