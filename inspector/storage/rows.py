"""Rows ↔ domain objects: how an inspection, a capture and a damage are kept, as
SQLAlchemy Core statements on :mod:`inspector.storage.sql.tables` (SQLite or PostgreSQL).

Nested values (vehicle, seller, quality report, region) are JSON, times ISO 8601.
A row the database reads back but we cannot decode is a damaged database too: it
comes out as :class:`DatabaseDamaged` naming the record, never as a traceback.

Inspections and damages carry a row version: an update names the version its copy
was read at and bumps it, in the same statement, so a change made elsewhere
meanwhile is never overwritten (:class:`ChangedElsewhere`); a delete may name it too.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Required, TypedDict

import sqlalchemy as sa

from inspector.domain.models import (
    ROW_VERSION,
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Inspection,
    InspectionStatus,
    Part,
    QualityReport,
    Region,
    Seller,
    Severity,
    Vehicle,
    Verdict,
)
from inspector.domain.progress import ShotsTaken, usable_as
from inspector.storage.errors import (
    REPAIR_HINT,
    ChangedElsewhere,
    DatabaseDamaged,
    NotFound,
    StoreError,
)
from inspector.storage.sql.tables import captures, damages, inspections

__all__ = [
    "CaptureDetails",
    "capture_from_row",
    "checked_delete",
    "damage_from_row",
    "damaged_record",
    "insert_capture",
    "insert_damage",
    "insert_inspection",
    "insert_row",
    "inspection_from_row",
    "iso",
    "new_capture",
    "new_id",
    "quality_json",
    "refresh_shots",
    "shots_from_row",
    "shots_json",
    "update_damage",
    "update_inspection",
]

Row = Mapping[Any, Any]
"""A row read back (``RowMapping``), or a plain dict of salvaged columns (``restore_rows``)."""


def new_id() -> str:
    """A short random id, easy to read out and to type."""
    return secrets.token_hex(6)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def quality_json(report: QualityReport) -> str:
    return json.dumps(report.to_dict())


def _region_json(r: Region | None) -> str | None:
    return json.dumps([r.x, r.y, r.w, r.h]) if r else None


def _version(row: Row) -> int:
    # A read-only store may read a database migrated before row versions existed.
    return int(row.get("version", ROW_VERSION))


@contextlib.contextmanager
def damaged_record(kind: str, row: Row | None) -> Iterator[None]:
    """A row the database reads back but we cannot decode is a damaged database too."""
    try:
        yield
    except _UNDECODABLE as exc:
        raise _damaged(kind, row, exc) from exc


_UNDECODABLE = (ValueError, KeyError, TypeError, IndexError)


def _damaged(kind: str, row: Row | None, exc: Exception) -> DatabaseDamaged:
    ident = "?"
    with contextlib.suppress(Exception):
        ident = str(row["id"]) if row is not None else "?"
    return DatabaseDamaged(f"the record of {kind} {ident!r} is damaged — {REPAIR_HINT} ({exc})")


def _checked_update(
    db: sa.Connection, table: sa.Table, kind: str, ident: str, read_at: int, values: Row
) -> int:
    """Update one row if it is still at version ``read_at``; the version it is at now.

    NotFound if it is gone, ChangedElsewhere if someone else changed it since.
    """
    done = db.execute(
        table.update()
        .where(table.c.id == ident, table.c.version == read_at)
        .values(**values, version=table.c.version + 1)
    )
    if done.rowcount == 1:
        return read_at + 1
    raise _why_not(db, table, kind, ident)


def checked_delete(
    db: sa.Connection, table: sa.Table, kind: str, ident: str, read_at: int | None
) -> None:
    """Delete one row; if ``read_at`` is given, only while it is still at that version.

    NotFound if it is gone, ChangedElsewhere if someone else changed it since: a
    delete decided on a copy someone else has changed since is not made.
    """
    where = table.c.id == ident
    if read_at is not None:
        where &= table.c.version == read_at
    if db.execute(table.delete().where(where)).rowcount != 1:
        raise _why_not(db, table, kind, ident)


def _why_not(db: sa.Connection, table: sa.Table, kind: str, ident: str) -> StoreError:
    """Why a versioned write of one row touched nothing: gone, or changed since."""
    if db.execute(sa.select(table.c.id).where(table.c.id == ident)).first() is None:
        return NotFound(f"no {kind} {ident!r}")
    return ChangedElsewhere(
        f"this {kind} was changed by someone else since it was read: reload it, then "
        "make the change again"
    )


# -- inspections --------------------------------------------------------------


def _editable(i: Inspection) -> dict[str, Any]:
    """The editable columns: what an update writes (never the status, nor the creation)."""
    return {
        "operator": i.operator,
        "inspector": i.inspector,
        "checklist": i.checklist,
        "vehicle": json.dumps(i.vehicle.to_dict()),
        "seller": json.dumps(i.seller.to_dict()),
        "notes": i.notes,
        "grade": i.grade,
    }


def insert_inspection(db: sa.Connection, i: Inspection) -> None:
    db.execute(
        inspections.insert().values(
            id=i.id,
            created_at=iso(i.created_at),
            updated_at=iso(i.updated_at),
            status=i.status.value,
            version=i.version,
            shots=shots_json(ShotsTaken()),  # no capture yet
            **_editable(i),
        )
    )


def update_inspection(db: sa.Connection, i: Inspection) -> int:
    """Every editable column of ``i``, if the row is still at ``i.version``; the new version.

    Not its creation time, nor its status: only ``Store.transition`` moves a status,
    so an editor holding an old copy can never write an old status back.
    """
    return _checked_update(
        db,
        inspections,
        "inspection",
        i.id,
        i.version,
        {"updated_at": iso(i.updated_at), **_editable(i)},
    )


def inspection_from_row(row: Row) -> Inspection:
    try:  # not ``damaged_record``: a listing decodes thousands, its cost shows
        return Inspection(
            id=row["id"],
            checklist=row["checklist"],
            vehicle=Vehicle.from_json(row["vehicle"]),
            seller=Seller.from_json(row["seller"]),
            status=InspectionStatus(row["status"]),
            operator=row["operator"],
            inspector=row["inspector"],
            notes=row["notes"],
            grade=row["grade"],
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
            version=_version(row),
        )
    except _UNDECODABLE as exc:
        raise _damaged("inspection", row, exc) from exc


# -- captures -----------------------------------------------------------------


def insert_capture(db: sa.Connection, c: Capture, seq: int) -> None:
    db.execute(
        captures.insert().values(
            id=c.id,
            seq=seq,
            inspection_id=c.inspection_id,
            shot_id=c.shot_id,
            sha256=c.sha256,
            mime=c.mime,
            size=c.size,
            width=c.width,
            height=c.height,
            source=c.source.value,
            captured_at=iso(c.captured_at),
            phone_time=iso(c.phone_time),
            quality=quality_json(c.quality),
            accepted=c.accepted,
            retake_of=c.retake_of,
        )
    )


class CaptureDetails(TypedDict, total=False):
    """What describes a new capture besides its photo (``Store.add_capture``, the spool's)."""

    width: Required[int]
    height: Required[int]
    source: Required[CaptureSource]
    quality: Required[QualityReport]
    phone_time: datetime | None
    retake_of: str | None
    mime: str
    capture_id: str | None
    """Default: a new id."""
    captured_at: datetime | None
    """Default: now (a capture written late, from the spool, keeps the time it was taken)."""


def new_capture(
    inspection_id: str, shot_id: str, sha256: str, size: int, details: CaptureDetails
) -> Capture:
    """A capture of the photo ``sha256`` (``size`` bytes), not yet stored."""
    capture = Capture(
        id=details.get("capture_id") or new_id(),
        inspection_id=inspection_id,
        shot_id=shot_id,
        sha256=sha256,
        width=details["width"],
        height=details["height"],
        source=details["source"],
        quality=details["quality"],
        phone_time=details.get("phone_time"),
        retake_of=details.get("retake_of"),
        mime=details.get("mime", "image/jpeg"),
        size=size,
    )
    captured_at = details.get("captured_at")
    if captured_at is not None:
        capture.captured_at = captured_at
    return capture


def capture_from_row(row: Row) -> Capture:
    with damaged_record("capture", row):
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


# -- what listings need of an inspection's captures ---------------------------


def refresh_shots(db: sa.Connection, inspection_id: str) -> None:
    """Write the inspection's :class:`ShotsTaken` (``inspections.shots``) from its captures
    as they are now; part of every transaction that changes them.

    The inspection's row is locked first (PostgreSQL), so the captures are read after
    every other writer of this inspection has committed: two writers cannot each leave
    a summary that misses the other's capture. Only what :func:`usable_as` looks at is
    read (a capture add pays about a millisecond for it); a capture whose quality cannot
    be read leaves NULL (the listing then reads the captures, and names the damaged one).
    """
    db.execute(
        sa.select(inspections.c.id).where(inspections.c.id == inspection_id).with_for_update()
    )
    c = captures.c
    found = db.execute(
        sa.select(c.shot_id, c.accepted, c.quality).where(c.inspection_id == inspection_id)
    ).all()
    shots: str | None
    try:
        taken = frozenset(r.shot_id for r in found)
        usable = frozenset(
            r.shot_id
            for r in found
            if usable_as(
                None if r.accepted is None else bool(r.accepted),
                Verdict(json.loads(r.quality)["verdict"]),
            )
        )
        shots = shots_json(ShotsTaken(len(found), taken, usable))
    except (ValueError, KeyError, TypeError):
        shots = None
    db.execute(inspections.update().where(inspections.c.id == inspection_id).values(shots=shots))


def shots_json(shots: ShotsTaken) -> str:
    """``{"captures": n, "taken": [...], "unusable": [...]}``: the shots photographed, and
    those of them without a usable photo (usually none, so the text stays short)."""
    return json.dumps(
        {
            "captures": shots.captures,
            "taken": sorted(shots.taken),
            "unusable": sorted(shots.taken - shots.usable),
        }
    )


def shots_from_row(row: Row) -> ShotsTaken | None:
    """The inspection's :class:`ShotsTaken` as kept with it; None if not known."""
    text = row["shots"]
    if text is None:
        return None
    try:
        data = json.loads(text)
        taken = frozenset(data["taken"])
        return ShotsTaken(int(data["captures"]), taken, taken.difference(data["unusable"]))
    except _UNDECODABLE as exc:
        raise _damaged("inspection", row, exc) from exc


# -- damages ------------------------------------------------------------------


def _damage_values(d: Damage) -> dict[str, Any]:
    """The editable columns of a damage."""
    return {
        "capture_id": d.capture_id,
        "part": d.part.value,
        "type": d.type.value,
        "severity": int(d.severity),
        "region": _region_json(d.region),
        "note": d.note,
        "pair": d.pair,
        "to_complete": d.to_complete,
    }


def insert_damage(db: sa.Connection, d: Damage) -> None:
    db.execute(
        damages.insert().values(
            id=d.id,
            inspection_id=d.inspection_id,
            created_at=iso(d.created_at),
            version=d.version,
            **_damage_values(d),
        )
    )


def update_damage(db: sa.Connection, d: Damage) -> int:
    """Every editable column of ``d``, if the row is still at ``d.version``; the new version."""
    return _checked_update(db, damages, "damage", d.id, d.version, _damage_values(d))


def damage_from_row(r: Row) -> Damage:
    """Unchecked, unlike the other two: :meth:`Store.damages` wraps its whole list."""
    return Damage(
        id=r["id"],
        inspection_id=r["inspection_id"],
        capture_id=r["capture_id"],
        part=Part(r["part"]),
        type=DamageType(r["type"]),
        severity=Severity(r["severity"]),
        region=Region(*json.loads(r["region"])) if r["region"] else None,
        note=r["note"],
        created_at=datetime.fromisoformat(r["created_at"]),
        pair=r["pair"],
        to_complete=bool(r["to_complete"]),
        version=_version(r),
    )


# -- salvage ------------------------------------------------------------------


def insert_row(db: sa.Connection, table: sa.Table, row: dict[str, Any]) -> bool:
    """Insert one row as given, in a savepoint; False if a constraint refuses it."""
    savepoint = db.begin_nested()
    try:
        db.execute(table.insert().values(**row))
    except sa.exc.IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True
