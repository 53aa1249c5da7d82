"""The vehicle's data with validation messages, the overall notes and the grade."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.grading import suggest_grade
from inspector.domain.models import Fuel, Inspection, Vehicle
from inspector.domain.progress import inspection_grade
from inspector.domain.validation import (
    NOTES_MAX,
    Checked,
    ValidationError,
    check_text,
    check_vehicle,
)
from ui.review.labels import grade_label
from ui.review.review_model import ReviewModel

__all__ = ["VehiclePanel"]

NOTES_LIMIT = NOTES_MAX
_NOTES_DELAY_MS = 800

# (key, label, tooltip, check_vehicle argument, ValidationError.field)
_FIELDS = (
    ("make", "Make", "Manufacturer, e.g. Peugeot", "make", "make"),
    ("model", "Model", "Model, e.g. 308", "model", "model"),
    ("year", "Year", "Year of first registration", "year", "year"),
    ("plate", "Plate", "Registration plate", "plate", "plate"),
    (
        "vin",
        "VIN",
        "Vehicle identification number: 17 letters and digits, no I, O or Q",
        "vin",
        "VIN",
    ),
    ("mileage", "Mileage (km)", "Odometer reading in kilometres", "mileage", "mileage"),
    ("colour", "Colour", "Body colour", "colour", "colour"),
)


def _vehicle_form(v: Vehicle) -> dict[str, str]:
    return {
        "make": v.make,
        "model": v.model,
        "year": str(v.year or ""),
        "plate": v.plate,
        "vin": v.vin,
        "mileage": str(v.mileage_km if v.mileage_km is not None else ""),
        "colour": v.colour,
    }


class VehiclePanel(QWidget):
    """Edits the inspection's vehicle, notes and grade; saves through the review model."""

    def __init__(self, model: ReviewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        for key, label, tip, _arg, _name in _FIELDS:
            edit = QLineEdit()
            edit.setToolTip(tip)
            edit.textEdited.connect(self._validate)
            self.fields[key] = edit
            form.addRow(f"{label}:", edit)
        self.fuel = QComboBox()
        self.fuel.setToolTip("Fuel or energy")
        self.fuel.addItem("—", None)
        for fuel in Fuel:
            self.fuel.addItem(fuel.value.capitalize(), fuel.value)
        self.fuel.activated.connect(self._validate)
        form.insertRow(6, "Fuel:", self.fuel)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setToolTip("What is wrong with the vehicle data, if anything")
        self.save_button = QPushButton("Save vehicle")
        self.save_button.setToolTip("Save the vehicle data to the inspection")
        self.save_button.clicked.connect(self.save_vehicle)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Forget the unsaved changes to the vehicle data")
        self.revert_button.clicked.connect(self._revert)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)

        self.grade = QComboBox()
        self.grade.setToolTip(
            "Overall grade shown in the report: the suggestion from the damages, or your own"
        )
        # The whole row's width, so "Suggested (2 – Poor)" is never cut.
        self.grade.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.grade.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.grade.addItem("Suggested", None)
        for grade in range(5, 0, -1):
            self.grade.addItem(grade_label(grade), grade)
        self.grade.activated.connect(self._grade_chosen)
        self.suggestion = QLabel()
        self.suggestion.setWordWrap(True)
        self.suggestion.setToolTip(
            "Suggested from the damages: 1 point per minor, 3 per moderate, 8 per severe"
        )
        grade_row = QVBoxLayout()  # the suggestion under the choice, not squeezing it
        grade_row.setContentsMargins(0, 0, 0, 0)
        grade_row.addWidget(self.grade)
        grade_row.addWidget(self.suggestion)
        self.report_grade = QLabel()
        self.report_grade.setWordWrap(True)
        self.report_grade.setToolTip(
            "What the report will show: no grade while a required photo is missing; "
            "photos below the quality bar cap the grade (4 for a warning, 3 for a rejected "
            "photo kept)"
        )
        self.notes = QPlainTextEdit()
        self.notes.setToolTip(
            f"Overall notes for the report ({NOTES_LIMIT} characters at most); saved as you type"
        )
        self.notes.setPlaceholderText("Overall condition, service history, anything notable…")
        self.notes.textChanged.connect(self._notes_edited)
        self.notes_status = QLabel()
        self.notes_status.setToolTip("Whether the notes are saved")
        self._notes_timer = QTimer(self, singleShot=True, interval=_NOTES_DELAY_MS)
        self._notes_timer.timeout.connect(self.save_notes)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addLayout(buttons)
        grade_form = QFormLayout()
        grade_form.setContentsMargins(0, 8, 0, 0)
        grade_form.addRow("Grade:", grade_row)
        grade_form.addRow("In the report:", self.report_grade)
        layout.addLayout(grade_form)
        notes_header = QHBoxLayout()
        notes_header.addWidget(QLabel("Notes:"))
        notes_header.addStretch(1)
        notes_header.addWidget(self.notes_status)
        layout.addLayout(notes_header)
        layout.addWidget(self.notes, 1)

        self._checked: Checked[Vehicle] | None = None
        self._dirty = False
        model.inspection_changed.connect(self._inspection_changed)
        damages = model.damages
        for signal in (damages.reset, damages.added, damages.changed, damages.removed):
            signal.connect(self._refresh_suggestion)
        model.capture_changed.connect(self._refresh_suggestion)  # completion may change
        self.setEnabled(model.is_loaded)
        if model.inspection is not None:
            self._inspection_changed(model.inspection)

    # -- model -> view ----------------------------------------------------

    def _inspection_changed(self, inspection: Inspection) -> None:
        self.setEnabled(True)
        if not self._dirty:
            self._show_vehicle(inspection.vehicle)
        if not self._notes_timer.isActive() and self.notes.toPlainText() != inspection.notes:
            with QSignalBlocker(self.notes):
                self.notes.setPlainText(inspection.notes)
        with QSignalBlocker(self.grade):
            self.grade.setCurrentIndex(self.grade.findData(inspection.grade))
        self._refresh_suggestion()

    def _show_vehicle(self, vehicle: Vehicle) -> None:
        for key, text in _vehicle_form(vehicle).items():
            self.fields[key].setText(text)
        self.fuel.setCurrentIndex(self.fuel.findData(vehicle.fuel.value if vehicle.fuel else None))
        self._dirty = False
        self._validate(initial=True)

    def suggested_grade(self) -> int:
        return suggest_grade(self.model.damages.damages())

    def _refresh_suggestion(self, *_args: object) -> None:
        damages = self.model.damages.damages()
        open_ = sum(1 for d in damages if d.to_complete)
        n = len(damages) - open_  # a damage to complete has no severity yet: not counted
        grade = self.suggested_grade()
        self.grade.setItemText(0, f"Suggested ({grade_label(grade)})")
        chosen = self.model.inspection.grade if self.model.inspection else None
        basis = f"from {n} damage{'s' if n != 1 else ''}" if n else "no damage marked"
        if open_:
            basis += f"; {open_} to complete, not counted"
        if chosen is not None and chosen != grade:
            self.suggestion.setText(
                f"<span style='color:#b06000'>suggested {grade} ({basis})</span>"
            )
        else:
            self.suggestion.setText(f"<span style='color:gray'>{basis}</span>")
        self._refresh_report_grade()

    def _refresh_report_grade(self) -> None:
        inspection = self.model.inspection
        if inspection is None:
            return
        model = self.model
        g = inspection_grade(
            inspection, model.damages.damages(), model.completion(), model.captures()
        )
        if g.grade is None:
            reasons = []
            if g.incomplete:
                reasons.append(f"{g.missing} of {g.required} required photos missing")
            if g.to_complete:
                reasons.append(
                    f"{g.to_complete} damage{'s' if g.to_complete > 1 else ''} to complete"
                )
            text = f"<span style='color:#b0101a'><b>no grade</b>: {'; '.join(reasons)}</span>"
        elif g.capped:
            text = (
                f"<span style='color:#b06000'>{grade_label(g.grade)}, capped from "
                f"{g.base}: photos below the quality bar</span>"
            )
        else:
            text = grade_label(g.grade)
        self.report_grade.setText(text)

    # -- view -> model ----------------------------------------------------

    def _raw(self) -> dict[str, Any]:
        raw: dict[str, Any] = {arg: self.fields[key].text() for key, _l, _t, arg, _n in _FIELDS}
        raw["fuel"] = self.fuel.currentData()
        return raw

    def _validate(self, *_args: object, initial: bool = False) -> None:
        if not initial:
            self._dirty = True
        for edit in self.fields.values():
            edit.setStyleSheet("")
        try:
            self._checked = check_vehicle(**self._raw())
        except ValidationError as exc:
            self._checked = None
            self.message.setText(f"<span style='color:#b0101a'>{exc}</span>")
            for key, _l, _t, _a, name in _FIELDS:
                if name == exc.field:
                    self.fields[key].setStyleSheet("border: 1px solid #d0202a;")
        else:
            warnings = "<br>".join(self._checked.warnings)
            self.message.setText(
                f"<span style='color:#b06000'>{warnings}</span>"
                if warnings
                else ("Unsaved changes" if self._dirty else "")
            )
        self.save_button.setEnabled(self._dirty and self._checked is not None)
        self.revert_button.setEnabled(self._dirty)

    def save_vehicle(self) -> None:
        if self._checked is None or self.model.inspection is None:
            return
        self._dirty = False
        self.model.update_inspection(vehicle=self._checked.value)
        self._validate(initial=True)
        if not self._checked.warnings:
            self.message.setText("Saved")

    def _revert(self) -> None:
        if self.model.inspection is not None:
            self._show_vehicle(self.model.inspection.vehicle)

    def _grade_chosen(self, _index: int) -> None:
        if self.model.inspection is not None:
            self.model.update_inspection(grade=self.grade.currentData())

    def _notes_edited(self) -> None:
        self.notes_status.setText("Editing…")
        self._notes_timer.start()

    def save_notes(self) -> None:
        """Save the notes now (also called after a pause in typing)."""
        self._notes_timer.stop()
        if self.model.inspection is None:
            return
        notes = self.notes.toPlainText().strip()
        try:
            # check_text refuses every control character; line breaks are fine in notes.
            check_text(
                "notes", notes.replace("\r", " ").replace("\n", " ").replace("\t", " "), NOTES_LIMIT
            )
        except ValidationError as exc:
            self.notes_status.setText(
                f"<span style='color:#b0101a'>Not saved: {exc.message}</span>"
            )
            return
        if notes != self.model.inspection.notes:
            self.model.update_inspection(notes=notes)
        self.notes_status.setText("Saved")
