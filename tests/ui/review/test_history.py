"""The review's History tab: the inspection's audit log, read-only, with the review's own
decisions joining it as they are saved."""

from __future__ import annotations

import getpass
from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from inspector.domain.audit import AuditAction
from inspector.storage.store import Store
from inspector.usecases import audit
from tests.ui.review.conftest import Sample, settle
from ui.review.workspace import ReviewWorkspace

pytestmark = pytest.mark.timeout(60)

SCREENSHOT = "/tmp/review-history.png"


def rows(w: ReviewWorkspace) -> list[list[str]]:
    table = w.history.table
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def test_the_history_tab_lists_who_did_what(
    qtbot: QtBot,
    store: Store,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
) -> None:
    iid = sample.inspection_id
    audit.record(store, AuditAction.CREATED, iid, actor="alice")
    audit.record(store, AuditAction.INVITED, iid, {"expires_at": "x"}, actor="alice")
    audit.record(
        store,
        AuditAction.CAPTURED,
        iid,
        {"capture": sample.capture_ids["front"], "shot": "front", "verdict": "ok"},
        actor="autopilot",
        request_id="req-42",
    )
    w = make_workspace(iid)
    assert w.history.entries is None  # read only when shown
    assert w.side_tabs.tabText(3) == "History"
    w.side_tabs.setCurrentWidget(w.history)
    qtbot.waitUntil(lambda: w.history.entries is not None and len(w.history.entries) == 3)
    assert [r[1:] for r in rows(w)] == [
        ["alice", "Created", ""],
        ["alice", "Join link sent", ""],
        ["autopilot", "Photo stored", "shot front, verdict ok"],
    ]
    assert w.history.count.text() == "3 entries"
    assert w.history.table.item(2, 3).toolTip() == "shot front, verdict ok\nrequest req-42"
    assert w.history.table.editTriggers() == w.history.table.EditTrigger.NoEditTriggers

    # The inspector's own decision joins the list once it is saved.
    w.model.set_current(sample.capture_ids["side_blurred"])
    w.reject_action.trigger()
    settle(qtbot, w.model)
    qtbot.waitUntil(lambda: len(w.history.entries or []) == 4, timeout=5000)
    last = rows(w)[-1]
    assert last[1:] == [f"local:{getpass.getuser()}", "Photo rejected", "shot side_left"]
    qtbot.wait(50)
    w.grab().save(SCREENSHOT)


def test_an_inspection_without_history_says_so(
    qtbot: QtBot, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    w = make_workspace(sample.inspection_id)
    w.side_tabs.setCurrentWidget(w.history)
    qtbot.waitUntil(lambda: w.history.entries is not None)
    assert w.history.count.text() == "Nothing recorded yet"
    assert w.history.table.rowCount() == 0
