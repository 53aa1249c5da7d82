"""What the OCR read in an inspection's photos (table ``photo_readings``), one row per photo.

``filled`` marks the reading that filled an empty mileage ("read from photo").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from inspector.domain.models import utcnow
from inspector.storage.rows import iso
from inspector.storage.sql.tables import photo_readings as table

__all__ = ["StoredReading", "insert_reading", "readings"]

Query = Callable[[sa.Executable], list[RowMapping]]


@dataclass(frozen=True)
class StoredReading:
    capture_id: str
    inspection_id: str
    kind: str
    text: str | None
    confidence: float
    plate_format: str | None = None
    filled: bool = False
    at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The bundle manifest's shape."""
        return {
            "capture_id": self.capture_id,
            "kind": self.kind,
            "text": self.text,
            "confidence": round(self.confidence, 3),
            "plate_format": self.plate_format,
            "filled_entry": self.filled,
        }


def insert_reading(db: sa.Connection, r: StoredReading) -> None:
    """Keep a reading; a new reading of the same photo replaces the old one."""
    db.execute(table.delete().where(table.c.capture_id == r.capture_id))
    db.execute(
        table.insert().values(
            capture_id=r.capture_id,
            inspection_id=r.inspection_id,
            kind=r.kind,
            text=r.text,
            confidence=r.confidence,
            plate_format=r.plate_format,
            filled=r.filled,
            at=iso(r.at or utcnow()),
        )
    )


def readings(query: Query, inspection_id: str) -> list[StoredReading]:
    """The inspection's readings, oldest first."""
    return [
        StoredReading(
            capture_id=r["capture_id"],
            inspection_id=r["inspection_id"],
            kind=r["kind"],
            text=r["text"],
            confidence=float(r["confidence"]),
            plate_format=r["plate_format"],
            filled=bool(r["filled"]),
            at=datetime.fromisoformat(r["at"]),
        )
        for r in query(
            sa.select(table)
            .where(table.c.inspection_id == inspection_id)
            .order_by(table.c.at, table.c.capture_id)
        )
    ]
