"""``--database-url`` / ``INSPECTOR_DATABASE_URL``: every command on a real PostgreSQL,
and one clear line (exit 1, no traceback) when it cannot be used: a wrong password, a
wrong port, a database that does not exist, an address nobody answers, a bad URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from inspector.cli.main import main
from inspector.storage.database import DB_NAME
from tests.inspector.cli.test_cli_safety import one_clear_line
from tests.inspector.os_fixtures import inspector
from tests.inspector.postgres_fixtures import PASSWORD, PostgresServer


def database_name(url: str) -> str:
    name = make_url(url).database
    assert name
    return name


def test_commands_keep_their_records_in_postgresql(
    data_dir: Path,
    pg_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["--database-url", pg_url, "new", "--make", "Fiat", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    monkeypatch.setenv("INSPECTOR_DATABASE_URL", pg_url)  # the same, from the environment
    assert main(["list", "--json"]) == 0
    assert [i["id"] for i in json.loads(capsys.readouterr().out)] == [created["id"]]
    assert not (data_dir / DB_NAME).exists()  # the folder is only the working folder
    monkeypatch.delenv("INSPECTOR_DATABASE_URL")
    assert main(["list", "--json"]) == 0  # no URL: the folder's own SQLite, empty
    assert json.loads(capsys.readouterr().out) == []


def test_a_password_is_checked_and_a_wrong_one_is_one_line(
    data_dir: Path, postgres: PostgresServer, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = database_name(pg_url)
    right = postgres.password_url(name, PASSWORD)
    assert main(["--database-url", right, "list"]) == 0
    assert "No inspections yet" in capsys.readouterr().out
    wrong = postgres.password_url(name, "not the password")
    for argv in (["list"], ["new", "--make", "Fiat"]):
        assert main(["--database-url", wrong, *argv]) == 1
        err = capsys.readouterr().err
        one_clear_line(err, "the database server refuses the user or password")
        assert "not the password" not in err


def test_a_wrong_port_a_missing_database_and_a_silent_address_are_one_line(
    data_dir: Path, postgres: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = {
        f"{postgres.url()}&port=1": "cannot reach the database server",  # no such socket
        postgres.url("no_such_database"): "the database server has no such database",
        "postgresql://nobody@127.0.0.1:1/x": "cannot reach the database server",
    }
    for url, words in cases.items():
        for argv in (["list"], ["new", "--make", "Fiat"], ["serve", "--port", "0"]):
            assert main(["--database-url", url, *argv]) == 1, (url, argv)
            one_clear_line(capsys.readouterr().err, words)


def test_bad_urls_are_one_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "not a url": "not a database URL",
        "mysql://u@localhost/db": "unsupported database 'mysql'",
        "sqlite://": "an SQLite database URL needs a file",
    }
    for url, words in cases.items():
        assert main(["--database-url", url, "list"]) == 1
        one_clear_line(capsys.readouterr().err, words)


def test_a_real_process_given_an_unreachable_server_exits_with_one_line(
    data_dir: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSPECTOR_DATABASE_URL", f"{postgres.url()}&port=1")
    proc = inspector("list", data_dir=data_dir)
    assert proc.returncode == 1
    one_clear_line(proc.stderr, "cannot reach the database server")
