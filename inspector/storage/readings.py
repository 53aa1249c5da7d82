"""What the OCR read in an inspection's photos: one row per photo read, in its own table.

Like :mod:`.signatures`, created on its own (``CREATE TABLE IF NOT EXISTS``) outside the
numbered migrations while those move to Alembic (issue 13). ``filled`` marks the reading
that filled an empty mileage ("read from photo").
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inspector.domain.models import utcnow
from inspector.storage.rows import iso

__all__ = ["TABLE_SQL", "StoredReading", "ensure_table", "insert_reading", "readings"]

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS photo_readings (
    capture_id TEXT PRIMARY KEY REFERENCES captures(id) ON DELETE CASCADE,
    inspection_id TEXT NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('vin', 'odometer', 'plate')),
    text TEXT,
    confidence REAL NOT NULL,
    plate_format TEXT,
    filled INTEGER NOT NULL DEFAULT 0,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS photo_readings_by_inspection ON photo_readings(inspection_id);
"""


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


def ensure_table(db: sqlite3.Connection) -> None:
    if db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='photo_readings'"
    ).fetchone():
        return
    db.executescript(f"BEGIN IMMEDIATE;{TABLE_SQL}COMMIT;")


def insert_reading(db: sqlite3.Connection, r: StoredReading) -> None:
    db.execute(
        "INSERT OR REPLACE INTO photo_readings (capture_id, inspection_id, kind, text, "
        "confidence, plate_format, filled, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            r.capture_id,
            r.inspection_id,
            r.kind,
            r.text,
            r.confidence,
            r.plate_format,
            int(r.filled),
            iso(r.at or utcnow()),
        ),
    )


def readings(db_query: Any, inspection_id: str) -> list[StoredReading]:
    """The inspection's readings, oldest first (none on a database without the table)."""
    if not db_query("SELECT 1 FROM sqlite_master WHERE type='table' AND name='photo_readings'"):
        return []
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
        for r in db_query(
            "SELECT * FROM photo_readings WHERE inspection_id=? ORDER BY at", (inspection_id,)
        )
    ]
