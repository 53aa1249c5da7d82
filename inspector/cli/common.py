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
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypedDict

from inspector.cli.terminal import json_text, printable
from inspector.config import (
    PHOTO_STORE_ENV,
    SIGNING_PASSWORD_ENV,
    resolve_data_dir,
    resolve_database_url,
    resolve_photo_store,
)
from inspector.storage import StoreError, storage_error

if TYPE_CHECKING:
    from inspector.seal import Sealer
    from inspector.storage.store import Store

# Only light modules are imported here: every command, ``--help`` included, loads this
# one. The store (SQLAlchemy) and the seal (pyHanko) are imported by the functions that
# use them, so a command pays only for what it runs (docs/PERFORMANCE.md).

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
    from inspector.storage.store import Store

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


def add_seal_options(p: argparse.ArgumentParser) -> None:
    """The options choosing who seals a report (default: this installation's key)."""
    g = p.add_argument_group(
        "seal",
        "The PDF is sealed (PAdES) by this installation's key and self-signed certificate, "
        f"made on first use in the data folder, unless a company's is given. Passwords come "
        f"from ${SIGNING_PASSWORD_ENV}.",
    )
    g.add_argument("--signing-cert", metavar="CERT.pem", help="the company's certificate")
    g.add_argument("--signing-key", metavar="KEY.pem", help="its private key")
    g.add_argument(
        "--signing-pkcs12", metavar="FILE.p12", help="the company's key and certificate in one file"
    )
    g.add_argument(
        "--tsa-url",
        metavar="URL",
        help="timestamp the seal through this RFC 3161 authority (off by default; needs the "
        "network)",
    )


def sealer_from_args(args: argparse.Namespace, data_dir: Path) -> Sealer:
    """The sealer the options ask for; a missing half of a pair is a usage error."""
    from inspector.seal import (
        Sealer,
        SealError,
        SealKeyUnwritable,
        company_identity,
        installation_identity,
        one_time_identity,
        pkcs12_identity,
    )

    cert, key, p12 = args.signing_cert, args.signing_key, args.signing_pkcs12
    if p12 and (cert or key):
        fail("give either --signing-pkcs12 or --signing-cert with --signing-key, not both", 2)
    if bool(cert) != bool(key):
        fail("--signing-cert and --signing-key go together", 2)
    tsa = args.tsa_url
    if tsa is not None and not tsa.startswith(("http://", "https://")):
        fail(f"--tsa-url must be an http:// or https:// address, not {tsa!r}", 2)
    try:
        if p12:
            identity = pkcs12_identity(Path(p12))
        elif cert:
            identity = company_identity(Path(cert), Path(key))
        else:
            try:
                identity = installation_identity(data_dir)
            except SealKeyUnwritable as exc:
                identity = one_time_identity()
                print(
                    f"inspector: warning: {printable(str(exc))}; the report is sealed with a "
                    f"one-time certificate (SHA-256 {identity.fingerprint}), not this "
                    "installation's",
                    file=sys.stderr,
                )
    except SealError as exc:
        fail(str(exc))
    return Sealer(identity, tsa_url=tsa)


def one_line_errors() -> tuple[type[Exception], ...]:
    """What ``main`` prints as one line (:func:`error_text`) instead of a traceback.

    The database's (SQLAlchemy) and the seal's errors are among them only once their
    modules are loaded: until then none of them can have been raised, and importing
    SQLAlchemy or pyHanko just to name them would cost every command a second or more.
    """
    return (
        ValueError,
        StoreError,
        CliError,
        OSError,
        *_database_errors(),
        *_seal_errors(),
        *_loaded("inspector.team.client", "RemoteError"),
    )


def _loaded(module: str, name: str) -> tuple[type[Exception], ...]:
    """``module.name`` if that module is loaded, else nothing."""
    loaded = sys.modules.get(module)
    return () if loaded is None else (getattr(loaded, name),)


def _database_errors() -> tuple[type[Exception], ...]:
    return (sqlite3.Error, *_loaded("sqlalchemy.exc", "DBAPIError"))


def _seal_errors() -> tuple[type[Exception], ...]:
    return _loaded("inspector.seal.identity", "SealError")


def login_hint(server: str) -> str:
    return f"run: inspector login --server {server}"


def _remote_error_text(exc: Exception) -> str:
    """A team server's refusal in words (what to do when the session ended)."""
    server = getattr(exc, "server", "") or "the server"
    status = getattr(exc, "status", 0)
    if status == 401:
        return f"{exc} ({login_hint(server)})"
    if status == 403:
        return f"refused by {server}: {exc}"
    return str(exc)


def error_text(exc: Exception) -> str:
    """An expected failure in words a user can act on (a full disk says so)."""
    if isinstance(exc, _loaded("inspector.team.client", "RemoteError")):
        return _remote_error_text(exc)
    if isinstance(exc, (ValueError, StoreError, CliError, *_seal_errors())):
        return str(exc)  # already worded for the user
    if isinstance(exc, _database_errors()):  # one that slipped past the store
        return str(storage_error(exc))
    if not isinstance(exc, OSError):
        return str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full ({exc.filename or exc.strerror})"
    if exc.errno == errno.EROFS:
        return f"the folder is read-only ({exc.filename or exc.strerror})"
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"
