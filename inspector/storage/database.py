"""The records' database of one store, SQLite or PostgreSQL, behind an SQLAlchemy engine:
opening it safely, and running statements on it from any thread.

The URL is ``sqlite:///DATA_DIR/inspector.db`` unless another is given
(``postgresql://…``, or another SQLite file); the data directory stays the local
working folder either way.

Read-write: migrated on open (Alembic, :func:`inspector.storage.sql.upgrade`, which
also adopts a database the hand-written migrations of earlier versions made). On
SQLite: WAL, foreign keys, ``synchronous=FULL``, a busy timeout, and every write
transaction ``BEGIN IMMEDIATE``. A database that is missing or empty while
``photos/`` holds files is never opened (nor created): that is a lost or truncated
database, and the orphan sweep would then delete every photo; ``inspector repair``
rebuilds what it can (SQLite only).

Read-only: nothing is created or migrated. SQLite is read through a read-only
connection (archived, read-only folders stay readable); a database an older version
left is read through an upgraded private copy, the file itself untouched. A write
asked of a read-only store is deliberate (the report marks its inspection
"reported"): it is made in one transaction on the database itself (on SQLite the
existing file opened read-write), or raises :class:`WriteNotRecorded`.

SQLite keeps one connection, shared behind a re-entrant lock: safe from the engine
thread and the UI's worker threads at once. PostgreSQL takes a pooled connection
per call. A call made while the same thread already has one open joins it (a read
inside a transaction sees that transaction). Database failures come out as
:class:`StoreError` subclasses worded for the user.
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

import sqlalchemy as sa
from sqlalchemy.engine import URL, RowMapping

from inspector.storage.errors import (
    Conflict,
    NoDatabase,
    ReadOnly,
    StoreError,
    WriteNotRecorded,
    missing_database,
    storage_error,
)
from inspector.storage.photos import PhotoFiles
from inspector.storage.sql import revisions
from inspector.storage.sql.engine import (
    BUSY_TIMEOUT_SECONDS,
    database_url,
    make_engine,
    shown_url,
)

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "DB_NAME",
    "Database",
    "is_postgresql",
    "sqlite_file",
    "sqlite_is_blank",
]

DB_NAME = "inspector.db"
_DRIVER_ERRORS = (sa.exc.DBAPIError, sqlite3.Error)


def sqlite_is_blank(db: sqlite3.Connection) -> bool:
    """An SQLite database with no schema at all: just created, or truncated to nothing."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    return bool(version == 0 and not db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall())


def is_postgresql(url: str | None) -> bool:
    """Whether ``url`` names a PostgreSQL database (None: the folder's SQLite file)."""
    return url is not None and database_url(url).get_backend_name() == "postgresql"


def sqlite_file(url: str | None, data_dir: Path) -> Path | None:
    """The SQLite file the store of ``data_dir`` would use for ``url``; None on a server."""
    parsed = _parse(url, data_dir)
    return Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None


def _parse(url: str | None, data_dir: Path) -> URL:
    if url is None:
        return URL.create("sqlite", database=str(data_dir / DB_NAME))
    try:
        parsed = database_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r} (sqlite:///FILE or postgresql://…)") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise StoreError("an SQLite database URL needs a file: sqlite:///PATH/inspector.db")
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {backend!r} in {shown_url(parsed)}: "
            "use sqlite:///FILE or postgresql://…"
        )
    return parsed


