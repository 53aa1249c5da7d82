"""What every command shares (:mod:`inspector.cli.common`): one-line failures, opening the
store; and each command module adding its own commands."""

from __future__ import annotations

import argparse
import errno
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest

from inspector.cli import console, inspections, live, repair, review
from inspector.cli.common import (
    EXIT_INCOMPLETE,
    CliError,
    Handler,
    error_text,
    fail,
    one_line_errors,
    open_store,
)
from inspector.cli.main import build_parser, main
from inspector.storage import NoDatabase


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/d/x"), "the disk is full (/d/x)"),
        (OSError(errno.EROFS, "Read-only file system", "/d"), "the folder is read-only (/d)"),
        (OSError(errno.EACCES, "Permission denied", "/d"), "Permission denied: /d"),
        (sqlite3.OperationalError("database is locked"), "the database is busy"),
        (CliError("no such thing", EXIT_INCOMPLETE), "no such thing"),
        (ValueError("year: must be a year"), "year: must be a year"),
    ],
)
def test_expected_failures_are_worded_for_the_user(exc: Exception, text: str) -> None:
    assert isinstance(exc, one_line_errors())
    assert error_text(exc).startswith(text)


def test_the_database_and_seal_errors_are_one_line_once_loaded() -> None:
    # Named only once their modules are loaded (the parser imports neither): here they are.
    import sqlalchemy as sa

    from inspector.seal import SealError

    refused = sa.exc.OperationalError(
        "SELECT 1", {}, sqlite3.OperationalError("database is locked")
    )
    for exc in (refused, SealError("the key is encrypted")):
        assert isinstance(exc, one_line_errors())
    assert error_text(refused).startswith("the database is busy")
    assert error_text(SealError("the key is encrypted")) == "the key is encrypted"


def test_fail_carries_its_exit_code_to_main(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CliError) as caught:
        fail("stop here", EXIT_INCOMPLETE)
    assert caught.value.code == EXIT_INCOMPLETE
    # Through main: the same one line and code as any command's failure.
    assert main(["report", "x", "-o", "report.txt"]) == 1
    assert capsys.readouterr().err == (
        "inspector: error: the output file must end in .pdf: report.txt\n"
    )


def test_a_read_only_open_creates_nothing_and_a_bad_folder_is_one_line(tmp_path: Path) -> None:
    args = build_parser().parse_args(["--data-dir", str(tmp_path / "none"), "list"])
    with pytest.raises(NoDatabase):
        open_store(args, readonly=True)
    assert not (tmp_path / "none").exists()
    (tmp_path / "file").write_text("not a folder")
    args.data_dir = str(tmp_path / "file" / "data")
    with pytest.raises(CliError, match=r"^cannot use the data directory: "):
        open_store(args)


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (inspections, ["new", "list", "show", "delete", "checklists"]),
        (repair, ["repair"]),
        (console, ["console"]),
        (live, ["serve", "server", "invite", "revoke", "demo"]),
        (review, ["report", "export", "import", "verify"]),
    ],
)
def test_each_command_module_adds_its_commands_on_its_own(
    module: ModuleType, names: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="inspector")
    sub = parser.add_subparsers(dest="command")
    added: list[str] = []

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        added.append(name)
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(handler=handler)
        return p

    module.register(add)
    assert added == names
    # And the inspector command offers each of them.
    with pytest.raises(SystemExit):
        main(["--help"])
    listing = capsys.readouterr().out
    for name in names:
        assert f"\n    {name} " in listing
