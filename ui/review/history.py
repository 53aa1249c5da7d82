"""The inspection's history (its audit log) in the review: who did what, and when.

Read-only. Read on a worker thread when the tab is first shown, again on Refresh and
after each of the review's own writes lands (the model's ``writes_done``), so the
inspector sees their own decisions join the list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.audit import AuditEntry, action_label
from inspector.i18n import Message, Plural
from inspector.storage.store import Store
from inspector.usecases import audit
from ui.crossing import run_task
from ui.review._qt import alive
from ui.review.labels import CONSOLE_LANGUAGE

__all__ = ["HistoryView", "detail_text", "tab_text"]

_WORDS = {
    "when": Message("When"),
    "who": Message("Who"),
    "what": Message("What"),
    "detail": Message("Detail"),
    "refresh": Message("Refresh"),
    "refresh_tip": Message("Read the history again"),
    "table_tip": Message(
        "Who created, invited, captured, accepted, annotated, reported, "
        "exported or deleted what, and when: the audit log, read-only"
    ),
    "none": Message("Nothing recorded yet"),
    "failed": Message("The history cannot be read: {error}"),
    "tab": Message("History"),
    "tab_tip": Message("Who did what to this inspection, and when (the audit log)"),
}
_COUNT = Plural("{n} entry", "{n} entries")
_DETAIL_KEYS = (
    "shot",
    "verdict",
    "part",
    "type",
    "severity",
    "pair",
    "file",
    "listing",
    "bundle",
    "links",
)


def _word(key: str, **values: Any) -> str:
    message = _WORDS[key]
    return (message.bind(**values) if values else message).get(CONSOLE_LANGUAGE)


def tab_text() -> tuple[str, str]:
    """The tab's title and tooltip."""
    return _word("tab"), _word("tab_tip")


def detail_text(entry: AuditEntry) -> str:
    """A short line of the entry's detail: the fields a person reads, in a fixed order."""
    return ", ".join(f"{key} {entry.detail[key]}" for key in _DETAIL_KEYS if key in entry.detail)


class HistoryView(QWidget):
    """The audit log of one inspection as a table, newest last."""

    loaded = Signal()

    def __init__(
        self,
        store: Store,
        inspection_id: str,
        parent: QWidget | None = None,
        *,
        read: Callable[[], list[AuditEntry]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.inspection_id = inspection_id
        self._read = read  # None: the store's own log (a team server's: its own reader)
        self.entries: list[AuditEntry] | None = None
        """What the table shows (None: not read yet)."""
        self.count = QLabel()
        self.refresh_button = QPushButton(_word("refresh"))
        self.refresh_button.setToolTip(_word("refresh_tip"))
        self.refresh_button.clicked.connect(self.reload)
        columns = [_word(k) for k in ("when", "who", "what", "detail")]
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setToolTip(_word("table_tip"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(columns) - 1, QHeaderView.ResizeMode.Stretch)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.count, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def reload(self) -> None:
        store, inspection_id, read = self.store, self.inspection_id, self._read
        run_task(
            read if read is not None else lambda: audit.history(store, inspection_id),
            self._show,
            self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        if alive(self):
            self.count.setText(_word("failed", error=exc))
            self.loaded.emit()

    def _show(self, entries: list[AuditEntry]) -> None:
        if not alive(self):
            return
        self.entries = entries
        self.count.setText(_COUNT.get(CONSOLE_LANGUAGE, len(entries)) if entries else _word("none"))
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            cells = (
                entry.at.astimezone().strftime("%Y-%m-%d %H:%M"),
                entry.actor,
                action_label(entry.action, CONSOLE_LANGUAGE),
                detail_text(entry),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setToolTip(entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"))
                elif column == 3:
                    request = f"request {entry.request_id}" if entry.request_id else ""
                    item.setToolTip("\n".join(t for t in (text, request) if t))
                self.table.setItem(row, column, item)
        if entries:
            self.table.scrollToBottom()
        self.loaded.emit()

    def reload_if_shown(self) -> None:
        """Read again if the tab is on screen (after the review's own writes landed; the
        review may have been closed meanwhile)."""
        if alive(self) and self.isVisible():
            self.reload()
