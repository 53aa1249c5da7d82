"""Rows ↔ domain objects: how an inspection, a capture and a damage are kept in SQLite.

Nested values (vehicle, seller, quality report, region) are JSON, times ISO 8601.
A row SQLite reads back but we cannot decode is a damaged database too: it comes
out as :class:`DatabaseDamaged` naming the record, never as a traceback.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Required, TypedDict

from inspector.domain.models import (
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
)
from inspector.storage.errors import REPAIR_HINT, DatabaseDamaged

__all__ = [
    "CaptureDetails",
    "capture_from_row",
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
    "update_damage",
    "update_inspection",
]

Row = sqlite3.Row | Mapping[str, Any]
"""A row read back, or a plain dict of salvaged columns (``restore_rows``)."""


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


@contextlib.contextmanager
def damaged_record(kind: str, row: Row | None) -> Iterator[None]:
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


# -- inspections --------------------------------------------------------------


def _editable(i: Inspection) -> tuple[Any, ...]:
    """The editable columns' values, in the order both statements below name them."""
    return (
        i.operator,
        i.inspector,
        i.checklist,
        json.dumps(i.vehicle.to_dict()),
        json.dumps(i.seller.to_dict()),
        i.notes,
        i.grade,
    )


def insert_inspection(db: sqlite3.Connection, i: Inspection) -> None:
    db.execute(
        "INSERT INTO inspections (id, created_at, updated_at, status, operator, inspector, "
        "checklist, vehicle, seller, notes, grade) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            i.id,
            iso(i.created_at),
            iso(i.updated_at),
            i.status.value,
            *_editable(i),
        ),
    )


def update_inspection(db: sqlite3.Connection, i: Inspection) -> int:
    """Every editable column of ``i``; how many rows changed.

    Not its creation time, nor its status: only ``Store.transition`` moves a status,
    so an editor holding an old copy can never write an old status back.
    """
    cur = db.execute(
        "UPDATE inspections SET updated_at=?, operator=?, inspector=?, "
        "checklist=?, vehicle=?, seller=?, notes=?, grade=? WHERE id=?",
        (
            iso(i.updated_at),
            *_editable(i),
            i.id,
        ),
    )
    return cur.rowcount


def inspection_from_row(row: Row) -> Inspection:
    with damaged_record("inspection", row):
        return Inspection(
            id=row["id"],
            checklist=row["checklist"],
            vehicle=Vehicle.from_dict(json.loads(row["vehicle"])),
            seller=Seller.from_dict(json.loads(row["seller"])),
            status=InspectionStatus(row["status"]),
            operator=row["operator"],
            inspector=row["inspector"],
            notes=row["notes"],
            grade=row["grade"],
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )


# -- captures -----------------------------------------------------------------


def insert_capture(db: sqlite3.Connection, c: Capture, seq: int) -> None:
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
            iso(c.captured_at),
            iso(c.phone_time),
            quality_json(c.quality),
            None if c.accepted is None else int(c.accepted),
            c.retake_of,
        ),
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


# -- damages ------------------------------------------------------------------


def insert_damage(db: sqlite3.Connection, d: Damage) -> None:
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
            _region_json(d.region),
            d.note,
            iso(d.created_at),
            d.pair,
            int(d.to_complete),
        ),
    )


def update_damage(db: sqlite3.Connection, d: Damage) -> int:
    """Every editable column of ``d``; how many rows changed."""
    cur = db.execute(
        "UPDATE damages SET capture_id=?, part=?, type=?, severity=?, region=?, note=?, "
        "pair=?, to_complete=? WHERE id=?",
        (
            d.capture_id,
            d.part.value,
            d.type.value,
            int(d.severity),
            _region_json(d.region),
            d.note,
            d.pair,
            int(d.to_complete),
            d.id,
        ),
    )
    return cur.rowcount


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
    )


# -- salvage ------------------------------------------------------------------


def insert_row(db: sqlite3.Connection, table: str, row: dict[str, Any]) -> bool:
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
