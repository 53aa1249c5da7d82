"""The audit log on a real SQLite and a real PostgreSQL: record, history, actors, and the
use cases that write it."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inspector.domain.audit import DETAIL_MAX, AuditAction, action_label
from inspector.storage.store import Store
from inspector.usecases import audit
from inspector.usecases.inspections import create_inspection, delete_inspection
from inspector.usecases.migrate import migrate

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def store(data_dir: Path, database_url: str | None) -> Iterator[Store]:
    s = Store(data_dir, database_url=database_url)
    yield s
    s.close()


def new(store: Store, vehicle_input: dict[str, Any], seller_input: dict[str, Any]) -> str:
    inspection, _ = create_inspection(store, vehicle=vehicle_input, seller=seller_input)
    return inspection.id


def test_history_is_kept_in_order_with_actor_detail_and_request(store: Store) -> None:
    assert audit.record(store, AuditAction.INVITED, "i1", {"expires_at": "later"}, actor="alice")
    with audit.acting("bob", request_id="req-7"):
        audit.record(store, AuditAction.CAPTURED, "i1", {"shot": "front", "verdict": "ok"})
    audit.record(store, AuditAction.CAPTURED, "other")
    entries = audit.history(store, "i1")
    assert [(e.actor, e.action, e.request_id) for e in entries] == [
        ("alice", "invited", ""),
        ("bob", "captured", "req-7"),
    ]
    assert entries[1].detail == {"shot": "front", "verdict": "ok"}
    assert entries[0].at <= entries[1].at


def test_the_local_actor_is_the_os_user(store: Store) -> None:
    audit.record(store, AuditAction.REVIEWED, "i1")
    assert audit.history(store, "i1")[0].actor == f"local:{getpass.getuser()}"


def test_a_refused_entry_never_fails_the_caller(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    big = {"note": "x" * (DETAIL_MAX + 1)}
    assert audit.record(store, AuditAction.EXPORTED, "i1", big) is False
    assert "not recorded" in caplog.text
    assert audit.history(store, "i1") == []


def test_create_and_delete_are_recorded_and_the_history_outlives_the_inspection(
    store: Store, vehicle_input: dict[str, Any], seller_input: dict[str, Any]
) -> None:
    inspection_id = new(store, vehicle_input, seller_input)
    delete_inspection(store, inspection_id, actor="admin1")
    entries = audit.history(store, inspection_id)
    assert [e.action for e in entries] == ["created", "deleted"]
    assert entries[1].actor == "admin1"


def test_actions_have_words_in_english_and_french() -> None:
    assert action_label("captured", "en") == "Photo stored"
    assert action_label("captured", "fr") == "Photo enregistrée"
    assert action_label("something_newer", "fr") == "something_newer"


def test_migrate_carries_the_history(
    tmp_path: Path,
    store: Store,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> None:
    with Store(tmp_path / "desk") as desk:
        inspection_id = new(desk, vehicle_input, seller_input)
        audit.record(desk, AuditAction.INVITED, inspection_id, actor="alice")
        migrate(desk, store)
    assert [(e.action, e.actor) for e in audit.history(store, inspection_id)][1:] == [
        ("invited", "alice")
    ]
