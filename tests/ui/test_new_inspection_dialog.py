"""New inspection dialog: the core's validation messages next to the bad fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from tests.ui.live_helpers import ensure_overlays
from ui.new_inspection_dialog import NewInspectionDialog
from ui.review._qt import alive

CHECKLISTS = [("quick", "Quick inspection"), ("standard", "Standard inspection")]


def make_dialog(qtbot: QtBot) -> NewInspectionDialog:
    dialog = NewInspectionDialog(CHECKLISTS)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def fill(qtbot: QtBot, dialog: NewInspectionDialog, **values: str) -> None:
    for key, text in values.items():
        editor = dialog.fields[key].editor
        editor.clear()
        qtbot.keyClicks(editor, text)


def test_bad_vin_shows_the_rule_next_to_the_field(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    fill(qtbot, dialog, make="Peugeot", vin="VF3LBYHZPKS12345O")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert "May not contain the letters I, O or Q" in dialog.message_for("vin")
    assert dialog.message_for("make") == ""
    fill(qtbot, dialog, vin="VF3LBY")
    dialog.fields["vin"].editor.editingFinished.emit()
    assert "Must be 17 characters, got 6" in dialog.message_for("vin")
    # Editing the field clears its message; a good VIN passes.
    fill(qtbot, dialog, vin="VF3LBYHZPKS123456")
    assert dialog.message_for("vin") == ""
    assert dialog.validate()
    assert "check digit" in dialog.vin_warning.text()  # only a warning


def test_other_fields_and_the_vehicle_rule(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    fill(qtbot, dialog, year="1700", mileage="-5", email="not-an-address", phone="abc")
    assert not dialog.validate()
    assert dialog.message_for("year").startswith("Must be between 1886")
    assert dialog.message_for("mileage") == "Cannot be negative"
    assert "is not an e-mail address" in dialog.message_for("email")
    assert "is not a phone number" in dialog.message_for("phone")
    assert dialog.vehicle_message.text() == "Give at least a make, a plate or a VIN"


def test_values_for_create_inspection(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    fill(
        qtbot,
        dialog,
        make="Renault",
        model="Clio",
        year="2018",
        plate="ab-123-cd",
        mileage="120 000",
        name="Jean Dupont",
        email="jean@example.fr",
    )
    dialog.checklist.setCurrentIndex(dialog.checklist.findData("quick"))
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    assert dialog.validate()
    values = dialog.values()
    assert values["checklist"] == "quick"
    assert values["vehicle"]["make"] == "Renault" and values["vehicle"]["year"] == "2018"
    assert values["seller"] == {
        "name": "Jean Dupont",
        "phone": "",
        "email": "jean@example.fr",
        "language": "en",
    }
    for field in dialog.fields.values():
        assert field.editor.toolTip()
    assert dialog.checklist.toolTip() and dialog.fuel.toolTip() and dialog.language.toolTip()


def test_main_window_creates_an_inspection_through_the_dialog(
    qtbot: QtBot, make_main_window, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    ensure_overlays(tmp_path, monkeypatch)
    window = make_main_window()
    window.show()
    qtbot.waitUntil(lambda: window.server_url is not None, timeout=10000)
    window.new_action.trigger()
    dialog = window.new_dialog
    fill(qtbot, dialog, make="Peugeot", model="308", vin="VF3LBYHZPKS1234I6")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible() and dialog.message_for("vin")
    assert store.list_inspections() == []
    fill(qtbot, dialog, vin="VF3LBYHZPKS123456", name="Élodie Martin")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: len(store.list_inspections()) == 1, timeout=5000)
    created = store.list_inspections()[0]
    assert created.vehicle.vin == "VF3LBYHZPKS123456" and created.seller.name == "Élodie Martin"
    # It opens on the live page, with a join link.
    qtbot.waitUntil(lambda: window.live.inspection is not None, timeout=5000)
    assert window.pages.currentWidget() is window.live
    qtbot.waitUntil(lambda: bool(window.live.invite.join_url), timeout=5000)
    qtbot.waitUntil(lambda: not alive(dialog), timeout=5000)  # not kept, one per inspection


def test_every_error_shows_whole_under_its_field_without_squeezing_it(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    vin = dialog.fields["vin"].editor
    qtbot.waitExposed(dialog)
    widths = {key: f.editor.width() for key, f in dialog.fields.items()}
    fill(qtbot, dialog, vin="VF3LBYHZPKS1234", mileage="-5", year="1700")
    assert not dialog.validate()
    qtbot.wait(50)  # the layout settles
    shown = {k for k in dialog.fields if dialog.message_for(k)}
    assert {"vin", "mileage", "year"} <= shown  # a bad VIN hides nothing else
    for key in ("vin", "mileage", "year"):
        field = dialog.fields[key]
        assert field.editor.width() == widths[key]  # the field keeps its size
        assert field.editor.width() >= 150
        message = field.message
        # Under the field, as wide as it, and tall enough for its wrapped text.
        assert message.geometry().top() >= field.editor.geometry().bottom()
        assert message.width() >= field.editor.width() - 1
        assert message.height() >= message.heightForWidth(message.width())
    fill(qtbot, dialog, vin="VF3LBYHZPKS123456")
    dialog.fields["vin"].editor.editingFinished.emit()
    warning = dialog.vin_warning
    assert warning.isVisible() and "check digit" in warning.text()
    assert warning.height() >= warning.heightForWidth(warning.width())  # not cut
    assert vin.width() == widths["vin"]


def test_placeholders_read_as_examples(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    for key, field in dialog.fields.items():
        text = field.editor.placeholderText()
        assert not text or "e.g." in text, (key, text)
