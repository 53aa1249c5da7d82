"""The console's main window: menus, the inspections home and the status bar."""

from __future__ import annotations

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QWidget

from inspector.checklist import load_checklist
from inspector.inspections import progress
from inspector.store import Store
from ui import settings
from ui.bridge import run_task
from ui.inspections_view import InspectionRow, InspectionsView


def load_rows(store: Store) -> list[InspectionRow]:
    """Read the inspections table's content (runs on a worker thread)."""
    rows = []
    for inspection in store.list_inspections():
        try:
            prog = str(progress(load_checklist(inspection.checklist), store.captures(inspection.id)))
        except ValueError:
            prog = "?"
        rows.append(InspectionRow(inspection, prog))
    return rows


class MainWindow(QMainWindow):
    """The operator's desk. Owns the store; talks to it only through the bridge."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Vehicle Inspector")
        self.resize(1280, 720)
        self.home = InspectionsView()
        self.setCentralWidget(self.home)
        self._shortcuts: list[QAction] = []
        self._build_menus()
        self.data_label = QLabel(f"Data: {store.data_dir}")
        self.data_label.setToolTip("Where inspections and photos are kept")
        self.statusBar().addPermanentWidget(self.data_label)
        geometry = settings.settings().value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.refresh()

    def _action(self, text: str, shortcut: QKeySequence | str, tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        self._shortcuts.append(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.refresh_action = self._action("&Refresh", QKeySequence.StandardKey.Refresh,
                                           "Reload the list of inspections")
        self.refresh_action.triggered.connect(self.refresh)
        file_menu.addAction(self.refresh_action)
        file_menu.addSeparator()
        self.quit_action = self._action("&Quit", QKeySequence.StandardKey.Quit, "Close the console")
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        shortcuts = QAction("&Keyboard shortcuts", self)
        shortcuts.triggered.connect(self.show_shortcuts)
        help_menu.addAction(shortcuts)

    def shortcut_list(self) -> list[tuple[str, str]]:
        return [
            (a.shortcut().toString(QKeySequence.SequenceFormat.NativeText), a.text().replace("&", ""))
            for a in self._shortcuts
        ]

    def show_shortcuts(self) -> None:
        lines = "".join(f"<tr><td><b>{k}</b></td><td>{t}</td></tr>" for k, t in self.shortcut_list())
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{lines}</table>")

    def refresh(self) -> None:
        store = self.store
        run_task(lambda: load_rows(store), self.home.set_rows, self._show_error)

    def _show_error(self, exc: BaseException) -> None:
        self.statusBar().showMessage(f"Error: {exc}", 10000)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        settings.settings().setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)

