"""The console started on a store it cannot use says so in a dialog and exits 1: a real
PostgreSQL server asked for a database it lacks, on a port nobody listens on, or with a
wrong password; a real SeaweedFS refusing the key, without the bucket, or down."""

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


def test_a_refused_password_is_a_dialog_and_exit_1(
    qtbot: QtBot, tmp_path: Path, postgres: PostgresServer, pg_url: str
) -> None:
    from sqlalchemy.engine import make_url

    database = make_url(pg_url).database
    assert database
    url = postgres.password_url(database, "not the password")
    seen: list[str] = []
    QTimer.singleShot(20, lambda: answer_the_dialog(seen))
    assert app.main(["--data-dir", str(tmp_path / "data"), "--database-url", url]) == 1
    (text,) = seen
    assert "the database server refuses the user or password" in text
    assert "not the password" not in text and "Traceback" not in text


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fault", ["key refused", "no such bucket", "down"])
def test_an_unusable_object_store_is_a_dialog_and_exit_1(
    qtbot: QtBot, tmp_path: Path, s3_url: str, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    from tests.s3_server import MISSING_BUCKET, free_ports

    photo_store, words = s3_url, ""
    if fault == "key refused":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        words = "refuses the credentials"
    elif fault == "no such bucket":
        photo_store, words = f"s3://{MISSING_BUCKET}/desk", f"has no bucket {MISSING_BUCKET!r}"
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_ports(1)[0]}")
        words = "does not answer"
    seen: list[str] = []
    QTimer.singleShot(20, lambda: answer_the_dialog(seen))
    argv = ["--data-dir", str(tmp_path / "data"), "--photo-store", photo_store]
    assert app.main(argv) == 1
    (text,) = seen
    assert text.startswith("Cannot open the inspections:\n") and words in text, text
    assert "Traceback" not in text and "not-the-secret" not in text
