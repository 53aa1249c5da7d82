"""The inspections home: a table of every inspection in the store."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.models import InspectionStatus
from inspector.storage.store import ListingRow

COLUMNS = ("Vehicle", "Plate", "Seller", "Status", "Progress", "Created")


@dataclass(frozen=True)
class InspectionRow:
    """What the table shows of one inspection, computed off the UI thread."""

    listed: ListingRow
    progress: str


class InspectionsView(QWidget):
    """Searchable table of inspections; fed rows, never reads the store itself.

    Empty, it shows what to do first (a big "New inspection" button and how a
    call goes) instead of a blank table.
    """

    new_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[InspectionRow] = []
        self.search = QLineEdit(placeholderText="Search vehicle, plate or seller…")
        self.search.setToolTip("Filter the inspections by vehicle, plate or seller name")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_filter)
        self.status = QComboBox()
        self.status.setToolTip("Show only the inspections at one step of their life")
        self.status.addItem("All statuses", None)
        for status in InspectionStatus:
            self.status.addItem(status.value.capitalize(), status)
        self.status.currentIndexChanged.connect(lambda _: self._apply_filter(self.search.text()))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setToolTip("Every inspection in this data directory")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.new_button = QPushButton("New inspection…")
        self.new_button.setToolTip("Create an inspection: the vehicle, the seller (Ctrl+N)")
        self.new_button.clicked.connect(self.new_requested)
        self.empty = QWidget()
        self.empty.setObjectName("first_run")
        hint = QLabel(
            "<h2>No inspections yet</h2>"
            "<p>Start with <b>New inspection</b>: the vehicle and the seller.<br>"
            "The console then shows a join link and a QR code: the seller opens it on "
            "the phone, next to the car,<br>and you guide them shot by shot while the "
            "photos arrive here.</p>"
            "<p>No phone at hand? Open the inspection and use <b>Live ▸ Demo phone</b> "
            "(Ctrl+Shift+D).</p>"
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.first_new_button = QPushButton("New inspection…")
        self.first_new_button.setToolTip(self.new_button.toolTip())
        self.first_new_button.setMinimumSize(260, 56)
        big = self.first_new_button.font()
        big.setPointSizeF(big.pointSizeF() * 1.4)
        big.setBold(True)
        self.first_new_button.setFont(big)
        self.first_new_button.setDefault(True)
        self.first_new_button.clicked.connect(self.new_requested)
        first = QVBoxLayout(self.empty)
        first.addStretch(1)
        first.addWidget(hint)
        first.addWidget(self.first_new_button, 0, Qt.AlignmentFlag.AlignHCenter)
        first.addStretch(2)
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.status)
        filters.addWidget(self.new_button)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        self.empty.hide()  # until the first rows say whether there is any

    def set_rows(self, rows: list[InspectionRow]) -> None:
        self._rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            i = row.listed
            cells = (
                i.vehicle or "—",
                i.plate or "—",
                i.seller or "—",
                i.status.value,
                row.progress,
                i.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, i.id)
                self.table.setItem(r, c, item)
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))  # the first-run page instead of an empty grid
        self._apply_filter(self.search.text())

    def version_of(self, inspection_id: str) -> int | None:
        """The row version the list shows of an inspection (None if not listed)."""
        return next(
            (r.listed.version for r in self._rows if r.listed.id == inspection_id), None
        )

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        status = self.status.currentData()
        for r, row in enumerate(self._rows):
            i = row.listed
            haystack = f"{i.vehicle} {i.plate} {i.seller}".lower()
            hidden = (bool(needle) and needle not in haystack) or (
                status is not None and i.status != status  # Qt may hand back the plain str
            )
            self.table.setRowHidden(r, hidden)
