"""``inspector repair``: rebuild what can be rebuilt after a database was lost or damaged.

SQLite only: it reads the database file itself, page by page. A PostgreSQL database
is refused with a message saying so: the server's own tools (backups, ``pg_dump``,
``amcheck``) look after it.

A photo file alone tells its bytes and fingerprint (its name), its size in
pixels, and roughly when it was written (the file's time). It cannot tell the
vehicle, the seller, the inspection it belonged to, the shot it shows, its
quality verdict, review decisions or damages: those lived only in the database.

So, with the photos lock held (no photo is written or deleted meanwhile):

1. A damaged database (SQLite cannot read it, ``PRAGMA quick_check`` fails, or
   a row holds what the store cannot decode, such as an unknown part) is moved
   aside as ``inspector.db.damaged-<time>`` (with its ``-wal``), and every row
   that can still be read (and decoded) is copied into a new database. An empty
   database file is moved aside too; a missing one is simply created.
2. Photo files no row points at are adopted into one new inspection
   "Recovered photos" (shots ``recovered_1``..``N`` in file-time order), so no
   sweep removes them and they can be looked at, exported or deleted.
3. Rows whose photo is missing or altered are listed: only a backup can bring
   those photos back.

Nothing is ever deleted. Stop the console and ``inspector serve`` first: a
process still holding the old database would go on writing to the copy set aside.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from inspector.domain.models import (
    Capture,
    CaptureSource,
    Inspection,
    InspectionStatus,
    QualityReason,
    QualityReport,
    Vehicle,
    Verdict,
)
from inspector.domain.photo_check import BadPhoto, decode_jpeg_size
from inspector.i18n import Message
from inspector.storage.database import DB_NAME, sqlite_is_blank
from inspector.storage.errors import (
    ChecksumMismatch,
    DatabaseBusy,
    DatabaseDamaged,
    NotFound,
    StoreError,
    storage_error,
)
from inspector.storage.photos import photos_lock
from inspector.storage.rows import new_id
from inspector.storage.sql.engine import database_url as parse_url
from inspector.storage.sql.engine import shown_url
from inspector.storage.store import Store

__all__ = ["RECOVERED_SHOT_PREFIX", "RepairReport", "repair"]

RECOVERED_SHOT_PREFIX = "recovered_"
"""Shot ids of adopted photos: the one form the product writes outside a checklist."""
_TABLES = (  # parents first
    "inspections",
    "captures",
    "damages",
    "tokens",
    "seller_statements",
    "photo_readings",
    "call_recordings",
    "blur_boxes",
    "blur_scans",
    "users",
    "audit_log",
)
_WORDS = {
    "seller_statements": "seller's signatures and remarks",
    "photo_readings": "readings of identity photos",
    "call_recordings": "answers on recording the call",
    "blur_boxes": "blur boxes",
    "blur_scans": "photos scanned for plates and faces",
    "users": "user accounts",
    "audit_log": "entries of the audit log",
}
"""How the report names a table's records."""
_LOCK_WAIT = 10.0
_MAX_LISTED = 20
_RECOVERED_REASON = QualityReason(
    "recovered",
    Message("Photo recovered without its record: shot and quality unknown"),
)


