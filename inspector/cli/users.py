"""``inspector users``: the team server's accounts (add, list, disable, enable, passwd).

A password is read from a prompt (asked twice) when standard input is a terminal,
else from the first line of standard input (``printf '%s\\n' "$PW" | inspector users
add …``); it is never printed, logged or taken as an argument (arguments show in
``ps``). Run on the database the server uses (``--database-url``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from inspector.cli.common import EXIT_USAGE, AddCommand, fail, open_store, print_json
from inspector.cli.terminal import printable
from inspector.domain.accounts import Role, User, check_password
from inspector.storage import NoDatabase

if TYPE_CHECKING:
    from inspector.storage.store import Store

_ACTIONS = ("add", "list", "disable", "enable", "passwd")


def read_password(*, confirm: bool = True) -> str:
    """A new password: prompted (twice) on a terminal, else standard input's first line."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        check_password(first)  # say "too short" before asking again
        if confirm and getpass.getpass("Password again: ") != first:
            fail("the two passwords differ; nothing was changed")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return check_password(line.removesuffix("\n").removesuffix("\r"))


def _list(args: argparse.Namespace) -> int:
    from inspector.usecases import accounts

    try:
        store: Store | None = open_store(args, readonly=True)
    except NoDatabase:  # nothing stored yet: no users
        store = None
    users: list[User] = []
    if store is not None:
        with store:
            users = accounts.list_users(store)
    if args.json:
        print_json([accounts.user_to_dict(u) for u in users])
        return 0
    if not users:
        print("No users yet. Add the first admin with: inspector users add NAME --role admin")
        return 0
    header = ("NAME", "ROLE", "STATUS", "CREATED", "CHANGED")
    table = [header] + [
        tuple(
            printable(cell)
            for cell in (
                u.name,
                u.role.value,
                "disabled" if u.disabled else "enabled",
                u.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                u.changed_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            )
        )
        for u in users
    ]
    widths = [max(len(r[c]) for r in table) for c in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    action, name = args.action, args.name
    if action == "list":
        if name is not None:
            fail("users list takes no name", EXIT_USAGE)
        return _list(args)
    if name is None:
        fail(f"users {action} needs a user name", EXIT_USAGE)
    if action == "add":
        if args.role is None:
            fail("users add needs --role operator, inspector or admin", EXIT_USAGE)
        try:
            role = Role.of(args.role)
        except ValueError as exc:
            fail(str(exc), EXIT_USAGE)
    elif args.role is not None:
        fail(f"--role goes with users add, not users {action}", EXIT_USAGE)
    from inspector.usecases import accounts

    # Check the name before asking for a password nobody can use.
    if action in ("add", "passwd"):
        password = read_password()
    with open_store(args) as store:
        if action == "add":
            user = accounts.add_user(store, name, role, password)
            print(f"Added {user.role.value} {printable(user.name)}")
        elif action == "passwd":
            user = accounts.set_password(store, name, password)
            print(f"Password of {printable(user.name)} changed; their sessions have ended")
        elif action == "disable":
            user = accounts.disable_user(store, name)
            print(f"Disabled {printable(user.name)}; their sessions have ended")
        else:
            user = accounts.enable_user(store, name)
            print(f"Enabled {printable(user.name)}")
    return 0


def register(add: AddCommand) -> None:
    """Add ``users`` to the ``inspector`` parser."""
    p = add(
        "users",
        cmd_users,
        "manage the team server's accounts: users add NAME --role ROLE, users list, "
        "users disable NAME, users enable NAME, users passwd NAME",
    )
    p.add_argument("action", choices=_ACTIONS, help="what to do")
    p.add_argument("name", nargs="?", help="the user's name (letters a-z, digits, . _ @ -)")
    p.add_argument(
        "--role",
        help="with add: operator (runs live sessions), inspector (reviews, annotates, "
        "reports, exports) or admin (manages users, may do everything)",
    )
    p.add_argument("--json", action="store_true", help="with list: print the users as JSON")
