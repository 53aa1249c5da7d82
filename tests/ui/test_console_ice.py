"""The console's calls use the company's STUN/TURN servers: ``inspector console`` takes the
same ICE options as ``serve`` and hands them on to the console's process (never the TURN
secret itself on a command line); an option it cannot use is a dialog, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from inspector.cli.ice import ice_argv
from inspector.cli.main import build_parser, main
from tests.ui.test_console_database import answer_the_dialog
from ui import app

pytestmark = pytest.mark.timeout(60)

SECRET = "shared-with-coturn-0123456789"


def test_inspector_console_hands_the_ice_options_on(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INSPECTOR_TURN_SECRET", raising=False)
    secret_file = tmp_path / "turn-secret"
    secret_file.write_text(SECRET + "\n")
    given = build_parser().parse_args(
        [
            "console",
            "--ice-server",
            "turn:operator:pw@turn.example.org:3478",
            "--turn-url",
            "turns:turn.example.org:5349",
            "--turn-secret-file",
            str(secret_file),
            "--turn-ttl",
            "600",
        ]
    )
    forwarded = ice_argv(given)
    assert SECRET not in " ".join(forwarded)  # `ps` shows command lines to every user
    settings = app.server_settings(app.parser().parse_args(forwarded))
    (static,) = settings.ice_servers
    assert static.urls == ("turn:turn.example.org:3478",) and static.username == "operator"
    minted = settings.ice_servers_for("console-test")[-1]
    assert minted.urls == ("turns:turn.example.org:5349",)
    assert minted.username and minted.credential and SECRET not in minted.credential
    assert settings.turn_rest is not None and settings.turn_rest.ttl_seconds == 600
    # Without options: no outside server is contacted.
    assert app.server_settings(app.parser().parse_args([])).ice_servers_for("x") == ()


def test_an_unusable_ice_option_is_one_line_or_a_dialog(
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("INSPECTOR_TURN_SECRET", raising=False)
    # From the command line: said before the console starts.
    assert main(["console", "--ice-server", "turn:nobody@turn.example.org"]) == 1
    err = capsys.readouterr().err
    assert "give turn:USER:PASS@HOST:PORT" in err and "Traceback" not in err
    # The console's own process (started some other way): a dialog, exit 1.
    seen: list[str] = []
    QTimer.singleShot(20, lambda: answer_the_dialog(seen))
    argv = ["--data-dir", str(tmp_path / "data"), "--turn-url", "turn:turn.example.org:3478"]
    assert app.main(argv) == 1
    (text,) = seen
    assert text.startswith("Cannot use the ICE settings:\n") and "shared secret" in text
    assert not (tmp_path / "data").exists()  # nothing opened or created
