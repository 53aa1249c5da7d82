"""Where a desk keeps its sessions on team servers: the command line's ``inspector
login`` and the console's **Connect to a team server…** share them.

Only the session's token is kept, never the password: in the user's configuration
folder (:func:`inspector.config.resolve_config_dir`), in ``sessions.json``, one entry
per server (``{user, role, token, expires_at}``), the file readable by its owner
only (0600, the folder 0700), written whole and atomically. Logging out (either
way) ends the session on the server and forgets it here.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspector.config import resolve_config_dir

__all__ = [
    "SESSIONS_FILE",
    "SessionsUnreadable",
    "expired_at",
    "forget_session",
    "save_session",
    "saved_session",
    "sessions_file",
]

SESSIONS_FILE = "sessions.json"


class SessionsUnreadable(Exception):
    """The sessions file exists but cannot be read (damaged, no permission)."""


def sessions_file() -> Path:
    return resolve_config_dir() / SESSIONS_FILE


def _read() -> dict[str, Any]:
    path = sessions_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SessionsUnreadable(f"cannot read the saved sessions {path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _write(sessions: dict[str, Any]) -> None:
    path = sessions_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # made by someone else: owner-only all the same
        os.chmod(path.parent, 0o700)
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
    """The session kept for ``server`` (``{user, role, token, expires_at}``), if any."""
    found = _read().get(server)
    return found if isinstance(found, dict) and isinstance(found.get("token"), str) else None


def save_session(server: str, session: dict[str, Any]) -> Path:
    """Keep ``session`` for ``server`` (replacing the one kept); the file's path."""
    sessions = _read()
    sessions[server] = session
    _write(sessions)
    return sessions_file()


def forget_session(server: str) -> bool:
    """Forget the session kept for ``server``; False if there was none."""
    try:
        sessions = _read()
    except SessionsUnreadable:
        sessions = {server: None}  # rewritten without it: a damaged file goes away
    if server not in sessions:
        return False
    del sessions[server]
    _write(sessions)
    return True


def expired_at(session: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """When ``session`` expired, if it has (its ``expires_at`` is past); None while it
    is valid, or if it does not say (the server then decides)."""
    try:
        expires = datetime.fromisoformat(str(session.get("expires_at")))
    except (TypeError, ValueError):
        return None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return expires if expires <= (now or datetime.now(UTC)) else None
