"""The console connected to a real team server (``inspector server`` on a SQLite data
folder): Connect…, the team's inspections updating live, the session kept and ended,
and every error a user meets at the door said in words."""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import signal
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot

from inspector.domain.models import Damage, DamageType, Part, Region, Severity
from inspector.seal.check import check_pdf
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from inspector.team import sessions
from inspector.team.client import Client, RemoteError
from inspector.usecases import accounts
from tests.data import jpeg_bytes, scene
from tests.inspector.team.team_fixtures import TeamProcess
from ui import settings, team_connection
from ui.crossing import wait_for_tasks
from ui.main_window import MainWindow
from ui.review.workspace import CHANGED_ELSEWHERE
from ui.team_connection import SESSION_ENDED_TEXT, TeamConnection
from ui.team_dialogs import ConnectDialog

PASSWORDS = {"olga": "operator-pass-Qm4x", "ines": "inspector-pass-Zr8w", "vic": "victim-Yt5e-pw"}
ROLES = {"olga": "operator", "ines": "inspector", "vic": "operator"}
NEW = {
    "checklist": "quick",
    "vehicle": {"make": "Renault", "model": "Clio", "plate": "CL-123-IO"},
    "seller": {"name": "Marc Dubois", "language": "fr"},
}


@dataclass
class Server:
    process: TeamProcess
    data_dir: Path

    @property
    def url(self) -> str:
        return self.process.url

    def client(self, user: str) -> Client:
        client = Client(self.url)
        client.login(user, PASSWORDS[user])
        return client


def add_users(data_dir: Path) -> None:
    store = Store(data_dir)
    try:
        for name, password in PASSWORDS.items():
            accounts.add_user(store, name, ROLES[name], password, actor="test")
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("team-console") / "server"
    add_users(data_dir)
    process = TeamProcess(data_dir)
    try:
        yield Server(process, data_dir)
    finally:
        process.close()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("INSPECTOR_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def window(config: Path, make_main_window: Callable[[], MainWindow]) -> Callable[[], MainWindow]:
    def make() -> MainWindow:
        made = make_main_window()
        made.show()
        return made

    return make


def connect(qtbot: QtBot, window: MainWindow, url: str, user: str, password: str) -> ConnectDialog:
    dialog = window.connect_to_team()
    dialog.server.setText(url)
    dialog.user.setText(user)
    dialog.password.setText(password)
    dialog.connect_button.click()
    return dialog


def shown_ids(window: MainWindow) -> list[str]:
    model = window.home.model
    return [model.row_at(n).listed.id for n in range(model.rowCount())]


def test_connect_lists_the_team_keeps_only_the_token_and_disconnect_forgets_it(
    qtbot: QtBot, server: Server, window: Callable[[], MainWindow], config: Path
) -> None:
    olga = server.client("olga")
    mine = olga.create({**NEW, "operator": "olga"})["id"]
    theirs = olga.create({**NEW, "operator": "someone"})["id"]
    console = window()
    assert console.connect_action.shortcut().toString() == "Ctrl+K"
    connect(qtbot, console, server.url, "olga", PASSWORDS["olga"])
    qtbot.waitUntil(lambda: console.team.state == "live", timeout=15000)
    qtbot.waitUntil(lambda: {mine, theirs} <= set(shown_ids(console)), timeout=10000)
    assert console.connect_dialog is None or not console.connect_dialog.isVisible()
    assert "olga (operator)" in console.home.team_label.text()
    assert "Operator" in console.home.model.columns

    # Only the token, owner-only; never the password.
    path = sessions.sessions_file()
    assert path.parent == config.resolve()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert PASSWORDS["olga"] not in text
    assert sessions.saved_session(server.url)["user"] == "olga"

    # Filters: Mine, and a status.
    home = console.home
    home.assignee.setCurrentIndex(home.assignee.findData(True))
    assert mine in shown_ids(console) and theirs not in shown_ids(console)
    home.assignee.setCurrentIndex(home.assignee.findData(False))
    assert theirs in shown_ids(console)
    home.status.setCurrentIndex(home.status.findText("Reported"))
    assert shown_ids(console) == []
    home.status.setCurrentIndex(0)

    # Open, for an operator: the call is taken (tests/ui/test_team_call.py); home lets it go.
    assert home.select(theirs)
    console.open_selected()
    qtbot.waitUntil(lambda: console.on_team_call, timeout=30000)
    assert console.live.inspection_id == theirs
    console.go_home()
    assert not console.on_team_call
    assert not console.delete_action.isEnabled()  # local-only actions are off

    console.disconnect_action.trigger()
    qtbot.waitUntil(lambda: sessions.saved_session(server.url) is None, timeout=10000)
    assert home.team_user is None and not home.team_bar.isVisible()
    assert mine not in shown_ids(console)
    assert settings.value("team/server") == ""


def test_a_colleagues_change_shows_without_a_refresh(
    qtbot: QtBot, server: Server, window: Callable[[], MainWindow]
) -> None:
    console = window()
    connect(qtbot, console, server.url, "ines", PASSWORDS["ines"])
    qtbot.waitUntil(lambda: console.team.state == "live", timeout=15000)
    colleague = server.client("olga")
    created = colleague.create(NEW)["id"]  # a second client, another user
    qtbot.waitUntil(lambda: created in shown_ids(console), timeout=10000)

    def status() -> str | None:
        model = console.home.model
        row = model.row_of(created)
        return None if row is None else model.row_at(row).listed.status.value

    assert status() == "draft"
    colleague.invite(created)
    qtbot.waitUntil(lambda: status() == "invited", timeout=10000)

    # Open, for an inspector: the review, on a working copy read from the server (the
    # review's writes: test_an_inspector_reviews_a_team_inspection_…).
    assert console.home.select(created)
    console.open_selected()
    qtbot.waitUntil(
        lambda: console.review is not None and console.review.model.is_loaded, timeout=15000
    )
    assert console.review.inspection_id == created
    assert "CL-123-IO" in console.review.subtitle.text()
    console.go_home()

    # An inspector may not create: said in the status bar, nothing made.
    before = len(console.team.entries)
    console.new_action.trigger()
    dialog = console.new_dialog
    dialog.fields["make"].editor.setText("Dacia")
    dialog.fields["name"].editor.setText("Luc Martin")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: "Not created" in console.statusBar().currentMessage(), timeout=10000)
    assert "not allowed to create" in console.statusBar().currentMessage()
    assert len(console.team.entries) == before


