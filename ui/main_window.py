"""The console's main window: the inspections home, the live page, menus, status bar.

The window owns the engine (its own asyncio thread) and the bridge that brings
engine events to the main thread. Store reads and writes and the engine's
start go through ``run_task``; engine commands return futures handed back by
the bridge (both in ``ui.crossing``); failures nobody else handles are shown in
the status bar. Connected to a team server (``ui.team_connection``), the home shows
the team's inspections instead of this desk's, kept current by the server's events.
The menus are declared in ``ui.actions``. Closing the window ends a live call and
stops the engine with a deadline, so it never hangs.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from inspector.config import ServerSettings
from inspector.domain.checklist import Checklist, available_checklists, load_checklist
from inspector.i18n import language_name, languages
from inspector.live import events
from inspector.live.engine import Engine
from inspector.storage import ChangedElsewhere
from inspector.storage.store import Store
from inspector.team.desk import RemoteDesk
from inspector.team.review import TeamCopy
from inspector.usecases.inspections import create_inspection, delete_inspection
from inspector.usecases.privacy import ListingResult
from ui import crossing, settings
from ui.actions import build_menus
from ui.crossing import EngineBridge, run_task
from ui.inspections_view import InspectionRow, InspectionsView, team_row
from ui.live_session import LiveSession
from ui.new_inspection_dialog import NewInspectionDialog
from ui.review.listing_export import ask_folder, failed_text, start_listing_export, written_text
from ui.review.workspace import ReviewWorkspace
from ui.team_calls import CALL_ROLES, TeamCalls, link_words, reviews, runs_calls
from ui.team_connection import TeamConnection, TeamSession, explain
from ui.team_dialogs import ConnectDialog, SelfInviteDialog, TeamInspectionDialog

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 3.0


def load_rows(store: Store) -> list[InspectionRow]:
    """Read the inspections table's content (runs on a worker thread): one row per
    inspection from the store's listing, its captures never read one by one."""
    checklists: dict[str, Checklist | None] = {}
    rows = []
    for summary in store.listing():
        name = summary.checklist
        if name not in checklists:
            try:
                checklists[name] = load_checklist(name)
            except ValueError:
                checklists[name] = None
        checklist = checklists[name]
        try:
            prog = str(summary.completion(checklist)) if checklist is not None else "?"
        except ValueError:
            prog = "?"
        rows.append(InspectionRow(summary, prog))
    return rows


def load_checklist_titles() -> list[tuple[str, str]]:
    """(name, title) of every checklist template (worker thread)."""
    result = []
    for name in available_checklists():
        try:
            result.append((name, load_checklist(name).title.get("en")))
        except ValueError:
            continue
    return result


