"""The store of one data directory: the façade every other layer uses.

The records are kept in SQLite (the folder's ``inspector.db``) or PostgreSQL,
through SQLAlchemy Core (:mod:`.database`, :mod:`.rows`, :mod:`.sql`); photos are
kept by their content in a :class:`PhotoStore` — the data folder's ``photos/``
(:mod:`.photos`) unless another folder or S3-compatible storage is given — each
stored whole *before* the row that points at it is committed, and checked to be
still there right after. Nothing deletes a photo a row is about to point at: on a
folder a lock keeps other processes from it, on object storage a photo stored
within the grace period is never deleted. Opening the store sweeps up stray
temporary files, and photos no row has pointed at for an hour. Thumbnails and
local copies of remote photos are a cache (:mod:`.photocache`).

Failures come out as the :mod:`.errors` family (:class:`StoreError`), worded
for the user.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from inspector.domain import status as status_rules
from inspector.domain.audit import AuditEntry
from inspector.domain.models import (
    Capture,
    CaptureSource,
    Damage,
    Inspection,
    InspectionStatus,
    QualityReason,
    QualityReport,
    utcnow,
)
from inspector.domain.privacy import BlurBox
from inspector.domain.progress import ShotsTaken
from inspector.domain.recording import CallRecording, expired
from inspector.domain.signature import SellerRemark, SellerSignature
from inspector.storage import audit, blur, readings, recordings, rows, signatures
from inspector.storage.accounts import AccountRecords
from inspector.storage.audit import AuditRecords
from inspector.storage.blur import BlurScan
from inspector.storage.claims import ClaimRecords
from inspector.storage.database import Database, sqlite_file
from inspector.storage.errors import (
    Conflict,
    DatabaseBusy,
    DatabaseDamaged,
    DatabaseMissing,
    DiskFull,
    NotFound,
    ReadOnly,
    StoreError,
)
from inspector.storage.listing import ListingRow, read_listing
from inspector.storage.photocache import PhotoCache
from inspector.storage.photos import ORPHAN_MIN_AGE_SECONDS, PhotoFiles
from inspector.storage.photostore import (
    LocalPhotoStore,
    PhotoState,
    PhotoStore,
    StoredPhoto,
    photo_store_for,
)
from inspector.storage.readings import StoredReading
from inspector.storage.rows import CaptureDetails, iso
from inspector.storage.sidefiles import SideFiles, recording_name, signature_name
from inspector.storage.sql.engine import shown_url
from inspector.storage.sql.tables import (
    TABLES,
    call_recordings,
    captures,
    damages,
    inspections,
    seller_statements,
    tokens,
)

__all__ = ["TOKEN_MODES", "InspectionRecords", "ListingRow", "Store"]

#: How a join link's call runs: the server's autopilot, or an operator's console.
TOKEN_MODES = ("self", "operator")


@dataclass(frozen=True)
class InspectionRecords:
    """One inspection with its captures (in order) and damages."""

    inspection: Inspection
    captures: list[Capture]
    damages: list[Damage]


log = logging.getLogger(__name__)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a listing builds its objects.

    A listing of 10 000 inspections makes some 150 000 objects that all live on, none
    in a reference cycle; the collector, triggered by the allocations, would walk them
    again and again (a third of the listing's time, measured). Process-wide, so only
    re-enabled by the one that paused it; nothing is lost, collection just comes later.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_ONE_BY_ONE = 10
"""Above this many photos, :meth:`Store.photo_states` lists object storage once."""

RECENT_PUT_SECONDS = ORPHAN_MIN_AGE_SECONDS / 4
"""A photo this store uploaded to object storage that recently is not uploaded again
(the live engine stores a capture's photo, then its row with the photo once more):
well inside the grace period, so no sweep can have taken it."""


class Store:
    """The inspections, captures and damages of one data directory.

    ``database_url``: where the records are (``sqlite:///…`` or ``postgresql://…``);
    None means ``sqlite:///<data_dir>/inspector.db``. ``data_dir`` is the local
    working folder on every backend (spool, locks, thumbnails).

    ``readonly``: read through a read-only connection; never create the
    folder or the database, never migrate or sweep. A write asked of such a
    store (the report marks its inspection "reported") is deliberate: it opens
    the existing database read-write for that one transaction and raises
    :class:`WriteNotRecorded` if it cannot. ``allow_empty`` is for ``inspector
    repair`` only: open even when photos exist without a database.

    ``photo_store``: where the photos are — None for the data folder's own
    ``photos/``, a folder, ``s3://bucket/prefix`` (see
    :func:`~inspector.storage.photostore.photo_store_for`), or a
    :class:`PhotoStore` the caller keeps and closes.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        readonly: bool = False,
        allow_empty: bool = False,
        database_url: str | None = None,
        photo_store: str | Path | PhotoStore | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.readonly = readonly
        files = PhotoFiles(self.data_dir)
        self.photos, self._owns_photos = _open_photo_store(self.data_dir, files, photo_store)
        self.side_files = SideFiles(self.data_dir, self.photos)
        local = self.photos if isinstance(self.photos, LocalPhotoStore) else None
        self.photos_dir: Path | None = local.files.photos_dir if local else None
        """The local folder of the photos; None when they are in object storage."""
        self._locked = local is not None  # writers and deletes share a lock (a folder)
        self._cache = PhotoCache(self.data_dir)
        self.thumbs_dir = self._cache.thumbs_dir
        self._recent: dict[str, float] = {}
        self._recent_lock = threading.Lock()
        try:
            db_file = sqlite_file(database_url, self.data_dir)
            if not allow_empty and local is None and db_file is not None:
                self._refuse_a_lost_database(db_file)
            self._db = Database(files, database_url, readonly=readonly, allow_empty=allow_empty)
        except BaseException:
            self._close_photos()
            raise
        if readonly or allow_empty:
            return
        try:
            self.sweep_orphans()
        except BaseException:
            self.close()
            raise

    def _refuse_a_lost_database(self, db_file: Path) -> None:
        """No missing (or empty) database beside object storage that holds photos.

        The database that used them was lost (or belongs to another desk): a
        new one would soon have its first capture, and the sweep would then
        take up to ``ORPHAN_SWEEP_LIMIT`` of those photos. The folder store's
        twin is :class:`Database`'s refusal (photos/ holds files).
        """
        try:
            if db_file.stat().st_size > 0:
                return
        except FileNotFoundError:
            pass  # missing (a truncated one is empty)
        except OSError:
            return  # the database's own opening says what is wrong
        if next(iter(self.photos.list()), None) is not None:
            raise DatabaseMissing(
                f"the photo store {self.photos.url} holds photos but there is no database "
                f"{db_file} — restore it, run `inspector repair` to keep them in a new "
                "one, or give this data folder a photo store of its own (another s3:// prefix)"
            )

    def _close_photos(self) -> None:
        if self._owns_photos:
            self.photos.close()

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            self._close_photos()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the database -----------------------------------------------------

    @property
    def database_url(self) -> str:
        """Where the records are, the password hidden (for messages)."""
        return shown_url(self._db.url)

    @property
    def is_sqlite(self) -> bool:
        return self._db.sqlite

    @property
    def accounts(self) -> AccountRecords:
        """The team server's users, their sessions and failed logins (revision 0009)."""
        return AccountRecords(self._db)

    @property
    def claims(self) -> ClaimRecords:
        """Which device and which server process hold each live inspection (revision 0010)."""
        return ClaimRecords(self._db)

    @property
    def audit(self) -> AuditRecords:
        """The audit log: who did what to which inspection, and when (revision 0009)."""
        return AuditRecords(self._db)

    @property
    def schema_revision(self) -> str:
        """The Alembic revision the database is at."""
        version: sa.ColumnClause[str] = sa.column("version_num")
        found = self._query(sa.select(version).select_from(sa.table("alembic_version")))
        return str(found[0]["version_num"])

    def _transaction(self) -> contextlib.AbstractContextManager[sa.Connection]:
        return self._db.transaction()

    def busy_timeout(self, seconds: float) -> contextlib.AbstractContextManager[None]:
        """Calls made in this block (on this thread) wait at most ``seconds`` for a lock.

        For latency-bound callers (the live engine): they would rather fail fast and
        keep the write elsewhere than wait out the default. Other threads' calls wait
        for the block to end, as they wait for any call.
        """
        return self._db.busy_timeout(seconds)

    def ping_database(self) -> None:
        """One round trip to the database, now (a readiness probe); raises a ``StoreError``."""
        self._query(sa.select(sa.literal(1)))

    def ping_photos(self) -> None:
        """The photo store answers, now (a readiness probe); raises a ``StoreError``."""
        self.photos.ping()

    def _query(self, statement: sa.Executable) -> list[RowMapping]:
        return self._db.query(statement)

    def _require_writable(self) -> None:
        if self.readonly:
            raise ReadOnly(f"this store was opened read-only ({self.data_dir})")

    # -- the photos lock and sweeps -----------------------------------------

    def writing_photos(self) -> contextlib.AbstractContextManager[None]:
        """Hold while writing photos and committing the rows that use them.

        No process deletes a photo meanwhile: on a folder deletes and sweeps
        wait for the lock (or leave the file to a later sweep); on object
        storage nothing stored within the grace period is deleted.
        """
        self._require_writable()
        return self.photos.writing()

    def sweep_orphans(self, min_age_seconds: float = ORPHAN_MIN_AGE_SECONDS) -> int:
        """Delete photos no capture points at and older than ``min_age_seconds``.

        They are what a process killed between the photo and its row, or a row
        refused by a full disk, leaves behind. Never runs on a database without
        any capture (an emptied database would lose every photo), nor when more
        than ``ORPHAN_SWEEP_LIMIT`` photos would go (a database restored from an
        older backup), nor (on a folder) while another process writes or deletes
        photos. Also clears temporary files and unfinished uploads of killed
        writers. Returns how many were removed.
        """
        self._require_writable()
        return self.photos.sweep(self.used_photos, min_age_seconds)

    def remove_unused_photos(self, shas: Iterable[str]) -> int:
        """Delete those of ``shas`` no row uses (rows checked right before deleting).

        On a folder, under the exclusive lock: if it is not free within 5
        seconds the files are left for a later sweep. On object storage, a photo
        stored within the grace period is left for the sweep. Their cached
        thumbnails go either way. Returns how many were removed.
        """
        self._require_writable()
        wanted = set(shas)
        if not wanted:
            return 0
        removed = self.photos.remove_unused(wanted, self._used_of)
        self._cache.forget(wanted - self._used_of(wanted))
        return removed

    def _used_of(self, shas: set[str]) -> set[str]:
        sha = captures.c.sha256
        return {r["sha256"] for r in self._query(sa.select(sha).distinct().where(sha.in_(shas)))}

    # -- inspections ------------------------------------------------------

    def create_inspection(self, inspection: Inspection) -> Inspection:
        with self._transaction() as db:
            rows.insert_inspection(db, inspection)
        return inspection

    def import_rows(
        self,
        inspection: Inspection,
        captures: list[Capture],
        damages: list[Damage],
        *,
        statements: Iterable[tuple[SellerSignature, bytes] | SellerRemark] = (),
        identity_readings: Iterable[StoredReading] = (),
        call_recordings: Iterable[CallRecording] = (),
        blur_boxes: Iterable[BlurBox] = (),
        blur_scans: Iterable[BlurScan] = (),
        audit_log: Iterable[AuditEntry] = (),
    ) -> None:
        """Every row of an inspection from elsewhere (a bundle, another store), in one
        transaction; with ``statements`` (signatures with their PNG bytes, remarks),
        ``identity_readings`` and ``call_recordings`` (the seller's answers on recording;
        the recordings' files already written) when they come along (``inspector
        migrate``), the photos' blur boxes and scans (a bundle, ``inspector migrate``), and
        the inspection's audit log (a bundle).

        Unlike ``add_capture`` this keeps capture times and review flags as
        given. The photos must already be written (``write_photo``); signature images
        are written here, before the transaction.
        """
        kept: list[SellerSignature | SellerRemark] = []
        for statement in statements:
            if isinstance(statement, tuple):
                signature, png = statement
                signature.png_sha256 = sha = signatures.write_png(self.data_dir, png)
                self.side_files.publish(signature_name(sha), sha)
                kept.append(signature)
            else:
                kept.append(statement)
        call_recordings = list(call_recordings)
        for recording in call_recordings:  # their files written here, or already shelved
            for sha, mime in recordings.files_of(recording):
                if self.side_files.local(recording_name(sha, mime)).is_file():
                    self.side_files.publish(recording_name(sha, mime), sha)
        with self._transaction() as db:
            rows.insert_inspection(db, inspection)
            for seq, capture in enumerate(captures, start=1):
                rows.insert_capture(db, capture, seq)
            rows.refresh_shots(db, inspection.id)
            for damage in damages:
                rows.insert_damage(db, damage)
            for item in kept:
                if isinstance(item, SellerSignature):
                    signatures.insert_signature(db, item)
                else:
                    signatures.insert_remark(db, item)
            for reading in identity_readings:
                readings.insert_reading(db, reading)
            for recording in call_recordings:
                recordings.insert(db, recording)
            blur.insert_all(db, blur_boxes, blur_scans)
            audit.insert(db, audit_log)

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
            "seller_statements": None,
            "photo_readings": None,
            "call_recordings": recordings.from_row,
            "blur_boxes": blur.box_from_row,
            "blur_scans": None,
            "users": None,  # sessions and failed logins are not worth salvaging
            "audit_log": None,
        }
        if table not in decode:
            raise ValueError(f"not a table of the store: {table!r}")
        target = next(t for t in TABLES if t.name == table)
        columns = [c.name for c in target.columns]
        restored = skipped = 0
        with self._transaction() as db:
            touched: set[str] = set()
            for raw in salvaged:
                row = {c: raw[c] for c in columns if c in raw}
                if table == "inspections":  # its captures are restored after it, if any
                    row["shots"] = rows.shots_json(ShotsTaken())
                try:
                    check = decode[table]
                    if check is not None:
                        with rows.damaged_record(table.removesuffix("s"), row):
                            check(row)
                except DatabaseDamaged:
                    skipped += 1
                    continue
                if rows.insert_row(db, target, row) or (
                    table == "damages"
                    and row.get("capture_id") is not None
                    and rows.insert_row(db, target, {**row, "capture_id": None})
                ):
                    restored += 1
                    if table == "captures":
                        touched.add(row["inspection_id"])
                else:
                    skipped += 1
            for inspection_id in touched:
                rows.refresh_shots(db, inspection_id)
        return restored, skipped

    def undecodable_records(self) -> list[str]:
        """The records the database reads back but the store cannot decode (``inspector
        repair``), as "damage <id>"; the reads that name them refuse their whole inspection."""
        decode = {
            "inspection": (inspections, rows.inspection_from_row),
            "capture": (captures, rows.capture_from_row),
            "damage": (damages, rows.damage_from_row),
        }
        found: list[str] = []
        for kind, (table, check) in decode.items():
            for row in self._query(sa.select(table).order_by(self._db.insertion_order(table))):
                try:
                    with rows.damaged_record(kind, row):
                        check(row)
                except DatabaseDamaged:
                    found.append(f"{kind} {row['id']}")
        return found

    def used_photos(self) -> set[str]:
        """The SHA-256 of every photo some capture points at."""
        return {r["sha256"] for r in self._query(sa.select(captures.c.sha256).distinct())}

    def inspections_using(self, shas: Iterable[str]) -> set[str]:
        """The ids of the inspections some capture of which points at one of these photos."""
        wanted, found = sorted(set(shas)), set()
        for start in range(0, len(wanted), 500):
            sha = captures.c.sha256
            part = sha.in_(wanted[start : start + 500])
            found |= {
                r["inspection_id"]
                for r in self._query(sa.select(captures.c.inspection_id).distinct().where(part))
            }
        return found

    def photo_in_use(self, sha256: str) -> bool:
        """Whether any capture points at this photo file."""
        return bool(
            self._query(sa.select(captures.c.id).where(captures.c.sha256 == sha256).limit(1))
        )

    def update_inspection(self, inspection: Inspection) -> Inspection:
        """Write the editable fields of ``inspection`` (not its status); returns it, at its
        new ``version`` and ``updated_at``.

        ChangedElsewhere if the record is no longer at the version ``inspection`` was
        read at (someone else saved it meanwhile): nothing is written.
        """
        updated_at = utcnow()
        with self._transaction() as db:
            version = rows.update_inspection(db, replace(inspection, updated_at=updated_at))
        inspection.updated_at, inspection.version = updated_at, version
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
        with self._transaction() as db:
            moved = db.execute(
                inspections.update()
                .where(inspections.c.id == inspection_id, inspections.c.status.in_(allowed))
                .values(status=to.value, updated_at=iso(utcnow()))
            )
            if moved.rowcount:
                return True
            status = db.execute(
                sa.select(inspections.c.status).where(inspections.c.id == inspection_id)
            ).scalar()
        if status is None:
            raise NotFound(f"no inspection {inspection_id!r}")
        current = InspectionStatus(status)
        starts = [InspectionStatus(s) for s in allowed]
        return status_rules.moves(current, to, starts, inspection_id=inspection_id)

    def get_inspection(self, inspection_id: str) -> Inspection:
        found = self._query(sa.select(inspections).where(inspections.c.id == inspection_id))
        if not found:
            raise NotFound(f"no inspection {inspection_id!r}")
        return rows.inspection_from_row(found[0])

    def find_inspection(self, prefix: str) -> Inspection:
        """An inspection by its id or an unambiguous start of it."""
        if not prefix:
            raise NotFound("no inspection id given")
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found = self._query(
            sa.select(inspections).where(inspections.c.id.like(pattern, escape="\\")).limit(2)
        )
        if not found:
            raise NotFound(f"no inspection {prefix!r}")
        if len(found) > 1 and found[0]["id"] != prefix:
            raise NotFound(f"{prefix!r} matches several inspections; give more of the id")
        return rows.inspection_from_row(found[0])

    def list_inspections(self) -> list[Inspection]:
        found = self._query(sa.select(inspections).order_by(inspections.c.created_at.desc()))
        return [rows.inspection_from_row(r) for r in found]

    def records(self) -> list[InspectionRecords]:
        """Every inspection (newest first) with its captures and damages, in three queries
        rather than two per inspection: what listings with progress need."""
        by_inspection: dict[str, tuple[list[Capture], list[Damage]]] = {}
        order = self._db.insertion_order
        for r in self._query(sa.select(captures).order_by(captures.c.seq, order(captures))):
            by_inspection.setdefault(r["inspection_id"], ([], []))[0].append(
                rows.capture_from_row(r)
            )
        found = self._query(sa.select(damages).order_by(damages.c.created_at, order(damages)))
        for r in found:
            with rows.damaged_record("damage", r):
                damage = rows.damage_from_row(r)
            by_inspection.setdefault(r["inspection_id"], ([], []))[1].append(damage)
        return [
            InspectionRecords(i, *by_inspection.get(i.id, ([], [])))
            for i in self.list_inspections()
        ]

    def listing(self) -> list[ListingRow]:
        """Every inspection (newest first) as a list shows it, with what its completion
        needs, in two queries whose rows are one per inspection: the shots each
        inspection's captures cover are kept with it (``inspections.shots``, written with
        every change to them), so a list of thousands never decodes their captures, nor
        makes an ``Inspection`` of each row (:mod:`.listing`). :meth:`records` gives the
        same counts the long way. Where the summary is not known its captures are read."""
        with _collector_paused():
            return read_listing(
                self._db.query_rows,
                self._db.sqlite,
                lambda inspection_id: ShotsTaken.of(self.captures(inspection_id)),
            )

    def inspection_states(self) -> dict[str, tuple[str, int, str, int, int]]:
        """Every inspection's status, row version, shots taken (changed by a capture
        stored or judged usable or not) and its damages' count and summed versions (by
        one added, changed or deleted), in one light query: what a watcher compares to
        see which were created, changed or deleted since it last looked. The status
        comes first."""
        d = damages.c
        marks = (
            sa.select(
                d.inspection_id,
                sa.func.count().label("n"),
                sa.func.coalesce(sa.func.sum(d.version), 0).label("v"),
            )
            .group_by(d.inspection_id)
            .subquery()
        )
        i = inspections.c
        found = self._query(
            sa.select(i.id, i.status, i.version, i.shots, marks.c.n, marks.c.v).select_from(
                inspections.outerjoin(marks, marks.c.inspection_id == i.id)
            )
        )
        return {
            r["id"]: (
                str(r["status"]),
                int(r["version"]),
                str(r["shots"] or ""),
                int(r["n"] or 0),
                int(r["v"] or 0),
            )
            for r in found
        }

    def delete_inspection(self, inspection_id: str, *, version: int | None = None) -> None:
        """Delete an inspection, its rows, and photo files no one else uses.

        ``version``: the version the caller's copy was read at; ChangedElsewhere (and
        nothing deleted) if someone else changed the record since.
        """
        self._require_writable()
        side = self._side_file_names(inspection_id)
        with self._transaction() as db:
            shas = set(
                db.execute(
                    sa.select(captures.c.sha256).where(captures.c.inspection_id == inspection_id)
                ).scalars()
            )
            rows.checked_delete(db, inspections, "inspection", inspection_id, version)
        try:  # the seller's drawings and the call's recording go with the inspection
            used = self._side_files_used({sha for sha, _ in side.values()})
            self.side_files.delete(n for n, (sha, _) in side.items() if sha not in used)
        except (StoreError, OSError) as exc:
            log.warning("files of inspection %s not deleted: %s", inspection_id, exc)
        # Re-checked under the photos lock: an import or a capture in another
        # process may be about to point a new row at one of these files.
        try:
            self.remove_unused_photos(shas)
        except StoreError as exc:  # the rows are gone: their photos are orphans now
            log.warning("photos of inspection %s left to a later sweep: %s", inspection_id, exc)

    def _side_file_names(self, inspection_id: str) -> dict[str, tuple[str, str]]:
        """The inspection's signature drawings and recording files: name -> (sha, mime)."""
        names = {
            signature_name(s.png_sha256): (s.png_sha256, "image/png")
            for s in self.signatures(inspection_id)
            if s.png_sha256
        }
        for recording in self.recordings(inspection_id):
            for sha, mime in recordings.files_of(recording):
                names[recording_name(sha, mime)] = (sha, mime)
        return names

    def _side_files_used(self, shas: set[str]) -> set[str]:
        """Those of ``shas`` a signature or recording row still names."""
        if not shas:
            return set()
        rec = call_recordings
        used: set[str] = set()
        for column in (seller_statements.c.png_sha256, rec.c.sha256, rec.c.timeline_sha256):
            found = self._query(sa.select(column.label("sha")).where(column.in_(shas)))
            used.update(row["sha"] for row in found)
        return used

    # -- photos -----------------------------------------------------------

    def photo_path(self, sha256: str) -> Path:
        """The photo's file in a folder store (which may not exist); StoreError on object
        storage, which has no such file (:meth:`photo_file` gives a local copy)."""
        path = self.photos.local_path(sha256)
        if path is None:
            raise StoreError(f"photo {sha256[:12]} is in {self.photos.url}, not in a folder")
        return path

    def photo_file(self, sha256: str, data: bytes | None = None) -> Path:
        """A local file holding the photo's bytes, to decode: its own file in a folder
        store; on object storage a cached copy (made from ``data`` when the caller has
        the bytes, else downloaded and checked). Slow the first time: worker threads."""
        path = self.photos.local_path(sha256)
        if path is not None:
            return path
        return self._cache.copy(sha256, lambda: self.photos.get(sha256), data)

    def write_photo(self, data: bytes) -> str:
        """Store photo bytes by their SHA-256 and return it, once durable; idempotent.

        A file already there is hashed: a damaged one is replaced (atomically),
        a good one gets a fresh time so that a sweep sees it as young; on object
        storage the photo is stored again (its time refreshed) unless this store
        did so within ``RECENT_PUT_SECONDS``.
        """
        self._require_writable()
        if self._locked:
            return self.photos.put(data)
        sha = hashlib.sha256(data).hexdigest()
        if not self._put_recently(sha):
            self.photos.put(data, sha)
            self._remember_put(sha)
        return sha

    def _put_recently(self, sha256: str) -> bool:
        with self._recent_lock:
            when = self._recent.get(sha256)
        return when is not None and time.monotonic() - when < RECENT_PUT_SECONDS

    def _remember_put(self, sha256: str) -> None:
        now = time.monotonic()
        with self._recent_lock:
            self._recent[sha256] = now
            if len(self._recent) > 4096:
                self._recent = {
                    k: t for k, t in self._recent.items() if now - t < RECENT_PUT_SECONDS
                }

    def recheck_photo(self, sha256: str, data: Callable[[], bytes]) -> None:
        """After the rows using a photo are committed: make sure it is still there.

        Object storage has no lock: a delete racing this write (in the instant
        between its own age check and its delete) could have taken the photo
        these rows now use; then it is stored again from ``data()``. A folder's
        lock rules that out: nothing to check there.
        """
        if not self._locked and not self.photos.exists(sha256):
            self.photos.put(data(), sha256)
            self._remember_put(sha256)

    def photo_state(self, sha256: str, *, deep: bool = False) -> PhotoState:
        """The photo's state: "ok", "missing" or "altered" (``deep``: by its SHA-256)."""
        return self.photos.state(sha256, deep=deep)

    def photo_states(self, shas: Iterable[str], *, deep: bool = False) -> dict[str, PhotoState]:
        """:meth:`photo_state` of each photo; on object storage many are found with
        one listing rather than a request each (unless ``deep``: each is read)."""
        wanted = list(dict.fromkeys(shas))
        if deep or self._locked or len(wanted) <= _ONE_BY_ONE:
            return {sha: self.photos.state(sha, deep=deep) for sha in wanted}
        stored = {p.sha256 for p in self.photos.list()}
        return {sha: "ok" if sha in stored else "missing" for sha in wanted}

    def read_photo(self, sha256: str) -> bytes:
        return self.photos.get(sha256)

    def list_photos(self) -> Iterator[StoredPhoto]:
        """Every photo the photo store holds, whether rows use it or not."""
        return self.photos.list()

    def thumbnail(self, sha256: str, size: int = 256) -> Path:
        """A cached JPEG thumbnail whose longest side is ``size`` pixels (a local file,
        made from the photo once, whichever store holds it)."""
        local = self.photos.local_path(sha256)

        def source() -> Path | bytes:
            if local is not None:
                return local
            copy = self._cache.cached_copy(sha256)
            return copy if copy is not None else self.photos.get(sha256)

        return self._cache.thumbnail(sha256, size, source)

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
        self.recheck_photo(sha, lambda: data)
        return capture

    def put_capture(self, capture: Capture, data: bytes) -> Capture:
        """Store a capture made earlier as it is (the live engine's spool): file, then row."""
        with self.writing_photos():
            if self.write_photo(data) != capture.sha256:
                raise StoreError(f"the photo of capture {capture.id} does not match its SHA-256")
            self._insert_capture(capture)
        self.recheck_photo(capture.sha256, lambda: data)
        return capture

    def _insert_capture(self, capture: Capture) -> None:
        """The capture's row, numbered after the inspection's last (its photo is written)."""
        inspection_id = capture.inspection_id
        try:
            with self._transaction() as db:
                # Locks the inspection's row (PostgreSQL): captures are numbered one at a time.
                found = db.execute(
                    sa.select(inspections.c.id)
                    .where(inspections.c.id == inspection_id)
                    .with_for_update()
                ).first()
                if found is None:
                    raise NotFound(
                        f"cannot add a capture to inspection {inspection_id!r}: it does not exist"
                    )
                seq = db.execute(
                    sa.select(sa.func.coalesce(sa.func.max(captures.c.seq), 0) + 1).where(
                        captures.c.inspection_id == inspection_id
                    )
                ).scalar_one()
                rows.insert_capture(db, capture, seq)
                rows.refresh_shots(db, inspection_id)
        except Conflict as exc:
            raise NotFound(f"cannot add a capture to inspection {inspection_id!r}: {exc}") from exc
        except (DiskFull, DatabaseBusy, DatabaseDamaged, ReadOnly) as exc:
            raise type(exc)(f"capture not recorded: {exc}") from exc

    def captures(self, inspection_id: str) -> list[Capture]:
        found = self._query(
            sa.select(captures)
            .where(captures.c.inspection_id == inspection_id)
            .order_by(captures.c.seq, self._db.insertion_order(captures))
        )
        return [rows.capture_from_row(r) for r in found]

    def get_capture(self, capture_id: str) -> Capture:
        found = self._query(sa.select(captures).where(captures.c.id == capture_id))
        if not found:
            raise NotFound(f"no capture {capture_id!r}")
        return rows.capture_from_row(found[0])

    def set_capture_accepted(self, capture_id: str, accepted: bool | None) -> None:
        with self._transaction() as db:
            inspection_id = db.execute(
                sa.select(captures.c.inspection_id).where(captures.c.id == capture_id)
            ).scalar()
            if inspection_id is None:
                raise NotFound(f"no capture {capture_id!r}")
            db.execute(
                captures.update().where(captures.c.id == capture_id).values(accepted=accepted)
            )
            rows.refresh_shots(db, inspection_id)

    def accept_for_review(self, capture_id: str, reason: QualityReason) -> Capture:
        """Accept a capture and add ``reason`` to its quality reasons, in one transaction.

        The verdict is left as measured: the photo is kept so the walk can go
        on, and the reason tells the inspector why it needs a look.
        """
        this = captures.c.id == capture_id
        with self._transaction() as db:
            found = db.execute(sa.select(captures).where(this).with_for_update()).mappings().first()
            if found is None:
                raise NotFound(f"no capture {capture_id!r}")
            capture = rows.capture_from_row(found)
            report = capture.quality
            if all(r.code != reason.code for r in report.reasons):
                report = QualityReport(report.verdict, (*report.reasons, reason), report.metrics)
            db.execute(
                captures.update()
                .where(this)
                .values(accepted=True, quality=rows.quality_json(report))
            )
            rows.refresh_shots(db, capture.inspection_id)
        return replace(capture, accepted=True, quality=report)

    def replace_preview(
        self, capture_id: str, preview_sha256: str, data: bytes, *, width: int, height: int
    ) -> Capture:
        """The full-resolution original of a capture stored as a preview arrived: store
        its file, then point the row at it (``source`` becomes ``still``), atomically.

        Idempotent: a row already pointing at the original is left as it is. A row
        pointing at another photo than ``preview_sha256`` (or at no preview) is a
        :class:`Conflict`. The preview's file stays until a sweep finds it unused.
        """
        this = captures.c.id == capture_id
        with self.writing_photos():
            sha = self.write_photo(data)
            with self._transaction() as db:
                found = db.execute(sa.select(captures).where(this).with_for_update())
                row = found.mappings().first()
                if row is None:
                    raise NotFound(f"no capture {capture_id!r}")
                capture = rows.capture_from_row(row)
                if capture.sha256 == sha:
                    return capture
                preview = capture.source is CaptureSource.PREVIEW
                if capture.sha256 != preview_sha256 or not preview:
                    raise Conflict(f"capture {capture_id!r} is not a preview its original replaces")
                db.execute(
                    captures.update()
                    .where(this)
                    .values(
                        sha256=sha,
                        size=len(data),
                        width=width,
                        height=height,
                        source=CaptureSource.STILL.value,
                    )
                )
        self.recheck_photo(sha, lambda: data)
        return replace(
            capture,
            sha256=sha,
            size=len(data),
            width=width,
            height=height,
            source=CaptureSource.STILL,
        )

    # -- damages ----------------------------------------------------------

    def add_damage(self, damage: Damage) -> Damage:
        with self._transaction() as db:
            rows.insert_damage(db, damage)
        return damage

    def update_damage(self, damage: Damage) -> Damage:
        """Write ``damage``; returns it at its new ``version``.

        ChangedElsewhere if the record is no longer at the version ``damage`` was read
        at (someone else saved it meanwhile): nothing is written.
        """
        with self._transaction() as db:
            damage.version = rows.update_damage(db, damage)
        return damage

    def delete_damage(self, damage_id: str, *, version: int | None = None) -> None:
        """Delete a damage; ``version`` as for :meth:`delete_inspection`."""
        with self._transaction() as db:
            rows.checked_delete(db, damages, "damage", damage_id, version)

    def damages(self, inspection_id: str) -> list[Damage]:
        found = self._query(
            sa.select(damages)
            .where(damages.c.inspection_id == inspection_id)
            .order_by(damages.c.created_at, self._db.insertion_order(damages))
        )
        with rows.damaged_record("damage", found[0] if found else None):
            return [rows.damage_from_row(r) for r in found]

    # -- the seller's confirmation ------------------------------------------------

    def add_signature(self, signature: SellerSignature, png: bytes) -> SellerSignature:
        """Keep a signature: its PNG file first (content-addressed), then its row."""
        self._require_writable()
        signature.png_sha256 = sha = signatures.write_png(self.data_dir, png)
        self.side_files.publish(signature_name(sha), sha)
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
        try:
            path = self.side_files.fetch(signature_name(sha256), sha256)
            data = path.read_bytes()
        except NotFound as exc:
            raise NotFound(f"signature image {sha256[:12]}: {exc}") from exc
        except OSError as exc:
            raise NotFound(f"signature image {sha256[:12]} is missing ({exc})") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DatabaseDamaged(f"signature image {sha256[:12]} was altered ({path})")
        return data

    # -- the call's recording, with the seller's consent --------------------------

    def add_recording(self, recording: CallRecording) -> CallRecording:
        """Keep the seller's answer (and the recording: its files are already stored)."""
        self._shelve_recording(recording)
        with self._transaction() as db:
            recordings.insert(db, recording)
        return recording

    def update_recording(self, recording: CallRecording) -> CallRecording:
        """The recording made after a yes: its files (already stored), size, times."""
        self._shelve_recording(recording)
        with self._transaction() as db:
            recordings.update(db, recording)
        return recording

    def _shelve_recording(self, recording: CallRecording) -> None:
        """Its files beside the photos, for the other desks. If the photo store cannot
        take them now, the row is kept all the same (the files are on this desk, which
        is where the seller's call was) and :meth:`shelve_recordings` tries again."""
        try:
            for sha, mime in recordings.files_of(recording):
                self.side_files.publish(recording_name(sha, mime), sha)
        except StoreError as exc:
            log.warning("recording %s kept on this desk only for now: %s", recording.id, exc)

    def shelve_recording_file(self, sha256: str, mime: str, source: Path) -> None:
        """Put a recording file from elsewhere (another desk's folder) beside the photos."""
        self.side_files.publish(recording_name(sha256, mime), sha256, source)

    def shelve_recordings(self) -> int:
        """Put beside the photos the recordings this desk has that are not there yet
        (their upload failed when the call ended); how many files went."""
        sent = 0
        for recording in self.recordings():
            if not recording.playable:
                continue
            for sha, mime in recordings.files_of(recording):
                name = recording_name(sha, mime)
                if self.side_files.local(name).is_file() and not self.side_files.on_shelf(name):
                    self.side_files.publish(name, sha)
                    sent += 1
        return sent

    def recordings(self, inspection_id: str | None = None) -> list[CallRecording]:
        """The seller's answers and the recordings of an inspection (or all), oldest first."""
        return recordings.recordings(self._query, inspection_id)

    def recording_file(self, sha256: str, mime: str) -> Path:
        """The local file of a recording's video or timeline (NotFound if it is gone)."""
        try:
            return self.side_files.fetch(recording_name(sha256, mime), sha256)
        except NotFound as exc:
            raise NotFound(f"recording {sha256[:12]}: {exc}") from exc

    def delete_expired_recordings(self, days: int, now: datetime | None = None) -> int:
        """The retention rule: delete the files of recordings older than ``days``; how many.

        The row stays (the seller's consent is part of the record) with ``deleted_at``.
        """
        self._require_writable()
        now = now or datetime.now(UTC)
        gone = 0
        for recording in self.recordings():
            if expired(recording, now, days):
                names = [recording_name(*f) for f in recordings.files_of(recording)]
                try:  # every copy first: a failure leaves the row to the next round
                    self.side_files.delete(names)
                except StoreError as exc:
                    log.warning("recording %s not deleted yet: %s", recording.id, exc)
                    continue
                with self._transaction() as db:
                    recordings.mark_deleted(db, recording.id, now)
                gone += 1
        self.side_files.sweep_local(self._side_files_in_use())
        return gone + recordings.sweep_partial(self.data_dir, now, days)

    def _side_files_in_use(self) -> set[str] | None:
        """The names of every signature drawing and kept recording file a row names;
        None if there is no such row at all."""
        column = seller_statements.c.png_sha256
        found = self._query(sa.select(column.label("sha")).where(column.is_not(None)))
        names = {signature_name(row["sha"]) for row in found if row["sha"]}
        calls = self.recordings()
        for recording in calls:
            if recording.deleted_at is None:
                names.update(recording_name(*f) for f in recordings.files_of(recording))
        return names if found or calls else None

    # -- identity read from the photos ------------------------------------------

    def add_reading(self, reading: StoredReading) -> StoredReading:
        """Keep what the OCR read in a photo (a new reading of it replaces the old)."""
        with self._transaction() as db:
            readings.insert_reading(db, reading)
        return reading

    def readings(self, inspection_id: str) -> list[StoredReading]:
        return readings.readings(self._query, inspection_id)

    # -- blur boxes of the listing's photos ------------------------------------

    def blur_boxes(self, inspection_id: str) -> list[BlurBox]:
        """The boxes to blur on the inspection's photos, oldest first."""
        return blur.blur_boxes(self._query, inspection_id)

    def blur_scans(self, inspection_id: str) -> list[BlurScan]:
        """The photos the detectors have looked at."""
        return blur.blur_scans(self._query, inspection_id)

    def add_blur_box(self, box: BlurBox) -> BlurBox:
        with self._transaction() as db:
            blur.insert_box(db, box)
        return box

    def update_blur_box(self, box: BlurBox) -> BlurBox:
        """Move or resize a box (or change its kind); NotFound if it was removed."""
        with self._transaction() as db:
            if not blur.update_box(db, box):
                raise NotFound(f"no blur box {box.id!r}")
        return box

    def delete_blur_box(self, box_id: str) -> None:
        with self._transaction() as db:
            if not blur.delete_box(db, box_id):
                raise NotFound(f"no blur box {box_id!r}")

    def add_blur_scan(self, scan: BlurScan, boxes: Iterable[BlurBox]) -> bool:
        """Keep what the detectors found on one photo, with the record that they looked,
        in one transaction. False (nothing written) if the photo was scanned already,
        by this process or another."""
        found = list(boxes)
        try:
            with self._transaction() as db:
                if blur.scanned(db, scan.capture_id):
                    return False
                blur.insert_all(db, found, [scan])
        except Conflict:
            # Another process scanned it between the check and the insert (PostgreSQL),
            # or the photo is gone: either way there is nothing to add.
            return False
        return True

    # -- invitation tokens (only their SHA-256 is stored) ------------------

    def add_token(
        self, token_hash: str, inspection_id: str, expires_at: datetime, mode: str = "self"
    ) -> None:
        """Keep a link's token hash; ``mode`` "self" or "operator" (how its call runs)."""
        if mode not in TOKEN_MODES:
            raise ValueError(f"mode must be 'operator' or 'self', not {mode!r}")
        with self._transaction() as db:
            db.execute(
                tokens.insert().values(
                    token_hash=token_hash,
                    inspection_id=inspection_id,
                    created_at=iso(utcnow()),
                    expires_at=iso(expires_at),
                    revoked=False,
                    mode=mode,
                )
            )

    def token_record(self, token_hash: str) -> tuple[str, datetime, bool, str] | None:
        """(inspection id, expiry, revoked, mode) for a token hash, or None."""
        found = self._query(sa.select(tokens).where(tokens.c.token_hash == token_hash))
        if not found:
            return None
        r = found[0]
        return (
            r["inspection_id"],
            datetime.fromisoformat(r["expires_at"]),
            bool(r["revoked"]),
            str(r["mode"]),
        )

    def valid_tokens(self) -> list[tuple[str, str, datetime, str]]:
        """(token hash, inspection id, expiry, mode) of every token neither revoked nor
        expired; mode "self" or "operator" (how the link's call runs)."""
        # Expiries are UTC ISO strings (same offset, same layout): they sort as times.
        found = self._query(
            sa.select(tokens).where(
                tokens.c.revoked == sa.false(), tokens.c.expires_at > iso(utcnow())
            )
        )
        return [
            (
                r["token_hash"],
                r["inspection_id"],
                datetime.fromisoformat(r["expires_at"]),
                str(r["mode"]),
            )
            for r in found
        ]

    def revoke_tokens(self, inspection_id: str) -> int:
        with self._transaction() as db:
            done = db.execute(
                tokens.update()
                .where(tokens.c.inspection_id == inspection_id, tokens.c.revoked == sa.false())
                .values(revoked=True)
            )
            return int(done.rowcount)


def _open_photo_store(
    data_dir: Path, files: PhotoFiles, given: str | Path | PhotoStore | None
) -> tuple[PhotoStore, bool]:
    """The store's photo store, and whether the store owns it (closes it)."""
    if given is None:
        return LocalPhotoStore(data_dir, files), True
    if isinstance(given, (str, Path)):
        found = photo_store_for(given)
        if isinstance(found, LocalPhotoStore) and _same_folder(found.root, data_dir):
            return LocalPhotoStore(data_dir, files), True  # the default, said explicitly
        return found, True
    return given, False


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
