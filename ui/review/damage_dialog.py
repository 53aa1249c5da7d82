"""The form of one damage: part, type, severity and a note."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.models import Damage, DamageType, Part, Severity
from inspector.domain.validation import DAMAGE_NOTE_MAX
from ui.review.labels import part_label, severity_label, type_label

__all__ = ["DamageDialog", "DamageFields"]

NOTE_LIMIT = DAMAGE_NOTE_MAX


@dataclass(frozen=True)
class DamageFields:
    part: Part
    type: DamageType
    severity: Severity
    note: str


class DamageDialog(QDialog):
    """Asks for a damage's details; pre-filled when editing one. Use ``open()``.

    A damage added during the live call is "to complete": editing it says
    "Complete damage". With ``later`` (the live call) Cancel reads "Later":
    the damage stays to complete for the inspector. With ``ask_part`` and no
    ``part`` no part is chosen for the user: OK waits until one is.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        damage: Damage | None = None,
        part: Part | None = None,
        where: str = "",
        title: str = "",
        later: bool = False,
        ask_part: bool = False,
    ) -> None:
        super().__init__(parent)
        if not title:
            if damage is None:
                title = "Add damage"
            else:
                title = "Complete damage" if damage.to_complete else "Edit damage"
        self.setWindowTitle(title)
        self.part = QComboBox()
        self.part.setToolTip("The part of the vehicle the damage is on")
        for p in Part:
            self.part.addItem(part_label(p), p)
        self.part.setMaxVisibleItems(20)
        self.type = QComboBox()
        self.type.setToolTip("What kind of damage it is")
        for t in DamageType:
            self.type.addItem(type_label(t), t)
        self.severity_group = QButtonGroup(self)
        severity_row = QHBoxLayout()
        tips = {
            Severity.MINOR: "Cosmetic: a buyer may ignore it",
            Severity.MODERATE: "Visible: worth repairing, affects the price",
            Severity.SEVERE: "Needs repair before use, or hides structural damage",
        }
        for s in Severity:
            button = QRadioButton(f"&{int(s)} {severity_label(s)}")
            button.setToolTip(tips[s])
            self.severity_group.addButton(button, int(s))
            severity_row.addWidget(button)
        severity_row.addStretch(1)
        self.note = QPlainTextEdit()
        self.note.setToolTip(f"Anything the buyer should know ({NOTE_LIMIT} characters at most)")
        self.note.setPlaceholderText("Optional: size, location, likely cause…")
        self.note.setFixedHeight(80)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b0101a;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setToolTip("Save the damage")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setToolTip("Close without saving")
        if later:
            cancel.setText("&Later")
            cancel.setToolTip("Leave it marked “to complete”: the inspector completes it in review")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        if where:
            where_label = QLabel(where)
            where_label.setToolTip("The photo and mark the damage belongs to")
            form.addRow("Photo:", where_label)
        form.addRow("&Part:", self.part)
        form.addRow("&Type:", self.type)
        form.addRow("Severity:", severity_row)
        form.addRow("&Note:", self.note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.note.textChanged.connect(self._check)
        self.part.currentIndexChanged.connect(self._check)
        if damage is not None:
            self.set_fields(DamageFields(damage.part, damage.type, damage.severity, damage.note))
        else:
            self.set_fields(
                DamageFields(part or Part.FRONT_BUMPER, DamageType.SCRATCH, Severity.MINOR, "")
            )
        if ask_part and part is None and damage is None:
            self.part.setCurrentIndex(-1)
            self.part.setPlaceholderText("Choose the part…")
        self._check()
        self.resize(420, self.sizeHint().height())

    def set_fields(self, fields: DamageFields) -> None:
        self.part.setCurrentIndex(self.part.findData(fields.part))
        self.type.setCurrentIndex(self.type.findData(fields.type))
        self.severity_group.button(int(fields.severity)).setChecked(True)
        self.note.setPlainText(fields.note)

    def fields(self) -> DamageFields:
        return DamageFields(
            part=Part(self.part.currentData()),
            type=DamageType(self.type.currentData()),
            severity=Severity(self.severity_group.checkedId()),
            note=self.note.toPlainText().strip(),
        )

    def _check(self) -> None:
        length = len(self.note.toPlainText().strip())
        ok = length <= NOTE_LIMIT
        self.message.setText("" if ok else f"The note is too long ({length}/{NOTE_LIMIT}).")
        if ok and self.part.currentIndex() < 0:
            ok = False
            self.message.setText("Choose the part the damage is on.")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
