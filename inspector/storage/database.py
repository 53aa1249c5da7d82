"""The SQLite connection of one data directory: opening it safely, and running
statements on it from any thread.

Read-write: WAL, foreign keys, ``synchronous=FULL``, a busy timeout, migrated on
open. A database that is missing or empty while ``photos/`` holds files is never
opened (nor created): that is a lost or truncated database, and the orphan sweep
would then delete every photo; ``inspector repair`` rebuilds what it can.

Read-only: the database is read through a read-only connection and nothing is
created (archived, read-only folders stay readable). A write asked of such a
connection is deliberate (the report marks its inspection "reported"): it opens
the existing file read-write for that one transaction, or raises
:class:`WriteNotRecorded`.

One connection is shared behind a re-entrant lock, which makes it safe to use
from the engine thread and the UI's worker threads at once. SQLite failures come
out as :class:`StoreError` subclasses worded for the user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inspector.storage.errors import (
    NoDatabase,
    ReadOnly,
    StoreError,
    WriteNotRecorded,
    missing_database,
    storage_error,
)
from inspector.storage.photos import PhotoFiles
from inspector.storage.readings import ensure_table as readings_table
from inspector.storage.schema import SCHEMA_VERSION, database_is_blank, migrate, newer_schema
from inspector.storage.signatures import ensure_table as signature_table

__all__ = ["BUSY_TIMEOUT_SECONDS", "DB_NAME", "Database"]

DB_NAME = "inspector.db"
#: How long a call waits for another connection's write lock before "database is locked".
BUSY_TIMEOUT_SECONDS = 5.0
_BUSY_PRAGMA = f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}"


class Database:
    """The database of ``files.data_dir``, opened read-write or ``readonly``.

    ``allow_empty`` is for ``inspector repair`` only: open (read-write) even
    when photos exist without a database.
    """

    def __init__(self, files: PhotoFiles, *, readonly: bool, allow_empty: bool) -> None:
        self.data_dir = files.data_dir
        self.path = self.data_dir / DB_NAME
        self.readonly = readonly
        self._files = files
        self._lock = threading.RLock()
        self._copy_dir: tempfile.TemporaryDirectory[str] | None = None
        try:
            self._db = self._open_readonly() if readonly else self._open(allow_empty)
        except sqlite3.Error as exc:
            error = storage_error(exc, self.data_dir)
            raise type(error)(f"cannot open the database in {self.data_dir}: {error}") from exc
        except OSError as exc:
            raise StoreError(f"cannot use the data directory {self.data_dir}: {exc}") from exc

    # -- opening --------------------------------------------------------------

    def _open(self, allow_empty: bool) -> sqlite3.Connection:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(self.data_dir, os.W_OK):
            raise ReadOnly(
                f"the data folder {self.data_dir} is read-only: list, show, report and "
                "verify work there, nothing that changes it"
            )
        if not allow_empty and not self.path.exists() and (n := self._files.count()):
            raise missing_database(self.data_dir, n)  # before SQLite creates an empty one
        self._files.make_folders()
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            if not allow_empty and database_is_blank(db) and (n := self._files.count()):
                raise missing_database(self.data_dir, n)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(_BUSY_PRAGMA)
            migrate(db)
            signature_table(db)
            readings_table(db)
        except BaseException:
            db.close()
            raise
        return db

    def _open_readonly(self) -> sqlite3.Connection:
        path = self.path
        blocker = next((p for p in (self.data_dir, *self.data_dir.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise StoreError(f"cannot use the data directory {self.data_dir}: {blocker} is a file")
        if not path.is_file():
            if n := self._files.count():
                raise missing_database(self.data_dir, n)
            raise NoDatabase(f"no inspections in {self.data_dir} yet")
        if os.access(self.data_dir, os.W_OK):
            try:
                return self._readable(f"{path.as_uri()}?mode=ro")
            except sqlite3.OperationalError as exc:
                name = getattr(exc, "sqlite_errorname", "")
                if not name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL")):
                    raise
                # The -shm file SQLite shares between readers cannot be made (a full disk).
        return self._readable(self._unshared_uri(path))

    def _unshared_uri(self, path: Path) -> str:
        """Read without the -shm file, for a folder that cannot be written.

        Nobody can be writing the database there either: ``immutable`` reads it
        as it is. Commits still in a -wal file (a process was killed) would be
        invisible that way: then a private copy of the pair is read instead.
        """
        wal = path.with_name(path.name + "-wal")
        if not (wal.is_file() and wal.stat().st_size > 0):
            return f"{path.as_uri()}?mode=ro&immutable=1"
        self._copy_dir = tempfile.TemporaryDirectory(prefix="inspector-ro-")
        copy = Path(self._copy_dir.name) / DB_NAME
        shutil.copyfile(path, copy)
        shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        return f"{copy.as_uri()}?mode=ro"

    def _readable(self, uri: str) -> sqlite3.Connection:
        db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute(_BUSY_PRAGMA)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if database_is_blank(db):
                if n := self._files.count():
                    raise missing_database(self.data_dir, n)
                raise NoDatabase(f"no inspections in {self.data_dir} yet")
            if version > SCHEMA_VERSION:
                raise newer_schema(version)
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self._copy_dir is not None:
                self._copy_dir.cleanup()

    # -- statements -----------------------------------------------------------

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise storage_error(exc, self.data_dir) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception.

        SQLite errors come out worded for the user, except ``IntegrityError``,
        which callers turn into their own message.
        """
        with self._lock:
            db = self._write_connection() if self.readonly else self._db
            try:
                try:
                    db.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise self._failed(exc) from exc
                try:
                    yield db
                except BaseException as exc:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                    if isinstance(exc, sqlite3.Error) and not isinstance(
                        exc, sqlite3.IntegrityError
                    ):
                        raise self._failed(exc) from exc
                    raise
                try:
                    db.execute("COMMIT")
                except sqlite3.Error as exc:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                    raise self._failed(exc) from exc
            finally:
                if db is not self._db:
                    db.close()

    def _failed(self, exc: sqlite3.Error) -> StoreError:
        error = storage_error(exc, self.data_dir)
        if self.readonly:
            return WriteNotRecorded(str(error))
        return error

    def _write_connection(self) -> sqlite3.Connection:
        """A read-only store's deliberate write: the existing file, read-write, never created."""
        path = self.path
        if not (os.access(self.data_dir, os.W_OK) and os.access(path, os.W_OK)):
            raise WriteNotRecorded(f"the data folder is read-only ({self.data_dir})")
        try:
            db = sqlite3.connect(
                f"{path.as_uri()}?mode=rw", uri=True, check_same_thread=False, isolation_level=None
            )
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(_BUSY_PRAGMA)
        except sqlite3.Error as exc:
            raise WriteNotRecorded(str(storage_error(exc, self.data_dir))) from exc
        return db

    @contextlib.contextmanager
    def busy_timeout(self, seconds: float) -> Iterator[None]:
        """Calls made in this block (on this thread) wait at most ``seconds`` for a lock.

        Other threads' calls wait for the block to end, as they wait for any call.
        """
        with self._lock:
            previous = int(self._db.execute("PRAGMA busy_timeout").fetchone()[0])
            self._db.execute(f"PRAGMA busy_timeout={max(0, int(seconds * 1000))}")
            try:
                yield
            finally:
                self._db.execute(f"PRAGMA busy_timeout={previous}")
