"""``inspector login`` and ``inspector logout``: a session on a team server.

``inspector login --server URL --user NAME`` asks the password (without echo; or
reads the first line of standard input with ``--password-stdin``), opens a session,
and keeps its token, never the password, in the user's configuration folder (see
:mod:`inspector.cli.remote`). Every command given ``--server URL`` (or run with
``$INSPECTOR_SERVER`` set) then uses it until it expires (12 h) or ``logout``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime

from inspector.cli.common import EXIT_USAGE, AddCommand, CliError, fail
from inspector.cli.remote import forget_session, save_session, saved_session, server_of
from inspector.cli.terminal import printable
from inspector.config import SERVER_ENV


def _server(args: argparse.Namespace) -> str:
    server = server_of(args)
    if server is None:
        fail(f"which team server? give --server URL (or set ${SERVER_ENV})", EXIT_USAGE)
    return server


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        password = line.removesuffix("\n").removesuffix("\r")
    elif sys.stdin is not None and sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.user}: ")
    else:
        fail("no terminal to ask the password on: give it with --password-stdin", EXIT_USAGE)
    if not password:
        fail("the password is empty; nothing was sent", EXIT_USAGE)
    return password


def cmd_login(args: argparse.Namespace) -> int:
    from inspector.team.client import Client

    server = _server(args)
    try:
        client = Client(server)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    answer = client.login(args.user, _password(args))
    path = save_session(
        server,
        {
            "user": answer["user"],
            "role": answer["role"],
            "token": answer["token"],
            "expires_at": answer["expires_at"],
        },
    )
    until = datetime.fromisoformat(answer["expires_at"]).astimezone()
    print(
        printable(
            f"Logged in to {server} as {answer['user']} ({answer['role']}) until "
            f"{until:%Y-%m-%d %H:%M}; the session is kept in {path}"
        )
    )
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    from inspector.team.client import Client, RemoteError

    server = _server(args)
    session = saved_session(server)
    if session is None:
        print(printable(f"Not logged in to {server}"))
        return 0
    try:
        Client(server, session["token"]).logout()
    except RemoteError as exc:
        if exc.status not in (0, 401):  # unreachable or already ended: forget it all the same
            raise
    forget_session(server)
    print(printable(f"Logged out of {server}"))
    return 0


def register(add: AddCommand) -> None:
    """Add login and logout to the ``inspector`` parser."""
    p = add(
        "login",
        cmd_login,
        "log in to a team server (--server URL): list, show, new, invite, report, export, "
        "import and verify then run there",
    )
    p.add_argument("--user", required=True, help="your user name on the team server")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (scripts)",
    )
    add("logout", cmd_logout, "end the session on a team server (--server URL) and forget it")