def test_new_inspection_while_connected_is_made_on_the_server(
    qtbot: QtBot, server: Server, window: Callable[[], MainWindow]
) -> None:
    console = window()
    connect(qtbot, console, server.url, "olga", PASSWORDS["olga"])
    qtbot.waitUntil(lambda: console.team.state == "live", timeout=15000)
    console.new_action.trigger()
    dialog = console.new_dialog
    dialog.fields["make"].editor.setText("Dacia")
    dialog.fields["model"].editor.setText("Sandero")
    dialog.fields["name"].editor.setText("Luc Martin")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    def made() -> list[dict]:
        return [e for e in console.team.entries if e["vehicle"]["make"] == "Dacia"]

    qtbot.waitUntil(lambda: bool(made()), timeout=10000)
    assert made()[0]["operator"] == "olga" and made()[0]["seller"]["name"] == "Luc Martin"
    assert made()[0]["id"] in shown_ids(console)
    assert console.live.inspection is None  # no local call was opened


def test_a_kept_session_reconnects_on_start_and_an_expired_one_asks_again(
    qtbot: QtBot, server: Server, window: Callable[[], MainWindow]
) -> None:
    answer = Client(server.url).login("olga", PASSWORDS["olga"])
    sessions.save_session(
        server.url, {k: answer[k] for k in ("user", "role", "token", "expires_at")}
    )
    settings.set_value("team/server", server.url)
    console = window()
    qtbot.waitUntil(lambda: console.team.state == "live", timeout=15000)
    assert console.connect_dialog is None  # nobody was asked anything
    console.close()

    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    sessions.save_session(server.url, {**answer, "expires_at": past})
    again = window()
    qtbot.waitUntil(lambda: again.connect_dialog is not None, timeout=5000)
    message = again.connect_dialog.message.text()
    assert "expired" in message and "connect again" in message
    assert again.team.state == "offline"
    again.close()

    # A token the server no longer knows (logged out elsewhere): asked again, in words.
    Client(server.url, answer["token"]).logout()
    sessions.save_session(server.url, answer)
    third = window()
    qtbot.waitUntil(lambda: third.connect_dialog is not None, timeout=10000)
    assert third.connect_dialog.message.text() == f"{SESSION_ENDED_TEXT}."
    assert third.team.state == "ended"


