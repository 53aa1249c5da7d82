"""The blur boxes of an inspection's photos and the record of the photos scanned
(tables ``blur_boxes`` and ``blur_scans``, revision 0006)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from inspector.domain.models import Region, utcnow
from inspector.domain.privacy import BlurBox
from inspector.storage.errors import DatabaseDamaged
from inspector.storage.rows import iso
from inspector.storage.sql.tables import blur_boxes as boxes_table
from inspector.storage.sql.tables import blur_scans as scans_table

__all__ = ["BlurScan", "blur_boxes", "blur_scans", "delete_box", "insert_box", "insert_scan"]

Query = Callable[[sa.Executable], list[RowMapping]]


@dataclass(frozen=True)
class BlurScan:
    """The detectors looked at one photo (whatever they found)."""

    capture_id: str
    inspection_id: str
    detector: str
    at: datetime


def _values(box: BlurBox) -> dict[str, object]:
    r = box.region
    return {
        "inspection_id": box.inspection_id,
        "capture_id": box.capture_id,
        "kind": box.kind,
        "origin": box.origin,
        "x": float(r.x),
        "y": float(r.y),
        "w": float(r.w),
        "h": float(r.h),
        "score": None if box.score is None else float(box.score),
        "created_at": iso(box.created_at),
    }


def insert_box(db: sa.Connection, box: BlurBox) -> None:
    db.execute(boxes_table.insert().values(id=box.id, **_values(box)))


def update_box(db: sa.Connection, box: BlurBox) -> bool:
    """Write a box's place and kind; False if there is no such box."""
    done = db.execute(boxes_table.update().where(boxes_table.c.id == box.id).values(**_values(box)))
    return done.rowcount > 0


def delete_box(db: sa.Connection, box_id: str) -> bool:
    done = db.execute(boxes_table.delete().where(boxes_table.c.id == box_id))
    return done.rowcount > 0


def insert_scan(db: sa.Connection, scan: BlurScan) -> None:
    db.execute(
        scans_table.insert().values(
            capture_id=scan.capture_id,
            inspection_id=scan.inspection_id,
            at=iso(scan.at),
            detector=scan.detector,
        )
    )


def scanned(db: sa.Connection, capture_id: str) -> bool:
    found = db.execute(
        sa.select(scans_table.c.capture_id).where(scans_table.c.capture_id == capture_id)
    )
    return found.first() is not None


def box_from_row(r: Mapping[Any, Any]) -> BlurBox:
    try:
        return BlurBox(
            id=r["id"],
            inspection_id=r["inspection_id"],
            capture_id=r["capture_id"],
            region=Region(float(r["x"]), float(r["y"]), float(r["w"]), float(r["h"])),
            kind=r["kind"],
            origin=r["origin"],
            score=None if r["score"] is None else float(r["score"]),
            created_at=datetime.fromisoformat(r["created_at"]),
        )
    except (ValueError, TypeError) as exc:
        raise DatabaseDamaged(f"blur box {r['id']!r} cannot be read: {exc}") from exc


def blur_boxes(query: Query, inspection_id: str) -> list[BlurBox]:
    """An inspection's boxes, oldest first."""
    return [
        box_from_row(r)
        for r in query(
            sa.select(boxes_table)
            .where(boxes_table.c.inspection_id == inspection_id)
            .order_by(boxes_table.c.created_at, boxes_table.c.id)
        )
    ]


def blur_scans(query: Query, inspection_id: str) -> list[BlurScan]:
    return [
        BlurScan(
            r["capture_id"], r["inspection_id"], r["detector"], datetime.fromisoformat(r["at"])
        )
        for r in query(
            sa.select(scans_table)
            .where(scans_table.c.inspection_id == inspection_id)
            .order_by(scans_table.c.at, scans_table.c.capture_id)
        )
    ]


def new_scan(capture_id: str, inspection_id: str, detector: str) -> BlurScan:
    return BlurScan(capture_id, inspection_id, detector, utcnow())


def insert_all(db: sa.Connection, boxes: Iterable[BlurBox], scans: Iterable[BlurScan]) -> None:
    for scan in scans:
        insert_scan(db, scan)
    for box in boxes:
        insert_box(db, box)
