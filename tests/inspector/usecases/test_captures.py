"""Captures made elsewhere (a remote console's stills and originals) and the decisions
on them, on SQLite and PostgreSQL; the damages' rules and the named status changes the
team server applies."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.domain.models import (
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Inspection,
    Part,
    QualityReason,
    QualityReport,
    Severity,
    Verdict,
)
from inspector.domain.models import InspectionStatus as S
from inspector.domain.photo_check import BadPhoto
from inspector.domain.status import IllegalTransition
from inspector.i18n import Message
from inspector.storage import ChangedElsewhere, Conflict, NotFound
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from inspector.usecases import audit, damages
from inspector.usecases import captures as capturing
from inspector.usecases import status as lifecycle
from tests.data import jpeg_bytes, scene


@pytest.fixture
def shared(data_dir: Path, database_url: str | None) -> Iterator[Store]:
    with Store(data_dir, database_url=database_url) as s:
        yield s


def _inspection(store: Store) -> str:
    return store.create_inspection(Inspection(id=new_id(), checklist="quick")).id


def _capture(inspection_id: str, data: bytes, shot: str = "boot", **changes: object) -> Capture:
    fields: dict[str, object] = {
        "id": new_id(),
        "inspection_id": inspection_id,
        "shot_id": shot,
        "sha256": hashlib.sha256(data).hexdigest(),
        "width": 0,
        "height": 0,
        "source": CaptureSource.STILL,
        "quality": QualityReport(Verdict.OK),
        **changes,
    }
    return Capture(**fields)  # type: ignore[arg-type]


def test_a_capture_is_received_once_whoever_sends_it_twice(shared: Store) -> None:
    inspection_id = _inspection(shared)
    data = jpeg_bytes(scene(320, 240, seed=1))
    capture = _capture(inspection_id, data)
    # Two requests with the same capture at once (a retry racing the first).
    results: list[capturing.Received] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        results.append(capturing.receive_capture(shared, capture, data))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.created for r in results) == [False, True]
    (stored,) = shared.captures(inspection_id)
    assert (stored.width, stored.height, stored.size) == (320, 240, len(data))
    assert shared.read_photo(stored.sha256) == data
    logged = [e for e in audit.history(shared, inspection_id) if e.action == "captured"]
    assert len(logged) == 1
    other = jpeg_bytes(scene(320, 240, seed=2))
    with pytest.raises(Conflict, match="never overwritten"):
        capturing.receive_capture(shared, _capture(inspection_id, other, id=capture.id), other)
    elsewhere = _inspection(shared)
    with pytest.raises(Conflict, match="another inspection"):
        capturing.receive_capture(shared, _capture(elsewhere, data, id=capture.id), data)


def test_what_is_not_a_photo_or_not_its_record_is_refused(shared: Store) -> None:
    inspection_id = _inspection(shared)
    data = jpeg_bytes(scene(320, 240, seed=3))
    with pytest.raises(capturing.HashMismatch, match="nothing was stored"):
        capturing.check_hash(data, "0" * 64)
    assert capturing.check_hash(data, hashlib.sha256(data).hexdigest().upper())
    with pytest.raises(BadPhoto):
        junk = b"\xff\xd8 nothing" * 10
        capturing.receive_capture(shared, _capture(inspection_id, junk), junk)
    with pytest.raises(ValueError, match="320x240"):
        capturing.receive_capture(shared, _capture(inspection_id, data, width=10, height=10), data)
    with pytest.raises(NotFound):
        capturing.receive_capture(shared, _capture("nonexistent0", data), data)
    assert shared.captures(inspection_id) == []


def test_an_original_replaces_its_preview(shared: Store) -> None:
    inspection_id = _inspection(shared)
    preview, original = jpeg_bytes(scene(160, 120, seed=4)), jpeg_bytes(scene(640, 480, seed=5))
    capture = _capture(inspection_id, preview, source=CaptureSource.PREVIEW)
    capturing.receive_capture(shared, capture, preview)
    done = capturing.receive_original(shared, inspection_id, capture.id, original)
    assert done.created and done.capture.source is CaptureSource.STILL
    assert (done.capture.width, done.capture.height) == (640, 480)
    again = capturing.receive_original(shared, inspection_id, capture.id, original)
    assert not again.created
    with pytest.raises(Conflict, match="not a preview"):
        capturing.receive_original(shared, inspection_id, capture.id, preview)
    with pytest.raises(NotFound):
        capturing.receive_original(shared, _inspection(shared), capture.id, original)


def test_review_decisions_are_recorded(store: Store) -> None:
    inspection_id = _inspection(store)
    data = jpeg_bytes(scene(320, 240, seed=6))
    capture = _capture(inspection_id, data, quality=QualityReport(Verdict.REJECT))
    capturing.receive_capture(store, capture, data)
    Decision = capturing.Decision
    assert (
        capturing.review_capture(store, inspection_id, capture.id, Decision.RETAKE).accepted
        is False
    )
    note = QualityReason("kept", Message("Kept after 3 attempts"))
    kept = capturing.review_capture(store, inspection_id, capture.id, Decision.ACCEPT, note)
    assert kept.accepted is True and [r.code for r in kept.quality.reasons] == ["kept"]
    with pytest.raises(ValueError, match="accept only"):
        capturing.review_capture(store, inspection_id, capture.id, Decision.REJECT, note)
    undecided = capturing.review_capture(store, inspection_id, capture.id, Decision.UNDECIDED)
    assert undecided.accepted is None
    with pytest.raises(NotFound):
        capturing.review_capture(store, _inspection(store), capture.id, Decision.ACCEPT)
    actions = [e.action for e in audit.history(store, inspection_id)]
    assert actions == ["captured", "retake", "accepted"]


def test_damages_keep_to_their_inspection_and_their_version(store: Store) -> None:
    inspection_id = _inspection(store)
    data = jpeg_bytes(scene(320, 240, seed=7))
    capture = _capture(inspection_id, data)
    capturing.receive_capture(store, capture, data)
    damage = Damage(new_id(), inspection_id, capture.id, Part.BONNET, DamageType.DENT, Severity(2))
    damages.add_damage(store, damage)
    elsewhere = _inspection(store)
    stray = Damage(new_id(), elsewhere, capture.id, Part.BONNET, DamageType.DENT, Severity(1))
    with pytest.raises(ValueError, match="its own inspection"):
        damages.add_damage(store, stray)
    read = damages.find_damage(store, inspection_id, damage.id)
    read.severity = Severity(3)
    assert damages.change_damage(store, read).version == 2
    stale = damages.find_damage(store, inspection_id, damage.id)
    stale.version = 1
    with pytest.raises(ChangedElsewhere):
        damages.change_damage(store, stale)
    with pytest.raises(NotFound):
        damages.delete_damage(store, elsewhere, damage.id)
    assert damages.delete_damage(store, inspection_id, damage.id, version=2).severity == 3
    actions = [e.action for e in audit.history(store, inspection_id)]
    assert actions[-3:] == ["damage_added", "damage_changed", "damage_deleted"]


def test_named_status_changes_for_a_remote_call(store: Store) -> None:
    inspection_id = _inspection(store)
    with pytest.raises(IllegalTransition):
        lifecycle.set_status(store, inspection_id, "reviewed")
    assert lifecycle.set_status(store, inspection_id, "live")
    with pytest.raises(lifecycle.Incomplete, match="missing"):
        lifecycle.set_status(store, inspection_id, "captured")
    assert lifecycle.set_status(store, inspection_id, "restored")  # nothing taken: invited
    assert store.get_inspection(inspection_id).status is S.INVITED
    assert not lifecycle.set_status(store, inspection_id, "restored")  # not live: no-op
    with pytest.raises(ValueError, match="unknown status change"):
        lifecycle.set_status(store, inspection_id, "reported")
    moves = [e.detail for e in audit.history(store, inspection_id) if e.action == "status_changed"]
    assert moves == [{"from": "draft", "to": "live"}, {"from": "live", "to": "invited"}]