class MainWindow(QMainWindow):
    """The operator's desk. Owns the store, the engine and the bridge."""

    # One attribute per entry of ui.actions.MENUS (``capture_action``…); these the window uses.
    new_action: QAction
    open_action: QAction
    review_action: QAction
    delete_action: QAction
    home_action: QAction
    listing_action: QAction
    self_invite_action: QAction
    connect_action: QAction
    disconnect_action: QAction

    listing_exported = Signal(object)  # ListingResult, from the home page's action

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
        self.team = TeamConnection(self)
        self.team_calls = TeamCalls(self.bridge, store.data_dir, self)
        self.connect_dialog: ConnectDialog | None = None
        self.team_dialog: TeamInspectionDialog | None = None
        self.self_invite_dialog: SelfInviteDialog | None = None
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
        self._build_menus()
        crossing.add_error_sink(self._show_error)  # failures no caller handles
        self._connect()

        photos = "" if store.photos_dir is not None else f" · photos: {store.photos.url}"
        self.data_label = QLabel(f"Data: {store.data_dir}{photos}")
        self.data_label.setToolTip("Where inspections and photos are kept")
        self.server_label = QLabel("Server: starting…")
        self.server_label.setToolTip("The address phones connect to")
        self.store_label = QLabel()
        self.store_label.setStyleSheet("color: #b3261e; font-weight: bold")
        self.store_label.hide()  # shown while the store does not take the live writes
        self.statusBar().addPermanentWidget(self.store_label)
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
        self.team.restore()  # a kept session reconnects without asking
        run_task(load_checklist_titles, self._set_checklists)
        engine, starting = self.engine, self._engine_starting

        def start() -> str:
            try:
                return engine.start_on_any_port(timeout=15.0)
            finally:
                starting.set()

        run_task(start, self._engine_started, self._engine_failed)

    # -- menus and shortcuts --------------------------------------------------------------

    def _build_menus(self) -> None:
        """The menus of ``ui.actions.MENUS``, then what a table does not say."""
        built = build_menus(self)
        for name, (action, _spec) in built.items():
            setattr(self, name, action)
        self._shortcuts: list[QAction] = [a for a, spec in built.values() if spec.keys]
        self._live_actions: list[QAction] = [a for a, spec in built.values() if spec.live]

        prefs = self.menuBar().findChild(QMenu, "settings")
        phrase_menu = prefs.addMenu("&Quick phrase language")
        group = QActionGroup(self)
        self.phrase_actions: dict[str, QAction] = {}
        for code in languages():
            label = language_name(code)
            action = QAction(label, self, checkable=True)
            action.setToolTip(f"Quick phrases in {label}")
            action.setChecked(settings.value("live/phrase_language") == code)
            action.triggered.connect(lambda _c=False, code=code: self._set_phrase_language(code))
            group.addAction(action)
            phrase_menu.addAction(action)
            self.phrase_actions[code] = action

        # Enter on the table opens; the Accept action's Enter is off on the home page.
        self.open_shortcuts: list[QShortcut] = []
        for key in ("Return", "Enter"):
            shortcut = QShortcut(QKeySequence(key), self.home.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.open_selected)
            self.open_shortcuts.append(shortcut)

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
        self.home.new_requested.connect(self.new_action.trigger)
        self.home.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.home.model.modelReset.connect(self._update_actions)  # a reset selects nothing
        self.live.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.live.live_changed.connect(lambda _live: self._update_actions())
        self.bridge.completed.connect(lambda _e: self.refresh())
        self.bridge.error.connect(
            lambda e: None if e.inspection_id else self.statusBar().showMessage(e.message, 10000)
        )
        self.bridge.event.connect(self._on_engine_event)
        self.live.invite.lan_requested.connect(self._use_lan_now)
        self.home.connect_requested.connect(self.connect_to_team)
        self.team.connected.connect(self._team_connected)
        self.team.rows_loaded.connect(self._set_team_rows)
        self.team.state_changed.connect(self._team_state)
        self.team.ask_login.connect(lambda message: self.connect_to_team(message))
        self.team.inspection_changed.connect(self._team_inspection_changed)

    def _show_page(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(page)
        self._update_actions()

    def _update_actions(self) -> None:
        on_live = self.pages.currentWidget() is self.live and self.live.inspection is not None
        for action in self._live_actions:
            action.setEnabled(on_live)
        on_review = self.review is not None and self.pages.currentWidget() is self.review
        selected = self.selected_id() is not None and not on_live and not on_review
        local = selected and not self.home_is_team
        self.open_action.setEnabled(selected)
        self.delete_action.setEnabled(local)
        self.listing_action.setEnabled(local)
        session = self.team.session
        team_review = selected and self.home_is_team and reviews(session)
        self.review_action.setEnabled(local or team_review or (on_live and not self.on_team_call))
        self.self_invite_action.setEnabled(
            selected and self.home_is_team and session is not None and session.role in CALL_ROLES
        )
        self.home_action.setEnabled(on_live or on_review)
        self.new_action.setEnabled(True)
        self.disconnect_action.setEnabled(self.team.active or self.home_is_team)

    @property
    def home_is_team(self) -> bool:
        """The home shows a team server's inspections (connected, or its session ended)."""
        return self.home.team_user is not None

    # -- the home page --------------------------------------------------------------------------

    def refresh(self) -> None:
        if self.home_is_team:
            self.team.reload()
            return
        store = self.store
        run_task(lambda: load_rows(store), self._set_rows, self._show_error)

    def _set_rows(self, rows: list[InspectionRow]) -> None:
        if self.home_is_team:  # read before connecting: the team's rows are shown now
            return
        self.home.set_rows(rows)  # keeps the selection
        self._update_actions()

    # -- the team server ------------------------------------------------------------------

    def connect_to_team(self, message: str = "") -> ConnectDialog:
        """The Connect dialog (non-blocking); ``message`` says why it is asked again."""
        message = message if isinstance(message, str) else ""  # an action's ``checked``
        if self.connect_dialog is not None and self.connect_dialog.isVisible():
            if message:
                self.connect_dialog._failed(message)
            return self.connect_dialog
        dialog = ConnectDialog(
            self.team.login,
            self,
            server=settings.value("team/last_server"),
            user=settings.value("team/last_user"),
            message=message,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda: setattr(self, "connect_dialog", None))
        dialog.open()
        self.connect_dialog = dialog
        return dialog

    def disconnect_from_team(self) -> None:
        """Log out, forget the token, show this desk's inspections again."""
        self._end_team_calls()
        self.team.disconnect_from_server()
        self.home.set_team(None)
        self.statusBar().showMessage("Disconnected from the team server", 8000)
        self.refresh()

    def _team_connected(self) -> None:
        session = self.team.session
        if session is None:
            return
        self.home.set_team(session.user)  # a live call going on is left alone
        review = self.review
        if review is not None and review.team is not None and not self.team_calls.copy_of(session):
            self.go_home()  # its writes would go out as the user of another session
            self.statusBar().showMessage(
                "The team review was closed: you are connected as another user now", 15000
            )
        self._update_actions()

    def _set_team_rows(self, entries: list[dict[str, Any]]) -> None:
        if not self.home_is_team:
            return
        self.home.set_rows([team_row(e) for e in entries])  # keeps the selection
        self._update_actions()

    def _team_state(self, state: str, text: str) -> None:
        if state in ("offline", "ended"):
            self._end_team_calls()
        if state == "offline":
            return
        self.home.set_team_state(state, text)
        self._update_actions()

    def open_team_inspection(self, inspection_id: str) -> None:
        """Open a team inspection: an operator takes its call (run on this console,
        every still stored on the server); an inspector opens its review (every change
        written to the server first); anyone else sees its details, read-only."""
        session = self.team.session
        entry = next((e for e in self.team.entries if e.get("id") == inspection_id), None)
        if session is not None and runs_calls(session, entry and entry.get("status")):
            self._take_team_call(session, inspection_id)
            return
        if reviews(session):
            self.review_team_inspection(inspection_id)
            return

        def shown(data: dict[str, Any]) -> None:
            if self.team_dialog is not None:
                self.team_dialog.close()
            dialog = TeamInspectionDialog(data, session.server if session else "", self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.destroyed.connect(lambda: setattr(self, "team_dialog", None))
            dialog.open()
            self.team_dialog = dialog

        def failed(text: str) -> None:
            self.statusBar().showMessage(f"Cannot open the inspection: {text}", 10000)

        self.team.inspection(inspection_id, shown, failed)

    def review_team_inspection(self, inspection_id: str) -> None:
        """The review of a team inspection, on its working copy in this console's cache
        (fetched from the server as the review loads; see :mod:`inspector.team.review`)."""
        session = self.team.session
        if session is None:
            return
        self.statusBar().showMessage("Opening the review: reading the inspection from the team…")

        def opened(copy: TeamCopy) -> None:
            if self.team.session != session:
                return  # disconnected meanwhile
            self._open_review(copy, inspection_id, f" (team: {session.server})")

        def failed(text: str) -> None:
            self.statusBar().showMessage(f"Cannot open the review: {text}", 15000)

        self.team_calls.review_copy(session, opened, failed)

    def _team_inspection_changed(self, inspection_id: str) -> None:
        review = self.review
        if review is not None and review.team is not None and review.inspection_id == inspection_id:
            review.colleague_changed()

    def invite_self_selected(self) -> None:
        """A self-inspection link for the selected team inspection: the team server's
        autopilot guides the seller, no operator needed."""
        session, inspection_id = self.team.session, self.selected_id()
        if session is None or inspection_id is None or not self.home_is_team:
            return

        def done(found: dict[str, Any]) -> None:
            dialog = SelfInviteDialog(str(found["join_url"]), str(found["expires_at"]), self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.destroyed.connect(lambda: setattr(self, "self_invite_dialog", None))
            dialog.open()
            self.self_invite_dialog = dialog
            self.team.reload()

        def failed(exc: BaseException) -> None:
            self.statusBar().showMessage(f"No self-inspection link: {explain(exc)}", 15000)

        run_task(lambda: session.client().invite(inspection_id, self_inspection=True), done, failed)

    def _take_team_call(self, session: TeamSession, inspection_id: str) -> None:
        self.statusBar().showMessage("Taking the call: fetching the inspection from the team…")

        def taken(desk: RemoteDesk, loaded: tuple[Any, Any, Any, Any]) -> None:
            if self.live.inspection is not None:
                self.live.close_session()
            self.live.use_engine(desk.engine, desk.store)
            self._say_team_call(session.server)
            self.live.open(*loaded)
            self._show_page(self.live)
            title = loaded[0].vehicle.title() or "inspection"
            self.setWindowTitle(f"Vehicle Inspector — {title} (team: {session.server})")
            self.statusBar().showMessage(
                "The call runs on this console; every photo is stored on the team server", 8000
            )

        def failed(text: str) -> None:
            self.statusBar().showMessage(f"Cannot take the call: {text}", 15000)

        self.team_calls.take(session, inspection_id, taken, failed)

    @property
    def on_team_call(self) -> bool:
        """Whether the live page runs a team server's call (the desk's engine)."""
        return self.live.engine is not self.engine

    def _leave_team_call(self) -> None:
        """Back to this desk's own engine: the team's call waits for a console."""
        if self.on_team_call:
            self.team_calls.leave()
            self.live.use_engine(self.engine, self.store)
            self._say_team_call(None)

    def _say_team_call(self, server: str | None) -> None:
        """The status bar names where the phone connects: the team server during its call."""
        if server is not None:
            self.server_label.setText(f"Call relayed by {server}")
            self.server_label.setToolTip(
                "The seller's phone joins the team server, which relays the call to this "
                "console; every photo is stored on the team server"
            )
            return
        self._show_server()

    def _show_server(self) -> None:
        """This desk's phone server, where its own calls' phones connect."""
        self.server_label.setToolTip("The address phones connect to")
        url, lan = self.server_url, self.engine.lan_url
        if url is None:
            self.server_label.setText("Server: starting…")
        else:
            self.server_label.setText(
                f"Server: {url}" + (f" (LAN {lan})" if lan and lan != url else "")
            )

    def _end_team_calls(self) -> None:
        """The session ends: a team call on the page goes, a team review too, and the
        desk's engine stops."""
        if self.review is not None and self.review.team is not None:
            self._close_review()
            self._show_page(self.home)
            self.setWindowTitle("Vehicle Inspector")
        if self.on_team_call and self.live.inspection is not None:
            self.live.close_session()
            self._leave_team_call()
            self._show_page(self.home)
            self.setWindowTitle("Vehicle Inspector")
        self.team_calls.close()

    def _desk_link(self, event: events.DeskLinkChanged) -> None:
        if event.inspection_id != self.team_calls.inspection_id:
            return  # a call this console let go already
        words = link_words(event)
        if event.state == "stopped" and event.reason != "stopped":
            self.statusBar().showMessage(words, 30000)
            if self.on_team_call and self.live.inspection_id == event.inspection_id:
                self.go_home()
                self.statusBar().showMessage(words, 30000)
        elif words:
            self.statusBar().showMessage(words, 8000)

    def selected_id(self) -> str | None:
        return self.home.selected_id()

    def _set_auto_advance(self, on: bool) -> None:
        settings.set_value("live/auto_advance", bool(on))
        self.engine.set_default_auto_advance(bool(on))  # sessions opened from now on
        if self.live.inspection is not None and self.engine.running:
            self.bridge.call(self.engine.set_auto_advance(self.live.inspection.id, bool(on)))

    def select_inspection(self, inspection_id: str) -> bool:
        return self.home.select(inspection_id)

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
        if self.home_is_team:
            self._create_on_team(values)
            return
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

    def _create_on_team(self, values: dict[str, Any]) -> None:
        def created(found: dict[str, Any]) -> None:
            self.statusBar().showMessage("Inspection created on the team server", 8000)
            self.team.reload()

        def failed(text: str) -> None:
            self.statusBar().showMessage(f"Not created: {text}", 15000)

        self.team.create(values, created, failed)

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self._open(index.data(Qt.ItemDataRole.UserRole))

    def open_selected(self) -> None:
        inspection_id = self.selected_id()
        if inspection_id is not None and self.pages.currentWidget() is self.home:
            self._open(inspection_id)

    def _open(self, inspection_id: str) -> None:
        if self.home_is_team:
            self.open_team_inspection(inspection_id)
        else:
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
            self._leave_team_call()
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
        version = self.home.version_of(inspection_id)  # what the operator decided on
        box.finished.connect(lambda result: self._delete_answer(inspection_id, version, result))
        box.open()
        self.delete_box = box

    def _delete_answer(self, inspection_id: str, version: int | None, result: int) -> None:
        if result != QMessageBox.StandardButton.Yes:
            return
        store, engine = self.store, self.engine

        def delete() -> None:
            if engine.running:
                crossing.wait(engine.revoke(inspection_id), 5)
            delete_inspection(store, inspection_id, version=version)

        def deleted(_: None) -> None:
            self.statusBar().showMessage("Inspection deleted", 5000)
            self.refresh()

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, ChangedElsewhere):
                self._show_error(exc)
                return
            self.statusBar().showMessage(
                "Not deleted: changed by someone else since the list was read. "
                "Check it, then delete it again.",
                15000,
            )
            self.refresh()

        run_task(delete, deleted, failed)

    def review_selected(self) -> None:
        """Open the review workspace of the selected (or live) inspection; ends any call."""
        if self.pages.currentWidget() is self.live and self.live.inspection is not None:
            inspection_id: str | None = self.live.inspection.id
            self.live.close_session()
        else:
            inspection_id = self.selected_id()
        if inspection_id is None:
            return
        if self.home_is_team and self.pages.currentWidget() is not self.live:
            self.review_team_inspection(inspection_id)
            return
        self._open_review(self.store, inspection_id)

    def _open_review(self, store: Store, inspection_id: str, where: str = "") -> None:
        self._close_review()
        self.review = ReviewWorkspace(store, inspection_id)
        self.review.title_changed.connect(
            lambda title: self.setWindowTitle(f"Vehicle Inspector — {title}{where}")
        )
        self.review.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.review.load_failed.connect(self._review_failed)
        self.pages.addWidget(self.review)
        self._show_page(self.review)

    def export_listing_selected(self, folder: Path | None = None) -> None:
        """Write the selected inspection's listing into ``folder`` (asked when None)."""
        inspection_id = self.selected_id()
        if inspection_id is None:
            return
        folder = folder or ask_folder(self)
        if folder is None:
            return

        def done(result: ListingResult) -> None:
            self.statusBar().showMessage(written_text(result), 10000)
            self.listing_exported.emit(result)

        def failed(exc: BaseException) -> None:
            self.statusBar().showMessage(failed_text(exc), 15000)

        start_listing_export(self.store, inspection_id, folder, done, failed)

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
        self._leave_team_call()
        self._show_page(self.home)
        self.setWindowTitle("Vehicle Inspector")
        self.refresh()

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

    def _use_lan_now(self) -> None:
        """One click from a loopback link: serve on the local network, make a new link."""
        if self.live.invite.phone_joined:
            self.statusBar().showMessage("A phone is connected: end the call first", 8000)
            return
        settings.set_value("server/lan", True)
        self.lan_action.blockSignals(True)
        self.lan_action.setChecked(True)
        self.lan_action.blockSignals(False)
        self.server_label.setText("Server: restarting in LAN mode…")
        self.live.invite.lan_button.setEnabled(False)
        engine, starting = self.engine, self._engine_starting
        starting.clear()

        def restart() -> str:
            try:
                return engine.restart_on_lan(timeout=15.0)
            finally:
                starting.set()

        def restarted(url: str) -> None:
            self.live.invite.lan_button.setEnabled(True)
            self._engine_started(url)
            if self.live.inspection is not None:
                self.live.request_invite()  # the old link pointed at loopback

        def failed(exc: BaseException) -> None:
            self.live.invite.lan_button.setEnabled(True)
            self._engine_failed(exc)

        run_task(restart, restarted, failed)

    def _set_phrase_language(self, code: str) -> None:
        settings.set_value("live/phrase_language", code)
        self.live.capture.set_phrase_language(code)

    # -- engine ---------------------------------------------------------------------------------

    def _engine_started(self, url: str) -> None:
        if self._shut_down:
            return
        self.server_url = url
        if not self.on_team_call:
            self._show_server()
        lan = self.engine.lan_url
        self.live.invite.set_lan_url(lan)
        if self.live.inspection is not None and not self.live.invite.join_url:
            self.live.request_invite()

    def _on_engine_event(self, event: events.Event) -> None:
        if isinstance(event, events.CallInterrupted):
            self._call_interrupted(event)
        elif isinstance(event, events.StoreState):
            self._store_state(event)
        elif isinstance(event, events.DeskLinkChanged):
            self._desk_link(event)

    def _store_state(self, event: events.StoreState) -> None:
        """The store does not answer: say so for as long as it lasts; nothing is lost."""
        if event.available:
            self.store_label.hide()
            self.statusBar().showMessage(
                "The store is back: every capture kept meanwhile is saved", 10000
            )
            return
        waiting = f"{event.pending} write{'s' if event.pending != 1 else ''}"
        self.store_label.setText(f"Store unavailable — {waiting} kept on this desk, retrying")
        self.store_label.setToolTip(
            f"{event.reason}\n\nCaptures are saved on this computer and reach the store "
            "by themselves when it answers again. Keep the console open."
        )
        self.store_label.show()

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
        crossing.remove_error_sink(self._show_error)
        self.team.close()
        self.team_calls.close(wait=True)
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
