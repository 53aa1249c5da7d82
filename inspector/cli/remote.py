"""Commands run against a team server (``--server URL`` or ``$INSPECTOR_SERVER``): the
saved sessions, and the client a command uses.

``inspector login`` keeps the session's token (never the password) in the user's
configuration folder (:func:`inspector.config.resolve_config_dir`), in
``sessions.json``: one entry per server, the file readable by its owner only (0600,
the folder 0700), written whole and atomically. ``inspector logout`` ends the session
on the server and forgets it here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.cli.common import CliError, login_hint
from inspector.config import SERVER_ENV, resolve_config_dir, resolve_server

if TYPE_CHECKING:
    from inspector.team.client import Client

__all__ = [
    "SESSIONS_FILE",
    "forget_session",
    "remote",
    "save_session",
    "saved_session",
    "server_of",
]

SESSIONS_FILE = "sessions.json"


def server_of(args: argparse.Namespace) -> str | None:
    """The team server a command runs against (None: the local store)."""
    return resolve_server(getattr(args, "server", None))


def _file() -> Path:
    return resolve_config_dir() / SESSIONS_FILE


def _read() -> dict[str, Any]:
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read the saved sessions {_file()}: {exc}; log in again") from None
    return data if isinstance(data, dict) else {}


def _write(sessions: dict[str, Any]) -> None:
    path = _file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)  # whatever the umask
            json.dump(sessions, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise


def saved_session(server: str) -> dict[str, Any] | None:
    found = _read().get(server)
    return found if isinstance(found, dict) and isinstance(found.get("token"), str) else None


def save_session(server: str, session: dict[str, Any]) -> Path:
    sessions = _read()
    sessions[server] = session
    _write(sessions)
    return _file()


def forget_session(server: str) -> bool:
    sessions = _read()
    if server not in sessions:
        return False
    del sessions[server]
    _write(sessions)
    return True


def remote(args: argparse.Namespace) -> Client | None:
    """The client of the team server the command runs against, logged in; None: run
    locally. A missing or expired session is a one-line error saying to log in."""
    server = server_of(args)
    if server is None:
        return None
    from inspector.team.client import Client

    session = saved_session(server)
    if session is None:
        raise CliError(f"not logged in to {server}: {login_hint(server)}")
    expires = session.get("expires_at")
    with contextlib.suppress(TypeError, ValueError):
        if datetime.fromisoformat(str(expires)) <= datetime.now(UTC):
            raise CliError(
                f"the session on {server} expired at "
                f"{datetime.fromisoformat(str(expires)).astimezone():%Y-%m-%d %H:%M}: "
                f"{login_hint(server)}"
            )
    try:
        return Client(server, session["token"])
    except ValueError as exc:
        raise CliError(f"--server / ${SERVER_ENV}: {exc}", 2) from None
