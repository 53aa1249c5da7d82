"""The assembled workspace: shortcuts, diagram to photo, undo, and the report export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt, QThread
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from inspector.domain.models import Damage, DamageType, InspectionStatus, Part, Region, Severity
from inspector.live.damages import new_live_damage
from inspector.storage.store import Store
from tests.data import force_status
from ui.review.workspace import ReviewWorkspace

from .conftest import Sample, settle


def _add(workspace: ReviewWorkspace, sample: Sample, key: str, part: Part, region: Region) -> str:
    damage = Damage(
        f"dmg-{part.value}",
        sample.inspection_id,
        sample.capture_ids[key],
        part,
        DamageType.SCRATCH,
        Severity.MODERATE,
        region,
    )
    workspace.model.damages.add(damage)
    return damage.id


def test_shortcuts_are_documented(
    sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    workspace = make_workspace(sample.inspection_id)
    keys = dict(workspace.shortcut_list())
    assert {"Left", "Right", "F", "1", "D", "Del", "A", "X", "Ctrl+E", "Esc"} <= set(keys)
    assert "Ctrl+Z" in keys and "Ctrl+Shift+Z, Ctrl+Y" in keys
    for action in workspace.review_actions:
        assert action.toolTip(), action.text()


def test_keyboard_review(
    qtbot: QtBot, store: Store, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    workspace = make_workspace(sample.inspection_id)
    model, ids = workspace.model, sample.capture_ids
    workspace.activateWindow()
    workspace.viewer.view.setFocus()
    qtbot.waitUntil(workspace.viewer.view.hasFocus, timeout=2000)
    target = workspace.viewer.view

    qtbot.keyClick(target, Qt.Key.Key_Right)
    assert model.current is not None and model.current.id == ids["three_quarter"]
    qtbot.keyClick(target, Qt.Key.Key_X)
    assert model.capture(ids["three_quarter"]).accepted is False
    qtbot.keyClick(target, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert model.capture(ids["three_quarter"]).accepted is None
    qtbot.keyClick(
        target,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert model.capture(ids["three_quarter"]).accepted is False
    qtbot.keyClick(target, Qt.Key.Key_Left)
    qtbot.keyClick(target, Qt.Key.Key_A)
    settle(qtbot, model)
    assert store.get_capture(ids["front"]).accepted is True
    assert store.get_capture(ids["three_quarter"]).accepted is False

    qtbot.waitUntil(lambda: workspace.viewer.shown_capture_id == ids["front"], timeout=5000)
    qtbot.keyClick(target, Qt.Key.Key_1)
    assert workspace.viewer.view.zoom() == pytest.approx(1.0)
    qtbot.keyClick(target, Qt.Key.Key_F)
    assert workspace.viewer.view.fitted
    qtbot.keyClick(target, Qt.Key.Key_D)
    assert workspace.viewer.view.annotating
    qtbot.keyClick(target, Qt.Key.Key_Escape)
    assert not workspace.viewer.view.annotating

    damage_id = _add(workspace, sample, "front", Part.BONNET, Region(0.2, 0.2, 0.2, 0.2))
    assert model.damages.selected_id == damage_id
    qtbot.keyClick(target, Qt.Key.Key_Delete)
    assert len(model.damages) == 0
    qtbot.keyClick(target, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [d.id for d in model.damages.damages()] == [damage_id]
    settle(qtbot, model)
    assert [d.id for d in store.damages(sample.inspection_id)] == [damage_id]


def test_diagram_marker_opens_the_photo_at_the_damage(
    qtbot: QtBot, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    workspace = make_workspace(sample.inspection_id)
    diagram = workspace.diagram
    qtbot.waitUntil(lambda: diagram.renderer is not None, timeout=5000)
    first = _add(workspace, sample, "front", Part.FRONT_BUMPER, Region(0.1, 0.1, 0.2, 0.2))
    second = _add(workspace, sample, "rear", Part.TAILLIGHT_LEFT, Region(0.8, 0.6, 0.1, 0.1))
    third = _add(workspace, sample, "front", Part.SEAT_FRONT, Region(0.5, 0.5))
    assert set(diagram.markers) == {first, second, third}
    assert [diagram.markers[d].number for d in (first, second, third)] == [1, 2, 3]
    # Exterior damages sit on their part of the drawing.
    anchor = diagram.part_anchor(Part.TAILLIGHT_LEFT)
    assert anchor is not None and diagram.markers[second].pos() == anchor
    assert diagram.part_anchor(Part.FRONT_BUMPER) != anchor

    workspace.side_tabs.setCurrentIndex(0)
    fit_zoom = workspace.viewer.view.zoom()
    marker_pos = diagram.mapFromScene(diagram.markers[second].pos())
    qtbot.mouseClick(diagram.viewport(), Qt.MouseButton.LeftButton, pos=marker_pos)
    viewer = workspace.viewer
    qtbot.waitUntil(lambda: viewer.shown_capture_id == sample.capture_ids["rear"], timeout=5000)
    assert workspace.model.damages.selected_id == second
    assert workspace.damage_list.row_ids()[workspace.damage_list.table.currentRow()] == second
    # Zoomed in on the damage's box, which is in the middle of the view.
    assert not viewer.view.fitted
    w, h = viewer.view.image_size()
    centre = viewer.view.mapToScene(viewer.view.viewport().rect().center())
    assert centre.x() == pytest.approx(0.85 * w, abs=0.05 * w)
    assert centre.y() == pytest.approx(0.65 * h, abs=0.05 * h)
    assert viewer.view.zoom() > 2 * fit_zoom


def test_export_report_with_progress(
    qtbot: QtBot,
    tmp_path: Path,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    workspace = make_workspace(sample.inspection_id)
    workspace.exporter.open_reports = True
    _add(workspace, sample, "front", Part.FRONT_BUMPER, Region(0.1, 0.1, 0.2, 0.2))
    reports: list[tuple[int, int, bool]] = []
    forward = workspace.exporter._export_progress
    main_thread = QApplication.instance().thread()

    def spy(done: int, total: int) -> None:
        reports.append((done, total, QThread.currentThread() is main_thread))
        forward(done, total)

    workspace.exporter._export_progress = spy  # type: ignore[method-assign]
    out = tmp_path / "out" / "report.pdf"
    with qtbot.waitSignal(workspace.report_exported, timeout=30000) as signal:
        workspace.export_action.setEnabled(True)
        workspace.export_report(out)
        assert workspace.exporter.progress_dialog is not None
        assert not workspace.export_action.isEnabled()
    assert signal.args == [out]
    assert out.read_bytes().startswith(b"%PDF")
    assert reports and reports[-1][0] == reports[-1][1]
    assert all(on_main for _d, _t, on_main in reports)
    assert opened == [str(out)]
    assert workspace.exporter.progress_dialog is None and workspace.export_action.isEnabled()


def test_cancelled_export_leaves_no_file(
    qtbot: QtBot, tmp_path: Path, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    workspace = make_workspace(sample.inspection_id)
    out = tmp_path / "cancelled" / "report.pdf"
    workspace.export_report(out)
    workspace.cancel_export()
    qtbot.waitUntil(lambda: workspace.exporter.last_export_error == "cancelled", timeout=30000)
    assert workspace.exporter.progress_dialog is None
    assert not out.exists()
    assert not list(out.parent.glob("*")) if out.parent.exists() else True
    assert workspace.banner.isHidden() or "could not" not in workspace.banner.text()


def test_unknown_inspection_reports_an_error(
    qtbot: QtBot, store: Store, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    workspace = ReviewWorkspace(store, "nope", open_reports=False)
    qtbot.addWidget(workspace)
    with qtbot.waitSignal(workspace.load_failed, timeout=5000):
        pass
    assert "nope" in workspace.banner.text()
    assert not workspace.export_action.isEnabled()


def test_export_dialog_chooses_the_language_and_confirms_the_file(
    qtbot: QtBot,
    tmp_path: Path,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    workspace = make_workspace(sample.inspection_id)
    workspace.export_action.trigger()
    dialog = workspace.exporter.export_dialog
    assert dialog is not None and dialog.isVisible()
    # The seller's language by default (the sample's seller speaks French), said so.
    assert dialog.language() == "fr" and "seller" in dialog.language_box.currentText()
    # The sample lacks most required shots: the dialog says the report will have no grade.
    assert dialog.warning.isVisible() and "no grade" in dialog.warning.text()

    dialog.language_box.setCurrentIndex(dialog.language_box.findData("en"))
    out = tmp_path / "for the buyer"
    dialog.path_edit.setText(str(out))  # ".pdf" is added
    with qtbot.waitSignal(workspace.report_exported, timeout=30000) as signal:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    pdf = out.with_suffix(".pdf")
    assert signal.args == [pdf]
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Inspection report" in text and "Incomplete —" in text
    assert "Rapport" not in text

    # The saved file is confirmed where it stays visible, with its path and actions.
    bar = workspace.report_bar
    assert bar.isVisible() and str(pdf) in bar.label.text()
    qtbot.mouseClick(bar.open_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.folder_button, Qt.MouseButton.LeftButton)
    assert opened == [str(pdf), str(tmp_path)]
    qtbot.wait(200)
    assert bar.isVisible()  # no timeout: it stays until closed


def test_export_dialog_can_be_cancelled(
    qtbot: QtBot, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    workspace = make_workspace(sample.inspection_id)
    workspace.export_report()
    dialog = workspace.exporter.export_dialog
    assert dialog is not None
    dialog.path_edit.setText("")
    assert not dialog.export_button.isEnabled()
    dialog.reject()
    qtbot.waitUntil(lambda: workspace.exporter.export_dialog is None, timeout=2000)
    assert workspace.exporter.progress_dialog is None and not workspace.report_bar.isVisible()


def test_export_dialog_warns_of_damages_to_complete(
    qtbot: QtBot, store: Store, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    iid = sample.inspection_id
    store.add_damage(new_live_damage(iid, 1, Part.REAR_BUMPER))
    workspace = make_workspace(iid)
    workspace.export_action.trigger()
    dialog = workspace.exporter.export_dialog
    assert dialog is not None and dialog.warning.isVisible()
    text = dialog.warning.text()
    assert "required photos are missing" in text
    assert "1 damage is still to complete" in text and "no grade" in text
    assert "1 damage to complete" in workspace.vehicle_panel.report_grade.text()
    dialog.reject()


def test_mark_as_reviewed_then_export_marks_reported(
    qtbot: QtBot,
    store: Store,
    tmp_path: Path,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
) -> None:
    force_status(store, sample.inspection_id, InspectionStatus.CAPTURED)
    workspace = make_workspace(sample.inspection_id)
    assert "Ctrl+Shift+R" in dict(workspace.shortcut_list())
    assert workspace.reviewed_action.isEnabled()
    workspace.activateWindow()
    workspace.viewer.view.setFocus()
    qtbot.waitUntil(workspace.viewer.view.hasFocus, timeout=2000)
    with qtbot.waitSignal(workspace.status_message, timeout=5000) as said:
        qtbot.keyClick(
            workspace.viewer.view,
            Qt.Key.Key_R,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
    assert said.args == ["The inspection is marked reviewed"]
    assert store.get_inspection(sample.inspection_id).status is InspectionStatus.REVIEWED
    assert "reviewed" in workspace.subtitle.text()
    assert not workspace.reviewed_action.isEnabled()
    # A later edit writes the inspection whole: it must not bring the old status back.
    workspace.model.update_inspection(notes="Revu.")
    settle(qtbot, workspace.model)
    assert store.get_inspection(sample.inspection_id).status is InspectionStatus.REVIEWED

    with qtbot.waitSignal(workspace.report_exported, timeout=30000):
        workspace.export_report(tmp_path / "r.pdf")
    assert store.get_inspection(sample.inspection_id).status is InspectionStatus.REPORTED
    assert workspace.model.inspection is not None
    assert workspace.model.inspection.status is InspectionStatus.REPORTED


def test_mark_as_reviewed_during_a_call_says_why_not(
    qtbot: QtBot,
    store: Store,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
) -> None:
    force_status(store, sample.inspection_id, InspectionStatus.LIVE)
    workspace = make_workspace(sample.inspection_id)
    workspace.reviewed_action.trigger()
    qtbot.waitUntil(lambda: workspace.banner.isVisible(), timeout=5000)
    assert "reviewed: it is live" in workspace.banner.text()
    assert store.get_inspection(sample.inspection_id).status is InspectionStatus.LIVE
