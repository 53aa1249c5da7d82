"""The store of one data directory: the façade every other layer uses.

SQLite keeps the records (:mod:`.database`, :mod:`.schema`, :mod:`.rows`);
photos are files named by their content (:mod:`.photos`), each written whole
*before* the row that points at it is committed, under a lock that keeps other
processes from unlinking it meanwhile. Opening the store sweeps up stray
temporary files, and photo files no row has pointed at for an hour.

Failures come out as the :mod:`.errors` family (:class:`StoreError`), worded
for the user.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Unpack

from inspector.domain import status as status_rules
from inspector.domain.models import (
    Capture,
    Damage,
    Inspection,
    InspectionStatus,
    QualityReason,
    QualityReport,
    utcnow,
)
from inspector.domain.signature import SellerRemark, SellerSignature
from inspector.storage import readings, rows, signatures
from inspector.storage.database import Database
from inspector.storage.errors import (
    DatabaseBusy,
    DatabaseDamaged,
    DiskFull,
    NotFound,
    ReadOnly,
    StoreError,
)
from inspector.storage.photos import ORPHAN_MIN_AGE_SECONDS, PhotoFiles
from inspector.storage.readings import StoredReading
from inspector.storage.rows import CaptureDetails, iso

__all__ = ["Store"]


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
        self.readonly = readonly
        self._files = PhotoFiles(self.data_dir)
        self.photos_dir = self._files.photos_dir
        self.thumbs_dir = self._files.thumbs_dir
        self._db = Database(self._files, readonly=readonly, allow_empty=allow_empty)
        if readonly or allow_empty:
            return
        try:
            self._files.sweep_temporaries()
            self.sweep_orphans()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the database -----------------------------------------------------

    @property
    def schema_version(self) -> int:
        return int(self._query("PRAGMA user_version")[0][0])

    def _transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._db.transaction()

    def busy_timeout(self, seconds: float) -> contextlib.AbstractContextManager[None]:
        """Calls made in this block (on this thread) wait at most ``seconds`` for a lock.

        For latency-bound callers (the live engine): they would rather fail fast and
        keep the write elsewhere than wait out the default. Other threads' calls wait
        for the block to end, as they wait for any call.
        """
        return self._db.busy_timeout(seconds)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        return self._db.query(sql, params)

    def _require_writable(self) -> None:
        if self.readonly:
            raise ReadOnly(f"this store was opened read-only ({self.data_dir})")

    # -- the photos lock and sweeps -----------------------------------------

    def writing_photos(self) -> contextlib.AbstractContextManager[None]:
        """Hold while writing photos and committing the rows that use them.

        No process unlinks a photo file meanwhile (deletes and sweeps wait or
        leave the file to a later sweep).
        """
        self._require_writable()
        return self._files.writing()

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
        return self._files.sweep_orphans(self.used_photos, min_age_seconds)

    def remove_unused_photos(self, shas: Iterable[str], wait: float = 5.0) -> int:
        """Unlink those of ``shas`` no row uses, checked under the exclusive lock.

        If the lock is not free within ``wait`` seconds the files are left for
        a later sweep. Returns how many were removed.
        """
        self._require_writable()
        return self._files.remove_unused(shas, self._used_of, wait)

    def _used_of(self, shas: set[str]) -> set[str]:
        marks = ",".join("?" * len(shas))
        return {
            r[0]
            for r in self._query(
                f"SELECT DISTINCT sha256 FROM captures WHERE sha256 IN ({marks})", tuple(shas)
            )
        }

    # -- inspections ------------------------------------------------------

    def create_inspection(self, inspection: Inspection) -> Inspection:
        with self._transaction() as db:
            rows.insert_inspection(db, inspection)
        return inspection

    def import_rows(
        self, inspection: Inspection, captures: list[Capture], damages: list[Damage]
    ) -> None:
        """Every row of an inspection from elsewhere (a bundle), in one transaction.

        Unlike ``add_capture`` this keeps capture times and review flags as
        given. The photos must already be written (``write_photo``).
        """
        with self._transaction() as db:
            rows.insert_inspection(db, inspection)
            for seq, capture in enumerate(captures, start=1):
                rows.insert_capture(db, capture, seq)
            for damage in damages:
                rows.insert_damage(db, damage)

    def restore_rows(self, table: str, salvaged: Iterable[dict[str, Any]]) -> tuple[int, int]:
        """Insert rows salvaged from a damaged database (``inspector repair``), as they were.

        A row is skipped if it cannot be decoded or no longer fits (its
        inspection was lost, a duplicate); a damage whose capture was lost is
        kept without it. Returns (restored, skipped).
        """
        decode = {
            "inspections": rows.inspection_from_row,
            "captures": rows.capture_from_row,
            "damages": rows.damage_from_row,
            "tokens": None,
        }
        if table not in decode:
            raise ValueError(f"not a table of the store: {table!r}")
        restored = skipped = 0
        with self._transaction() as db:
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            for raw in salvaged:
                row = {c: raw[c] for c in columns if c in raw}
                try:
                    check = decode[table]
                    if check is not None:
                        with rows.damaged_record(table.removesuffix("s"), row):
                            check(row)
                except DatabaseDamaged:
                    skipped += 1
                    continue
                if rows.insert_row(db, table, row) or (
                    table == "damages"
                    and row.get("capture_id") is not None
                    and rows.insert_row(db, table, {**row, "capture_id": None})
                ):
                    restored += 1
                else:
                    skipped += 1
        return restored, skipped

    def undecodable_records(self) -> list[str]:
        """The records SQLite reads back but the store cannot decode (``inspector repair``),
        as "damage <id>"; the reads that name them refuse their whole inspection."""
        decode = {
            "inspection": rows.inspection_from_row,
            "capture": rows.capture_from_row,
            "damage": rows.damage_from_row,
        }
        found: list[str] = []
        for kind, check in decode.items():
            for row in self._query(f"SELECT * FROM {kind}s ORDER BY rowid"):
                try:
                    with rows.damaged_record(kind, row):
                        check(row)
                except DatabaseDamaged:
                    found.append(f"{kind} {row['id']}")
        return found

    def used_photos(self) -> set[str]:
        """The SHA-256 of every photo some capture points at."""
        return {r[0] for r in self._query("SELECT DISTINCT sha256 FROM captures")}

    def photo_in_use(self, sha256: str) -> bool:
        """Whether any capture points at this photo file."""
        return bool(self._query("SELECT 1 FROM captures WHERE sha256=? LIMIT 1", (sha256,)))

    def update_inspection(self, inspection: Inspection) -> Inspection:
        inspection.updated_at = utcnow()
        with self._transaction() as db:
            if rows.update_inspection(db, inspection) == 0:
                raise NotFound(f"no inspection {inspection.id!r}")
        return inspection

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
                (to.value, iso(utcnow()), inspection_id, *allowed),
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
        found = self._query("SELECT * FROM inspections WHERE id=?", (inspection_id,))
        if not found:
            raise NotFound(f"no inspection {inspection_id!r}")
        return rows.inspection_from_row(found[0])

    def find_inspection(self, prefix: str) -> Inspection:
        """An inspection by its id or an unambiguous start of it."""
        if not prefix:
            raise NotFound("no inspection id given")
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found = self._query(
            "SELECT * FROM inspections WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (pattern,)
        )
        if not found:
            raise NotFound(f"no inspection {prefix!r}")
        if len(found) > 1 and found[0]["id"] != prefix:
            raise NotFound(f"{prefix!r} matches several inspections; give more of the id")
        return rows.inspection_from_row(found[0])

    def list_inspections(self) -> list[Inspection]:
        found = self._query("SELECT * FROM inspections ORDER BY created_at DESC")
        return [rows.inspection_from_row(r) for r in found]

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

    # -- photos -----------------------------------------------------------

    def photo_path(self, sha256: str) -> Path:
        return self._files.path(sha256)

    def write_photo(self, data: bytes) -> str:
        """Store photo bytes by their SHA-256 and return it; idempotent.

        A file already there is hashed: a damaged one is replaced (atomically),
        a good one gets a fresh time so that a sweep sees it as young.
        """
        self._require_writable()
        return self._files.write(data)

    def photo_state(self, sha256: str, *, deep: bool = False) -> str:
        """The photo file's state: "ok", "missing" or "altered" (``deep``: by its SHA-256)."""
        return self._files.state(sha256, deep=deep)

    def read_photo(self, sha256: str) -> bytes:
        return self._files.read(sha256)

    def thumbnail(self, sha256: str, size: int = 256) -> Path:
        """A cached JPEG thumbnail whose longest side is ``size`` pixels."""
        return self._files.thumbnail(sha256, size)

    # -- captures ---------------------------------------------------------

    def add_capture(
        self, inspection_id: str, shot_id: str, data: bytes, **details: Unpack[CaptureDetails]
    ) -> Capture:
        """Store a photo file, then the row that points at it (photos lock held between).

        ``captured_at`` defaults to now; a new id is made unless ``capture_id`` is given.
        """
        with self.writing_photos():
            sha = self.write_photo(data)
            capture = rows.new_capture(inspection_id, shot_id, sha, len(data), details)
            self._insert_capture(capture)
            return capture

    def put_capture(self, capture: Capture, data: bytes) -> Capture:
        """Store a capture made earlier as it is (the live engine's spool): file, then row."""
        with self.writing_photos():
            if self.write_photo(data) != capture.sha256:
                raise StoreError(f"the photo of capture {capture.id} does not match its SHA-256")
            self._insert_capture(capture)
            return capture

    def _insert_capture(self, capture: Capture) -> None:
        """The capture's row, numbered after the inspection's last (its photo is written)."""
        try:
            with self._transaction() as db:
                seq = db.execute(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM captures WHERE inspection_id=?",
                    (capture.inspection_id,),
                ).fetchone()[0]
                rows.insert_capture(db, capture, seq)
        except sqlite3.IntegrityError as exc:
            raise NotFound(
                f"cannot add a capture to inspection {capture.inspection_id!r}: {exc}"
            ) from exc
        except (DiskFull, DatabaseBusy, DatabaseDamaged, ReadOnly) as exc:
            raise type(exc)(f"capture not recorded: {exc}") from exc

    def captures(self, inspection_id: str) -> list[Capture]:
        found = self._query(
            "SELECT * FROM captures WHERE inspection_id=? ORDER BY seq", (inspection_id,)
        )
        return [rows.capture_from_row(r) for r in found]

    def get_capture(self, capture_id: str) -> Capture:
        found = self._query("SELECT * FROM captures WHERE id=?", (capture_id,))
        if not found:
            raise NotFound(f"no capture {capture_id!r}")
        return rows.capture_from_row(found[0])

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
            found = db.execute("SELECT * FROM captures WHERE id=?", (capture_id,)).fetchall()
            if not found:
                raise NotFound(f"no capture {capture_id!r}")
            report = rows.capture_from_row(found[0]).quality
            if all(r.code != reason.code for r in report.reasons):
                report = QualityReport(report.verdict, (*report.reasons, reason), report.metrics)
            db.execute(
                "UPDATE captures SET accepted=1, quality=? WHERE id=?",
                (rows.quality_json(report), capture_id),
            )
            return rows.capture_from_row(
                db.execute("SELECT * FROM captures WHERE id=?", (capture_id,)).fetchone()
            )

    # -- damages ----------------------------------------------------------

    def add_damage(self, damage: Damage) -> Damage:
        with self._transaction() as db:
            rows.insert_damage(db, damage)
        return damage

    def update_damage(self, damage: Damage) -> Damage:
        with self._transaction() as db:
            if rows.update_damage(db, damage) == 0:
                raise NotFound(f"no damage {damage.id!r}")
        return damage

    def delete_damage(self, damage_id: str) -> None:
        with self._transaction() as db:
            cur = db.execute("DELETE FROM damages WHERE id=?", (damage_id,))
            if cur.rowcount == 0:
                raise NotFound(f"no damage {damage_id!r}")

    def damages(self, inspection_id: str) -> list[Damage]:
        found = self._query(
            "SELECT * FROM damages WHERE inspection_id=? ORDER BY created_at, rowid",
            (inspection_id,),
        )
        with rows.damaged_record("damage", found[0] if found else None):
            return [rows.damage_from_row(r) for r in found]

    # -- invitation tokens (only their SHA-256 is stored) ------------------

    # -- the seller's confirmation ------------------------------------------------

    def add_signature(self, signature: SellerSignature, png: bytes) -> SellerSignature:
        """Keep a signature: its PNG file first (content-addressed), then its row."""
        self._require_writable()
        signature.png_sha256 = signatures.write_png(self.data_dir, png)
        with self._transaction() as db:
            signatures.insert_signature(db, signature)
        return signature

    def add_remark(self, remark: SellerRemark) -> SellerRemark:
        with self._transaction() as db:
            signatures.insert_remark(db, remark)
        return remark

    def signatures(self, inspection_id: str) -> list[SellerSignature]:
        """The seller's signatures of an inspection, oldest first."""
        return signatures.signatures(self._query, inspection_id)

    def remarks(self, inspection_id: str) -> list[SellerRemark]:
        return signatures.remarks(self._query, inspection_id)

    def signature_png(self, sha256: str) -> bytes:
        """A signature image, checked against its name."""
        import hashlib

        path = signatures.png_path(self.data_dir, sha256)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise NotFound(f"signature image {sha256[:12]} is missing ({path})") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DatabaseDamaged(f"signature image {sha256[:12]} was altered ({path})")
        return data

    # -- identity read from the photos ------------------------------------------

    def add_reading(self, reading: StoredReading) -> StoredReading:
        """Keep what the OCR read in a photo (a new reading of it replaces the old)."""
        with self._transaction() as db:
            readings.insert_reading(db, reading)
        return reading

    def readings(self, inspection_id: str) -> list[StoredReading]:
        return readings.readings(self._query, inspection_id)

    def add_token(self, token_hash: str, inspection_id: str, expires_at: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tokens VALUES (?,?,?,?,0)",
                (token_hash, inspection_id, iso(utcnow()), iso(expires_at)),
            )

    def token_record(self, token_hash: str) -> tuple[str, datetime, bool] | None:
        """(inspection id, expiry, revoked) for a token hash, or None."""
        found = self._query(
            "SELECT inspection_id, expires_at, revoked FROM tokens WHERE token_hash=?",
            (token_hash,),
        )
        if not found:
            return None
        r = found[0]
        return r[0], datetime.fromisoformat(r[1]), bool(r[2])

    def valid_tokens(self) -> list[tuple[str, str, datetime]]:
        """(token hash, inspection id, expiry) of every token neither revoked nor expired."""
        # Expiries are UTC ISO strings (same offset, same layout): they sort as times.
        found = self._query(
            "SELECT token_hash, inspection_id, expires_at FROM tokens "
            "WHERE revoked=0 AND expires_at > ?",
            (iso(utcnow()),),
        )
        return [(r[0], r[1], datetime.fromisoformat(r[2])) for r in found]

    def revoke_tokens(self, inspection_id: str) -> int:
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE tokens SET revoked=1 WHERE inspection_id=? AND revoked=0",
                (inspection_id,),
            )
            return cur.rowcount
