"""Vehicle data with validation, the grade (suggested, chosen, saved) and the notes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from inspector.domain.models import Damage, DamageType, Part, Severity
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from ui.review.review_model import ReviewModel
from ui.review.vehicle_panel import VehiclePanel

from .conftest import Sample, settle


@pytest.fixture
def panel(qtbot: QtBot, store: Store, sample: Sample) -> VehiclePanel:
    model = ReviewModel(store, sample.inspection_id, propose_blur=False)  # not about blur
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.load()
    widget = VehiclePanel(model)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_bad_vin_is_explained_and_not_saved(
    qtbot: QtBot, panel: VehiclePanel, store: Store, sample: Sample
) -> None:
    vin = panel.fields["vin"]
    assert vin.text() == "VF3LBYHZPKS123456"
    assert not panel.save_button.isEnabled()
    vin.clear()
    qtbot.keyClicks(vin, "VF3LBYHZPKS12345O")
    assert "VIN" in panel.message.text() and "I, O or Q" in panel.message.text()
    assert "d0202a" in vin.styleSheet()
    assert not panel.save_button.isEnabled()
    qtbot.keyClick(vin, Qt.Key.Key_Backspace)
    assert "must be 17 characters, got 16" in panel.message.text()

    qtbot.keyClicks(vin, "0")
    assert "I, O" not in panel.message.text() and vin.styleSheet() == ""
    assert panel.save_button.isEnabled()
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel.model)
    assert store.get_inspection(sample.inspection_id).vehicle.vin == "VF3LBYHZPKS123450"
    assert not panel.save_button.isEnabled()


def test_grade_is_suggested_editable_and_saved(
    qtbot: QtBot, panel: VehiclePanel, store: Store, sample: Sample
) -> None:
    assert panel.grade.currentData() is None
    assert panel.grade.itemText(0) == "Suggested (5 – Excellent)"
    assert "no damage" in panel.suggestion.text()
    panel.model.damages.add(
        Damage(new_id(), sample.inspection_id, None, Part.ROOF, DamageType.DENT, Severity.SEVERE)
    )
    assert panel.grade.itemText(0) == "Suggested (2 – Poor)"
    assert "1 damage" in panel.suggestion.text()
    # The sample lacks most required photos: the report will show no grade, and says so.
    assert "no grade" in panel.report_grade.text()
    assert "19 of 23 required photos missing" in panel.report_grade.text()

    index = panel.grade.findData(4)
    panel.grade.setCurrentIndex(index)
    panel.grade.activated.emit(index)
    settle(qtbot, panel.model)
    assert store.get_inspection(sample.inspection_id).grade == 4
    assert "suggested 2" in panel.suggestion.text()

    panel.model.update_inspection(grade=None)  # model -> view
    assert panel.grade.currentIndex() == 0
    settle(qtbot, panel.model)
    assert store.get_inspection(sample.inspection_id).grade is None


def test_the_grade_choice_is_never_cut(qtbot: QtBot, panel: VehiclePanel, sample: Sample) -> None:
    panel.resize(300, 700)  # as narrow as the review's side tab
    panel.model.damages.add(
        Damage(new_id(), sample.inspection_id, None, Part.ROOF, DamageType.DENT, Severity.SEVERE)
    )
    combo = panel.grade
    qtbot.waitUntil(lambda: combo.itemText(0) == "Suggested (2 – Poor)", timeout=5000)
    needed = combo.fontMetrics().horizontalAdvance(combo.itemText(0)) + 30  # + arrow, frame
    # The layout settles in posted events: on a busy machine, after more than a moment.
    qtbot.waitUntil(lambda: combo.width() >= needed, timeout=5000)
    suggestion = panel.suggestion  # under the choice, wrapped whole
    assert suggestion.geometry().top() >= combo.geometry().bottom()
    assert suggestion.height() >= suggestion.heightForWidth(suggestion.width())


def test_notes_are_saved_after_typing(
    qtbot: QtBot, panel: VehiclePanel, store: Store, sample: Sample
) -> None:
    qtbot.keyClicks(panel.notes, "Clean car.")
    panel.notes.appendPlainText("Second line.")
    qtbot.waitUntil(lambda: panel.notes_status.text() == "Saved", timeout=5000)
    settle(qtbot, panel.model)
    assert store.get_inspection(sample.inspection_id).notes == "Clean car.\nSecond line."
