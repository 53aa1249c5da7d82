"""Two reviewers on one database: a save someone else overtook asks to reload, never
overwrites. On SQLite and on a real PostgreSQL (``database_url``); the other reviewer
is a second store on the same database, as another console would be."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from inspector.domain.models import Damage, DamageType, Part, Region, Severity
from inspector.storage.store import Store
from ui.review.workspace import CHANGED_ELSEWHERE, ReviewWorkspace

from .conftest import Sample, settle


@pytest.fixture
def store(data_dir: Path, database_url: str | None) -> Iterator[Store]:
    s = Store(data_dir, database_url=database_url)
    yield s
    s.close()


@pytest.fixture
def elsewhere(store: Store, tmp_path: Path, database_url: str | None) -> Iterator[Store]:
    """The other reviewer's store: the same database, its own working folder."""
    url = database_url or f"sqlite:///{store.data_dir / 'inspector.db'}"
    other = Store(tmp_path / "elsewhere", database_url=url)
    yield other
    other.close()


def the_question(qtbot: QtBot, workspace: ReviewWorkspace) -> QMessageBox:
    qtbot.waitUntil(
        lambda: workspace.changed_box is not None and workspace.changed_box.isVisible(),
        timeout=5000,
    )
    box = workspace.changed_box
    assert box is not None
    assert box.text() == CHANGED_ELSEWHERE
    return box


def test_a_vehicle_edit_overtaken_elsewhere_asks_and_reloads(
    qtbot: QtBot,
    store: Store,
    elsewhere: Store,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
) -> None:
    workspace = make_workspace(sample.inspection_id)
    model = workspace.model
    theirs = elsewhere.get_inspection(sample.inspection_id)
    theirs.notes = "checked by the other inspector"
    elsewhere.update_inspection(theirs)

    model.update_inspection(grade=3)  # made on the copy loaded before their change
    box = the_question(qtbot, workspace)
    assert store.get_inspection(sample.inspection_id).grade is None  # refused, not written
    assert store.get_inspection(sample.inspection_id).notes == theirs.notes
    box.button(QMessageBox.StandardButton.Yes).click()  # "Reload"
    qtbot.waitUntil(
        lambda: model.inspection is not None and model.inspection.notes == theirs.notes,
        timeout=5000,
    )
    model.update_inspection(grade=3)  # after the reload: saved, their notes kept
    settle(qtbot, model)
    saved = store.get_inspection(sample.inspection_id)
    assert (saved.grade, saved.notes) == (3, theirs.notes)
    assert not workspace.changed_box or not workspace.changed_box.isVisible()


def test_a_damage_edit_overtaken_elsewhere_asks_once_and_not_now_keeps_refusing(
    qtbot: QtBot,
    store: Store,
    elsewhere: Store,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
) -> None:
    damage = Damage(
        "d-door",
        sample.inspection_id,
        sample.capture_ids["front"],
        Part.BONNET,
        DamageType.SCRATCH,
        Severity.MINOR,
        Region(0.2, 0.2, 0.1, 0.1),
    )
    store.add_damage(damage)
    workspace = make_workspace(sample.inspection_id)
    model = workspace.model
    qtbot.waitUntil(lambda: len(model.damages) == 1, timeout=5000)
    (theirs,) = elsewhere.damages(sample.inspection_id)
    theirs.severity = Severity.SEVERE
    elsewhere.update_damage(theirs)

    for note in ("first", "second"):  # two saves refused: one question
        model.damages.edit(Damage(**{**model.damages.get("d-door").__dict__, "note": note}))
    box = the_question(qtbot, workspace)
    settle(qtbot, model)
    assert [d.note for d in store.damages(sample.inspection_id)] == [""]
    box.button(QMessageBox.StandardButton.No).click()  # "Not now"
    assert "changed by someone else" in workspace.banner.text()
    model.damages.edit(Damage(**{**model.damages.get("d-door").__dict__, "note": "third"}))
    box = the_question(qtbot, workspace)  # still refused: asked again
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: model.damages.get("d-door").severity is Severity.SEVERE, timeout=5000)
    (stored,) = store.damages(sample.inspection_id)
    assert (stored.severity, stored.note) == (Severity.SEVERE, "")


def test_a_damage_deleted_here_after_an_edit_elsewhere_asks_and_keeps_it(
    qtbot: QtBot,
    store: Store,
    elsewhere: Store,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
) -> None:
    damage = Damage(
        "d-wing",
        sample.inspection_id,
        sample.capture_ids["front"],
        Part.BONNET,
        DamageType.DENT,
        Severity.MINOR,
        Region(0.3, 0.3, 0.1, 0.1),
    )
    store.add_damage(damage)
    workspace = make_workspace(sample.inspection_id)
    model = workspace.model
    qtbot.waitUntil(lambda: len(model.damages) == 1, timeout=5000)
    (theirs,) = elsewhere.damages(sample.inspection_id)
    theirs.note = "photographed again, it is deeper"
    elsewhere.update_damage(theirs)

    model.damages.delete("d-wing")  # decided on the copy loaded before their change
    box = the_question(qtbot, workspace)
    settle(qtbot, model)
    (kept,) = store.damages(sample.inspection_id)  # refused: their edit is not lost
    assert kept.note == theirs.note
    box.button(QMessageBox.StandardButton.Yes).click()  # "Reload": it is back, with their note
    qtbot.waitUntil(lambda: len(model.damages) == 1, timeout=5000)
    assert model.damages.get("d-wing").note == theirs.note
    model.damages.delete("d-wing")  # now decided on the current copy: deleted
    settle(qtbot, model)
    assert store.damages(sample.inspection_id) == []
    assert not workspace.changed_box or not workspace.changed_box.isVisible()


def test_the_reviews_own_quick_saves_never_look_like_someone_elses(
    qtbot: QtBot,
    store: Store,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
) -> None:
    """Saves queued faster than they land, undo and redo: each names the version the
    previous one left."""
    workspace = make_workspace(sample.inspection_id)
    model = workspace.model
    for grade in (1, 2, 3, 4):
        model.update_inspection(grade=grade)
    damage = Damage(
        "d-roof",
        sample.inspection_id,
        sample.capture_ids["rear"],
        Part.ROOF,
        DamageType.DENT,
        Severity.MINOR,
        Region(0.5, 0.5),
    )
    model.damages.add(damage)
    for severity in (Severity.MODERATE, Severity.SEVERE):
        model.damages.edit(Damage(**{**model.damages.get("d-roof").__dict__, "severity": severity}))
    model.undo_stack.undo()
    model.undo_stack.undo()
    model.undo_stack.redo()
    model.damages.delete("d-roof")  # names the version its own edits left
    model.undo_stack.undo()  # added back: a new row, at version 1
    model.damages.edit(Damage(**{**model.damages.get("d-roof").__dict__, "note": "deep"}))
    settle(qtbot, model)
    assert workspace.changed_box is None
    assert not workspace.banner.isVisible()
    inspection = store.get_inspection(sample.inspection_id)
    assert (inspection.grade, inspection.version) == (4, 5)
    (stored,) = store.damages(sample.inspection_id)
    assert (stored.severity, stored.note, stored.version) == (Severity.MODERATE, "deep", 2)
