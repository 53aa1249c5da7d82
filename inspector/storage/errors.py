"""Storage failures worded for the user: the one error family every front end catches.

Every SQLite or file error the store meets comes out as a :class:`StoreError`
subclass whose message says what happened and what to do, never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = [
    "REPAIR_HINT",
    "BucketMissing",
    "ChecksumMismatch",
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
    """The object store refuses the access key, the secret or the permission."""


class BucketMissing(StoreError):
    """The object store answers but the configured bucket does not exist."""


class ChecksumMismatch(StoreError):
    """Bytes that do not hash to their name: refused on upload, or altered when read."""


def storage_error(exc: sqlite3.Error, data_dir: Path | None = None) -> StoreError:
    """An SQLite error in words a user can act on."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
        return DatabaseBusy("the database is busy (another program is using it), try again")
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


def _disk_full(path: Path) -> bool:
    try:
        st = os.statvfs(path)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def missing_database(data_dir: Path, photos: int) -> DatabaseMissing:
    """Refusal to open a folder whose ``photos`` files have lost their database."""
    return DatabaseMissing(
        f"photos/ holds {photos} file{'s' if photos != 1 else ''} but the database is "
        f"missing or empty — restore it, or run `inspector repair` ({data_dir})"
    )
