"""Main window: shortcuts, open/delete, settings, server status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection
from tests.data import force_status
from tests.ui.live_helpers import ensure_overlays
from ui import settings
from ui.live_view import EMPTY_TEXT
from ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def _overlays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_overlays(tmp_path, monkeypatch)


def test_every_live_shortcut_is_listed(
    qtbot: QtBot, make_main_window: Callable[[], MainWindow]
) -> None:
    window = make_main_window()
    shortcuts = dict((what, keys) for keys, what in window.shortcut_list())
    expected = {
        "New inspection": "Ctrl+N",
        "Capture": "Space",
        "Accept photo": "Return, Enter",
        "Retake photo": "R",
        "Torch": "T",
        "Next shot": "PgDown",
        "Previous shot": "PgUp",
        "Freeze frame": "F",
        "Framing overlay": "O",
        "End call": "Ctrl+E",
        "Demo phone": "Ctrl+Shift+D",
        "Add damage": "Ctrl+D",
        "Quit": "Ctrl+Q",
        "Keyboard shortcuts": "F1",
    }
    for what, keys in expected.items():
        assert shortcuts.get(what) == keys, what
    # Live actions are off until an inspection is open.
    assert not window.capture_action.isEnabled()
    for action in window.findChildren(type(window.capture_action)):
        if action.text():
            assert action.toolTip(), action.text()
    window.shortcuts_action.trigger()
    assert "Space" in window.shortcuts_box.text()
    window.shortcuts_box.close()


def test_server_address_and_empty_live_view(
    qtbot: QtBot, make_main_window: Callable[[], MainWindow], store: Store
) -> None:
    window = make_main_window()
    window.show()
    qtbot.waitUntil(lambda: window.server_url is not None, timeout=10000)
    assert window.server_url in window.server_label.text()
    assert str(store.data_dir) in window.data_label.text()
    assert window.live.live_view.status_text() == EMPTY_TEXT


def test_delete_asks_first(
    qtbot: QtBot,
    make_main_window: Callable[[], MainWindow],
    store: Store,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> None:
    create_inspection(store, vehicle=vehicle_input, seller=seller_input)
    window = make_main_window()
    window.show()
    qtbot.waitUntil(lambda: window.home.model.rowCount() == 1, timeout=5000)
    window.home.table.selectRow(0)
    assert window.delete_action.isEnabled()
    window.delete_action.trigger()
    window.delete_box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(100)
    assert len(store.list_inspections()) == 1
    window.delete_action.trigger()
    window.delete_box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: store.list_inspections() == [], timeout=5000)
    qtbot.waitUntil(lambda: window.home.model.rowCount() == 0, timeout=5000)


def test_a_delete_overtaken_by_an_edit_elsewhere_is_refused_and_says_so(
    qtbot: QtBot,
    make_main_window: Callable[[], MainWindow],
    store: Store,
    tmp_path: Path,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> None:
    inspection, _ = create_inspection(store, vehicle=vehicle_input, seller=seller_input)
    window = make_main_window()
    window.show()
    qtbot.waitUntil(lambda: window.home.model.rowCount() == 1, timeout=5000)
    window.home.table.selectRow(0)
    window.delete_action.trigger()  # the operator decides on what the list shows...
    with Store(
        tmp_path / "elsewhere", database_url=f"sqlite:///{store.data_dir / 'inspector.db'}"
    ) as elsewhere:  # ...while another console edits it
        theirs = elsewhere.get_inspection(inspection.id)
        theirs.notes = "the seller called back"
        elsewhere.update_inspection(theirs)
    window.delete_box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(
        lambda: "changed by someone else" in window.statusBar().currentMessage(), timeout=5000
    )
    assert window.statusBar().currentMessage().startswith("Not deleted")
    now = store.get_inspection(inspection.id)
    assert now.notes == "the seller called back"
    qtbot.waitUntil(  # the home reloads on its own after the refusal
        lambda: [r.listed.version for r in window.home.model.all_rows] == [now.version],
        timeout=5000,
    )
    window.home.table.selectRow(0)  # reloaded: deleting it now is deleting what is there
    window.delete_action.trigger()
    window.delete_box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: store.list_inspections() == [], timeout=5000)


def test_double_click_opens_and_back_returns(
    qtbot: QtBot,
    make_main_window: Callable[[], MainWindow],
    store: Store,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> None:
    create_inspection(store, checklist="quick", vehicle=vehicle_input, seller=seller_input)
    window = make_main_window()
    window.show()
    qtbot.waitUntil(lambda: window.home.model.rowCount() == 1, timeout=5000)
    table = window.home.table
    pos = table.visualRect(table.model().index(0, 0)).center()
    # Qt's item views need the press before the double click, as a real mouse gives.
    qtbot.mousePress(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseRelease(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.live, timeout=5000)
    assert window.capture_action.isEnabled()
    assert window.live.checklist.tree.topLevelItemCount() > 0
    qtbot.waitUntil(lambda: bool(window.live.invite.join_url), timeout=10000)
    window.home_action.trigger()
    assert window.pages.currentWidget() is window.home
    assert not window.capture_action.isEnabled()


def test_review_page_opens_from_home_and_from_a_live_call(
    qtbot: QtBot,
    make_main_window: Callable[[], MainWindow],
    store: Store,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> None:
    inspection, _ = create_inspection(
        store, checklist="quick", vehicle=vehicle_input, seller=seller_input
    )
    window = make_main_window()
    window.show()
    qtbot.waitUntil(lambda: window.home.model.rowCount() == 1, timeout=5000)
    window.home.table.selectRow(0)
    assert window.review_action.isEnabled()
    window.review_action.trigger()
    review = window.review
    assert review is not None
    assert window.pages.currentWidget() is review
    qtbot.waitUntil(lambda: review.model.inspection is not None, timeout=10000)
    assert review.model.inspection.id == inspection.id
    window.home_action.trigger()
    assert window.pages.currentWidget() is window.home
    assert window.review is None

    window.open_inspection(inspection.id)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.live, timeout=5000)
    window.review_action.trigger()  # ends the call and reviews what it captured
    assert window.live.inspection is None
    assert window.review is not None and window.pages.currentWidget() is window.review


def test_settings_are_kept(qtbot: QtBot, make_main_window: Callable[[], MainWindow]) -> None:
    window = make_main_window()
    window.auto_advance_action.setChecked(False)
    window.lan_action.setChecked(True)
    window.phrase_actions["en"].trigger()
    window.close()
    assert settings.value("live/auto_advance") is False
    assert settings.value("server/lan") is True
    assert settings.value("live/phrase_language") == "en"
    again = make_main_window()
    assert not again.auto_advance_action.isChecked()
    assert again.live.capture.phrase_language.currentData() == "en"
    assert again.engine.settings.lan is True
    assert settings.settings().value("window/geometry") is not None


def test_auto_advance_goes_through_the_engine_method(
    qtbot: QtBot, make_main_window: Callable[[], MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window asks the engine (any thread) instead of writing ``engine.auto_advance``."""
    window = make_main_window()
    engine = window.engine
    asked: list[bool] = []
    real = engine.set_default_auto_advance

    def spy(on: bool) -> None:
        asked.append(on)
        real(on)

    monkeypatch.setattr(engine, "set_default_auto_advance", spy)
    window.auto_advance_action.setChecked(False)
    window.auto_advance_action.setChecked(True)
    window.auto_advance_action.setChecked(False)
    assert asked == [False, True, False]
    assert engine.auto_advance is False


