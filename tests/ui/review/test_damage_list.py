"""The damage list follows the model, and selecting or editing in it drives the model."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from pytestqt.qtbot import QtBot

from inspector.domain.models import Damage, DamageType, Part, Region, Severity
from inspector.storage.store import Store
from ui.review.annotations import DamageModel
from ui.review.damage_list import DamageListView
from ui.review.writer import StoreWriter

from .conftest import Sample


def _damage(sample: Sample, n: int, part: Part, severity: Severity) -> Damage:
    return Damage(
        f"d{n}",
        sample.inspection_id,
        sample.capture_ids["front"],
        part,
        DamageType.SCRATCH,
        severity,
        Region(0.1 * n, 0.1),
        f"note {n}",
    )


def test_list_follows_the_model_and_drives_it(qtbot: QtBot, store: Store, sample: Sample) -> None:
    writer = StoreWriter()
    model = DamageModel(store, writer, QUndoStack())
    view = DamageListView(model, lambda capture_id: "Front")
    qtbot.addWidget(view)
    assert view.table.rowCount() == 0 and view.count.text() == "No damage marked"

    # model -> view
    model.add(_damage(sample, 1, Part.BONNET, Severity.MINOR))
    model.add(_damage(sample, 2, Part.DOOR_FRONT_LEFT, Severity.SEVERE))
    assert view.table.rowCount() == 2
    assert [view.table.item(1, c).text() for c in range(4)] == [
        "D2",
        "Front left door",
        "Scratch",
        "Severe",
    ]
    assert "on Front, point" in view.table.item(1, 1).toolTip()
    assert view.table.selectionModel().selectedRows()[0].row() == 1  # the new one
    model.select("d1")
    assert view.table.selectionModel().selectedRows()[0].row() == 0
    edited = model.get("d1")
    edited.note = "deeper than it looks"
    model.edit(edited)
    assert view.table.item(0, 4).text() == "deeper than it looks"
    model.delete("d1")
    assert view.row_ids() == ["d2"] and view.table.item(0, 0).text() == "D1"  # renumbered
    model.undo_stack.undo()
    assert view.row_ids() == ["d1", "d2"]

    # view -> model
    opened: list[str] = []
    view.open_requested.connect(opened.append)
    view.table.selectRow(1)
    assert model.selected_id == "d2" and opened == ["d2"]
    edits: list[str] = []
    view.edit_requested.connect(edits.append)
    rect = view.table.visualItemRect(view.table.item(0, 1))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert edits == ["d1"] and model.selected_id == "d1"
    view.table.clearSelection()
    assert model.selected_id is None
    qtbot.waitUntil(lambda: not writer.busy, timeout=5000)
