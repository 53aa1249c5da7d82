"""The ``inspector`` parser and :func:`main`: the commands of every module, and the one
place where an expected failure becomes one line on stderr instead of a traceback."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import inspector
from inspector.cli import (
    console,
    identity,
    inspections,
    live,
    login,
    migrate,
    repair,
    review,
    users,
)
from inspector.cli.common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    Handler,
    add_photo_store_option,
    error,
    error_text,
    one_line_errors,
)
from inspector.cli.terminal import printable
from inspector.config import SERVER_ENV

#: The modules adding their commands through ``register(add)``, in the order ``--help``
#: lists them. Building the parser imports nothing heavy: each command imports what it
#: runs (the store, the seal, the report, the live engine, OCR) when it runs.
_COMMAND_MODULES = (inspections, repair, migrate, console, live, review, identity, users, login)

#: The commands that run against a team server when given ``--server`` (or
#: ``$INSPECTOR_SERVER``), with the same output as at a desk.
REMOTE_COMMANDS = frozenset(
    {"list", "show", "new", "invite", "report", "export", "import", "verify", "login", "logout"}
)


class _Version(argparse.Action):
    """``--version``, as argparse's own, but the version is read (from the package
    metadata, a twentieth of a second) only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "show program's version number and exit")
        super().__init__(
            option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> NoReturn:
        print(f"{parser.prog} {inspector.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="where inspections are kept (default: $INSPECTOR_DATA_DIR or the user data folder)",
    )
    common.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="keep the records in this database, sqlite:///FILE or postgresql://USER@HOST/DB "
        "(default: $INSPECTOR_DATABASE_URL, else inspector.db in the data folder, which "
        "stays the local working folder)",
    )
    add_photo_store_option(common)
    common.add_argument(
        "--server",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="run list, show, new, invite, report, export, import and verify on this team "
        f"server, logged in with `inspector login` (default: ${SERVER_ENV}; none: locally)",
    )
    parser = argparse.ArgumentParser(
        prog="inspector",
        description="Remote vehicle inspection. With no command, opens the console.",
        parents=[common],
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    for module in _COMMAND_MODULES:
        module.register(add)
    return parser


def _check_arguments(argv: Sequence[str]) -> None:
    """Refuse arguments that are not UTF-8 (Python keeps their bytes as lone surrogates).

    Stored, they would break every later report and export of the inspection.
    """
    for i, arg in enumerate(argv):
        bad = [c for c in arg if "\udc80" <= c <= "\udcff"]
        if not bad:
            continue
        if arg.startswith("--") and "=" in arg:
            name = arg.split("=", 1)[0]
        elif i > 0 and argv[i - 1].startswith("-"):
            name = argv[i - 1]
        else:
            name = f"argument {i + 1}"
        shown = "".join(f"\\x{ord(c) - 0xDC00:02x}" for c in bad[:4])
        raise CliError(
            f"{printable(name)}: not valid UTF-8 text (bytes {shown}); check the "
            "terminal's character encoding",
            EXIT_USAGE,
        )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        _check_arguments(arguments)
        parser = build_parser()
        args = parser.parse_args(arguments)
        for name in ("data_dir", "database_url", "photo_store", "server"):
            if not hasattr(args, name):
                setattr(args, name, None)
        if args.server and args.command not in REMOTE_COMMANDS:
            raise CliError(
                f"{args.command or 'the console'} does not run against a team server: "
                f"--server goes with {', '.join(sorted(REMOTE_COMMANDS))}",
                EXIT_USAGE,
            )
        handler: Handler = getattr(args, "handler", console.cmd_console)
        return handler(args)
    except BrokenPipeError:
        # The reader went away (`inspector list | head`): nothing to say about it, and
        # Python must not complain either when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except one_line_errors() as exc:  # evaluated only when an exception arrives here
        error(error_text(exc))
        return exc.code if isinstance(exc, CliError) else EXIT_FAILURE
    except KeyboardInterrupt:
        print("inspector: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
