"""The inspections home: a table of every inspection in the store, or, connected to a
team server, of the team's (with their operator, and a "Mine" filter).

Model/view: the rows are data (:class:`InspectionsModel`) and the table paints only
the rows on screen, so handing it 10 000 inspections costs next to nothing on the UI
thread. The search and the status filter narrow the model's rows (worked out in
Python over the rows' fields, then one reset) rather than hide table rows one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.models import InspectionStatus
from inspector.storage.store import ListingRow

COLUMNS = ("Vehicle", "Plate", "Seller", "Status", "Progress", "Created")
TEAM_COLUMNS = ("Vehicle", "Plate", "Seller", "Status", "Progress", "Operator", "Created")


@dataclass(frozen=True)
class InspectionRow:
    """What the table shows of one inspection, computed off the UI thread."""

    listed: ListingRow
    progress: str
    operator: str = ""
    inspector: str = ""

    def assigned_to(self, user: str) -> bool:
        return user in (self.operator, self.inspector)


def _when(text: Any) -> datetime:
    try:
        found = datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.now(UTC)
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def team_row(entry: dict[str, Any]) -> InspectionRow:
    """A row of the team server's list (``list --json``'s entry)."""
    vehicle = entry.get("vehicle") or {}
    seller = entry.get("seller") or {}
    title = " ".join(
        str(p) for p in (vehicle.get("make"), vehicle.get("model"), vehicle.get("year")) if p
    )
    try:
        status = InspectionStatus(entry.get("status"))
    except ValueError:
        status = InspectionStatus.DRAFT
    listed = ListingRow(
        id=str(entry.get("id", "")),
        status=status,
        checklist=str(entry.get("checklist", "")),
        vehicle=title,
        plate=str(vehicle.get("plate") or ""),
        seller=str(seller.get("name") or ""),
        created_at=_when(entry.get("created_at")),
        updated_at=_when(entry.get("updated_at")),
        version=0,
        captures=0,
        taken=(),
        unusable=(),
        damage_pairs=0,
    )
    return InspectionRow(
        listed,
        str(entry.get("progress") or "?"),
        operator=str(entry.get("operator") or ""),
        inspector=str(entry.get("inspector") or ""),
    )


_Index = QModelIndex | QPersistentModelIndex


class InspectionsModel(QAbstractTableModel):
    """The inspections as rows (newest first), narrowed by a search text and a status.

    A cell's text is made when the view asks for it (rows on screen only); every cell
    of a row has its inspection's id as ``UserRole`` data.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[InspectionRow] = []
        self._shown: list[InspectionRow] = []
        self._haystacks: list[str] | None = None  # made at the first search
        self._needle = ""
        self._status: InspectionStatus | None = None
        self._mine: str | None = None
        self.columns = COLUMNS

    @property
    def all_rows(self) -> list[InspectionRow]:
        """Every row, shown or filtered out."""
        return self._all

    def set_rows(self, rows: list[InspectionRow]) -> None:
        self._all = rows
        self._haystacks = None
        self._refilter()

    def set_filter(
        self, text: str, status: InspectionStatus | None, mine: str | None = None
    ) -> None:
        """Show the rows whose vehicle, plate or seller contains ``text`` (any case) and,
        unless None, whose status is ``status`` and whose operator or inspector is ``mine``."""
        self._needle = text.strip().lower()
        self._status = status
        self._mine = mine
        self._refilter()

    def set_columns(self, columns: tuple[str, ...]) -> None:
        self.beginResetModel()
        self.columns = columns
        self.endResetModel()

    def _refilter(self) -> None:
        rows, needle, status = self._all, self._needle, self._status
        if needle:
            if self._haystacks is None:
                self._haystacks = [
                    f"{r.listed.vehicle} {r.listed.plate} {r.listed.seller}".lower() for r in rows
                ]
            rows = [r for r, h in zip(rows, self._haystacks, strict=True) if needle in h]
        if status is not None:  # Qt may hand back the plain str: a StrEnum compares equal
            rows = [r for r in rows if r.listed.status == status]
        if self._mine is not None:
            mine = self._mine
            rows = [r for r in rows if r.assigned_to(mine)]
        self.beginResetModel()
        self._shown = rows
        self.endResetModel()

    def row_at(self, row: int) -> InspectionRow:
        return self._shown[row]

    def row_of(self, inspection_id: str) -> int | None:
        """The row that shows this inspection; None if it is not shown."""
        return next((n for n, r in enumerate(self._shown) if r.listed.id == inspection_id), None)

    # -- QAbstractTableModel --------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._shown[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(row, self.columns[index.column()])
        if role == Qt.ItemDataRole.UserRole:
            return row.listed.id
        return None


