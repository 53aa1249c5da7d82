"""Checklist: the Qt-free board folds events; the panel shows it and emits requests."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from inspector.domain.checklist import Checklist, load_checklist
from inspector.domain.models import Verdict
from inspector.live import events as ev
from tests.ui.live_helpers import ensure_overlays, make_capture
from ui.checklist_panel import ChecklistPanel, ShotBoard


@pytest.fixture
def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Checklist:
    ensure_overlays(tmp_path, monkeypatch)
    return load_checklist("quick")


def stored(shot_id: str, capture_id: str, verdict: Verdict = Verdict.OK) -> ev.CaptureStored:
    return ev.CaptureStored("insp", make_capture(capture_id, shot_id, verdict), path="/nowhere")


def test_board_folds_events_into_states(quick: Checklist) -> None:
    board = ShotBoard(quick, "insp")
    first, second, third = (s.id for s in quick.shots[:3])
    assert board.apply(ev.ShotChanged("insp", 0, first, 8))
    assert board.state(first) == "pending" and board.current == first
    board.apply(stored(first, "c1", Verdict.WARN))
    assert board.state(first) == "warn"
    board.apply(ev.CaptureReviewed("insp", "c1", True))
    assert board.state(first) == "ok"
    board.apply(ev.ShotChanged("insp", 1, second, 8))
    board.apply(stored(second, "c2", Verdict.REJECT))
    assert board.state(second) == "rejected"
    board.apply(stored(second, "c3", Verdict.OK))
    board.apply(ev.CaptureReviewed("insp", "c3", False))
    assert board.state(second) == "rejected"  # retake asked
    assert board.progress() == (1, 8)
    assert board.state(third) == "pending"
    assert not board.apply(ev.ShotChanged("other", 2, third, 8))  # another inspection


def test_board_seeds_from_stored_captures_and_adds_damage_shots(quick: Checklist) -> None:
    board = ShotBoard(quick, "insp")
    board.seed([make_capture("c1", quick.shots[0].id), make_capture("c9", "damage_2_closeup")])
    assert board.damage_count == 2
    ids = [s.id for s in board.shots]
    assert ids[-4:] == ["damage_1_wide", "damage_1_closeup", "damage_2_wide", "damage_2_closeup"]
    assert board.state("damage_2_closeup") == "ok"
    assert board.progress() == (2, 12)


def test_panel_shows_states_from_events(qtbot: QtBot, quick: Checklist) -> None:
    panel = ChecklistPanel()
    qtbot.addWidget(panel)
    panel.set_board(ShotBoard(quick, "insp"))
    first, second = quick.shots[0].id, quick.shots[1].id
    panel.apply(ev.ShotChanged("insp", 0, first, 8))
    item = panel.item_for(first)
    assert item is not None and item.font(0).bold()
    assert "current shot" in item.toolTip(0)
    panel.apply(stored(first, "c1", Verdict.REJECT))
    title, state, *_ = item.toolTip(0).split("\n")
    assert title == item.text(0)  # whole, however narrow the panel elides it
    assert state.startswith("Rejected: retake")
    panel.apply(ev.ShotChanged("insp", 1, second, 8))
    assert not item.font(0).bold() and panel.item_for(second).font(0).bold()  # type: ignore[union-attr]
    panel.apply(stored(second, "c2", Verdict.OK))
    assert panel.progress.value() == 1 and panel.progress.maximum() == 8
    # The count is text of its own, not drawn over (and cut by) the bar's fill.
    assert panel.progress_label.text() == "1 / 8 required shots"
    assert not panel.progress.isTextVisible()
    # Categories group the shots.
    groups = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert groups[:2] == ["Exterior", "Identity"]
    # A damage shot appears when the engine moves there.
    panel.apply(ev.ShotChanged("insp", 8, "damage_1_wide", 10))
    assert panel.item_for("damage_1_wide") is not None
    assert panel.item_for("damage_1_closeup") is not None


def test_panel_requests_go_out_as_signals(qtbot: QtBot, quick: Checklist) -> None:
    panel = ChecklistPanel()
    qtbot.addWidget(panel)
    panel.set_board(ShotBoard(quick, "insp"))
    panel.show()
    target = quick.shots[4].id
    item = panel.item_for(target)
    assert item is not None
    panel.tree.scrollToItem(item)
    rect = panel.tree.visualItemRect(item)
    with qtbot.waitSignal(panel.shot_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [target]
    with qtbot.waitSignal(panel.next_requested, timeout=1000):
        qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.previous_requested, timeout=1000):
        qtbot.mouseClick(panel.previous_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.add_damage_requested, timeout=1000):
        qtbot.mouseClick(panel.add_damage_button, Qt.MouseButton.LeftButton)
    # Category rows are not shots.
    with qtbot.assertNotEmitted(panel.shot_requested):
        group = panel.tree.topLevelItem(0)
        qtbot.mouseClick(
            panel.tree.viewport(),
            Qt.MouseButton.LeftButton,
            pos=panel.tree.visualItemRect(group).center(),
        )


def test_every_control_has_a_tooltip(qtbot: QtBot, quick: Checklist) -> None:
    panel = ChecklistPanel()
    qtbot.addWidget(panel)
    for w in (
        panel.tree,
        panel.progress,
        panel.previous_button,
        panel.next_button,
        panel.add_damage_button,
    ):
        assert w.toolTip()


def test_board_starts_where_the_session_does_and_follows_completion(quick: Checklist) -> None:
    first, second = quick.shots[0].id, quick.shots[1].id
    board = ShotBoard(quick, "insp", [make_capture("c1", first)])
    assert board.current == second  # the first shot still needing a photo
    board.apply(ev.ShotChanged("insp", 8, "damage_1_wide", 10))
    assert board.current == "damage_1_wide" and board.damage_count == 1
    assert not board.apply(ev.ShotChanged("insp", 0, "not_a_shot", 10))
    assert board.state("damage_1_closeup") == "pending"
    assert board.apply(ev.Completed("insp"))
    assert board.state("damage_1_closeup") == "pending"  # required: never skipped
