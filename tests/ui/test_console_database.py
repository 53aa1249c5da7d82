"""The console started on a database it cannot use (a real PostgreSQL server, asked for
a database it lacks or on a port nobody listens on) says so in a dialog and exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from tests.inspector.postgres_fixtures import PostgresServer
from ui import app


def answer_the_dialog(seen: list[str]) -> None:
    """Read and close the modal dialog the console shows (polling until it is up)."""
    box = QApplication.activeModalWidget()
    if not isinstance(box, QMessageBox):
        QTimer.singleShot(20, lambda: answer_the_dialog(seen))
        return
    seen.append(box.text())
    box.close()


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ("no_such_database", "the database server has no such database"),
        ("port=1", "cannot reach the database server"),
    ],
)
def test_an_unusable_database_is_a_dialog_and_exit_1(
    qtbot: QtBot, tmp_path: Path, postgres: PostgresServer, where: str, words: str
) -> None:
    url = postgres.url(where) if "=" not in where else f"{postgres.url()}&{where}"
    seen: list[str] = []
    QTimer.singleShot(20, lambda: answer_the_dialog(seen))
    assert app.main(["--data-dir", str(tmp_path / "data"), "--database-url", url]) == 1
    (text,) = seen
    assert text.startswith("Cannot open the inspections:\n") and words in text
    assert "Traceback" not in text
