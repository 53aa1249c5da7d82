"""Storage failures worded for the user: the one error family every front end catches.

Every database (SQLite, PostgreSQL) or file error the store meets comes out as a
:class:`StoreError` subclass whose message says what happened and what to do,
never a traceback.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

__all__ = [
    "REPAIR_HINT",
    "BucketMissing",
    "ChangedElsewhere",
    "ChecksumMismatch",
    "Conflict",
    "CredentialsRefused",
    "DatabaseBusy",
    "DatabaseDamaged",
    "DatabaseMissing",
    "DiskFull",
    "NoDatabase",
    "NotFound",
    "ReadOnly",
    "StoreError",
    "StoreUnreachable",
    "WriteNotRecorded",
    "missing_database",
    "storage_error",
]

REPAIR_HINT = "see `inspector repair`"
_BUSY = "the database is busy (another program is using it), try again"


class StoreError(Exception):
    """A storage failure explained for the user."""


class NotFound(StoreError):
    pass


class DiskFull(StoreError):
    pass


class DatabaseDamaged(StoreError):
    """SQLite found the database file corrupt (or not a database at all)."""


class DatabaseBusy(StoreError):
    """Another process holds a lock longer than we wait."""


class ReadOnly(StoreError):
    """The data folder (or the database) cannot be written."""


class DatabaseMissing(StoreError):
    """Photos exist but their database is missing or empty: opening would lose them."""


class NoDatabase(StoreError):
    """A read-only open of a folder that has no database yet (nothing stored)."""


class WriteNotRecorded(StoreError):
    """A deliberate write through a read-only store failed; what was read stays valid."""


class StoreUnreachable(StoreError):
    """The object store (or database server) does not answer: try again later."""


class CredentialsRefused(StoreError):
    """The object store or the database server refuses the credentials or the permission."""


class ChangedElsewhere(StoreError):
    """A record changed by someone else since it was read: reload before changing it."""


class Conflict(StoreError):
    """A record the database's rules refuse: an id already used, a photo pair taken, its
    inspection gone. Raised in place of the driver's integrity error, on every backend."""


class BucketMissing(StoreError):
    """The object store answers but the configured bucket does not exist."""


class ChecksumMismatch(StoreError):
    """Bytes that do not hash to their name: refused on upload, or altered when read."""


def storage_error(exc: BaseException, data_dir: Path | None = None) -> StoreError:
    """A database error (SQLite or PostgreSQL, bare or wrapped by SQLAlchemy) in words a
    user can act on."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's
    if isinstance(orig, BaseException):
        exc = orig
    if type(exc).__module__.startswith("psycopg"):
        return _postgresql_error(exc)
    if not isinstance(exc, sqlite3.Error):
        return StoreError(f"database error: {_first_line(exc)}")
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
        return DatabaseBusy(_BUSY)
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return DiskFull("the disk is full: the database cannot grow")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text:
        return DatabaseDamaged(f"the database is damaged — {REPAIR_HINT} ({text})")
    if name.startswith("SQLITE_READONLY"):
        return ReadOnly(f"the data folder is read-only ({text})")
    if name.startswith("SQLITE_IOERR") and data_dir is not None and _disk_full(data_dir):
        return DiskFull("the disk is full: the database cannot grow")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"the disk could not be read or written ({text})")
    return StoreError(f"database error: {text}")


_PG_STATES: tuple[tuple[str, type[StoreError], str], ...] = (
    # (SQLSTATE prefix, error, what to say), most specific first
    ("53100", DiskFull, "the database server's disk is full"),
    ("55P03", DatabaseBusy, _BUSY),  # lock_timeout
    ("57014", DatabaseBusy, _BUSY),  # statement_timeout
    ("40", DatabaseBusy, _BUSY),  # serialization failure, deadlock
    ("25006", ReadOnly, "the database is read-only"),
    ("42501", CredentialsRefused, "the database server refuses this user the permission"),
    ("28", CredentialsRefused, "the database server refuses the user or password"),
    ("3D000", StoreError, "the database server has no such database: create it, or fix the URL"),
    ("08", StoreUnreachable, "cannot reach the database server, try again later"),
    ("57P", StoreUnreachable, "the database server is shutting down or starting, try later"),
    ("XX00", DatabaseDamaged, "the database server reports damaged data"),
)

_PG_CONNECT: tuple[tuple[str, type[StoreError], str], ...] = (
    # What the server or the network said when connecting (psycopg gives no SQLSTATE then)
    (
        r"password authentication failed|no password supplied|role \S+ does not exist"
        r"|no pg_hba\.conf entry|authentication failed",
        CredentialsRefused,
        "the database server refuses the user or password",
    ),
    (
        r"database \S+ does not exist",
        StoreError,
        "the database server has no such database: create it, or fix the URL",
    ),
)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _postgresql_error(exc: BaseException) -> StoreError:
    """A psycopg error in words a user can act on; the server's own line in brackets."""
    text = _first_line(exc)
    for prefix in ("connection failed: ", "connection is bad: "):
        text = text.removeprefix(prefix)
    text = text.replace("FATAL:  ", "")
    state = getattr(exc, "sqlstate", None) or ""
    if state:
        for start, error, words in _PG_STATES:
            if state.startswith(start):
                return error(f"{words} ({text})")
        return StoreError(f"database error: {text}")
    for pattern, error, words in _PG_CONNECT:
        if re.search(pattern, text):
            return error(f"{words} ({text})")
    # No SQLSTATE and no server answer: the connection could not be made or was lost.
    return StoreUnreachable(f"cannot reach the database server, try again later ({text})")


def _disk_full(path: Path) -> bool:
    try:
        st = os.statvfs(path)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def missing_database(data_dir: Path, photos: int, server: str | None = None) -> DatabaseMissing:
    """Refusal to open a folder whose ``photos`` files have lost their database.

    ``server``: the database is on a server (its URL, password hidden), which holds no
    schema yet: not the database these photos belong to.
    """
    files = f"photos/ holds {photos} file{'s' if photos != 1 else ''}"
    if server is not None:
        return DatabaseMissing(
            f"{files} but the database {server} is empty — use the database that holds "
            f"their records ({data_dir})"
        )
    return DatabaseMissing(
        f"{files} but the database is missing or empty — restore it, or run "
        f"`inspector repair` ({data_dir})"
    )
