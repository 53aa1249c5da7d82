"""The damages of the inspection as a table, kept in step with the damage model."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.models import Damage
from inspector.report.i18n import damage_ref
from ui import theme
from ui.review.annotations import DamageModel
from ui.review.labels import part_label, severity_label, type_label

__all__ = ["DamageListView"]

COLUMNS = ("Ref.", "Part", "Type", "Severity", "Note")
TO_COMPLETE = "To complete"
TO_COMPLETE_TIP = (
    "Added during the live call: its part is a first guess and its type and severity "
    "are not known yet. Double-click to complete it."
)


class DamageListView(QWidget):
    """Selecting a row selects the damage; a double-click asks to edit it."""

    edit_requested = Signal(str)
    open_requested = Signal(str)

    def __init__(
        self,
        model: DamageModel,
        describe_photo: Callable[[str], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self._describe_photo = describe_photo or (lambda capture_id: "photo")
        self.count = QLabel()
        self.count.setToolTip("Damages marked on this inspection, in report order")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setToolTip(
            "Damages: click to select and show it, double-click to edit, Delete to remove"
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self._buttons = QHBoxLayout()
        self._buttons.setContentsMargins(0, 0, 0, 0)
        self._buttons.addWidget(self.count, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._buttons)
        layout.addWidget(self.table, 1)
        self.table.itemSelectionChanged.connect(self._selection_from_table)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        model.reset.connect(self.refresh)
        model.added.connect(self.refresh)
        model.changed.connect(self.refresh)
        model.removed.connect(self.refresh)
        model.selection_changed.connect(self._selection_from_model)
        self.refresh()

    def add_action(self, action: QAction) -> QToolButton:
        """Show one of the workspace's actions as a button above the table."""
        button = QToolButton()
        button.setDefaultAction(action)
        self._buttons.addWidget(button)
        return button

    def row_ids(self) -> list[str]:
        return [
            str(self.table.item(r, 0).data(Qt.ItemDataRole.UserRole))
            for r in range(self.table.rowCount())
        ]

    def refresh(self, *_args: object) -> None:
        damages = self.model.damages()
        with QSignalBlocker(self.table):
            self.table.setRowCount(len(damages))
            for row, damage in enumerate(damages):
                self._fill(row, damage)
        n = len(damages)
        text = f"<b>{n} damage{'s' if n != 1 else ''}</b>" if n else "No damage marked"
        open_ = sum(1 for d in damages if d.to_complete)
        if open_:
            text += f' · <b style="color: {theme.TO_COMPLETE_COLOUR}">{open_} to complete</b>'
        self.count.setText(text)
        self._selection_from_model(self.model.selected_id)

    def _fill(self, row: int, damage: Damage) -> None:
        number = QTableWidgetItem(damage_ref(row + 1))  # as in the report: D1, D2…
        number.setData(Qt.ItemDataRole.UserRole, damage.id)
        number.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        severity = QTableWidgetItem(severity_label(damage.severity))
        severity.setForeground(
            theme.severity_colour(damage.severity, to_complete=damage.to_complete)
        )
        part = QTableWidgetItem(part_label(damage.part))
        kind = QTableWidgetItem(type_label(damage.type))
        if damage.to_complete:
            part.setText(f"{part_label(damage.part)}?")
            kind.setText(TO_COMPLETE)
            font = kind.font()
            font.setBold(True)
            kind.setFont(font)
            kind.setForeground(theme.qcolor(theme.TO_COMPLETE_COLOUR))
            severity.setText("?")
        if damage.capture_id is None and damage.pair is not None:
            where = f"damage {damage.pair}'s wide view and close-up (close-up not taken yet)"
        elif damage.capture_id is None:
            where = "not on a photo"
        else:
            mark = (
                "" if damage.region is None else (", point" if damage.region.is_point else ", box")
            )
            where = f"on {self._describe_photo(damage.capture_id)}{mark}"
        cells = (number, part, kind, severity, QTableWidgetItem(damage.note.replace("\n", " ")))
        tip = f"{part_label(damage.part)} · {where}" + (f"\n{damage.note}" if damage.note else "")
        if damage.to_complete:
            tip = f"{TO_COMPLETE_TIP}\n{tip}"
        for col, item in enumerate(cells):
            item.setToolTip(tip)
            self.table.setItem(row, col, item)

    def _selection_from_table(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        ids = self.row_ids()
        damage_id = ids[rows[0].row()] if rows else None
        self.model.select(damage_id)
        if damage_id is not None:
            self.open_requested.emit(damage_id)

    def _selection_from_model(self, damage_id: object) -> None:
        ids = self.row_ids()
        with QSignalBlocker(self.table):
            if damage_id in ids:
                row = ids.index(str(damage_id))
                self.table.selectRow(row)
                self.table.scrollToItem(self.table.item(row, 0))
            else:
                self.table.clearSelection()

    def _double_clicked(self, row: int, _column: int) -> None:
        self.edit_requested.emit(self.row_ids()[row])