def test_a_session_ended_elsewhere_says_connect_again(
    qtbot: QtBot, server: Server, window: Callable[[], MainWindow]
) -> None:
    console = window()
    connect(qtbot, console, server.url, "olga", PASSWORDS["olga"])
    qtbot.waitUntil(lambda: console.team.state == "live", timeout=15000)
    token = console.team.session.token
    Client(server.url, token).logout()  # e.g. the command line's `inspector logout`
    qtbot.waitUntil(lambda: console.team.state == "ended", timeout=10000)
    assert console.team.events.close_code() == 4401  # told by the events socket
    assert console.team.events.attempts == 0  # and not opened again
    assert SESSION_ENDED_TEXT in console.home.team_label.text()
    assert console.home.team_connect.isVisible()
    qtbot.wait(1500)  # it does not try again by itself
    assert console.team.state == "ended"
    assert sessions.saved_session(server.url) is None


# -- what a user meets at the door -------------------------------------------------------


def try_login(qtbot: QtBot, url: str, user: str, password: str) -> str:
    """The Connect dialog's message after one attempt (the window-less dialog)."""
    team = TeamConnection()
    dialog = ConnectDialog(team.login)
    qtbot.addWidget(dialog)
    dialog.server.setText(url)
    dialog.user.setText(user)
    dialog.password.setText(password)
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: dialog.connect_button.isEnabled() is False, timeout=1000)
    qtbot.waitUntil(lambda: dialog.message.text() != "Connecting…", timeout=30000)
    assert dialog.isVisible() or not dialog.result()
    assert dialog.password.text() == ""  # never left in the field
    team.close()
    return dialog.message.text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_wrong_password_and_too_many_attempts(qtbot: QtBot, server: Server, config: Path) -> None:
    assert try_login(qtbot, server.url, "olga", "not-her-password") == (
        "Wrong user name or password."
    )
    for n in range(5):  # someone guessing vic's password
        with contextlib.suppress(RemoteError):
            Client(server.url).login("vic", f"guess-{n}-xyz")
    message = try_login(qtbot, server.url, "vic", PASSWORDS["vic"])
    assert message.startswith("Too many failed attempts: try again in ")
    assert "minute" in message
    assert not sessions.sessions_file().exists()