def test_a_taken_port_falls_back_to_a_free_one(store: Store) -> None:
    import socket

    from inspector.config import ServerSettings
    from inspector.live.engine import Engine

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        engine = Engine(store, ServerSettings(port=port), lambda e: None)
        try:
            url = engine.start_on_any_port(timeout=15.0)  # what the window starts it with
            assert engine.port not in (None, port) and url.endswith(f":{engine.port}")
        finally:
            engine.stop(timeout=3)


def test_every_control_explains_itself(
    qtbot: QtBot, make_main_window: Callable[[], MainWindow], store: Store
) -> None:
    """Tooltips on every button, field and list, on every page an operator meets."""
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QComboBox, QLineEdit

    inspection, _ = create_inspection(store, checklist="quick", vehicle={"make": "Fiat"}, seller={})
    window = make_main_window()
    window.show()
    window.open_inspection(inspection.id)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.live, timeout=5000)
    controls = [
        w
        for kind in (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView)
        for w in window.findChildren(kind)
        if w.isVisibleTo(window) and not isinstance(w.parent(), QComboBox | QAbstractItemView)
    ]
    assert len(controls) > 10
    missing = [
        f"{type(w).__name__} {w.objectName() or getattr(w, 'text', lambda: '')()!r}"
        for w in controls
        if not w.toolTip()
    ]
    assert missing == []


