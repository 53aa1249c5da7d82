"""The console's main window: the inspections home, the live page, menus, status bar.

The window owns the engine (its own asyncio thread) and the bridge that brings
engine events to the main thread. Store reads and writes and the engine's
start go through ``run_task``; engine commands return futures handed back by
the bridge. Closing the window ends a live call and stops the engine with a
deadline, so it never hangs.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from inspector.config import ServerSettings
from inspector.domain.checklist import available_checklists, load_checklist
from inspector.domain.progress import progress
from inspector.live import events
from inspector.live.engine import Engine, EngineStartError
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection
from ui import settings
from ui.bridge import run_task
from ui.engine_bridge import EngineBridge
from ui.inspections_view import InspectionRow, InspectionsView
from ui.live_session import LiveSession
from ui.new_inspection_dialog import NewInspectionDialog
from ui.review.workspace import ReviewWorkspace

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 3.0


def load_rows(store: Store) -> list[InspectionRow]:
    """Read the inspections table's content (runs on a worker thread)."""
    rows = []
    for inspection in store.list_inspections():
        try:
            checklist = load_checklist(inspection.checklist)
            captures = store.captures(inspection.id)
            prog = str(progress(checklist, captures, store.damages(inspection.id)))
        except ValueError:
            prog = "?"
        rows.append(InspectionRow(inspection, prog))
    return rows


def load_checklist_titles() -> list[tuple[str, str]]:
    """(name, title) of every checklist template (worker thread)."""
    result = []
    for name in available_checklists():
        try:
            result.append((name, load_checklist(name).title.en))
        except ValueError:
            continue
    return result


def start_engine(engine: Engine) -> str:
    """Start the engine (worker thread); a taken port falls back to a free one."""
    try:
        return engine.start(timeout=15.0)
    except EngineStartError as exc:
        if engine.settings.port == 0 or "in use" not in str(exc):
            raise
        log.warning("%s; using a free port instead", exc)
        engine.settings = dataclasses.replace(engine.settings, port=0)
        return engine.start(timeout=15.0)


