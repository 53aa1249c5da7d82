"""New inspection: vehicle and seller fields, checked with the core's validation rules.

Each field is checked when it loses focus and again on OK; a bad value shows
the rule's own message under the field (never squeezing it) and keeps the
dialog open; OK shows every bad field at once. Placeholders read as examples. The
dialog only collects input: the caller creates the inspection (off the UI
thread) with :func:`inspector.usecases.inspections.create_inspection`, which checks again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.models import Fuel
from inspector.domain.validation import (
    COLOUR_MAX,
    MAKE_MAX,
    MODEL_MAX,
    NOTES_MAX,
    SELLER_NAME_MAX,
    ValidationError,
    check_email,
    check_mileage,
    check_phone,
    check_plate,
    check_text,
    check_vin,
    check_year,
)
from ui.review._qt import alive

__all__ = ["NewInspectionDialog"]

ERROR_STYLE = "color: #c83232;"
WARNING_STYLE = "color: #b07800;"


class _Field:
    def __init__(self, editor: QLineEdit, check: Callable[[str], Any]) -> None:
        self.editor = editor
        self.check = check
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.hide()


class NewInspectionDialog(QDialog):
    """Collects a vehicle, a seller and a checklist template."""

    def __init__(
        self,
        checklists: list[tuple[str, str]],
        parent: QWidget | None = None,
        default_language: str = "fr",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New inspection")
        self.setMinimumWidth(720)
        self.fields: dict[str, _Field] = {}
        self.vin_warning = QLabel("")  # the check digit's warning, under the VIN
        self.vin_warning.setWordWrap(True)
        self.vin_warning.setStyleSheet(WARNING_STYLE)
        self.vin_warning.hide()

        def line(
            key: str, label: str, tip: str, check: Callable[[str], Any], placeholder: str = ""
        ) -> QLineEdit:
            editor = QLineEdit(placeholderText=placeholder)
            editor.setToolTip(tip)
            editor.setObjectName(key)
            field = _Field(editor, check)
            self.fields[key] = field
            editor.editingFinished.connect(lambda: self._check_field(key))
            editor.textEdited.connect(lambda _t: self._clear_field(key))
            return editor

        vehicle = QFormLayout()
        vehicle.addRow(
            "Make",
            self._with_message(
                line(
                    "make",
                    "Make",
                    "Manufacturer, e.g. Peugeot",
                    lambda v: check_text("make", v, MAKE_MAX),
                    "e.g. Peugeot",
                )
            ),
        )
        vehicle.addRow(
            "Model",
            self._with_message(
                line(
                    "model",
                    "Model",
                    "Model, e.g. 308",
                    lambda v: check_text("model", v, MODEL_MAX),
                    "e.g. 308",
                )
            ),
        )
        vehicle.addRow(
            "Year",
            self._with_message(
                line("year", "Year", "Year of first registration", check_year, "e.g. 2019")
            ),
        )
        vehicle.addRow(
            "Plate",
            self._with_message(
                line("plate", "Plate", "Registration plate", check_plate, "e.g. AB-123-CD")
            ),
        )
        vehicle.addRow(
            "VIN",
            self._with_message(
                line(
                    "vin",
                    "VIN",
                    "Vehicle identification number: 17 characters, no I, O or Q",
                    check_vin,
                    "17 characters, e.g. VF3LBYHZ1KS123456",
                )
            ),
        )
        vehicle.addRow(
            "Mileage (km)",
            self._with_message(
                line(
                    "mileage",
                    "Mileage",
                    "Odometer reading in kilometres",
                    check_mileage,
                    "e.g. 84500",
                )
            ),
        )
        self.fuel = QComboBox()
        self.fuel.setToolTip("Fuel or energy")
        self.fuel.addItem("—", None)
        for fuel in Fuel:
            self.fuel.addItem(fuel.value.capitalize(), fuel.value)
        vehicle.addRow("Fuel", self.fuel)
        vehicle.addRow(
            "Colour",
            self._with_message(
                line(
                    "colour",
                    "Colour",
                    "Body colour",
                    lambda v: check_text("colour", v, COLOUR_MAX),
                    "e.g. grey",
                )
            ),
        )
        self.vehicle_message = QLabel("")
        self.vehicle_message.setWordWrap(True)
        self.vehicle_message.setStyleSheet(ERROR_STYLE)
        self.vehicle_message.hide()
        vehicle.addRow("", self.vehicle_message)

        seller = QFormLayout()
        seller.addRow(
            "Name",
            self._with_message(
                line(
                    "name",
                    "Name",
                    "The seller's name",
                    lambda v: check_text("seller name", v, SELLER_NAME_MAX),
                    "e.g. Élodie Martin",
                )
            ),
        )
        seller.addRow(
            "Phone",
            self._with_message(
                line(
                    "phone",
                    "Phone",
                    "The seller's mobile number (to send the link by SMS)",
                    check_phone,
                    "e.g. +33 6 12 34 56 78",
                )
            ),
        )
        seller.addRow(
            "E-mail",
            self._with_message(
                line(
                    "email",
                    "E-mail",
                    "The seller's e-mail address (to send the link)",
                    check_email,
                    "e.g. elodie.martin@example.com",
                )
            ),
        )
        self.language = QComboBox()
        self.language.setToolTip("The language of the seller's phone page")
        self.language.addItem("Français", "fr")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(max(self.language.findData(default_language), 0))
        seller.addRow("Language", self.language)

        self.checklist = QComboBox()
        self.checklist.setToolTip("Which photos the seller will be asked for")
        for name, title in checklists:
            self.checklist.addItem(title, name)
        index = self.checklist.findData("standard")
        self.checklist.setCurrentIndex(max(index, 0))
        self.notes = QLineEdit()
        self.notes.setToolTip("Anything worth knowing before the call")
        self.notes.setMaxLength(NOTES_MAX)
        other = QFormLayout()
        other.addRow("Checklist", self.checklist)
        other.addRow("Notes", self.notes)

        vehicle_box = QGroupBox("Vehicle")
        vehicle_box.setLayout(vehicle)
        seller_box = QGroupBox("Seller")
        seller_box.setLayout(seller)
        seller_col = QVBoxLayout()
        seller_col.addWidget(seller_box)
        seller_col.addLayout(other)
        seller_col.addStretch(1)
        columns = QHBoxLayout()
        columns.addWidget(vehicle_box, 1)
        columns.addLayout(seller_col, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Create")
        ok.setToolTip("Create the inspection (the fields are checked first)")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip(
            "Close without creating anything"
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.buttons)

    def _with_message(self, editor: QLineEdit) -> QWidget:
        """The editor at its full width, its error message (wrapped, whole) under it."""
        field = self.fields[editor.objectName()]
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        column.addWidget(field.message)
        if editor.objectName() == "vin":
            column.addWidget(self.vin_warning)
        return box

    # -- checking ---------------------------------------------------------------------

    def _clear_field(self, key: str) -> None:
        field = self.fields[key]
        field.message.hide()
        field.editor.setStyleSheet("")

    def _check_field(self, key: str) -> bool:
        field = self.fields[key]
        try:
            result = field.check(field.editor.text())
        except ValidationError as exc:
            field.message.setText(exc.message[:1].upper() + exc.message[1:])
            field.message.setToolTip(str(exc))
            field.message.show()
            field.editor.setStyleSheet("border: 1px solid #c83232;")
            if key == "vin":
                self.vin_warning.hide()
            self._fit()
            return False
        self._clear_field(key)
        if key == "vin":
            warnings = getattr(result, "warnings", [])
            self.vin_warning.setText("\n".join(warnings))
            self.vin_warning.setVisible(bool(warnings))
            self._fit()
        return True

    def _fit(self) -> None:
        """Grow the dialog so every wrapped message shows whole (never cut, never squeezed)."""
        if not alive(self):  # a field losing focus as the dialog is destroyed
            return
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def message_for(self, key: str) -> str:
        """The error shown next to a field ("" when it is fine)."""
        field = self.fields[key]
        return field.message.text() if not field.message.isHidden() else ""

    def validate(self) -> bool:
        ok = all([self._check_field(key) for key in self.fields])
        if not any(self.fields[k].editor.text().strip() for k in ("make", "plate", "vin")):
            self.vehicle_message.setText("Give at least a make, a plate or a VIN")
            self.vehicle_message.show()
            ok = False
        else:
            self.vehicle_message.hide()
        if not ok:
            for field in self.fields.values():
                if not field.message.isHidden():
                    field.editor.setFocus()
                    break
        return ok

    def accept(self) -> None:
        if self.validate():
            super().accept()

    def values(self) -> dict[str, Any]:
        """Keyword arguments for ``create_inspection`` (without the store and operator)."""
        text = {key: f.editor.text() for key, f in self.fields.items()}
        return {
            "checklist": self.checklist.currentData() or "standard",
            "vehicle": {
                "make": text["make"],
                "model": text["model"],
                "year": text["year"] or None,
                "plate": text["plate"],
                "vin": text["vin"],
                "mileage": text["mileage"] or None,
                "fuel": self.fuel.currentData(),
                "colour": text["colour"],
            },
            "seller": {
                "name": text["name"],
                "phone": text["phone"],
                "email": text["email"],
                "language": self.language.currentData(),
            },
            "notes": self.notes.text(),
        }
