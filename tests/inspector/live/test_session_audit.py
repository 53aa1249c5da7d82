"""The live session's audit entries: written off the loop after the phone is answered,
naming the session's actor; a log the database refuses never fails a capture."""

from __future__ import annotations

import functools
import getpass
import sqlite3
from pathlib import Path

import pytest

from inspector.storage.database import DB_NAME
from inspector.storage.store import Store
from inspector.usecases import audit
from tests.inspector.live.test_session import (  # fixtures and helpers of the session tests
    STROKES,
    Make,
    eventually,
    finish,
    make,
    new_inspection,
    signature_png,
    take,
)

__all__ = ["make", "new_inspection"]  # fixtures

pytestmark = pytest.mark.timeout(60)


async def test_captures_decisions_and_damages_are_recorded(make: Make, store: Store) -> None:
    controller, _, _ = await make()
    first = await take(controller)
    await controller.retake(first)
    second = await take(controller)
    await controller.accept(second)
    await controller.add_damage_pair()
    inspection_id = controller.inspection_id

    def actions() -> list[str]:
        return [e.action for e in audit.history(store, inspection_id)]

    await eventually(lambda: len(actions()) == 6)
    entries = audit.history(store, inspection_id)
    assert sorted(actions()[1:]) == sorted(
        ["captured", "retake", "captured", "accepted", "damage_added"]
    )
    assert actions()[0] == "created"
    assert {e.actor for e in entries} == {f"local:{getpass.getuser()}"}
    captured = [e for e in entries if e.action == "captured"]
    assert {e.detail["capture"] for e in captured} == {first, second}
    assert all(e.detail["shot"] == controller.shots[0].id for e in captured)


async def test_a_self_inspection_names_the_autopilot_and_a_server_its_user(
    make: Make, store: Store
) -> None:
    robot, _, _ = await make(mode="self")
    await take(robot)
    alice, _, _ = await make(actor="alice")
    await take(alice)
    for controller, actor in ((robot, "autopilot"), (alice, "alice")):
        history = functools.partial(audit.history, store, controller.inspection_id)
        await eventually(lambda: len(history()) == 2)  # noqa: B023 (awaited right here)
        assert history()[1].actor == actor


async def test_a_refused_audit_entry_never_fails_the_capture(
    make: Make, store: Store, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    controller, link, _ = await make()
    other = sqlite3.connect(data_dir / DB_NAME)  # the database itself loses the table
    other.execute("DROP TABLE audit_log")
    other.commit()
    other.close()
    capture_id = await take(controller)
    assert store.get_capture(capture_id).id == capture_id
    assert link.last("capture_result")["stored"] is True
    await eventually(lambda: "audit entry captured" in caplog.text)


@pytest.mark.timeout(120)
async def test_the_sellers_signature_and_remark_name_the_seller(make: Make, store: Store) -> None:
    controller, link, _ = await make()
    await finish(controller)
    summary = link.last("summary")
    await controller.handle_message(
        {"type": "remark", "text": "Il manque la rayure", "sha256": summary["sha256"]}
    )
    await controller.handle_message(
        {
            "type": "signature",
            "sha256": summary["sha256"],
            "name": "Chloé Dubois",
            "png": signature_png(),
            "strokes": STROKES,
            "phone_time": None,
        }
    )
    assert link.last("signed")["ok"] is True
    history = functools.partial(audit.history, store, controller.inspection_id)
    await eventually(lambda: {"signed", "remarked"} <= {e.action for e in history()})
    by_seller = [e for e in history() if e.actor == "seller"]
    assert sorted(e.action for e in by_seller) == ["remarked", "signed"]
    assert all(e.detail == {"summary_sha256": summary["sha256"]} for e in by_seller)
    assert "rayure" not in str([e.detail for e in history()])  # the seller's words stay theirs
