"""Commands run against a team server (``--server URL`` or ``$INSPECTOR_SERVER``): the
saved sessions, and the client a command uses.

``inspector login`` keeps the session's token (never the password) where
:mod:`inspector.team.sessions` says (``sessions.json`` in the user's configuration
folder, owner-only), shared with the console's **Connect to a team server…**.
``inspector logout`` ends the session on the server and forgets it here.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.cli.common import CliError, login_hint
from inspector.config import SERVER_ENV, resolve_server
from inspector.team import sessions
from inspector.team.sessions import SESSIONS_FILE

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


def saved_session(server: str) -> dict[str, Any] | None:
    try:
        return sessions.saved_session(server)
    except sessions.SessionsUnreadable as exc:
        raise CliError(f"{exc}; log in again") from None


def save_session(server: str, session: dict[str, Any]) -> Path:
    try:
        return sessions.save_session(server, session)
    except sessions.SessionsUnreadable as exc:
        raise CliError(f"{exc}; log in again") from None


def forget_session(server: str) -> bool:
    return sessions.forget_session(server)


def server_of(args: argparse.Namespace) -> str | None:
    """The team server a command runs against (None: the local store)."""
    return resolve_server(getattr(args, "server", None))


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
    expired = sessions.expired_at(session)
    if expired is not None:
        raise CliError(
            f"the session on {server} expired at {expired.astimezone():%Y-%m-%d %H:%M}: "
            f"{login_hint(server)}"
        )
    try:
        return Client(server, session["token"])
    except ValueError as exc:
        raise CliError(f"--server / ${SERVER_ENV}: {exc}", 2) from None
