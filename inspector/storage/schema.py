"""The database schema: numbered migrations recorded in ``PRAGMA user_version``.

A migration is appended, never edited: a database at version *n* runs the
scripts after *n*, each in one transaction, so an interrupted upgrade leaves
the previous version intact. A database written by a newer program is refused.
"""

from __future__ import annotations

import sqlite3

from inspector.storage.errors import StoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "database_is_blank", "migrate", "newer_schema"]

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


def database_is_blank(db: sqlite3.Connection) -> bool:
    """A database with no schema at all: just created, or truncated to nothing."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    return bool(version == 0 and not db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall())


def newer_schema(version: int) -> StoreError:
    """Refusal to touch a database a newer program wrote."""
    return StoreError(
        f"the database was written by a newer version (schema {version}, "
        f"this program knows {SCHEMA_VERSION}); please upgrade"
    )


def migrate(db: sqlite3.Connection) -> None:
    """Bring ``db`` to :data:`SCHEMA_VERSION`, one whole migration at a time."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise newer_schema(version)
    for number in range(version, SCHEMA_VERSION):
        # One script, one transaction: a migration applies whole or not at all.
        script = f"BEGIN IMMEDIATE;{MIGRATIONS[number]}PRAGMA user_version={number + 1};COMMIT;"
        try:
            db.executescript(script)
        except sqlite3.Error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
