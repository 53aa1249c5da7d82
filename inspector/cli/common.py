"""What every command shares: exit codes, one-line errors, the store, JSON output.

The command modules and :mod:`inspector.cli.main` import this module and
nothing of each other, so no command depends on another and the parser
depends on all of them.
"""

from __future__ import annotations

import argparse
import errno
import sqlite3
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypedDict

import sqlalchemy as sa

from inspector.cli.terminal import json_text, printable
from inspector.config import (
    PHOTO_STORE_ENV,
    resolve_data_dir,
    resolve_database_url,
    resolve_photo_store,
)
from inspector.storage import StoreError, storage_error
from inspector.storage.store import Store

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_ALTERED = 3
"""``list --check``, ``show --check``, ``repair``: photos are missing or altered;
``verify``: the bundle was read but is not intact."""
EXIT_INCOMPLETE = 4
"""``report``: required photos are missing or damages are to complete, and
``--allow-incomplete`` was not given."""
EXIT_INTERRUPTED = 130
"""Ctrl-C, or a report cancelled: the shell's code for SIGINT."""

Handler = Callable[[argparse.Namespace], int]
"""A command: takes the parsed arguments, returns the exit code."""
AddCommand = Callable[[str, Handler, str], argparse.ArgumentParser]
"""What ``register(add)`` receives: adds a command by name, handler and help text."""


class CliError(Exception):
    """A failure to report as one line, with the exit code to use."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """End the command with ``inspector: error: message`` and exit ``code``."""
    raise CliError(message, code)


def error(message: str, *, prefix: str = "error") -> None:
    """Print ``inspector: error: message`` on stderr, made safe for the terminal."""
    print(f"inspector: {prefix}: {printable(message)}", file=sys.stderr)


def database_url_of(args: argparse.Namespace) -> str | None:
    """``--database-url``, else ``$INSPECTOR_DATABASE_URL``; None: the data folder's SQLite."""
    return resolve_database_url(getattr(args, "database_url", None))


class StoreOptions(TypedDict):
    """Where a command's store keeps records and photos, as ``Store`` takes them."""

    database_url: str | None
    photo_store: str | None


def store_options(args: argparse.Namespace) -> StoreOptions:
    """The ``--database-url`` and ``--photo-store`` a command was given (or the environment's)."""
    return StoreOptions(database_url=database_url_of(args), photo_store=photo_store_of(args))


def open_store(args: argparse.Namespace, *, readonly: bool = False) -> Store:
    """The data folder's store; ``readonly`` creates and changes nothing."""
    try:
        data_dir = resolve_data_dir(getattr(args, "data_dir", None), create=not readonly)
        return Store(data_dir, readonly=readonly, **store_options(args))
    except OSError as exc:
        fail(f"cannot use the data directory: {exc}")


def add_photo_store_option(parser: argparse.ArgumentParser) -> None:
    """``--photo-store``, beside ``--data-dir`` on every command."""
    parser.add_argument(
        "--photo-store",
        default=argparse.SUPPRESS,
        metavar="URL",
        help=(
            "where photos are kept: a folder or s3://bucket/prefix (S3 endpoint, region and "
            "keys from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; "
            f"default: ${PHOTO_STORE_ENV} or the data directory's photos/)"
        ),
    )


def photo_store_of(args: argparse.Namespace) -> str | None:
    """The photo store a command was given (``--photo-store`` or the environment)."""
    return resolve_photo_store(getattr(args, "photo_store", None))


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout, unsafe characters escaped."""
    print(json_text(data))


ONE_LINE_ERRORS = (ValueError, StoreError, CliError, sqlite3.Error, sa.exc.DBAPIError, OSError)
"""What ``main`` prints as one line (:func:`error_text`) instead of a traceback."""


def error_text(exc: Exception) -> str:
    """An expected failure in words a user can act on (a full disk says so)."""
    if isinstance(exc, (ValueError, StoreError, CliError)):
        return str(exc)  # already worded for the user
    if isinstance(exc, (sqlite3.Error, sa.exc.DBAPIError)):  # one that slipped past the store
        return str(storage_error(exc))
    if not isinstance(exc, OSError):
        return str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full ({exc.filename or exc.strerror})"
    if exc.errno == errno.EROFS:
        return f"the folder is read-only ({exc.filename or exc.strerror})"
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"