class Database:
    """The records of one store, opened read-write or ``readonly``.

    ``url``: None for ``DATA_DIR/inspector.db``. ``allow_empty`` is for ``inspector
    repair`` only: open (read-write) even when photos exist without a database.
    """

    def __init__(
        self,
        files: PhotoFiles,
        url: str | None = None,
        *,
        readonly: bool,
        allow_empty: bool,
    ) -> None:
        self.data_dir = files.data_dir
        self.url = _parse(url, self.data_dir)
        self.sqlite = self.url.get_backend_name() == "sqlite"
        self.path = Path(self.url.database or "") if self.sqlite else None
        """The SQLite file (None on PostgreSQL)."""
        self.readonly = readonly
        self._files = files
        self._where = str(self.data_dir) if self.sqlite else shown_url(self.url)
        where = f"in {self._where}" if self.sqlite else self._where
        self._lock: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if self.sqlite else contextlib.nullcontext()
        )
        self._local = threading.local()
        self._copy_dir: tempfile.TemporaryDirectory[str] | None = None
        self._raw: sqlite3.Connection | None = None  # SQLite's one connection (busy_timeout)
        self._source_uri: str | None = None  # a read-only SQLite store: its file (for a write)
        try:
            if self.sqlite:
                self.engine = (
                    self._open_sqlite_readonly() if readonly else self._open_sqlite(allow_empty)
                )
            else:
                self.engine = self._open_server(allow_empty)
        except _DRIVER_ERRORS as exc:
            error = storage_error(exc, self.data_dir)
            raise type(error)(f"cannot open the database {where}: {error}") from exc
        except OSError as exc:
            raise StoreError(f"cannot use the data directory {self.data_dir}: {exc}") from exc

    # -- opening SQLite -------------------------------------------------------

    def _open_sqlite(self, allow_empty: bool) -> sa.Engine:
        assert self.path is not None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for folder in {self.data_dir, self.path.parent}:
            if not os.access(folder, os.W_OK):
                raise ReadOnly(
                    f"the data folder {folder} is read-only: list, show, report and "
                    "verify work there, nothing that changes it"
                )
        if not allow_empty and not self.path.exists() and (n := self._files.count()):
            raise missing_database(self.data_dir, n)  # before SQLite creates an empty one
        self._files.make_folders()
        engine = self._single_connection_engine(self.url)
        try:
            raw = self._raw
            assert raw is not None
            if not allow_empty and sqlite_is_blank(raw) and (n := self._files.count()):
                raise missing_database(self.data_dir, n)
            raw.execute("PRAGMA journal_mode=WAL")
            revisions.upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return engine

    def _single_connection_engine(self, url: URL | str, **options: Any) -> sa.Engine:
        """SQLite's one connection for the store's life, shared under the lock."""
        engine = make_engine(
            url,
            poolclass=sa.pool.StaticPool,
            connect_args={"check_same_thread": False},
            **options,
        )
        try:
            with engine.connect() as c:
                raw = c.connection.driver_connection
                assert isinstance(raw, sqlite3.Connection)
                self._raw = raw
        except BaseException:
            engine.dispose()
            raise
        return engine

    def _open_sqlite_readonly(self) -> sa.Engine:
        assert self.path is not None
        path = self.path
        folder = path.parent
        blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise StoreError(f"cannot use the data directory {folder}: {blocker} is a file")
        if not path.is_file():
            if n := self._files.count():
                raise missing_database(self.data_dir, n)
            raise NoDatabase(f"no inspections in {self.data_dir} yet")
        self._source_uri = f"{path.as_uri()}?mode=rw"
        if os.access(folder, os.W_OK):
            try:
                return self._readable(f"{path.as_uri()}?mode=ro")
            except sa.exc.OperationalError as exc:
                name = getattr(exc.orig, "sqlite_errorname", "")
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
        return f"{self._private_copy(path).as_uri()}?mode=ro"

    def _private_copy(self, path: Path) -> Path:
        """The database (and its -wal) copied where only this store reads it."""
        if self._copy_dir is None:
            self._copy_dir = tempfile.TemporaryDirectory(prefix="inspector-ro-")
        copy = Path(self._copy_dir.name) / DB_NAME
        shutil.copyfile(path, copy)
        wal = path.with_name(path.name + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        return copy

    def _readable(self, uri: str) -> sa.Engine:
        engine = self._uri_engine(uri)
        try:
            raw = self._raw
            assert raw is not None
            if sqlite_is_blank(raw):
                if n := self._files.count():
                    raise missing_database(self.data_dir, n)
                raise NoDatabase(f"no inspections in {self.data_dir} yet")
            with self._reading(engine) as c:
                behind = revisions.behind(c)
        except BaseException:
            engine.dispose()
            raise
        if not behind:
            return engine
        # An older version's database: read an upgraded copy, never the file itself.
        engine.dispose()
        assert self.path is not None
        copy = self._private_copy(self.path)
        upgraded = make_engine(URL.create("sqlite", database=str(copy)), poolclass=sa.NullPool)
        try:
            revisions.upgrade(upgraded)
        finally:
            upgraded.dispose()
        return self._uri_engine(f"{copy.as_uri()}?mode=ro")

    def _uri_engine(self, uri: str) -> sa.Engine:
        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, check_same_thread=False)

        return self._single_connection_engine("sqlite://", creator=connect)

    # -- opening PostgreSQL ---------------------------------------------------

    def _open_server(self, allow_empty: bool) -> sa.Engine:
        if not self.readonly:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if not os.access(self.data_dir, os.W_OK):
                raise ReadOnly(f"the data folder {self.data_dir} is read-only")
        engine = make_engine(self.url, pool_pre_ping=True)
        try:
            with self._reading(engine) as c:
                blank = not sa.inspect(c).get_table_names()
                behind = revisions.behind(c)
            if blank and not allow_empty and (n := self._files.count()):
                raise missing_database(self.data_dir, n, self._where)
            if self.readonly:
                if blank:
                    raise NoDatabase(f"no inspections in {self._where} yet")
                if behind:
                    raise StoreError(
                        f"the database {self._where} was made by an older version: open it "
                        "once with a command that changes something (the console, `inspector "
                        "serve`) to upgrade it"
                    )
            else:
                self._files.make_folders()
                revisions.upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return engine

    def close(self) -> None:
        with self._lock:
            self.engine.dispose()
            if self._copy_dir is not None:
                self._copy_dir.cleanup()

    # -- statements -----------------------------------------------------------

    @staticmethod
    @contextlib.contextmanager
    def _reading(engine: sa.Engine) -> Iterator[sa.Connection]:
        with engine.connect() as c:
            yield c.execution_options(sqlite_begin="DEFERRED")

    @contextlib.contextmanager
    def _connection(self, engine: sa.Engine, *, write: bool) -> Iterator[sa.Connection]:
        """This thread's connection: the one it has open already (joined), or a new one."""
        joined: sa.Connection | None = getattr(self._local, "connection", None)
        if joined is not None:
            yield joined
            return
        with self._lock, engine.connect() as c:
            c.execution_options(sqlite_begin="IMMEDIATE" if write else "DEFERRED")
            self._local.connection = c
            try:
                yield c
            finally:
                self._local.connection = None

    def query(self, statement: sa.Executable) -> list[RowMapping]:
        """Every row ``statement`` selects, as mappings by column name."""
        try:
            with self._connection(self.engine, write=False) as c:
                return list(c.execute(statement).mappings().all())
        except _DRIVER_ERRORS as exc:
            raise storage_error(exc, self.data_dir) from exc

    def query_rows(self, statement: sa.Executable) -> list[sa.Row[Any]]:
        """Every row ``statement`` selects, as tuples (cheaper than mappings: listings)."""
        try:
            with self._connection(self.engine, write=False) as c:
                return list(c.execute(statement).all())
        except _DRIVER_ERRORS as exc:
            raise storage_error(exc, self.data_dir) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite), rolled back on any exception.

        Database errors come out worded for the user; a row the database's rules refuse
        (a key already used, a missing parent) is :class:`Conflict`. Joins the
        transaction this thread has open already, if any.
        """
        if getattr(self._local, "connection", None) is not None:
            with self._connection(self.engine, write=True) as c:
                yield c
            return
        with contextlib.ExitStack() as stack:
            try:
                engine = stack.enter_context(self._write_engine())
                c = stack.enter_context(self._connection(engine, write=True))
                c.begin()
                if not self.sqlite:
                    c.exec_driver_sql(f"SET LOCAL lock_timeout = {self._lock_timeout_ms()}")
            except _DRIVER_ERRORS as exc:
                raise self._failed(exc) from exc
            try:
                yield c
            except BaseException as exc:
                with contextlib.suppress(*_DRIVER_ERRORS):
                    c.rollback()
                if isinstance(exc, sa.exc.IntegrityError):
                    raise Conflict(f"refused by the database: {_reason(exc)}") from exc
                if isinstance(exc, _DRIVER_ERRORS):
                    raise self._failed(exc) from exc
                raise
            try:
                c.commit()
            except _DRIVER_ERRORS as exc:
                with contextlib.suppress(*_DRIVER_ERRORS):
                    c.rollback()
                raise self._failed(exc) from exc

    def _failed(self, exc: BaseException) -> StoreError:
        error = storage_error(exc, self.data_dir)
        if self.readonly:
            return WriteNotRecorded(str(error))
        return error

    @contextlib.contextmanager
    def _write_engine(self) -> Iterator[sa.Engine]:
        """Where writes go: the store's engine; for a read-only SQLite store, the
        existing file opened read-write for this one transaction, never created."""
        if not (self.readonly and self.sqlite):
            yield self.engine
            return
        assert self.path is not None and self._source_uri is not None
        folder = self.path.parent
        if not (os.access(folder, os.W_OK) and os.access(self.path, os.W_OK)):
            raise WriteNotRecorded(f"the data folder is read-only ({folder})")
        uri = self._source_uri

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, check_same_thread=False)

        engine = make_engine("sqlite://", creator=connect, poolclass=sa.NullPool)
        try:
            yield engine
        finally:
            engine.dispose()

    def _lock_timeout_ms(self) -> int:
        seconds = getattr(self._local, "busy_timeout", None)
        return max(1, int(1000 * (BUSY_TIMEOUT_SECONDS if seconds is None else seconds)))

    @contextlib.contextmanager
    def busy_timeout(self, seconds: float) -> Iterator[None]:
        """Calls made in this block (on this thread) wait at most ``seconds`` for a lock.

        On SQLite other threads' calls wait for the block to end, as they wait for
        any call; on PostgreSQL they go on with the default.
        """
        if not self.sqlite:
            previous = getattr(self._local, "busy_timeout", None)
            self._local.busy_timeout = seconds
            try:
                yield
            finally:
                self._local.busy_timeout = previous
            return
        with self._lock:
            raw = self._raw
            assert raw is not None
            before = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
            raw.execute(f"PRAGMA busy_timeout={max(0, int(seconds * 1000))}")
            try:
                yield
            finally:
                raw.execute(f"PRAGMA busy_timeout={before}")

    def insertion_order(self, table: sa.Table) -> sa.ColumnElement[Any]:
        """A column that sorts rows as they were inserted, where the database has one
        (SQLite's rowid), else the primary key."""
        if self.sqlite:
            return sa.literal_column(f"{table.name}.rowid")
        return table.primary_key.columns.values()[0]


def _reason(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