def test_console_command_starts_the_ui_package(tmp_path: Path) -> None:
    """`inspector console` (the default) runs `python -m ui` in a new interpreter."""
    import subprocess
    import sys

    from inspector.cli import console
    from inspector.cli.main import main

    calls: list[list[str]] = []
    original = console.os.execv
    console.os.execv = lambda path, argv: calls.append(list(argv))  # type: ignore[assignment]
    try:
        main(["--data-dir", str(tmp_path)])  # the patched exec returns
        main(["--data-dir", str(tmp_path), "--database-url", "postgresql://u@db/x"])
        main(["--data-dir", str(tmp_path), "--photo-store", "s3://bucket/desk", "console"])
    finally:
        console.os.execv = original
    assert calls and calls[0][1:] == ["-m", "ui", "--data-dir", str(tmp_path)]
    assert calls[1][-2:] == ["--database-url", "postgresql://u@db/x"]
    assert calls[2][3:] == ["--data-dir", str(tmp_path), "--photo-store", "s3://bucket/desk"]
    root = Path(__file__).resolve().parents[2]
    help_run = subprocess.run(
        [sys.executable, "-m", "ui", "--help"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert help_run.returncode == 0
    assert "--data-dir" in help_run.stdout and "--database-url" in help_run.stdout
    assert "--photo-store" in help_run.stdout


def test_the_console_says_a_call_was_interrupted(
    qtbot: QtBot,
    make_main_window: Callable[[], MainWindow],
    store: Store,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> None:
    from inspector.domain.models import InspectionStatus

    inspection, _ = create_inspection(store, vehicle=vehicle_input, seller=seller_input)
    force_status(store, inspection.id, InspectionStatus.LIVE)  # what a crash mid-call leaves
    window = make_main_window()
    window.show()
    qtbot.waitUntil(lambda: window.server_url is not None, timeout=10000)
    qtbot.waitUntil(
        lambda: "A call was interrupted" in window.statusBar().currentMessage(), timeout=5000
    )
    message = window.statusBar().currentMessage()
    assert "Peugeot 308 2019 AB-123-CD" in message and "invited" in message
    assert store.get_inspection(inspection.id).status is InspectionStatus.INVITED


@pytest.mark.timeout(90)
def test_the_console_says_which_process_serves_its_folder(
    qtbot: QtBot, make_main_window: Callable[[], MainWindow], store: Store
) -> None:
    import json
    import os
    import signal
    import subprocess
    import sys

    serve = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--port", "0", "--json"],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "INSPECTOR_DATA_DIR": str(store.data_dir)},
    )
    assert serve.stdout is not None
    try:
        assert json.loads(serve.stdout.readline())["event"] == "listening"
        window = make_main_window()
        window.show()
        qtbot.waitUntil(lambda: "not running" in window.server_label.text(), timeout=15000)
        message = window.statusBar().currentMessage()
        assert f"already served by process {serve.pid}" in message, message
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(15)
        serve.stdout.close()


def test_a_loopback_link_says_so_and_lan_mode_is_one_click_away(
    qtbot: QtBot,
    make_main_window: Callable[[], MainWindow],
    store: Store,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> None:
    from inspector.live.tls import lan_addresses
    from ui.invite_panel import is_loopback

    inspection, _ = create_inspection(
        store, checklist="quick", vehicle=vehicle_input, seller=seller_input
    )
    window = make_main_window()
    window.show()
    qtbot.waitUntil(lambda: window.server_url is not None, timeout=10000)
    window.open_inspection(inspection.id)
    invite = window.live.invite
    qtbot.waitUntil(lambda: bool(invite.join_url), timeout=10000)
    assert is_loopback(invite.join_url)
    assert invite.unreachable.isVisible() and "phone cannot reach it" in invite.unreachable.text()
    assert invite.lan_button.isVisible()
    assert "UTC" not in invite.expires.text()  # the operator's own time
    if not lan_addresses():
        pytest.skip("this machine has no LAN address to serve on")
    old = invite.join_url
    qtbot.mouseClick(invite.lan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: invite.join_url != old, timeout=20000)
    assert invite.join_url.startswith("https://") and not is_loopback(invite.join_url)
    assert not invite.unreachable.isVisible() and not invite.lan_button.isVisible()
    assert window.engine.settings.lan is True and settings.value("server/lan") is True
    assert window.lan_action.isChecked()


def test_an_empty_home_shows_how_to_start(
    qtbot: QtBot, make_main_window: Callable[[], MainWindow]
) -> None:
    window = make_main_window()
    window.show()
    home = window.home
    qtbot.waitUntil(lambda: home.empty.isVisible(), timeout=5000)
    assert not home.table.isVisible()  # a first-run page, not an empty grid
    button = home.first_new_button
    assert button.isVisible() and button.width() >= 260 and button.height() >= 56
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(window, "new_dialog", None) is not None, timeout=5000)
    assert window.new_dialog.isVisible()
    window.new_dialog.reject()
    assert home.new_button.isVisible()  # also there once inspections exist


def test_the_console_says_while_the_store_is_unavailable(
    qtbot: QtBot, make_main_window: Callable[[], MainWindow]
) -> None:
    """The engine's StoreState, through the bridge, as the engine sends it."""
    from inspector.live import events

    window = make_main_window()
    window.show()
    qtbot.waitUntil(lambda: window.server_url is not None, timeout=10000)
    reason = "the photo store http://s3 does not answer"
    window.bridge.on_event(events.StoreState(False, 3, reason))
    qtbot.waitUntil(window.store_label.isVisible, timeout=5000)
    assert window.store_label.text() == "Store unavailable — 3 writes kept on this desk, retrying"
    assert reason in window.store_label.toolTip()
    window.bridge.on_event(events.StoreState(True, 0))
    qtbot.waitUntil(lambda: not window.store_label.isVisible(), timeout=5000)
    assert "The store is back" in window.statusBar().currentMessage()
