"""``inspector users`` as real processes, on SQLite and a real PostgreSQL: passwords from
standard input or a terminal's prompt (a real pseudo-terminal), one clear line for every
refusal, never a password on any output, and ``show`` with the audit log."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.cli.main import main
from inspector.storage.store import Store
from inspector.usecases import accounts
from tests.inspector.cli.test_cli_safety import one_clear_line

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "a long secret phrase"


def users(
    data_dir: Path, database_url: str | None, *argv: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    where = ["--data-dir", str(data_dir)]
    if database_url:
        where += ["--database-url", database_url]
    return subprocess.run(
        [sys.executable, "-m", "inspector", *where, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str | None,
    *argv: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    """The command in this process (as most CLI tests do), ``stdin`` a pipe's content."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    where = ["--database-url", database_url] if database_url else []
    code = main([*where, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_real_process_reads_the_password_from_standard_input(
    data_dir: Path, database_url: str | None
) -> None:
    done = users(data_dir, database_url, "users", "add", "Alice", "--role", "admin", stdin=PASSWORD)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Added admin alice\n" and done.stderr == ""
    listed = users(data_dir, database_url, "users", "list", "--json")
    assert [(u["name"], u["role"]) for u in json.loads(listed.stdout)] == [("alice", "admin")]
    assert PASSWORD not in listed.stdout and "argon2" not in listed.stdout
    with Store(data_dir, database_url=database_url) as store:
        assert accounts.login(store, "alice", PASSWORD).user.name == "alice"


def test_add_list_disable_passwd(
    data_dir: Path,
    database_url: str | None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        return run(monkeypatch, capsys, database_url, *argv, stdin=stdin)

    assert cli("users", "add", "alice", "--role", "admin", stdin=PASSWORD)[0] == 0
    assert cli("users", "add", "ines", "--role", "inspector", stdin=PASSWORD)[0] == 0
    code, out, _ = cli("users", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "STATUS", "CREATED", "CHANGED"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["alice", "admin", "enabled"],
        ["ines", "inspector", "enabled"],
    ]
    assert cli("users", "disable", "ines") == (
        0,
        "Disabled ines; their sessions have ended\n",
        "",
    )
    as_json = json.loads(cli("users", "list", "--json")[1])
    assert [(u["name"], u["role"], u["disabled"]) for u in as_json] == [
        ("alice", "admin", False),
        ("ines", "inspector", True),
    ]
    new_password = "another long phrase"
    assert cli("users", "passwd", "alice", stdin=new_password + "\n")[0] == 0
    assert cli("users", "enable", "ines")[0] == 0
    with Store(data_dir, database_url=database_url) as store:
        assert accounts.login(store, "alice", new_password).user.name == "alice"
        entries = store.audit.recent()
    assert [e.action for e in reversed(entries)] == [
        "user_added",
        "user_added",
        "user_disabled",
        "password_changed",
        "user_enabled",
    ]


@pytest.mark.parametrize(
    ("argv", "stdin", "code", "words"),
    [
        (("users", "add", "bob", "--role", "pilot"), PASSWORD, 2, "unknown role 'pilot'"),
        (("users", "add", "bob"), PASSWORD, 2, "needs --role"),
        (("users", "add", "bob", "--role", "admin"), "", 1, "the password is empty"),
        (("users", "add", "bob", "--role", "admin"), "abc12\n", 1, "too short"),
        (("users", "add", "b b", "--role", "admin"), PASSWORD, 1, "use letters"),
        (("users", "add", "alice", "--role", "operator"), PASSWORD, 1, "already exists"),
        (("users", "disable", "nobody"), "", 1, "no user 'nobody'"),
        (("users", "passwd", "nobody"), PASSWORD, 1, "no user 'nobody'"),
        (("users", "disable"), "", 2, "needs a user name"),
        (("users", "list", "alice"), "", 2, "takes no name"),
    ],
)
def test_refusals_are_one_clear_line(
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    stdin: str,
    code: int,
    words: str,
) -> None:
    with Store(data_dir) as store:
        accounts.add_user(store, "alice", "admin", PASSWORD)
    got, out, err = run(monkeypatch, capsys, None, *argv, stdin=stdin)
    assert got == code
    one_clear_line(err, words)
    assert out == ""
    if stdin.strip():
        assert stdin.strip() not in err


def test_a_refusal_in_a_real_process_is_one_line(data_dir: Path) -> None:
    done = users(data_dir, None, "users", "add", "bob", "--role", "admin", stdin="abc12\n")
    assert done.returncode == 1 and done.stdout == ""
    one_clear_line(done.stderr, "the password is too short: at least 10 characters")


def test_no_users_yet(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, None, "users", "list")
    assert code == 0 and "inspector users add NAME --role admin" in out
    assert json.loads(run(monkeypatch, capsys, None, "users", "list", "--json")[1]) == []


def _read_until(fd: int, wanted: bytes, seen: bytearray) -> None:
    """Read the terminal until ``wanted`` appears (the test's timeout ends a hang)."""
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            seen += chunk


def _on_a_terminal(data_dir: Path, answers: list[str]) -> tuple[int, str]:
    """Run ``users add`` on a real pseudo-terminal, answering each prompt in turn."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        os.chdir(ROOT)
        os.execv(
            sys.executable,
            [
                sys.executable,
                "-m",
                "inspector",
                "--data-dir",
                str(data_dir),
                "users",
                "add",
                "tess",
                "--role",
                "operator",
            ],
        )
    seen = bytearray()
    try:
        for prompt, answer in zip(("Password: ", "Password again: "), answers, strict=False):
            _read_until(fd, prompt.encode(), seen)
            time.sleep(0.1)  # getpass turns echo off right after its prompt
            os.write(fd, answer.encode() + b"\r")
        _read_until(fd, b"\n\x00never", seen)  # to the end of output
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_a_terminal_is_prompted_twice_and_the_password_never_echoed(data_dir: Path) -> None:
    code, shown = _on_a_terminal(data_dir, [PASSWORD, PASSWORD])
    assert code == 0, shown
    assert "Added operator tess" in shown and PASSWORD not in shown
    with Store(data_dir) as store:
        assert accounts.login(store, "tess", PASSWORD).user.name == "tess"


def test_two_different_answers_on_a_terminal_change_nothing(data_dir: Path) -> None:
    code, shown = _on_a_terminal(data_dir, [PASSWORD, PASSWORD + "x"])
    assert code == 1 and "the two passwords differ; nothing was changed" in shown
    assert "Traceback" not in shown
    with Store(data_dir) as store:
        assert store.accounts.user("tess") is None
