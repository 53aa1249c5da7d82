"""The seller's signatures and remarks: one small table of their own, and the PNG files.

The table is created on its own (``CREATE TABLE IF NOT EXISTS`` when the store opens
read-write), outside the numbered migrations of :mod:`.schema`, because those are
being moved to Alembic (issue 13): it becomes a revision when that lands. A database
opened read-only without it simply has no signatures. Signature images are PNG files
named by their SHA-256 under ``DATA_DIR/signatures/``, written whole before their row,
as photos are.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from inspector.atomic import write_atomic
from inspector.domain.signature import SellerRemark, SellerSignature
from inspector.storage.rows import iso

__all__ = [
    "TABLE_SQL",
    "ensure_table",
    "insert_remark",
    "insert_signature",
    "png_path",
    "remarks",
    "signatures",
    "write_png",
]

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS seller_statements (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('signature', 'remark')),
    at TEXT NOT NULL,
    summary_sha256 TEXT NOT NULL,
    summary_text TEXT NOT NULL DEFAULT '',
    png_sha256 TEXT,
    name TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    phone_time TEXT,
    strokes TEXT,
    remark TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS seller_statements_by_inspection
    ON seller_statements(inspection_id, at);
"""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def ensure_table(db: sqlite3.Connection) -> None:
    """Create the table if this database has none yet (idempotent, one transaction)."""
    if db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='seller_statements'"
    ).fetchone():
        return
    db.executescript(f"BEGIN IMMEDIATE;{TABLE_SQL}COMMIT;")


def png_path(data_dir: Path, sha256: str) -> Path:
    return Path(data_dir) / "signatures" / sha256[:2] / f"{sha256}.png"


def write_png(data_dir: Path, data: bytes) -> str:
    """Store a signature image by its SHA-256 (a reused file is checked); return the hash."""
    if not data.startswith(PNG_MAGIC):
        raise ValueError("a signature image must be a PNG")
    sha = hashlib.sha256(data).hexdigest()
    path = png_path(data_dir, sha)
    try:
        if hashlib.sha256(path.read_bytes()).hexdigest() == sha:
            return sha
    except OSError:
        pass
    write_atomic(path, data)
    return sha


def insert_signature(db: sqlite3.Connection, s: SellerSignature) -> None:
    db.execute(
        "INSERT INTO seller_statements (id, inspection_id, kind, at, summary_sha256, "
        "summary_text, png_sha256, name, language, user_agent, phone_time, strokes) "
        "VALUES (?, ?, 'signature', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            s.id,
            s.inspection_id,
            iso(s.signed_at),
            s.summary_sha256,
            s.summary_text,
            s.png_sha256,
            s.name,
            s.language,
            s.user_agent,
            iso(s.phone_time),
            json.dumps(s.strokes, separators=(",", ":")),
        ),
    )


def insert_remark(db: sqlite3.Connection, r: SellerRemark) -> None:
    db.execute(
        "INSERT INTO seller_statements (id, inspection_id, kind, at, summary_sha256, remark) "
        "VALUES (?, ?, 'remark', ?, ?, ?)",
        (r.id, r.inspection_id, iso(r.at), r.summary_sha256, r.text),
    )


def _rows(db_query: Any, inspection_id: str, kind: str) -> list[sqlite3.Row]:
    exists = db_query("SELECT 1 FROM sqlite_master WHERE type='table' AND name='seller_statements'")
    if not exists:  # a read-only store on a database no newer program has opened
        return []
    return list(
        db_query(
            "SELECT * FROM seller_statements WHERE inspection_id=? AND kind=? ORDER BY at",
            (inspection_id, kind),
        )
    )


def _time(text: str | None) -> Any:
    return datetime.fromisoformat(text) if text else None


def signatures(db_query: Any, inspection_id: str) -> list[SellerSignature]:
    """The inspection's signatures, oldest first."""
    return [
        SellerSignature(
            inspection_id=r["inspection_id"],
            summary_text=r["summary_text"],
            summary_sha256=r["summary_sha256"],
            png_sha256=r["png_sha256"],
            name=r["name"],
            language=r["language"],
            user_agent=r["user_agent"],
            phone_time=_time(r["phone_time"]),
            strokes=json.loads(r["strokes"] or "[]"),
            signed_at=_time(r["at"]),
            id=r["id"],
        )
        for r in _rows(db_query, inspection_id, "signature")
    ]


def remarks(db_query: Any, inspection_id: str) -> list[SellerRemark]:
    """The seller's remarks ("this is not right"), oldest first."""
    return [
        SellerRemark(
            inspection_id=r["inspection_id"],
            text=r["remark"],
            summary_sha256=r["summary_sha256"],
            at=_time(r["at"]),
            id=r["id"],
        )
        for r in _rows(db_query, inspection_id, "remark")
    ]
