"""The audit log travels with the bundle: exported up to the export, sealed, imported
back (on SQLite and a real PostgreSQL); a bundle written before it imports without one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from inspector.bundle import export_bundle, import_bundle, verify_bundle
from inspector.domain.audit import AuditAction
from inspector.storage.store import Store
from inspector.usecases import audit
from tests.inspector.bundle.test_bundle import entries, refused, resealed, write_zip
from tests.inspector.report.test_report import make_inspection

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def target(tmp_path: Path, database_url: str | None) -> Iterator[Store]:
    s = Store(tmp_path / "target", database_url=database_url)
    yield s
    s.close()


def test_the_audit_log_is_exported_and_imported(
    store: Store, tmp_path: Path, target: Store
) -> None:
    inspection, captures, _ = make_inspection(store)
    audit.record(store, AuditAction.CREATED, inspection.id, actor="alice", request_id="r1")
    audit.record(
        store, AuditAction.ACCEPTED, inspection.id, {"capture": captures["front"].id}, actor="bob"
    )
    path = export_bundle(store, inspection.id, tmp_path / "b.zip", report=False)
    manifest = json.loads(entries(path)["manifest.json"])
    assert [(a["actor"], a["action"]) for a in manifest["audit_log"]] == [
        ("alice", "created"),
        ("bob", "accepted"),
    ]
    assert verify_bundle(path).ok
    # The export itself is recorded after the bundle is written.
    assert audit.history(store, inspection.id)[-1].action == "exported"

    import_bundle(target, path)
    history = audit.history(target, inspection.id)
    assert [(e.actor, e.action, e.request_id) for e in history[:2]] == [
        ("alice", "created", "r1"),
        ("bob", "accepted", ""),
    ]
    assert history[1].detail == {"capture": captures["front"].id}
    assert history[0].at == audit.history(store, inspection.id)[0].at
    assert history[2].action == "imported" and history[2].detail == {"bundle": "b.zip"}


def test_a_bundle_without_an_audit_log_imports_and_a_bad_one_is_refused(
    store: Store, tmp_path: Path, target: Store
) -> None:
    inspection, _, _ = make_inspection(store)
    audit.record(store, AuditAction.CREATED, inspection.id, actor="alice")
    path = export_bundle(store, inspection.id, tmp_path / "b.zip", report=False)
    manifest = json.loads(entries(path)["manifest.json"])

    def edited(change: Callable[[dict[str, Any]], None], name: str) -> Path:
        m = json.loads(json.dumps(manifest))
        change(m)
        files = entries(path)
        files["manifest.json"] = resealed(m)
        return write_zip(tmp_path / name, files)

    for i, (change, match) in enumerate(
        [
            (lambda m: m["audit_log"][0].update(actor=""), r"audit_log\[0\]"),
            (lambda m: m["audit_log"][0].update(detail={"x": "y" * 5000}), "at most"),
            (lambda m: m["audit_log"][0].update(at="yesterday"), r"audit_log\[0\]"),
        ]
    ):
        refused(target, edited(change, f"bad{i}.zip"), match)
    old = edited(lambda m: m.pop("audit_log"), "old.zip")
    assert verify_bundle(old).ok
    import_bundle(target, old)
    assert [e.action for e in audit.history(target, inspection.id)] == ["imported"]