def _cell(row: InspectionRow, column: str) -> str:
    i = row.listed
    if column == "Vehicle":
        return i.vehicle or "—"
    if column == "Plate":
        return i.plate or "—"
    if column == "Seller":
        return i.seller or "—"
    if column == "Status":
        return i.status.value
    if column == "Progress":
        return row.progress
    if column == "Operator":
        return row.operator or "—"
    return i.created_at.astimezone().strftime("%Y-%m-%d %H:%M")


class InspectionsView(QWidget):
    """Searchable table of inspections; fed rows, never reads the store itself.

    Empty, it shows what to do first (a big "New inspection" button and how a
    call goes) instead of a blank table.
    """

    new_requested = Signal()
    connect_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = InspectionsModel(self)
        self.team_user: str | None = None  # connected to a team server as this user
        self.team_label = QLabel()
        self.team_label.setObjectName("team_state")
        self.team_label.setToolTip("The team server this console shows the inspections of")
        self.team_label.setWordWrap(True)
        self.team_connect = QPushButton("Connect…")
        self.team_connect.setToolTip("Connect to the team server again (Ctrl+K)")
        self.team_connect.clicked.connect(self.connect_requested)
        self.team_bar = QWidget()
        bar = QHBoxLayout(self.team_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.team_label, 1)
        bar.addWidget(self.team_connect)
        self.team_bar.hide()
        self.assignee = QComboBox()
        self.assignee.setToolTip("Everyone's inspections, or only those you run or review")
        self.assignee.addItem("Everyone", False)
        self.assignee.addItem("Mine", True)
        self.assignee.currentIndexChanged.connect(lambda _: self._apply_filter(self.search.text()))
        self.assignee.hide()
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
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setToolTip("Every inspection in this data directory")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        # Rows of one height, known without measuring each: a long list stays cheap.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setWordWrap(False)
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
        filters.addWidget(self.assignee)
        filters.addWidget(self.new_button)
        layout.addWidget(self.team_bar)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        self.empty.hide()  # until the first rows say whether there is any

    def set_rows(self, rows: list[InspectionRow]) -> None:
        """Show these rows; the selection stays on its inspection if it is still shown."""
        selected = self.selected_id()
        self.model.set_rows(rows)
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))  # the first-run page instead of an empty grid
        if selected is not None:
            self.select(selected)

    def version_of(self, inspection_id: str) -> int | None:
        """The row version the list shows of an inspection (None if not listed)."""
        return next(
            (r.listed.version for r in self.model.all_rows if r.listed.id == inspection_id),
            None,
        )

    def selected_id(self) -> str | None:
        """The selected inspection's id, if any."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()).listed.id if rows else None

    def select(self, inspection_id: str) -> bool:
        """Select this inspection's row (and show it); False if it is not shown."""
        row = self.model.row_of(inspection_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        self.table.scrollTo(index)
        return True

    def set_team(self, user: str | None) -> None:
        """Show the team's inspections (as ``user``), or this desk's (None)."""
        self.team_user = user
        team = user is not None
        self.team_bar.setVisible(team)
        self.assignee.setVisible(team)
        self.table.setToolTip(
            "The team's inspections on the server"
            if team
            else "Every inspection in this data directory"
        )
        self.model.set_columns(TEAM_COLUMNS if team else COLUMNS)
        self.model.set_rows([])
        self._apply_filter(self.search.text())

    def set_team_state(self, state: str, text: str) -> None:
        """The connection's state (``TeamConnection.state``) as the bar says it."""
        colours = {"live": "#1b5e20", "ended": "#b3261e", "reconnecting": "#8a5300"}
        self.team_label.setStyleSheet(
            f"color: {colours.get(state, 'palette(text)')}; font-weight: bold"
        )
        prefix = {"live": "Team server: ", "connecting": "", "reconnecting": "", "ended": ""}
        self.team_label.setText(prefix.get(state, "") + text)
        self.team_connect.setVisible(state == "ended")

    def _apply_filter(self, text: str) -> None:
        selected = self.selected_id()
        mine = (
            self.team_user if self.team_user is not None and self.assignee.currentData() else None
        )
        self.model.set_filter(text, self.status.currentData(), mine)
        if selected is not None:
            self.select(selected)
