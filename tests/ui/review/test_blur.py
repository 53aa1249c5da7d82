"""Blur boxes in the review: proposed on opening, added, moved, removed, undone; hidden
with a key; the listing exported from the review. Against a real store."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QItemSelectionModel, QPointF, Qt
from PySide6.QtGui import QUndoStack
from pytestqt.qtbot import QtBot

from inspector.domain.models import (
    CaptureSource,
    Inspection,
    QualityReport,
    Region,
    Verdict,
)
from inspector.domain.privacy import BlurBox
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from tests.privacy_images import car_scene, jpeg_with_gps
from ui import settings
from ui.main_window import MainWindow
from ui.review.blur import BlurModel
from ui.review.photo_viewer import PhotoViewer
from ui.review.workspace import ReviewWorkspace
from ui.review.writer import StoreWriter

from .conftest import Sample, settle

W, H = 640, 360


def _stored(qtbot: QtBot, writer: StoreWriter, store: Store, inspection_id: str) -> list[BlurBox]:
    qtbot.waitUntil(lambda: not writer.busy, timeout=5000)
    return store.blur_boxes(inspection_id)


def test_add_move_remove_with_undo_and_redo(qtbot: QtBot, store: Store, sample: Sample) -> None:
    writer, stack = StoreWriter(), QUndoStack()
    model = BlurModel(store, writer, stack)
    events: list[tuple[str, Any]] = []
    model.added.connect(lambda b: events.append(("added", b.id)))
    model.changed.connect(lambda b: events.append(("changed", b.id)))
    model.removed.connect(lambda box_id: events.append(("removed", box_id)))

    box = BlurBox(
        "b1", sample.inspection_id, sample.capture_ids["front"], Region(0.1, 0.1, 0.2, 0.1)
    )
    model.add(box)
    assert model.selected_id == "b1"
    assert _stored(qtbot, writer, store, sample.inspection_id) == [box]
    model.move("b1", Region(0.5, 0.5, 0.2, 0.1))
    moved = dataclasses.replace(box, region=Region(0.5, 0.5, 0.2, 0.1))
    assert _stored(qtbot, writer, store, sample.inspection_id) == [moved]
    model.remove("b1")
    assert model.boxes() == [] and model.selected_id is None
    assert _stored(qtbot, writer, store, sample.inspection_id) == []

    stack.undo()  # the removal
    assert _stored(qtbot, writer, store, sample.inspection_id) == [moved]
    stack.undo()  # the move
    assert _stored(qtbot, writer, store, sample.inspection_id) == [box]
    stack.undo()  # the addition
    assert _stored(qtbot, writer, store, sample.inspection_id) == []
    stack.redo()
    stack.redo()
    assert model.boxes() == [moved]
    assert _stored(qtbot, writer, store, sample.inspection_id) == [moved]
    kinds = ["added", "changed", "removed", "added", "changed", "removed", "added", "changed"]
    assert [e[0] for e in events] == kinds


@pytest.fixture
def car(store: Store) -> tuple[str, str]:
    """An inspection whose front photo shows a plate and a face; (inspection, capture)."""
    inspection = store.create_inspection(Inspection(id=new_id(), checklist="standard"))
    scene = car_scene("front", W, H, face=(0.05, 0.05, 0.3))
    capture = store.add_capture(
        inspection.id,
        "front",
        jpeg_with_gps(scene.image),
        width=W,
        height=H,
        source=CaptureSource.STILL,
        quality=QualityReport(Verdict.OK),
    )
    return inspection.id, capture.id


def _drag(qtbot: QtBot, viewer: PhotoViewer, a: QPointF, b: QPointF) -> None:
    view = viewer.view
    start, end = view.mapFromScene(a), view.mapFromScene(b)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), pos=(start + end) / 2)
    qtbot.mouseMove(view.viewport(), pos=end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)


@pytest.mark.timeout(120)
def test_the_review_proposes_boxes_and_the_inspector_edits_them(
    qtbot: QtBot,
    store: Store,
    car: tuple[str, str],
    make_workspace: Callable[..., ReviewWorkspace],
    tmp_path: Path,
) -> None:
    inspection_id, front = car
    workspace = make_workspace(inspection_id, propose_blur=True)
    viewer, model = workspace.viewer, workspace.model
    view = viewer.view
    # Proposed in the background: the plate and the face, drawn on the photo.
    qtbot.waitUntil(lambda: len(view.blur_items()) == 2, timeout=60000)
    assert {b.kind for b in model.blur.boxes()} == {"plate", "face"}
    assert {b.origin for b in model.blur.boxes()} == {"detected"}
    assert model.undo_stack.count() == 0  # a proposal is not the inspector's edit

    # Add: B, then drag a box.
    qtbot.keyClick(workspace, Qt.Key.Key_B)
    assert workspace.add_blur_action.isChecked() and view.annotating
    _drag(qtbot, viewer, QPointF(0.6 * W, 0.1 * H), QPointF(0.8 * W, 0.3 * H))
    assert not workspace.add_blur_action.isChecked()
    settle(qtbot, model)
    added = [b for b in store.blur_boxes(inspection_id) if b.origin == "inspector"]
    assert len(added) == 1 and added[0].capture_id == front
    r = added[0].region
    assert r.x == pytest.approx(0.6, abs=0.01) and r.w == pytest.approx(0.2, abs=0.01)
    assert model.blur.selected_id == added[0].id
    assert len(view.blur_items()) == 3

    # Move: drag it by its middle.
    _drag(qtbot, viewer, QPointF(0.7 * W, 0.2 * H), QPointF(0.75 * W, 0.3 * H))
    settle(qtbot, model)
    moved = store.blur_boxes(inspection_id)[-1]
    assert moved.id == added[0].id
    assert moved.region.x == pytest.approx(0.65, abs=0.01)
    assert moved.region.y == pytest.approx(0.2, abs=0.01)
    assert moved.region.w == pytest.approx(r.w)
    # Dragged past the edge: it stays on the photo.
    _drag(qtbot, viewer, QPointF(0.75 * W, 0.3 * H), QPointF(1.3 * W, 0.3 * H))
    settle(qtbot, model)
    edge = store.blur_boxes(inspection_id)[-1].region
    assert edge.x + edge.w == pytest.approx(1.0, abs=0.002)

    # Remove: click a proposed box, Delete.
    plate = next(b for b in model.blur.boxes() if b.kind == "plate")
    p = plate.region
    centre = QPointF((p.x + p.w / 2) * W, (p.y + p.h / 2) * H)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(centre))
    assert model.blur.selected_id == plate.id
    assert workspace.delete_damage_action.isEnabled()
    workspace.delete_damage_action.trigger()
    settle(qtbot, model)
    assert plate.id not in {b.id for b in store.blur_boxes(inspection_id)}
    assert len(view.blur_items()) == 2

    # Undo all three edits (remove, move past the edge, move, add), then redo one.
    for _ in range(4):
        qtbot.keyClick(workspace, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, model)
    assert {b.origin for b in store.blur_boxes(inspection_id)} == {"detected"}
    assert len(store.blur_boxes(inspection_id)) == 2
    workspace.redo_action.trigger()
    settle(qtbot, model)
    assert len(store.blur_boxes(inspection_id)) == 3

    # Shift+B hides the boxes and shows them again.
    qtbot.keyClick(workspace, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)
    assert not workspace.show_blur_action.isChecked() and view.blur_items() == []
    qtbot.keyClick(workspace, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)
    assert len(view.blur_items()) == 3
    # A plain key last: Qt keeps the last event's modifiers as "held", which later
    # selectRow() calls (of other tests) would follow.
    qtbot.keyClick(workspace, Qt.Key.Key_Escape)

    # The listing, from the review.
    with qtbot.waitSignal(workspace.listing_exported, timeout=30000) as exported:
        workspace.export_listing(tmp_path / "listing")
    assert [p.name for p in exported.args[0].files] == ["01-front.jpg"]
    assert exported.args[0].blurred == 3
    assert os.listdir(tmp_path / "listing") == ["01-front.jpg"]

    # Reopened: the boxes are the store's, nothing is proposed again.
    workspace.model.load()
    qtbot.waitUntil(lambda: len(view.blur_items()) == 3, timeout=5000)
    assert not model.blur_scanning


@pytest.mark.timeout(120)
def test_the_home_page_exports_the_selected_inspections_listing(
    qtbot: QtBot,
    store: Store,
    car: tuple[str, str],
    make_main_window: Callable[[], MainWindow],
    tmp_path: Path,
) -> None:
    inspection_id, _ = car
    settings.set_value("listing/size", 320)
    window = make_main_window()
    window.show()
    table = window.home.table
    qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=5000)
    # Selected by the model: selectRow() follows the keyboard modifiers a key click of
    # an earlier test may have left "held" (Shift, Ctrl).
    flags = QItemSelectionModel.SelectionFlag
    table.selectionModel().select(table.model().index(0, 0), flags.ClearAndSelect | flags.Rows)
    assert window.selected_id() == inspection_id
    assert window.listing_action.isEnabled()
    with qtbot.waitSignal(window.listing_exported, timeout=30000) as exported:
        window.export_listing_selected(tmp_path / "out")
    [path] = exported.args[0].files
    assert path.name == "01-front.jpg"
    with Image.open(path) as image:
        assert max(image.size) == 320
    assert "1 listing photo written" in window.statusBar().currentMessage()
    # A folder that is not empty: said in the status bar, nothing written.
    window.export_listing_selected(tmp_path / "out")
    qtbot.waitUntil(lambda: "not empty" in window.statusBar().currentMessage(), timeout=30000)
    assert os.listdir(tmp_path / "out") == ["01-front.jpg"]
