"""Persistent storage: SQLite for records, content-addressed files for photos.

A photo is written to ``photos/ab/<sha256>.jpg`` atomically (temporary file,
fsync, rename, fsync of the folder) *before* the row that points at it is
committed, so a process killed at any instant never leaves a row pointing at
a missing or partial file. At worst it leaves an unreferenced (whole) photo
file; opening the store sweeps up stray temporary files, and photo files that
no row has pointed at for an hour (younger ones may be a write in flight in
another process sharing the data directory).

Photo files are shared by content, so a file is only ever unlinked under an
exclusive lock on ``.photos.lock`` after checking that no row uses it, and
every photo write holds that lock shared from the file to its row's commit:
a delete (or a sweep) in another process can never remove a photo a row is
about to point at. A file that is reused is hashed first (a damaged one is
replaced) and its time refreshed, so the sweep sees it as young.

A database that is missing or empty while ``photos/`` holds files is never
opened (and never swept): that is a lost or truncated database, and sweeping
would delete every photo; ``inspector repair`` rebuilds what it can. Stores
opened ``readonly`` read through a read-only connection and never create or
sweep anything (archived, read-only folders stay readable).

One connection is shared behind a lock, which makes the store safe to use
from the engine thread and the UI's worker threads at once. SQLite failures
come out as :class:`StoreError` subclasses worded for the user.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image

if sys.platform != "win32":  # Windows has no flock: no cross-process photo lock there
    import fcntl

from inspector import atomic
from inspector.domain import status as status_rules
from inspector.domain.models import (
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Inspection,
    InspectionStatus,
    Part,
    QualityReason,
    QualityReport,
    Region,
    Seller,
    Severity,
    Vehicle,
    utcnow,
)

DB_NAME = "inspector.db"
PHOTOS_DIR = "photos"
THUMBS_DIR = "thumbs"
TMP_SUFFIX = atomic.TMP_SUFFIX
ORPHAN_MIN_AGE_SECONDS = 3600.0
ORPHAN_SWEEP_LIMIT = 20
"""More old unreferenced photos than this is not a few killed writes but a database
that lost records (restored from an older backup...): then nothing is swept."""


PHOTOS_LOCK = ".photos.lock"
PHOTOS_LOCK_TIMEOUT = 30.0
"""How long a photo write waits for a delete or a sweep in another process."""
REPAIR_HINT = "see `inspector repair`"
#: How long a call waits for another connection's write lock before "database is locked".
BUSY_TIMEOUT_SECONDS = 5.0


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


def count_photo_files(photos_dir: Path) -> int:
    """How many photo files ``photos/`` holds (0 if there is no such folder)."""
    try:
        return sum(1 for _ in photos_dir.glob("??/*.jpg"))
    except OSError:
        return 0


def _missing_database(data_dir: Path, photos: int) -> DatabaseMissing:
    return DatabaseMissing(
        f"photos/ holds {photos} file{'s' if photos != 1 else ''} but the database is "
        f"missing or empty — restore it, or run `inspector repair` ({data_dir})"
    )


_MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE inspections (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL,
        operator TEXT NOT NULL DEFAULT '',
        inspector TEXT NOT NULL DEFAULT '',
        checklist TEXT NOT NULL,
        vehicle TEXT NOT NULL,
        seller TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        grade INTEGER
    );
    CREATE TABLE captures (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        inspection_id TEXT NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
        shot_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        mime TEXT NOT NULL,
        size INTEGER NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        source TEXT NOT NULL,
        captured_at TEXT NOT NULL,
        phone_time TEXT,
        quality TEXT NOT NULL,
        accepted INTEGER,
        retake_of TEXT
    );
    CREATE INDEX captures_by_inspection ON captures(inspection_id, seq);
    CREATE INDEX captures_by_sha ON captures(sha256);
    CREATE TABLE damages (
        id TEXT PRIMARY KEY,
        inspection_id TEXT NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
        capture_id TEXT REFERENCES captures(id) ON DELETE SET NULL,
        part TEXT NOT NULL,
        type TEXT NOT NULL,
        severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 3),
        region TEXT,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX damages_by_inspection ON damages(inspection_id);
    """,
    # 2: invitation tokens for the phone link (only the hash is kept)
    """
    CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        inspection_id TEXT NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX tokens_by_inspection ON tokens(inspection_id);
    """,
    # 3: a damage added live knows its photo pair, and whether it still needs completing
    """
    ALTER TABLE damages ADD COLUMN pair INTEGER CHECK (pair IS NULL OR pair >= 1);
    ALTER TABLE damages ADD COLUMN to_complete INTEGER NOT NULL DEFAULT 0;
    CREATE UNIQUE INDEX damages_by_pair ON damages(inspection_id, pair) WHERE pair IS NOT NULL;
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


def new_id() -> str:
    """A short random id, easy to read out and to type."""
    return secrets.token_hex(6)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def write_atomic(path: Path, data: bytes) -> None:
    """Write photo bytes whole or not at all; failures worded for the user."""
    try:
        atomic.write_atomic(path, data)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(f"photo not saved: the disk is full ({path.parent})") from exc
        raise StoreError(f"photo not saved: cannot write {path.parent} ({exc.strerror})") from exc


def _vehicle_to_json(v: Vehicle) -> str:
    return json.dumps(v.to_dict())


def _vehicle_from_json(text: str) -> Vehicle:
    return Vehicle.from_dict(json.loads(text))


def _seller_to_json(s: Seller) -> str:
    return json.dumps(s.to_dict())


def _seller_from_json(text: str) -> Seller:
    return Seller.from_dict(json.loads(text))


def _region_to_json(r: Region | None) -> str | None:
    return json.dumps([r.x, r.y, r.w, r.h]) if r else None


def _region_from_json(text: str | None) -> Region | None:
    return Region(*json.loads(text)) if text else None


def _insert_inspection(db: sqlite3.Connection, i: Inspection) -> None:
    db.execute(
        "INSERT INTO inspections (id, created_at, updated_at, status, operator, inspector, "
        "checklist, vehicle, seller, notes, grade) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            i.id,
            _iso(i.created_at),
            _iso(i.updated_at),
            i.status.value,
            i.operator,
            i.inspector,
            i.checklist,
            _vehicle_to_json(i.vehicle),
            _seller_to_json(i.seller),
            i.notes,
            i.grade,
        ),
    )


def _insert_capture(db: sqlite3.Connection, c: Capture, seq: int) -> None:
    db.execute(
        "INSERT INTO captures (id, seq, inspection_id, shot_id, sha256, mime, size, width, "
        "height, source, captured_at, phone_time, quality, accepted, retake_of) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            c.id,
            seq,
            c.inspection_id,
            c.shot_id,
            c.sha256,
            c.mime,
            c.size,
            c.width,
            c.height,
            c.source.value,
            _iso(c.captured_at),
            _iso(c.phone_time),
            json.dumps(c.quality.to_dict()),
            None if c.accepted is None else int(c.accepted),
            c.retake_of,
        ),
    )


def _insert_row(db: sqlite3.Connection, table: str, row: dict[str, Any]) -> bool:
    """Insert one row as given, in a savepoint; False if a constraint refuses it."""
    names = ",".join(row)
    db.execute("SAVEPOINT restore_row")
    try:
        db.execute(
            f"INSERT INTO {table} ({names}) VALUES ({','.join('?' * len(row))})",
            tuple(row.values()),
        )
    except sqlite3.IntegrityError:
        db.execute("ROLLBACK TO restore_row")
        return False
    finally:
        db.execute("RELEASE restore_row")
    return True


def _insert_damage(db: sqlite3.Connection, d: Damage) -> None:
    db.execute(
        "INSERT INTO damages (id, inspection_id, capture_id, part, type, severity, region, "
        "note, created_at, pair, to_complete) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            d.id,
            d.inspection_id,
            d.capture_id,
            d.part.value,
            d.type.value,
            int(d.severity),
            _region_to_json(d.region),
            d.note,
            _iso(d.created_at),
            d.pair,
            int(d.to_complete),
        ),
    )


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a file's bytes, or None if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


@contextlib.contextmanager
def _damaged_record(kind: str, row: sqlite3.Row | None) -> Iterator[None]:
    """A row SQLite reads back but we cannot decode is a damaged database too."""
    try:
        yield
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        ident = "?"
        with contextlib.suppress(Exception):
            ident = str(row["id"]) if row is not None else "?"
        raise DatabaseDamaged(
            f"the record of {kind} {ident!r} is damaged — {REPAIR_HINT} ({exc})"
        ) from exc


@contextlib.contextmanager
def photos_lock(data_dir: Path, *, exclusive: bool, timeout: float) -> Iterator[None]:
    """``flock`` on ``.photos.lock``: shared by writers, exclusive for unlinking.

    Between processes (and between threads: each holder opens its own file).
    Raises :class:`DatabaseBusy` after ``timeout`` seconds.
    """
    if sys.platform == "win32":  # pragma: no cover
        yield
        return
    fd = os.open(Path(data_dir) / PHOTOS_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        op = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline, pause = time.monotonic() + timeout, 0.001
        while True:
            try:
                fcntl.flock(fd, op | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        "the photos folder is busy (another program is deleting or "
                        "writing photos), try again"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def database_is_blank(db: sqlite3.Connection) -> bool:
    """A database with no schema at all: just created, or truncated to nothing."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    return bool(version == 0 and not db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall())