@dataclass
class RepairReport:
    """What ``repair`` did and what it could not do, as lines for the user."""

    data_dir: Path
    database: str = "sound"
    """sound, missing, empty or damaged: the state found."""
    moved_aside: Path | None = None
    restored: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    unreadable_tables: list[str] = field(default_factory=list)
    undecodable: list[str] = field(default_factory=list)
    """Records of a database SQLite found sound that the store cannot decode."""
    adopted_into: str | None = None
    adopted: int = 0
    left_alone: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every record has its photo and nothing read was dropped."""
        return not (
            self.missing
            or self.altered
            or self.unreadable_tables
            or any(self.skipped.values())
            or self.left_alone
        )

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.database == "damaged":
            out.append(f"The database was damaged: set aside as {self.moved_aside}.")
            if self.undecodable:
                n = len(self.undecodable)
                out.append(
                    f"  {n} record{' could' if n == 1 else 's could'} not be decoded: "
                    + ", ".join(self.undecodable[:_MAX_LISTED])
                    + (" …" if n > _MAX_LISTED else "")
                    + "."
                )
            parts = [f"{n} {_WORDS.get(t, t)}" for t, n in self.restored.items() if n]
            out.append("Recovered from it: " + (", ".join(parts) if parts else "nothing") + ".")
            for table in self.unreadable_tables:
                out.append(
                    f"  Part of the {_WORDS.get(table, table)} could not be read: those "
                    "records are lost."
                )
            for table, n in self.skipped.items():
                if n:
                    out.append(
                        f"  {n} {_WORDS.get(table, table)} could not be decoded or lost the "
                        "record they belong to: not restored."
                    )
        elif self.database in ("missing", "empty"):
            aside = (
                f" (the empty file is set aside as {self.moved_aside})" if self.moved_aside else ""
            )
            out.append(f"The database was {self.database}: a new one was created{aside}.")
        if self.adopted:
            out.append(
                f"{self.adopted} photo{'s' if self.adopted > 1 else ''} had no record: kept in "
                f'the new inspection {self.adopted_into} ("Recovered photos").'
            )
            out.append(
                "  A photo file cannot tell its vehicle, seller, inspection, shot, quality "
                "verdict, review or damages; its capture time is the file's time. Review "
                "them, then export or delete that inspection."
            )
        out += _listed("photo files are not readable photos, left in place", self.left_alone)
        out += _listed(
            "records point at a missing photo (restore photos/ from a backup)", self.missing
        )
        out += _listed(
            "records point at an altered photo (restore photos/ from a backup)", self.altered
        )
        if not out:
            out.append("Nothing to repair: the database is sound and every photo has its record.")
        return out


def _listed(what: str, items: list[str]) -> list[str]:
    if not items:
        return []
    out = [f"{len(items)} {what}:"]
    out += [f"  {item}" for item in items[:_MAX_LISTED]]
    if len(items) > _MAX_LISTED:
        out.append(f"  … and {len(items) - _MAX_LISTED} more")
    return out


def repair(
    data_dir: Path, database_url: str | None = None, photo_store: str | Path | None = None
) -> RepairReport:
    """Rebuild what can be rebuilt in ``data_dir`` (its photos in ``photo_store``, by
    default its own ``photos/``); see the module notes.

    ``database_url``: an SQLite file other than ``data_dir/inspector.db``; a
    PostgreSQL URL is refused (StoreError): repair works on SQLite files only.
    """
    data_dir = Path(data_dir)
    db_path = _sqlite_file(data_dir, database_url)
    if not data_dir.is_dir():
        raise StoreError(f"there is no data folder {data_dir}")
    report = RepairReport(data_dir)
    url = None if database_url is None else f"sqlite:///{db_path}"
    with photos_lock(data_dir, exclusive=True, timeout=_LOCK_WAIT):
        report.database = _diagnose(db_path)
        if report.database == "sound":
            # After its migrations: rows as the store reads them.
            with Store(data_dir, database_url=url, photo_store=photo_store) as store:
                report.undecodable = store.undecodable_records()
            if report.undecodable:  # unreadable to the store: salvaged as a damaged one is
                report.database = "damaged"
        salvaged: dict[str, list[dict[str, Any]]] = {}
        if report.database in ("damaged", "empty"):
            report.moved_aside = _move_aside(db_path, report.database)
        if report.database == "damaged" and report.moved_aside is not None:
            salvaged = _salvage(report.moved_aside, report)
        with Store(data_dir, allow_empty=True, database_url=url, photo_store=photo_store) as store:
            for table in _TABLES:
                if table in salvaged:
                    done, skipped = store.restore_rows(table, salvaged[table])
                    report.restored[table], report.skipped[table] = done, skipped
            _adopt_orphans(store, report)
            _check_records(store, report)
    return report


def _sqlite_file(data_dir: Path, database_url: str | None) -> Path:
    if database_url is None:
        return data_dir / DB_NAME
    try:
        url = parse_url(database_url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"not a database URL: {database_url!r}") from exc
    if url.get_backend_name() != "sqlite" or not url.database:
        raise StoreError(
            f"`inspector repair` works on an SQLite database file only, not on "
            f"{shown_url(url)}: on a database server, restore from its backups and check "
            "it with the server's own tools"
        )
    return Path(url.database)


def _diagnose(db_path: Path) -> str:
    if not db_path.is_file():
        return "missing"
    try:
        db = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return _damaged_or_raise(exc)
    try:
        if sqlite_is_blank(db):
            return "empty"
        result = db.execute("PRAGMA quick_check").fetchall()
        return "sound" if result == [("ok",)] else "damaged"
    except sqlite3.Error as exc:
        return _damaged_or_raise(exc)
    finally:
        db.close()


def _damaged_or_raise(exc: sqlite3.Error) -> str:
    error = storage_error(exc)
    if isinstance(error, DatabaseDamaged):
        return "damaged"
    if isinstance(error, DatabaseBusy):
        raise DatabaseBusy(
            "the database is in use by another program; stop the console and "
            "`inspector serve`, then run `inspector repair` again"
        )
    raise error


def _move_aside(db_path: Path, why: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = db_path.with_name(f"{db_path.name}.{why}-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = db_path.with_name(f"{db_path.name}.{why}-{stamp}-{n}")
    try:
        db_path.rename(aside)
        for suffix in ("-wal", "-shm"):  # SQLite pairs them by name: keep them together
            companion = db_path.with_name(db_path.name + suffix)
            if companion.exists():
                companion.rename(aside.with_name(aside.name + suffix))
    except OSError as exc:
        raise StoreError(f"cannot set the {why} database aside: {exc}") from exc
    return aside


def _salvage(aside: Path, report: RepairReport) -> dict[str, list[dict[str, Any]]]:
    """Every row still readable in the damaged copy, table by table."""
    try:
        db = sqlite3.connect(f"{aside.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        report.unreadable_tables += list(_TABLES)
        return {}
    db.row_factory = sqlite3.Row
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        for table in _TABLES:
            rows, complete = _read_table(db, table)
            out[table] = rows
            if not complete:
                report.unreadable_tables.append(table)
    finally:
        db.close()
    return out


#: With the table's highest rowid unreadable, probing stops this many rowids after the
#: last row found. Rows are numbered in insertion order, so a longer gap means that many
#: rows deleted in a row; each probe costs ~40 µs, and probing a fixed 100 000 per table
#: made a repair take minutes on a busy machine.
_UNKNOWN_END_GAP = 2_000


def _read_table(db: sqlite3.Connection, table: str) -> tuple[list[dict[str, Any]], bool]:
    """(rows, complete). After a read error, rows are fetched one rowid at a time."""
    rows: dict[int, dict[str, Any]] = {}
    try:
        for row in db.execute(f"SELECT rowid AS rowid_, * FROM {table}"):
            rows[row["rowid_"]] = dict(row)
        return list(rows.values()), True
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # an older schema (no tokens yet)
            return [], True
    except sqlite3.DatabaseError:
        pass
    try:
        top: int | None = int(db.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0)
    except sqlite3.DatabaseError:
        top = None  # unknown: probe on until a long run of rowids yields nothing
    rowid, last_found = 0, max(rows, default=0)
    while True:
        rowid += 1
        if top is not None and rowid > top:
            break
        if top is None and rowid > last_found + _UNKNOWN_END_GAP:
            break
        if rowid in rows:
            continue
        try:
            row = db.execute(
                f"SELECT rowid AS rowid_, * FROM {table} WHERE rowid=?", (rowid,)
            ).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row is not None:
            rows[rowid] = dict(row)
            last_found = max(last_found, rowid)
    return [rows[k] for k in sorted(rows)], False


def _adopt_orphans(store: Store, report: RepairReport) -> None:
    used = store.used_photos()
    found: list[tuple[float, str, int, int, int]] = []
    for photo in sorted(store.list_photos(), key=lambda p: p.sha256):
        sha = photo.sha256
        if sha in used:
            continue
        shown = _shown(store, sha)
        try:
            data = store.read_photo(sha)
            if hashlib.sha256(data).hexdigest() != sha:
                raise ChecksumMismatch("altered")
            width, height = decode_jpeg_size(data)
        except ChecksumMismatch:
            report.left_alone.append(f"{shown} (its content does not match its name)")
            continue
        except NotFound:
            continue  # removed meanwhile
        except (OSError, StoreError, BadPhoto) as exc:
            report.left_alone.append(f"{shown} ({exc})")
            continue
        found.append((photo.modified, sha, width, height, len(data)))
    if not found:
        return
    found.sort()
    now = datetime.now(UTC)
    inspection = Inspection(
        id=new_id(),
        checklist="standard",
        vehicle=Vehicle(make="Recovered photos"),
        status=InspectionStatus.CAPTURED,
        notes=(
            f"Rebuilt by `inspector repair` on {now:%Y-%m-%d %H:%M} UTC from {len(found)} "
            "photo files that had no record. The vehicle, seller, shots, quality verdicts, "
            "review decisions and damages could not be recovered; capture times are the "
            "files' times."
        ),
    )
    captures = [
        Capture(
            id=new_id(),
            inspection_id=inspection.id,
            shot_id=f"{RECOVERED_SHOT_PREFIX}{n}",
            sha256=sha,
            width=width,
            height=height,
            source=CaptureSource.STILL,
            quality=QualityReport(Verdict.WARN, (_RECOVERED_REASON,)),
            captured_at=datetime.fromtimestamp(mtime, UTC),
            size=size,
        )
        for n, (mtime, sha, width, height, size) in enumerate(found, start=1)
    ]
    store.import_rows(inspection, captures, [])
    report.adopted_into, report.adopted = inspection.id, len(captures)


def _shown(store: Store, sha: str) -> str:
    """Where a photo is, for the report: relative to the data folder when it is in it."""
    path = store.photos.local_path(sha)
    if path is None:
        return f"{store.photos.url}/photos/{sha[:2]}/{sha}.jpg"
    try:
        return str(path.relative_to(store.data_dir))
    except ValueError:
        return str(path)


def _check_records(store: Store, report: RepairReport) -> None:
    states: dict[str, str] = {}
    for inspection in store.list_inspections():
        for c in store.captures(inspection.id):
            if c.sha256 not in states:
                states[c.sha256] = store.photo_state(c.sha256, deep=True)
            line = (
                f"inspection {inspection.id}, capture {c.id} ({c.shot_id}): photo {c.sha256[:12]}"
            )
            if states[c.sha256] == "missing":
                report.missing.append(line)
            elif states[c.sha256] == "altered":
                report.altered.append(line)