class MainWindow(QMainWindow):
    """The operator's desk. Owns the store, the engine and the bridge."""

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        server_settings: ServerSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Vehicle Inspector")
        self.resize(1280, 720)
        self.setMinimumSize(1024, 640)
        self.bridge = EngineBridge(self)
        if server_settings is None:
            server_settings = ServerSettings(port=0, lan=bool(settings.value("server/lan")))
        self.engine = Engine(
            store,
            server_settings,
            self.bridge.on_event,
            auto_advance=bool(settings.value("live/auto_advance")),
        )
        self.server_url: str | None = None
        self._shut_down = False
        self._engine_starting = threading.Event()  # set once start() has returned or failed
        self._checklists: list[tuple[str, str]] = [("standard", "Standard")]
        self._interrupted: list[events.CallInterrupted] = []

        self.home = InspectionsView()
        self.live = LiveSession(
            self.bridge,
            self.engine,
            store,
            phrase_language=settings.value("live/phrase_language"),
        )
        self.review: ReviewWorkspace | None = None
        self.pages = QStackedWidget()
        self.pages.addWidget(self.home)
        self.pages.addWidget(self.live)
        self.setCentralWidget(self.pages)
        self._shortcuts: list[QAction] = []
        self._live_actions: list[QAction] = []
        self._build_menus()
        self._connect()

        self.data_label = QLabel(f"Data: {store.data_dir}")
        self.data_label.setToolTip("Where inspections and photos are kept")
        self.server_label = QLabel("Server: starting…")
        self.server_label.setToolTip("The address phones connect to")
        self.statusBar().addPermanentWidget(self.server_label)
        self.statusBar().addPermanentWidget(self.data_label)

        qs = settings.settings()
        geometry = qs.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = qs.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self._show_page(self.home)
        self.refresh()
        run_task(load_checklist_titles, self._set_checklists)
        engine, starting = self.engine, self._engine_starting

        def start() -> str:
            try:
                return start_engine(engine)
            finally:
                starting.set()

        run_task(start, self._engine_started, self._engine_failed)

    # -- menus and shortcuts --------------------------------------------------------------

    def _action(
        self,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None,
        tip: str,
        slot: Any = None,
        *,
        live: bool = False,
        checkable: bool = False,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            self._shortcuts.append(action)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        if live:
            self._live_actions.append(action)
        self.addAction(action)  # shortcuts work whichever page is shown
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_action = self._action(
            "&New inspection…", "Ctrl+N", "Create an inspection", self.new_inspection
        )
        self.open_action = self._action(
            "&Open inspection",
            None,
            "Open the selected inspection's live page (Enter)",
            self.open_selected,
        )
        self.delete_action = self._action(
            "&Delete inspection…",
            "Del",
            "Delete the selected inspection and its photos",
            self.delete_selected,
        )
        self.review_action = self._action(
            "&Review and report…",
            "Ctrl+R",
            "Review the photos, mark damages and export the report of the selected inspection",
            self.review_selected,
        )
        self.home_action = self._action(
            "&Back to inspections",
            "Ctrl+W",
            "Leave the live or review page (ends the call)",
            self.go_home,
        )
        self.refresh_action = self._action(
            "&Refresh",
            "F5",
            "Reload the list of inspections",
            self.refresh,
        )
        self.quit_action = self._action("&Quit", "Ctrl+Q", "Close the console", self.close)
        for a in (
            self.new_action,
            self.open_action,
            self.review_action,
            self.delete_action,
            self.home_action,
        ):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(self.refresh_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        live = bar.addMenu("&Live")
        lv = self.live
        self.demo_action = self._action(
            "&Demo phone",
            "Ctrl+Shift+D",
            "Connect a simulated phone to try without a phone",
            self.start_demo_phone,
            live=True,
        )
        self.invite_action = self._action(
            "New &link",
            "Ctrl+L",
            "Make a new join link for the seller",
            lv.request_invite,
            live=True,
        )
        self.capture_action = self._action(
            "&Capture", "Space", "Take a photo with the seller's phone", lv.capture_now, live=True
        )
        self.accept_action = self._action(
            "&Accept photo", "Return", "Keep the last photo and go on", lv.accept_capture, live=True
        )
        self.accept_action.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        self.retake_action = self._action(
            "&Retake photo",
            "R",
            "Discard the last photo and take it again",
            lv.retake_capture,
            live=True,
        )
        self.torch_action = self._action(
            "&Torch", "T", "Switch the phone's torch on or off", lv.toggle_torch, live=True
        )
        self.next_action = self._action(
            "&Next shot", "PgDown", "Guide the seller to the next shot", lv.next_shot, live=True
        )
        self.previous_action = self._action(
            "&Previous shot",
            "PgUp",
            "Guide the seller to the previous shot",
            lv.previous_shot,
            live=True,
        )
        self.damage_action = self._action(
            "Add &damage",
            "Ctrl+D",
            "Add a damage (wide view and close-up)",
            lv.add_damage,
            live=True,
        )
        self.freeze_action = self._action(
            "&Freeze frame", "F", "Hold the current picture on screen", lv.toggle_freeze, live=True
        )
        self.overlay_action = self._action(
            "Framing &overlay",
            "O",
            "Show or hide the framing overlay",
            lv.toggle_overlay,
            live=True,
        )
        self.end_action = self._action(
            "&End call",
            "Ctrl+E",
            "Hang up: close the connection with the phone",
            self.end_call,
            live=True,
        )
        for a in (self.demo_action, self.invite_action):
            live.addAction(a)
        live.addSeparator()
        for a in (self.capture_action, self.accept_action, self.retake_action, self.torch_action):
            live.addAction(a)
        live.addSeparator()
        for a in (self.next_action, self.previous_action, self.damage_action):
            live.addAction(a)
        live.addSeparator()
        for a in (self.freeze_action, self.overlay_action):
            live.addAction(a)
        live.addSeparator()
        live.addAction(self.end_action)

        prefs = bar.addMenu("&Settings")
        self.operator_action = self._action(
            "&Operator name…", None, "Your name, recorded on new inspections", self.ask_operator
        )
        self.lan_action = self._action(
            "&LAN mode (HTTPS on the local network)",
            None,
            "Let phones on the local network join (takes effect after a restart)",
            self._set_lan,
            checkable=True,
        )
        self.lan_action.setChecked(bool(settings.value("server/lan")))
        self.auto_advance_action = self._action(
            "&Auto-advance after accept",
            None,
            "Go to the next missing shot after Accept",
            self._set_auto_advance,
            checkable=True,
        )
        self.auto_advance_action.setChecked(bool(settings.value("live/auto_advance")))
        prefs.addAction(self.operator_action)
        prefs.addAction(self.lan_action)
        prefs.addAction(self.auto_advance_action)
        phrase_menu = prefs.addMenu("&Quick phrase language")
        group = QActionGroup(self)
        self.phrase_actions: dict[str, QAction] = {}
        for code, label in (("fr", "Français"), ("en", "English")):
            action = QAction(label, self, checkable=True)
            action.setToolTip(f"Quick phrases in {label}")
            action.setChecked(settings.value("live/phrase_language") == code)
            action.triggered.connect(lambda _c=False, code=code: self._set_phrase_language(code))
            group.addAction(action)
            phrase_menu.addAction(action)
            self.phrase_actions[code] = action

        help_menu = bar.addMenu("&Help")
        self.shortcuts_action = self._action(
            "&Keyboard shortcuts",
            "F1",
            "List every keyboard shortcut",
            self.show_shortcuts,
        )
        help_menu.addAction(self.shortcuts_action)

        # Enter on the table opens; the Accept action's Enter is off on the home page.
        self.open_shortcut = QShortcut(QKeySequence("Return"), self.home.table)
        self.open_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.open_shortcut.activated.connect(self.open_selected)
        self.open_shortcut2 = QShortcut(QKeySequence("Enter"), self.home.table)
        self.open_shortcut2.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.open_shortcut2.activated.connect(self.open_selected)

    def shortcut_list(self) -> list[tuple[str, str]]:
        """(keys, what) for every shortcut, as the Help lists them."""
        fmt = QKeySequence.SequenceFormat.NativeText
        rows = [
            ("Enter", "Open the selected inspection (inspections list)"),
            ("Double click", "Open an inspection (inspections list)"),
        ]
        for a in self._shortcuts:
            keys = ", ".join(s.toString(fmt) for s in a.shortcuts())
            rows.append((keys, a.text().replace("&", "").rstrip("…")))
        rows.append(("Click on the video", "Point at that spot on the seller's screen"))
        return rows

    def show_shortcuts(self) -> None:
        lines = "".join(
            f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{t}</td></tr>" for k, t in self.shortcut_list()
        )
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText(f"<table>{lines}</table>")
        box.setIcon(QMessageBox.Icon.Information)
        box.open()
        self.shortcuts_box = box

    # -- wiring ------------------------------------------------------------------------------

    def _connect(self) -> None:
        self.home.table.doubleClicked.connect(self._open_index)
        self.home.table.itemSelectionChanged.connect(self._update_actions)
        self.live.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.live.live_changed.connect(lambda _live: self._update_actions())
        self.bridge.completed.connect(lambda _e: self.refresh())
        self.bridge.error.connect(
            lambda e: None if e.inspection_id else self.statusBar().showMessage(e.message, 10000)
        )
        self.bridge.event.connect(self._on_engine_event)

    def _show_page(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(page)
        self._update_actions()

    def _update_actions(self) -> None:
        on_live = self.pages.currentWidget() is self.live and self.live.inspection is not None
        for action in self._live_actions:
            action.setEnabled(on_live)
        on_review = self.review is not None and self.pages.currentWidget() is self.review
        selected = self.selected_id() is not None and not on_live and not on_review
        self.open_action.setEnabled(selected)
        self.delete_action.setEnabled(selected)
        self.review_action.setEnabled(selected or on_live)
        self.home_action.setEnabled(on_live or on_review)
        self.new_action.setEnabled(True)

    # -- the home page --------------------------------------------------------------------------

    def refresh(self) -> None:
        store = self.store
        run_task(lambda: load_rows(store), self._set_rows, self._show_error)

    def _set_rows(self, rows: list[InspectionRow]) -> None:
        selected = self.selected_id()
        self.home.set_rows(rows)
        if selected is not None:
            self.select_inspection(selected)
        self._update_actions()

    def selected_id(self) -> str | None:
        table = self.home.table
        rows = table.selectionModel().selectedRows() if table.selectionModel() else []
        if not rows:
            return None
        item = table.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _set_auto_advance(self, on: bool) -> None:
        settings.set_value("live/auto_advance", bool(on))
        self.engine.auto_advance = bool(on)  # sessions opened from now on
        if self.live.inspection is not None and self.engine.running:
            self.bridge.call(self.engine.set_auto_advance(self.live.inspection.id, bool(on)))

    def select_inspection(self, inspection_id: str) -> bool:
        table = self.home.table
        for r in range(table.rowCount()):
            item = table.item(r, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == inspection_id:
                table.selectRow(r)
                return True
        return False

    def _set_checklists(self, checklists: list[tuple[str, str]]) -> None:
        if checklists:
            self._checklists = checklists

    def new_inspection(self) -> NewInspectionDialog:
        """Open the dialog (non-blocking); Create makes the inspection off the UI thread."""
        dialog = NewInspectionDialog(
            self._checklists, self, default_language=settings.value("live/phrase_language")
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per inspection: never kept
        dialog.accepted.connect(lambda: self._create(dialog.values()))
        dialog.open()
        self.new_dialog = dialog
        return dialog

    def _create(self, values: dict[str, Any]) -> None:
        store, operator = self.store, settings.value("operator/name")

        def create() -> tuple[Any, list[str]]:
            return create_inspection(store, operator=operator, **values)

        def created(result: tuple[Any, list[str]]) -> None:
            inspection, warnings = result
            self.statusBar().showMessage(
                "Inspection created" + (f" ({'; '.join(warnings)})" if warnings else ""), 8000
            )
            self.refresh()
            self.open_inspection(inspection.id)

        run_task(create, created, self._show_error)

    def _open_index(self, index: QModelIndex) -> None:
        item = self.home.table.item(index.row(), 0)
        if item is not None:
            self.open_inspection(item.data(Qt.ItemDataRole.UserRole))

    def open_selected(self) -> None:
        inspection_id = self.selected_id()
        if inspection_id is not None and self.pages.currentWidget() is self.home:
            self.open_inspection(inspection_id)

    def open_inspection(self, inspection_id: str) -> None:
        """Show the live page of an inspection (read off the UI thread)."""
        store = self.store

        def load() -> tuple[Any, Any, Any, Any]:
            inspection = store.get_inspection(inspection_id)
            checklist = load_checklist(inspection.checklist)
            return (
                inspection,
                checklist,
                store.captures(inspection_id),
                store.damages(inspection_id),
            )

        def loaded(result: tuple[Any, Any, Any, Any]) -> None:
            if self.live.inspection is not None:
                self.live.close_session()
            self.live.open(*result)
            self._show_page(self.live)
            self.setWindowTitle(f"Vehicle Inspector — {result[0].vehicle.title() or 'inspection'}")

        run_task(load, loaded, self._show_error)

    def delete_selected(self) -> None:
        inspection_id = self.selected_id()
        if inspection_id is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete inspection",
            "Delete this inspection with all its photos and damages? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.accepted.connect(lambda: None)
        box.finished.connect(lambda result: self._delete_answer(inspection_id, result))
        box.open()
        self.delete_box = box

    def _delete_answer(self, inspection_id: str, result: int) -> None:
        if result != QMessageBox.StandardButton.Yes:
            return
        store, engine = self.store, self.engine

        def delete() -> None:
            if engine.running:
                engine.revoke(inspection_id).result(5)
            store.delete_inspection(inspection_id)

        def deleted(_: None) -> None:
            self.statusBar().showMessage("Inspection deleted", 5000)
            self.refresh()

        run_task(delete, deleted, self._show_error)

    def review_selected(self) -> None:
        """Open the review workspace of the selected (or live) inspection; ends any call."""
        if self.pages.currentWidget() is self.live and self.live.inspection is not None:
            inspection_id: str | None = self.live.inspection.id
            self.live.close_session()
        else:
            inspection_id = self.selected_id()
        if inspection_id is None:
            return
        self._close_review()
        self.review = ReviewWorkspace(self.store, inspection_id)
        self.review.title_changed.connect(
            lambda title: self.setWindowTitle(f"Vehicle Inspector — {title}")
        )
        self.review.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.review.load_failed.connect(self._review_failed)
        self.pages.addWidget(self.review)
        self._show_page(self.review)

    def _review_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"Cannot open the review: {message}", 10000)
        self.go_home()

    def _close_review(self) -> None:
        review, self.review = self.review, None
        if review is not None:
            review.close()  # saves notes being typed, cancels a running export
            self.pages.removeWidget(review)
            review.deleteLater()

    def go_home(self) -> None:
        self._close_review()
        if self.live.inspection is not None:
            self.live.close_session()
        self._show_page(self.home)
        self.setWindowTitle("Vehicle Inspector")
        self.refresh()

    # -- live -------------------------------------------------------------------------------

    def start_demo_phone(self) -> None:
        self.live.start_demo_phone()

    def end_call(self) -> None:
        self.live.end_call()

    # -- settings ------------------------------------------------------------------------------

    def ask_operator(self) -> None:
        name, ok = QInputDialog.getText(
            self, "Operator name", "Your name:", text=settings.value("operator/name")
        )
        if ok:
            settings.set_value("operator/name", name.strip()[:120])

    def _set_lan(self, on: bool) -> None:
        settings.set_value("server/lan", bool(on))
        self.statusBar().showMessage("LAN mode takes effect when the console restarts", 8000)

    def _set_phrase_language(self, code: str) -> None:
        settings.set_value("live/phrase_language", code)
        self.live.capture.set_phrase_language(code)

    # -- engine ---------------------------------------------------------------------------------

    def _engine_started(self, url: str) -> None:
        if self._shut_down:
            return
        self.server_url = url
        lan = self.engine.lan_url
        self.server_label.setText(
            f"Server: {url}" + (f" (LAN {lan})" if lan and lan != url else "")
        )
        self.live.invite.set_lan_url(lan)
        if self.live.inspection is not None and not self.live.invite.join_url:
            self.live.request_invite()

    def _on_engine_event(self, event: events.Event) -> None:
        if isinstance(event, events.CallInterrupted):
            self._call_interrupted(event)

    def _call_interrupted(self, event: events.CallInterrupted) -> None:
        """At start-up: a call a crash left "live" was put back; say so, do not block."""
        self._interrupted.append(event)
        if len(self._interrupted) == 1:
            what = event.vehicle or f"inspection {event.inspection_id}"
            text = (
                f"A call was interrupted: {what} is back to “{event.status}” (its photos are kept)"
            )
        else:
            which = ", ".join(e.vehicle or e.inspection_id for e in self._interrupted)
            text = (
                f"{len(self._interrupted)} calls were interrupted ({which}); they are back "
                "to invited or captured (their photos are kept)"
            )
        self.statusBar().showMessage(text, 30000)
        self.refresh()

    def _engine_failed(self, exc: BaseException) -> None:
        self.server_label.setText("Server: not running")
        self.statusBar().showMessage(f"The phone server could not start: {exc}", 15000)

    def _show_error(self, exc: BaseException) -> None:
        self.statusBar().showMessage(f"Error: {exc}", 10000)

    # -- closing ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """End a live call, stop the engine (bounded in time). Safe to call twice."""
        if self._shut_down:
            return
        self._shut_down = True
        self._close_review()
        self.bridge.close()
        self.live.shutdown()
        # Stopping in the middle of start() would leave its half-made server behind.
        self._engine_starting.wait(STOP_TIMEOUT_S)
        self.engine.stop(timeout=STOP_TIMEOUT_S)

    def closeEvent(self, event: QCloseEvent) -> None:
        qs = settings.settings()
        qs.setValue("window/geometry", self.saveGeometry())
        qs.setValue("window/state", self.saveState())
        self.shutdown()
        super().closeEvent(event)