def test_unreachable_and_not_a_server_address(qtbot: QtBot, config: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    message = try_login(qtbot, closed, "olga", "x")
    assert message.startswith(f"Cannot reach {closed}: check the address and the network.")
    assert "Traceback" not in message and "refused" in message, message
    assert try_login(qtbot, "ftp://files.example.com", "olga", "x").startswith(
        "That is not a server address"
    )


def test_a_site_that_is_not_a_team_server(qtbot: QtBot, tmp_path: Path, config: Path) -> None:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{site.server_address[1]}"
        message = try_login(qtbot, url, "olga", "x")
        assert message == f"{url} is not an inspector team server: check the address."
    finally:
        site.shutdown()
        site.server_close()
        thread.join(5)


def test_an_untrusted_certificate_is_a_tls_message(
    qtbot: QtBot, server: Server, tmp_path: Path, config: Path
) -> None:
    from tests.inspector.team.nginx_fixtures import nginx_proxy

    with nginx_proxy(tmp_path / "nginx", [server.process.port]) as proxy:
        message = try_login(qtbot, proxy.url, "olga", PASSWORDS["olga"])
    assert message.startswith(f"No secure connection to {proxy.url}: its certificate is not")
    assert message.endswith("(self-signed certificate)"), message  # the reason, once
    # HTTPS asked of a server that speaks HTTP: a TLS message too.
    plain = server.url.replace("http://", "https://")
    assert try_login(qtbot, plain, "olga", "x").startswith(f"No secure connection to {plain}")
    bare = server.url.removeprefix("http://")  # typed without a scheme: HTTPS is assumed
    assert try_login(qtbot, bare, "olga", "x").startswith(f"No secure connection to {plain}")


@pytest.mark.timeout(240)
def test_the_events_reconnect_after_a_hang_and_after_the_server_comes_back(
    qtbot: QtBot, tmp_path: Path, window: Callable[[], MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(team_connection, "PING_S", 0.5)
    data_dir = tmp_path / "server"
    add_users(data_dir)
    first = TeamProcess(data_dir)
    port = first.port
    console = window()
    try:
        connect(qtbot, console, first.url, "olga", PASSWORDS["olga"])
        qtbot.waitUntil(lambda: console.team.state == "live", timeout=15000)

        # The server hangs (its connections stay open): an unanswered ping is a drop.
        first.proc.send_signal(signal.SIGSTOP)
        try:
            qtbot.waitUntil(lambda: console.team.state == "reconnecting", timeout=10000)
        finally:
            first.proc.send_signal(signal.SIGCONT)
        qtbot.waitUntil(lambda: console.team.state == "live", timeout=20000)

        first.close()  # the server dies
        qtbot.waitUntil(lambda: console.team.state == "reconnecting", timeout=10000)
        assert "trying again in" in console.home.team_label.text()
        second = TeamProcess(data_dir, "--port", str(port))
        try:
            created = Client(second.url)
            created.login("olga", PASSWORDS["olga"])
            new_id = created.create(NEW)["id"]  # made while the console was away
            qtbot.waitUntil(lambda: console.team.state == "live", timeout=30000)
            qtbot.waitUntil(lambda: new_id in shown_ids(console), timeout=10000)
        finally:
            console.team.close()
            second.close()
    finally:
        first.proc.send_signal(signal.SIGCONT)
        first.close()


def test_cancel_while_connecting_leaves_no_session(
    qtbot: QtBot, server: Server, config: Path
) -> None:
    team = TeamConnection()
    dialog = ConnectDialog(team.login)
    qtbot.addWidget(dialog)
    dialog.server.setText(server.url)
    dialog.user.setText("olga")
    dialog.password.setText(PASSWORDS["olga"])
    dialog.connect_button.click()
    dialog.reject()  # before the server answered
    assert wait_for_tasks(10000)
    qtbot.wait(300)  # the answer's delivery, and the logout it starts
    assert wait_for_tasks(10000)
    assert not team.active and team.state == "offline"
    assert sessions.saved_session(server.url) is None  # kept a moment, then undone
    team.close()


def test_through_the_tls_reverse_proxy_with_a_trusted_certificate(
    qtbot: QtBot,
    server: Server,
    tmp_path: Path,
    window: Callable[[], MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As deployed: nginx terminating TLS (the repository's site file) in front of the
    server, its certificate trusted by this computer (here through ``SSL_CERT_FILE``)."""
    from tests.inspector.team.nginx_fixtures import nginx_proxy

    with nginx_proxy(tmp_path / "nginx", [server.process.port]) as proxy:
        cert = tmp_path / "nginx" / "tls" / "tls" / "cert.pem"  # made for the proxy
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        console = window()
        connect(qtbot, console, proxy.url, "olga", PASSWORDS["olga"])
        qtbot.waitUntil(lambda: console.team.state == "live", timeout=15000)
        created = server.client("olga").create(NEW)["id"]
        qtbot.waitUntil(lambda: created in shown_ids(console), timeout=10000)
        console.close()


# -- an inspector reviews a team inspection ------------------------------------------------

QUICK_SHOTS = (
    "three_quarter_front_left",
    "three_quarter_rear_left",
    "three_quarter_rear_right",
    "three_quarter_front_right",
    "vin_windscreen",
    "odometer",
    "front_seats",
)  # the quick checklist without its boot: a report of it is incomplete


def _capture_record(shot: str) -> dict[str, Any]:
    return {
        "shot_id": shot,
        "source": "still",
        "captured_at": datetime.now(UTC).isoformat(),
        "quality": {"verdict": "ok", "reasons": [], "metrics": {"sharpness": 120.0}},
    }


def _on_server(client: Client, inspection_id: str) -> dict[str, Any]:
    return client.inspection(inspection_id)


@pytest.mark.timeout(180)
def test_an_inspector_reviews_a_team_inspection_every_change_on_the_server_first(
    qtbot: QtBot, server: Server, window: Callable[[], MainWindow], tmp_path: Path
) -> None:
    """The issue's end to end, from the inspector's console: photos taken on a colleague's
    call, a damage marked, a photo accepted, the notes written, a colleague's change
    shown, a stale change refused in words, and the server's sealed report saved."""
    olga = server.client("olga")
    inspection_id = olga.create(NEW)["id"]
    shots = {}
    for n, shot in enumerate(QUICK_SHOTS):
        capture_id = new_id()
        olga.put_capture(
            inspection_id, capture_id, _capture_record(shot), jpeg_bytes(scene(320, 240, seed=n))
        )
        shots[shot] = capture_id

    console = window()
    connect(qtbot, console, server.url, "ines", PASSWORDS["ines"])
    qtbot.waitUntil(lambda: console.team.state == "live", timeout=15000)
    qtbot.waitUntil(lambda: inspection_id in shown_ids(console), timeout=10000)
    assert console.home.select(inspection_id)
    assert console.review_action.isEnabled()
    console.open_selected()  # an inspector's Open: the review, on a working copy
    qtbot.waitUntil(lambda: console.review is not None, timeout=15000)
    review = console.review
    assert review is not None and review.team is not None
    qtbot.waitUntil(lambda: review.model.is_loaded, timeout=30000)
    assert len(review.model.captures()) == len(QUICK_SHOTS)
    assert "team:" in console.windowTitle()
    assert not review.add_blur_action.isEnabled() and not review.listing_action.isEnabled()
    ines = server.client("ines")  # the server, read as a second client of hers

    def saved() -> bool:
        return not review.model.pending_writes

    # A photo accepted: on the server.
    review.model.set_current(shots["odometer"])
    review.accept_action.trigger()
    qtbot.waitUntil(saved, timeout=10000)
    captures = {c["id"]: c for c in _on_server(ines, inspection_id)["captures"]}
    assert captures[shots["odometer"]]["accepted"] is True

    # A damage marked through the form: on the server, with its mark.
    dialog = review.ask_new_damage(shots["three_quarter_front_left"], Region(0.2, 0.3, 0.2, 0.1))
    dialog.severity_group.button(2).setChecked(True)
    dialog.note.setPlainText("Bosse sur l'aile")
    dialog.accept()
    qtbot.waitUntil(saved, timeout=10000)
    (marked,) = ines.damages(inspection_id)
    assert marked["severity"] == 2 and marked["note"] == "Bosse sur l'aile"
    assert marked["capture_id"] == shots["three_quarter_front_left"]
    assert marked["region"] == [0.2, 0.3, 0.2, 0.1]

    # The notes: on the server, audited as hers.
    review.vehicle_panel.notes.setPlainText("Carrosserie propre, une bosse.")
    review.vehicle_panel.save_notes()
    qtbot.waitUntil(saved, timeout=10000)
    assert _on_server(ines, inspection_id)["notes"] == "Carrosserie propre, une bosse."
    actions = {(e["action"], e["actor"]) for e in _on_server(ines, inspection_id)["audit"]}
    assert {("accepted", "ines"), ("damage_added", "ines"), ("edited", "ines")} <= actions
    review.side_tabs.setCurrentWidget(review.history)  # the history is the server's
    qtbot.waitUntil(
        lambda: ("edited", "ines") in {(e.action, e.actor) for e in review.history.entries or []},
        timeout=10000,
    )
    review.side_tabs.setCurrentIndex(0)

    # The echoes of her own writes (told on the events socket too) change nothing: no
    # reload, the undo history kept.
    qtbot.wait(1500)
    assert review.model.undo_stack.count() == 2 and review.model.undo_stack.canUndo()

    # A status the server refuses (reviewed, from a draft): said, not kept.
    review.mark_reviewed()
    qtbot.waitUntil(lambda: "team server refused it" in review.banner.text(), timeout=10000)
    assert "reviewed" in review.banner.text()
    assert _on_server(ines, inspection_id)["status"] == "draft"
    assert review.model.inspection.status.value == "draft"

    # A colleague's change arrives on the events socket: the review shows it.
    ines.add_damage(inspection_id, {"part": "rear_bumper", "type": "scratch", "severity": 1})
    qtbot.waitUntil(lambda: len(review.model.damages) == 2, timeout=15000)
    assert "colleague changed" in console.statusBar().currentMessage()

    # A change made on a damage a colleague changed since: refused, said, reloaded.
    ines.change_damage(inspection_id, marked["id"], {**marked, "severity": 3})
    mine = review.model.damages.get(marked["id"])
    review.model.damages.edit(dataclasses.replace(mine, note="Rayure"))  # read before theirs
    qtbot.waitUntil(lambda: review.changed_box is not None, timeout=10000)
    box = review.changed_box
    assert box is not None and box.isVisible() and box.text() == CHANGED_ELSEWHERE
    assert "a colleague changed it on the team server" in console.statusBar().currentMessage()
    box.button(QMessageBox.StandardButton.Yes).click()  # Reload
    qtbot.waitUntil(
        lambda: (
            review.model.damages.get(marked["id"]).severity == 3
            and review.model.damages.get(marked["id"]).note == "Bosse sur l'aile"
        ),
        timeout=10000,
    )
    (theirs,) = [d for d in ines.damages(inspection_id) if d["id"] == marked["id"]]
    assert theirs["note"] == "Bosse sur l'aile"  # the refused change was not written
    review.model.damages.edit(
        dataclasses.replace(review.model.damages.get(marked["id"]), note="Rayure")
    )
    qtbot.waitUntil(saved, timeout=10000)
    (now,) = [d for d in ines.damages(inspection_id) if d["id"] == marked["id"]]
    assert (now["note"], now["severity"]) == ("Rayure", 3)  # read again, written

    # The server out of reach: the damage is refused in words, and not kept.
    team_copy = review.team
    team_copy.client.url = f"http://127.0.0.1:{free_port()}"
    errors: list[str] = []
    review.model.error.connect(errors.append)
    try:
        review.model.damages.add(
            Damage(
                id=new_id(),
                inspection_id=inspection_id,
                capture_id=None,
                part=Part.ROOF,
                type=DamageType.DENT,
                severity=Severity.MINOR,
            )
        )
        qtbot.waitUntil(lambda: "Not read again" in review.banner.text(), timeout=15000)
        qtbot.waitUntil(lambda: len(review.model.damages) == 2, timeout=10000)  # not kept
    finally:
        team_copy.client.url = server.url
    refused = errors[0]
    assert refused.startswith("the new damage was not saved: the team server did not take it")
    assert "cannot reach" in refused and "Traceback" not in "".join(errors)
    assert "may be out of date" in errors[-1]  # nor read again: the copy as it was
    assert len(ines.damages(inspection_id)) == 2
    assert review.changed_box is None or not review.changed_box.isVisible()

    # The report: the server's, sealed there; incomplete, so asked first.
    out = tmp_path / "exports" / "report.pdf"
    out.parent.mkdir()
    review.export_report(out, "en")
    qtbot.waitUntil(lambda: review.exporter.incomplete_box is not None, timeout=60000)
    question = review.exporter.incomplete_box
    assert "incomplete" in question.text() and "missing" in question.informativeText()
    assert not out.exists()
    with qtbot.waitSignal(review.report_exported, timeout=60000):
        question.button(QMessageBox.StandardButton.Yes).click()
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.pdf"]  # whole, no part
    sealed = check_pdf(out.read_bytes())
    direct = check_pdf(
        ines.report(inspection_id, tmp_path / "direct.pdf", allow_incomplete=True).read_bytes()
    )
    assert sealed.ok and sealed.fingerprint == direct.fingerprint is not None  # the server's seal
    assert _on_server(ines, inspection_id)["status"] == "reported"
    reported = [e for e in _on_server(ines, inspection_id)["audit"] if e["action"] == "reported"]
    assert reported[0]["actor"] == "ines"
