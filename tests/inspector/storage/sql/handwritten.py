"""The hand-written ``user_version`` migrations the store ran before Alembic, frozen.

Copied as they were (``inspector/storage/schema.py`` until revision 0004 replaced
them), so the tests can make a database exactly as an earlier version of the program
did, at any of its schema versions, and check that Alembic adopts and upgrades it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

MIGRATIONS: tuple[str, ...] = (
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
SCHEMA_VERSION = len(MIGRATIONS)


def handwritten_database(path: Path, version: int = SCHEMA_VERSION) -> Path:
    """A database made by the hand-written migrations up to ``version``, as the old store
    made it (each migration in one transaction, then ``user_version``)."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for number in range(version):
            db.executescript(
                f"BEGIN IMMEDIATE;{MIGRATIONS[number]}PRAGMA user_version={number + 1};COMMIT;"
            )
    finally:
        db.close()
    return path
