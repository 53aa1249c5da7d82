"""The inspections home: a table of every inspection in the store."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.models import Inspection

COLUMNS = ("Vehicle", "Plate", "Seller", "Status", "Progress", "Created")


@dataclass(frozen=True)
class InspectionRow:
    """What the table shows of one inspection, computed off the UI thread."""

    inspection: Inspection
    progress: str


class InspectionsView(QWidget):
    """Searchable table of inspections; fed rows, never reads the store itself."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[InspectionRow] = []
        self.search = QLineEdit(placeholderText="Search vehicle, plate or seller…")
        self.search.setToolTip("Filter the inspections by vehicle, plate or seller name")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_filter)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setToolTip("Every inspection in this data directory")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.empty = QLabel("No inspections yet.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)

    def set_rows(self, rows: list[InspectionRow]) -> None:
        self._rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            i = row.inspection
            cells = (
                i.vehicle.title() or "—",
                i.vehicle.plate or "—",
                i.seller.name or "—",
                i.status.value,
                row.progress,
                i.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, i.id)
                self.table.setItem(r, c, item)
        self.empty.setVisible(not rows)
        self._apply_filter(self.search.text())

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for r, row in enumerate(self._rows):
            i = row.inspection
            haystack = f"{i.vehicle.title()} {i.vehicle.plate} {i.seller.name}".lower()
            self.table.setRowHidden(r, bool(needle) and needle not in haystack)
