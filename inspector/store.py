"""Persistent storage: SQLite for records, content-addressed files for photos.

A photo is written to ``photos/ab/<sha256>.jpg`` atomically (temporary file,
fsync, rename, fsync of the folder) *before* the row that points at it is
committed, so a process killed at any instant never leaves a row pointing at
a missing or partial file. At worst it leaves an unreferenced (whole) photo
file; opening the store sweeps up stray temporary files, and photo files that
no row has pointed at for an hour (younger ones may be a write in flight in
another process sharing the data directory).

One connection is shared behind a lock, which makes the store safe to use
from the engine thread and the UI's worker threads at once.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image

from inspector.models import (
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
TMP_SUFFIX = ".part"
ORPHAN_MIN_AGE_SECONDS = 3600.0


class StoreError(Exception):
    """A storage failure explained for the user."""


class NotFound(StoreError):
    pass


class DiskFull(StoreError):
    pass


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


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem allows it
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that it is either whole or absent."""
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}{TMP_SUFFIX}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(f"photo not saved: the disk is full ({path.parent})") from exc
        raise StoreError(f"photo not saved: cannot write {path.parent} ({exc.strerror})") from exc
    _fsync_dir(path.parent)


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


class Store:
    """The inspections, captures and damages of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.photos_dir = self.data_dir / PHOTOS_DIR
        self.thumbs_dir = self.data_dir / THUMBS_DIR
        self._lock = threading.RLock()
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.photos_dir.mkdir(exist_ok=True)
            self.thumbs_dir.mkdir(exist_ok=True)
            self._db = sqlite3.connect(
                self.data_dir / DB_NAME, check_same_thread=False, isolation_level=None
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the database in {self.data_dir}: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"cannot use the data directory {self.data_dir}: {exc}") from exc
        self._sweep_temporaries()
        self.sweep_orphans()

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        return cls(data_dir)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -----------------------------------------------------------

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the database was written by a newer version (schema {version}, "
                f"this program knows {SCHEMA_VERSION}); please upgrade"
            )
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
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _sweep_temporaries(self) -> None:
        """Remove leftovers of writes a killed process never finished."""
        for tmp in self.photos_dir.rglob(f"*{TMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                tmp.unlink()

    def sweep_orphans(self, min_age_seconds: float = ORPHAN_MIN_AGE_SECONDS) -> int:
        """Delete photo files no capture points at and older than ``min_age_seconds``.

        They are what a process killed between the file and its row, or a row
        refused by a full disk, leaves behind. Returns how many were removed.
        """
        used = {r[0] for r in self._query("SELECT DISTINCT sha256 FROM captures")}
        now, removed = time.time(), 0
        for path in self.photos_dir.glob("??/*.jpg"):
            if path.stem in used:
                continue
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime >= min_age_seconds:
                    path.unlink()
                    removed += 1
        return removed

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
            still_used = {
                r[0]
                for r in db.execute(
                    f"SELECT sha256 FROM captures WHERE sha256 IN ({','.join('?' * len(shas))})",
                    tuple(shas),
                )
            }
        for sha in shas - still_used:
            self._remove_photo(sha)

    def _inspection(self, row: sqlite3.Row) -> Inspection:
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
        """Store photo bytes by their SHA-256 and return it; idempotent."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.photo_path(sha)
        if not (path.exists() and path.stat().st_size == len(data)):
            write_atomic(path, data)
        return sha

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
    ) -> Capture:
        """Store a photo file, then the row that points at it."""
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
        try:
            with self._transaction() as db:
                seq = db.execute(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM captures WHERE inspection_id=?",
                    (inspection_id,),
                ).fetchone()[0]
                _insert_capture(db, capture, seq)
        except sqlite3.IntegrityError as exc:
            raise NotFound(f"cannot add a capture to inspection {inspection_id!r}: {exc}") from exc
        except sqlite3.OperationalError as exc:
            raise StoreError(f"capture not recorded: {exc}") from exc
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
        return [
            Damage(
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
            for r in rows
        ]

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

    def revoke_tokens(self, inspection_id: str) -> int:
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE tokens SET revoked=1 WHERE inspection_id=? AND revoked=0",
                (inspection_id,),
            )
            return cur.rowcount