def _newer(version: int) -> StoreError:
    return StoreError(
        f"the database was written by a newer version (schema {version}, "
        f"this program knows {SCHEMA_VERSION}); please upgrade"
    )


def _opening(error: StoreError, data_dir: Path) -> StoreError:
    return type(error)(f"cannot open the database in {data_dir}: {error}")


class Store:
    """The inspections, captures and damages of one data directory.

    ``readonly``: read through a read-only connection; never create the
    folder or the database, never migrate or sweep. A write asked of such a
    store (the report marks its inspection "reported") is deliberate: it opens
    the existing database read-write for that one transaction and raises
    :class:`WriteNotRecorded` if it cannot. ``allow_empty`` is for ``inspector
    repair`` only: open even when photos exist without a database.
    """

    def __init__(
        self, data_dir: Path, *, readonly: bool = False, allow_empty: bool = False
    ) -> None:
        self.data_dir = Path(data_dir)
        self.photos_dir = self.data_dir / PHOTOS_DIR
        self.thumbs_dir = self.data_dir / THUMBS_DIR
        self.readonly = readonly
        self._lock = threading.RLock()
        self._held = threading.local()
        self._copy_dir: tempfile.TemporaryDirectory[str] | None = None
        try:
            self._db = self._open_readonly() if readonly else self._open(allow_empty)
        except sqlite3.Error as exc:
            raise _opening(storage_error(exc, self.data_dir), self.data_dir) from exc
        except OSError as exc:
            raise StoreError(f"cannot use the data directory {self.data_dir}: {exc}") from exc
        if readonly or allow_empty:
            return
        try:
            self._sweep_temporaries()
            self.sweep_orphans()
        except BaseException:
            self._db.close()
            raise

    def _open(self, allow_empty: bool) -> sqlite3.Connection:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(self.data_dir, os.W_OK):
            raise ReadOnly(
                f"the data folder {self.data_dir} is read-only: list, show, report and "
                "verify work there, nothing that changes it"
            )
        path = self.data_dir / DB_NAME
        if not allow_empty and not path.exists() and (n := count_photo_files(self.photos_dir)):
            raise _missing_database(self.data_dir, n)  # before SQLite creates an empty one
        self.photos_dir.mkdir(exist_ok=True)
        self.thumbs_dir.mkdir(exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            if (
                not allow_empty
                and database_is_blank(self._db)
                and (n := count_photo_files(self.photos_dir))
            ):
                raise _missing_database(self.data_dir, n)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            self._migrate()
        except BaseException:
            self._db.close()
            raise
        return self._db

    def _open_readonly(self) -> sqlite3.Connection:
        path = self.data_dir / DB_NAME
        blocker = next((p for p in (self.data_dir, *self.data_dir.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise StoreError(f"cannot use the data directory {self.data_dir}: {blocker} is a file")
        if not path.is_file():
            if n := count_photo_files(self.photos_dir):
                raise _missing_database(self.data_dir, n)
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
            db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if database_is_blank(db):
                if n := count_photo_files(self.photos_dir):
                    raise _missing_database(self.data_dir, n)
                raise NoDatabase(f"no inspections in {self.data_dir} yet")
            if version > SCHEMA_VERSION:
                raise _newer(version)
        except BaseException:
            db.close()
            raise
        return db

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        return cls(data_dir)

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self._copy_dir is not None:
                self._copy_dir.cleanup()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -----------------------------------------------------------

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _newer(version)
        for number in range(version, SCHEMA_VERSION):
            # One script, one transaction: a migration applies whole or not at all.
            script = (
                f"BEGIN IMMEDIATE;{_MIGRATIONS[number]}PRAGMA user_version={number + 1};COMMIT;"
            )
            try:
                self._db.executescript(script)
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return int(self._query("PRAGMA user_version")[0][0])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
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
        path = self.data_dir / DB_NAME
        if not (os.access(self.data_dir, os.W_OK) and os.access(path, os.W_OK)):
            raise WriteNotRecorded(f"the data folder is read-only ({self.data_dir})")
        try:
            db = sqlite3.connect(
                f"{path.as_uri()}?mode=rw", uri=True, check_same_thread=False, isolation_level=None
            )
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
        except sqlite3.Error as exc:
            raise WriteNotRecorded(str(storage_error(exc, self.data_dir))) from exc
        return db

    @contextlib.contextmanager
    def busy_timeout(self, seconds: float) -> Iterator[None]:
        """Calls made in this block (on this thread) wait at most ``seconds`` for a lock.

        For latency-bound callers (the live engine): they would rather fail fast and
        keep the write elsewhere than wait out the default. Other threads' calls wait
        for the block to end, as they wait for any call.
        """
        with self._lock:
            previous = int(self._db.execute("PRAGMA busy_timeout").fetchone()[0])
            self._db.execute(f"PRAGMA busy_timeout={max(0, int(seconds * 1000))}")
            try:
                yield
            finally:
                self._db.execute(f"PRAGMA busy_timeout={previous}")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise storage_error(exc, self.data_dir) from exc

    def _require_writable(self) -> None:
        if self.readonly:
            raise ReadOnly(f"this store was opened read-only ({self.data_dir})")

    # -- the photos lock ------------------------------------------------------

    @contextlib.contextmanager
    def _photos_lock(self, *, exclusive: bool, timeout: float) -> Iterator[None]:
        """:func:`photos_lock`, re-entrant per thread (a thread holding it goes on).

        A thread holding it shared cannot take it exclusively (that would wait
        for itself): unlink photos after the writes, not in the middle.
        """
        held = getattr(self._held, "mode", None)
        if held is not None:
            if exclusive and held == "shared":
                raise RuntimeError("photos lock: cannot unlink while writing photos")
            yield
            return
        with photos_lock(self.data_dir, exclusive=exclusive, timeout=timeout):
            self._held.mode = "exclusive" if exclusive else "shared"
            try:
                yield
            finally:
                self._held.mode = None

    def writing_photos(self) -> contextlib.AbstractContextManager[None]:
        """Hold while writing photos and committing the rows that use them.

        No process unlinks a photo file meanwhile (deletes and sweeps wait or
        leave the file to a later sweep).
        """
        self._require_writable()
        return self._photos_lock(exclusive=False, timeout=PHOTOS_LOCK_TIMEOUT)

    def _sweep_temporaries(self) -> None:
        """Remove leftovers of writes a killed process never finished."""
        try:
            with self._photos_lock(exclusive=True, timeout=0):
                for tmp in self.photos_dir.rglob(f"*{TMP_SUFFIX}"):
                    with contextlib.suppress(OSError):
                        tmp.unlink()
        except DatabaseBusy:
            pass  # a write is in flight elsewhere: next time

    def sweep_orphans(self, min_age_seconds: float = ORPHAN_MIN_AGE_SECONDS) -> int:
        """Delete photo files no capture points at and older than ``min_age_seconds``.

        They are what a process killed between the file and its row, or a row
        refused by a full disk, leaves behind. Never runs on a database without
        any capture (an emptied database would lose every photo), nor when more
        than ``ORPHAN_SWEEP_LIMIT`` photos would go (a database restored from an
        older backup), nor while another process writes or deletes photos.
        Returns how many were removed.
        """
        self._require_writable()
        try:
            with self._photos_lock(exclusive=True, timeout=0):
                used = self.used_photos()
                if not used:
                    return 0
                now, old = time.time(), []
                for path in self.photos_dir.glob("??/*.jpg"):
                    if path.stem in used:
                        continue
                    with contextlib.suppress(OSError):
                        if now - path.stat().st_mtime >= min_age_seconds:
                            old.append(path)
                if len(old) > ORPHAN_SWEEP_LIMIT:
                    return 0  # records were lost, not writes: `inspector repair` adopts them
                removed = 0
                for path in old:
                    with contextlib.suppress(OSError):
                        path.unlink()
                        removed += 1
                return removed
        except DatabaseBusy:
            return 0

    def remove_unused_photos(self, shas: Iterable[str], wait: float = 5.0) -> int:
        """Unlink those of ``shas`` no row uses, checked under the exclusive lock.

        If the lock is not free within ``wait`` seconds the files are left for
        a later sweep. Returns how many were removed.
        """
        self._require_writable()
        wanted = set(shas)
        if not wanted:
            return 0
        try:
            with self._photos_lock(exclusive=True, timeout=wait):
                marks = ",".join("?" * len(wanted))
                used = {
                    r[0]
                    for r in self._query(
                        f"SELECT DISTINCT sha256 FROM captures WHERE sha256 IN ({marks})",
                        tuple(wanted),
                    )
                }
                for sha in wanted - used:
                    self._remove_photo(sha)
                return len(wanted - used)
        except DatabaseBusy:
            return 0

    # -- inspections ------------------------------------------------------

    def create_inspection(self, inspection: Inspection) -> Inspection:
        with self._transaction() as db:
            _insert_inspection(db, inspection)
        return inspection

    def import_rows(
        self, inspection: Inspection, captures: list[Capture], damages: list[Damage]
    ) -> None:
        """Every row of an inspection from elsewhere (a bundle), in one transaction.

        Unlike ``add_capture`` this keeps capture times and review flags as
        given. The photos must already be written (``write_photo``).
        """
        with self._transaction() as db:
            _insert_inspection(db, inspection)
            for seq, capture in enumerate(captures, start=1):
                _insert_capture(db, capture, seq)
            for damage in damages:
                _insert_damage(db, damage)

    def restore_rows(self, table: str, rows: Iterable[dict[str, Any]]) -> tuple[int, int]:
        """Insert rows salvaged from a damaged database (``inspector repair``), as they were.

        A row is skipped if it cannot be decoded or no longer fits (its
        inspection was lost, a duplicate); a damage whose capture was lost is
        kept without it. Returns (restored, skipped).
        """
        decode = {
            "inspections": self._inspection,
            "captures": self._capture,
            "damages": self._damage,
            "tokens": None,
        }
        if table not in decode:
            raise ValueError(f"not a table of the store: {table!r}")
        restored = skipped = 0
        with self._transaction() as db:
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            for raw in rows:
                row = {c: raw[c] for c in columns if c in raw}
                try:
                    check = decode[table]
                    if check is not None:
                        check(row)  # type: ignore[arg-type]
                except DatabaseDamaged:
                    skipped += 1
                    continue
                if _insert_row(db, table, row) or (
                    table == "damages"
                    and row.get("capture_id") is not None
                    and _insert_row(db, table, {**row, "capture_id": None})
                ):
                    restored += 1
                else:
                    skipped += 1
        return restored, skipped

    def used_photos(self) -> set[str]:
        """The SHA-256 of every photo some capture points at."""
        return {r[0] for r in self._query("SELECT DISTINCT sha256 FROM captures")}

    def photo_in_use(self, sha256: str) -> bool:
        """Whether any capture points at this photo file."""
        return bool(self._query("SELECT 1 FROM captures WHERE sha256=? LIMIT 1", (sha256,)))

    def update_inspection(self, inspection: Inspection) -> Inspection:
        inspection.updated_at = utcnow()
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE inspections SET updated_at=?, status=?, operator=?, inspector=?, "
                "checklist=?, vehicle=?, seller=?, notes=?, grade=? WHERE id=?",
                (
                    _iso(inspection.updated_at),
                    inspection.status.value,
                    inspection.operator,
                    inspection.inspector,
                    inspection.checklist,
                    _vehicle_to_json(inspection.vehicle),
                    _seller_to_json(inspection.seller),
                    inspection.notes,
                    inspection.grade,
                    inspection.id,
                ),
            )
            if cur.rowcount == 0:
                raise NotFound(f"no inspection {inspection.id!r}")
        return inspection

    def set_status(self, inspection_id: str, status: InspectionStatus) -> None:
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE inspections SET status=?, updated_at=? WHERE id=?",
                (status.value, _iso(utcnow()), inspection_id),
            )
            if cur.rowcount == 0:
                raise NotFound(f"no inspection {inspection_id!r}")

    def transition(
        self,
        inspection_id: str,
        to: InspectionStatus,
        *,
        allowed_from: Iterable[InspectionStatus],
    ) -> bool:
        """Move an inspection to ``to`` if its status is one of ``allowed_from``, atomically.

        One write transaction: the guard and the change cannot be split by another
        connection. True if it moved; False when it already is at ``to`` or past
        it (a no-op by design); IllegalTransition for a jump the table of
        :mod:`inspector.domain.status` refuses; NotFound.
        """
        allowed = sorted({InspectionStatus(s).value for s in allowed_from})
        marks = ",".join("?" * len(allowed))
        with self._transaction() as db:
            cur = db.execute(
                f"UPDATE inspections SET status=?, updated_at=? WHERE id=? AND status IN ({marks})",
                (to.value, _iso(utcnow()), inspection_id, *allowed),
            )
            if cur.rowcount:
                return True
            row = db.execute(
                "SELECT status FROM inspections WHERE id=?", (inspection_id,)
            ).fetchone()
        if row is None:
            raise NotFound(f"no inspection {inspection_id!r}")
        current = InspectionStatus(row[0])
        starts = [InspectionStatus(s) for s in allowed]
        return status_rules.moves(current, to, starts, inspection_id=inspection_id)

    def get_inspection(self, inspection_id: str) -> Inspection:
        rows = self._query("SELECT * FROM inspections WHERE id=?", (inspection_id,))
        if not rows:
            raise NotFound(f"no inspection {inspection_id!r}")
        return self._inspection(rows[0])

    def find_inspection(self, prefix: str) -> Inspection:
        """An inspection by its id or an unambiguous start of it."""
        if not prefix:
            raise NotFound("no inspection id given")
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._query(
            "SELECT * FROM inspections WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (pattern,)
        )
        if not rows:
            raise NotFound(f"no inspection {prefix!r}")
        if len(rows) > 1 and rows[0]["id"] != prefix:
            raise NotFound(f"{prefix!r} matches several inspections; give more of the id")
        return self._inspection(rows[0])

    def list_inspections(self) -> list[Inspection]:
        rows = self._query("SELECT * FROM inspections ORDER BY created_at DESC")
        return [self._inspection(r) for r in rows]

    def delete_inspection(self, inspection_id: str) -> None:
        """Delete an inspection, its rows, and photo files no one else uses."""
        self._require_writable()
        with self._transaction() as db:
            shas = {
                r[0]
                for r in db.execute(
                    "SELECT sha256 FROM captures WHERE inspection_id=?", (inspection_id,)
                )
            }
            cur = db.execute("DELETE FROM inspections WHERE id=?", (inspection_id,))
            if cur.rowcount == 0:
                raise NotFound(f"no inspection {inspection_id!r}")
        # Re-checked under the photos lock: an import or a capture in another
        # process may be about to point a new row at one of these files.
        self.remove_unused_photos(shas)

    def _inspection(self, row: sqlite3.Row) -> Inspection:
        with _damaged_record("inspection", row):
            return self._inspection_unchecked(row)

    def _inspection_unchecked(self, row: sqlite3.Row) -> Inspection:
        return Inspection(
            id=row["id"],
            checklist=row["checklist"],
            vehicle=_vehicle_from_json(row["vehicle"]),
            seller=_seller_from_json(row["seller"]),
            status=InspectionStatus(row["status"]),
            operator=row["operator"],
            inspector=row["inspector"],
            notes=row["notes"],
            grade=row["grade"],
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )

    # -- photos -----------------------------------------------------------

    def photo_path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise StoreError(f"not a SHA-256: {sha256!r}")
        return self.photos_dir / sha256[:2] / f"{sha256}.jpg"

    def write_photo(self, data: bytes) -> str:
        """Store photo bytes by their SHA-256 and return it; idempotent.

        A file already there is hashed: a damaged one is replaced (atomically),
        a good one gets a fresh time so that a sweep sees it as young.
        """
        self._require_writable()
        sha = hashlib.sha256(data).hexdigest()
        path = self.photo_path(sha)
        with self._photos_lock(exclusive=False, timeout=PHOTOS_LOCK_TIMEOUT):
            if file_sha256(path) == sha:
                with contextlib.suppress(OSError):
                    os.utime(path)
            else:
                existed = path.exists()
                write_atomic(path, data)
                if existed:  # a damaged file was replaced: so are its thumbnails
                    for thumb in self.thumbs_dir.glob(f"{sha}_*.jpg"):
                        with contextlib.suppress(OSError):
                            thumb.unlink()
        return sha

    def photo_state(self, sha256: str, *, deep: bool = False) -> str:
        """The photo file's state: "ok", "missing" or "altered" (``deep``: by its SHA-256)."""
        path = self.photo_path(sha256)
        if deep:
            actual = file_sha256(path)
            return "missing" if actual is None else ("ok" if actual == sha256 else "altered")
        return "ok" if path.is_file() else "missing"

    def read_photo(self, sha256: str) -> bytes:
        try:
            return self.photo_path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"photo {sha256[:12]} is missing from {self.photos_dir}") from exc

    def _remove_photo(self, sha256: str) -> None:
        with contextlib.suppress(OSError):
            self.photo_path(sha256).unlink()
        for thumb in self.thumbs_dir.glob(f"{sha256}_*.jpg"):
            with contextlib.suppress(OSError):
                thumb.unlink()

    def thumbnail(self, sha256: str, size: int = 256) -> Path:
        """A cached JPEG thumbnail whose longest side is ``size`` pixels."""
        thumb = self.thumbs_dir / f"{sha256}_{size}.jpg"
        if thumb.exists():
            return thumb
        try:
            with Image.open(self.photo_path(sha256)) as source:
                source.draft("RGB", (size, size))  # decode at reduced size: far faster
                img = source.convert("RGB")
                img.thumbnail((size, size), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                img.save(out, "JPEG", quality=85)
        except FileNotFoundError as exc:
            raise NotFound(f"photo {sha256[:12]} is missing") from exc
        except (OSError, Image.DecompressionBombError) as exc:
            raise StoreError(f"photo {sha256[:12]} cannot be read: {exc}") from exc
        write_atomic(thumb, out.getvalue())
        return thumb

    # -- captures ---------------------------------------------------------

    def add_capture(
        self,
        inspection_id: str,
        shot_id: str,
        data: bytes,
        *,
        width: int,
        height: int,
        source: CaptureSource,
        quality: QualityReport,
        phone_time: datetime | None = None,
        retake_of: str | None = None,
        mime: str = "image/jpeg",
        capture_id: str | None = None,
        captured_at: datetime | None = None,
    ) -> Capture:
        """Store a photo file, then the row that points at it (photos lock held between).

        ``captured_at`` defaults to now; a capture written late (from the live
        engine's spool) keeps the time it was taken.
        """
        with self.writing_photos():
            sha = self.write_photo(data)
            capture = Capture(
                id=capture_id or new_id(),
                inspection_id=inspection_id,
                shot_id=shot_id,
                sha256=sha,
                width=width,
                height=height,
                source=source,
                quality=quality,
                phone_time=phone_time,
                retake_of=retake_of,
                mime=mime,
                size=len(data),
            )
            if captured_at is not None:
                capture.captured_at = captured_at
            try:
                with self._transaction() as db:
                    seq = db.execute(
                        "SELECT COALESCE(MAX(seq), 0) + 1 FROM captures WHERE inspection_id=?",
                        (inspection_id,),
                    ).fetchone()[0]
                    _insert_capture(db, capture, seq)
            except sqlite3.IntegrityError as exc:
                raise NotFound(
                    f"cannot add a capture to inspection {inspection_id!r}: {exc}"
                ) from exc
            except (DiskFull, DatabaseBusy, DatabaseDamaged, ReadOnly) as exc:
                raise type(exc)(f"capture not recorded: {exc}") from exc
            return capture

    def captures(self, inspection_id: str) -> list[Capture]:
        rows = self._query(
            "SELECT * FROM captures WHERE inspection_id=? ORDER BY seq", (inspection_id,)
        )
        return [self._capture(r) for r in rows]

    def get_capture(self, capture_id: str) -> Capture:
        rows = self._query("SELECT * FROM captures WHERE id=?", (capture_id,))
        if not rows:
            raise NotFound(f"no capture {capture_id!r}")
        return self._capture(rows[0])

    def set_capture_accepted(self, capture_id: str, accepted: bool | None) -> None:
        with self._transaction() as db:
            value = None if accepted is None else int(accepted)
            cur = db.execute("UPDATE captures SET accepted=? WHERE id=?", (value, capture_id))
            if cur.rowcount == 0:
                raise NotFound(f"no capture {capture_id!r}")

    def accept_for_review(self, capture_id: str, reason: QualityReason) -> Capture:
        """Accept a capture and add ``reason`` to its quality reasons, in one transaction.

        The verdict is left as measured: the photo is kept so the walk can go
        on, and the reason tells the inspector why it needs a look.
        """
        with self._transaction() as db:
            rows = db.execute("SELECT * FROM captures WHERE id=?", (capture_id,)).fetchall()
            if not rows:
                raise NotFound(f"no capture {capture_id!r}")
            report = self._capture(rows[0]).quality
            if all(r.code != reason.code for r in report.reasons):
                report = QualityReport(report.verdict, (*report.reasons, reason), report.metrics)
            db.execute(
                "UPDATE captures SET accepted=1, quality=? WHERE id=?",
                (json.dumps(report.to_dict()), capture_id),
            )
            return self._capture(
                db.execute("SELECT * FROM captures WHERE id=?", (capture_id,)).fetchone()
            )

    def _capture(self, row: sqlite3.Row) -> Capture:
        with _damaged_record("capture", row):
            return self._capture_unchecked(row)

    def _capture_unchecked(self, row: sqlite3.Row) -> Capture:
        accepted = row["accepted"]
        return Capture(
            id=row["id"],
            inspection_id=row["inspection_id"],
            shot_id=row["shot_id"],
            sha256=row["sha256"],
            width=row["width"],
            height=row["height"],
            source=CaptureSource(row["source"]),
            quality=QualityReport.from_dict(json.loads(row["quality"])),
            captured_at=datetime.fromisoformat(row["captured_at"]),
            phone_time=_dt(row["phone_time"]),
            accepted=None if accepted is None else bool(accepted),
            retake_of=row["retake_of"],
            mime=row["mime"],
            size=row["size"],
        )

    # -- damages ----------------------------------------------------------

    def add_damage(self, damage: Damage) -> Damage:
        with self._transaction() as db:
            _insert_damage(db, damage)
        return damage

    def update_damage(self, damage: Damage) -> Damage:
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE damages SET capture_id=?, part=?, type=?, severity=?, region=?, note=?, "
                "pair=?, to_complete=? WHERE id=?",
                (
                    damage.capture_id,
                    damage.part.value,
                    damage.type.value,
                    int(damage.severity),
                    _region_to_json(damage.region),
                    damage.note,
                    damage.pair,
                    int(damage.to_complete),
                    damage.id,
                ),
            )
            if cur.rowcount == 0:
                raise NotFound(f"no damage {damage.id!r}")
        return damage

    def delete_damage(self, damage_id: str) -> None:
        with self._transaction() as db:
            cur = db.execute("DELETE FROM damages WHERE id=?", (damage_id,))
            if cur.rowcount == 0:
                raise NotFound(f"no damage {damage_id!r}")

    def damages(self, inspection_id: str) -> list[Damage]:
        rows = self._query(
            "SELECT * FROM damages WHERE inspection_id=? ORDER BY created_at, rowid",
            (inspection_id,),
        )
        with _damaged_record("damage", rows[0] if rows else None):
            return [self._damage(r) for r in rows]

    def _damage(self, r: sqlite3.Row) -> Damage:
        return Damage(
            id=r["id"],
            inspection_id=r["inspection_id"],
            capture_id=r["capture_id"],
            part=Part(r["part"]),
            type=DamageType(r["type"]),
            severity=Severity(r["severity"]),
            region=_region_from_json(r["region"]),
            note=r["note"],
            created_at=datetime.fromisoformat(r["created_at"]),
            pair=r["pair"],
            to_complete=bool(r["to_complete"]),
        )

    # -- invitation tokens (only their SHA-256 is stored) ------------------

    def add_token(self, token_hash: str, inspection_id: str, expires_at: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tokens VALUES (?,?,?,?,0)",
                (token_hash, inspection_id, _iso(utcnow()), _iso(expires_at)),
            )

    def token_record(self, token_hash: str) -> tuple[str, datetime, bool] | None:
        """(inspection id, expiry, revoked) for a token hash, or None."""
        rows = self._query(
            "SELECT inspection_id, expires_at, revoked FROM tokens WHERE token_hash=?",
            (token_hash,),
        )
        if not rows:
            return None
        r = rows[0]
        return r[0], datetime.fromisoformat(r[1]), bool(r[2])

    def valid_tokens(self) -> list[tuple[str, str, datetime]]:
        """(token hash, inspection id, expiry) of every token neither revoked nor expired."""
        # Expiries are UTC ISO strings (same offset, same layout): they sort as times.
        rows = self._query(
            "SELECT token_hash, inspection_id, expires_at FROM tokens "
            "WHERE revoked=0 AND expires_at > ?",
            (_iso(utcnow()),),
        )
        return [(r[0], r[1], datetime.fromisoformat(r[2])) for r in rows]

    def revoke_tokens(self, inspection_id: str) -> int:
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE tokens SET revoked=1 WHERE inspection_id=? AND revoked=0",
                (inspection_id,),
            )
            return cur.rowcount
