"""An operator's console connected to a real team server takes a call: Open runs it on
the console (its own engine, a working copy), the phone joins the server's link and
is relayed here, and a still captured from the console is on the server before the
phone hears "saved"; back home, the phone waits for a console."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from inspector.live.contrib.simphone import SimulatedPhone
from inspector.storage.store import Store
from tests.ui.test_team_console import NEW, PASSWORDS, Server, connect, server, shown_ids
from ui.main_window import MainWindow

__all__ = ["server"]  # the module's fixture (one team server, SQLite)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def phone_loop() -> Iterator[Callable[[Coroutine[Any, Any, Any]], concurrent.futures.Future[Any]]]:
    """The seller's phone runs on a loop of its own (another device)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="phone", daemon=True)
    thread.start()
    yield lambda coro: asyncio.run_coroutine_threadsafe(coro, loop)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_open_takes_the_call_and_each_still_is_on_the_server_before_saved(
    qtbot: QtBot,
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_main_window: Callable[[], MainWindow],
    phone_loop: Callable[[Coroutine[Any, Any, Any]], concurrent.futures.Future[Any]],
) -> None:
    monkeypatch.setenv("INSPECTOR_CONFIG_DIR", str(tmp_path / "config"))
    olga = server.client("olga")
    inspection_id = olga.create({**NEW, "operator": "olga"})["id"]
    console = make_main_window()
    console.show()
    connect(qtbot, console, server.url, "olga", PASSWORDS["olga"])
    qtbot.waitUntil(lambda: inspection_id in shown_ids(console), timeout=15000)
    assert console.home.select(inspection_id)
    console.open_selected()
    qtbot.waitUntil(
        lambda: console.on_team_call and console.live.inspection is not None, timeout=30000
    )
    assert console.live.inspection_id == inspection_id
    assert "(team:" in console.windowTitle()
    assert console.server_label.text() == f"Call relayed by {server.url}"
    qtbot.waitUntil(lambda: bool(console.live.invite.join_url), timeout=15000)
    join_url = console.live.invite.join_url
    assert join_url.startswith(server.process.public_url + "/j/")  # the server's link

    phone = SimulatedPhone(join_url, width=320, height=240, fps=10, still_size=(1600, 1200))
    joined = phone_loop(phone.start(timeout=60))
    qtbot.waitUntil(joined.done, timeout=90000)
    joined.result()
    qtbot.waitUntil(lambda: console.live.live, timeout=15000)

    def results() -> list[dict[str, Any]]:
        return [m for m in list(phone.messages) if m.get("type") == "capture_result"]

    console.live.capture_now()
    qtbot.waitUntil(lambda: bool(results()), timeout=30000)
    [result] = results()
    assert result["stored"] is True
    on_server = olga.inspection(inspection_id)["captures"]
    assert [c["id"] for c in on_server] == [result["id"]]  # there before "saved"
    with Store(server.data_dir) as store:
        local = console.team_calls.desk.store.get_capture(result["id"])  # type: ignore[union-attr]
        assert store.get_capture(result["id"]).sha256 == local.sha256

    console.go_home()  # the operator lets the call go: the phone waits for a console
    assert not console.on_team_call
    assert console.server_label.text().startswith("Server: http://127.0.0.1:")
    qtbot.waitUntil(lambda: phone.waiting, timeout=15000)
    phone_loop(phone.stop()).result(30)


def test_a_self_inspection_link_for_a_team_inspection(
    qtbot: QtBot,
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_main_window: Callable[[], MainWindow],
) -> None:
    monkeypatch.setenv("INSPECTOR_CONFIG_DIR", str(tmp_path / "config"))
    inspection_id = server.client("olga").create(NEW)["id"]
    console = make_main_window()
    console.show()
    assert not console.self_invite_action.isEnabled()  # nothing selected, not connected
    connect(qtbot, console, server.url, "olga", PASSWORDS["olga"])
    qtbot.waitUntil(lambda: inspection_id in shown_ids(console), timeout=15000)
    assert console.home.select(inspection_id)
    assert console.self_invite_action.isEnabled()
    assert console.self_invite_action.shortcut().toString() == "Ctrl+Shift+L"
    console.self_invite_action.trigger()
    qtbot.waitUntil(lambda: console.self_invite_dialog is not None, timeout=15000)
    link = console.self_invite_dialog.join_url
    assert link.startswith(server.process.public_url + "/j/")
    with Store(server.data_dir) as store:
        modes = [m for _, i, _, m in store.valid_tokens() if i == inspection_id]
    assert modes == ["self"]  # the server's autopilot guides this one
    console.self_invite_dialog.close()
