"""The seller's signatures and remarks (table ``seller_statements``), and the PNG files.

Signature images are PNG files named by their SHA-256 under
``DATA_DIR/signatures/ab/<sha256>.png``, written whole before their row, as photos are
(on the local data folder, whatever the photo store: they are a few kB).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from inspector.atomic import write_atomic
from inspector.domain.signature import SellerRemark, SellerSignature
from inspector.storage.rows import iso
from inspector.storage.sql.tables import seller_statements as table

__all__ = [
    "insert_remark",
    "insert_signature",
    "png_path",
    "remarks",
    "signatures",
    "write_png",
]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
Query = Callable[[sa.Executable], list[RowMapping]]


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


def insert_signature(db: sa.Connection, s: SellerSignature) -> None:
    db.execute(
        table.insert().values(
            id=s.id,
            inspection_id=s.inspection_id,
            kind="signature",
            at=iso(s.signed_at),
            summary_sha256=s.summary_sha256,
            summary_text=s.summary_text,
            png_sha256=s.png_sha256,
            name=s.name,
            language=s.language,
            user_agent=s.user_agent,
            phone_time=iso(s.phone_time),
            strokes=json.dumps(s.strokes, separators=(",", ":")),
        )
    )


def insert_remark(db: sa.Connection, r: SellerRemark) -> None:
    db.execute(
        table.insert().values(
            id=r.id,
            inspection_id=r.inspection_id,
            kind="remark",
            at=iso(r.at),
            summary_sha256=r.summary_sha256,
            remark=r.text,
        )
    )


def _rows(query: Query, inspection_id: str, kind: str) -> list[RowMapping]:
    return query(
        sa.select(table)
        .where(table.c.inspection_id == inspection_id, table.c.kind == kind)
        .order_by(table.c.at, table.c.id)
    )


def _time(text: str | None) -> Any:
    return datetime.fromisoformat(text) if text else None


def signatures(query: Query, inspection_id: str) -> list[SellerSignature]:
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
        for r in _rows(query, inspection_id, "signature")
    ]


def remarks(query: Query, inspection_id: str) -> list[SellerRemark]:
    """The seller's remarks ("this is not right"), oldest first."""
    return [
        SellerRemark(
            inspection_id=r["inspection_id"],
            text=r["remark"],
            summary_sha256=r["summary_sha256"],
            at=_time(r["at"]),
            id=r["id"],
        )
        for r in _rows(query, inspection_id, "remark")
    ]
