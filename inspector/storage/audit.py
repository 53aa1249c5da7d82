"""The audit log on the records' database (table ``audit_log``, revision 0009).

Reached as ``Store.audit``. Entries are numbered by the database in the order they
are written; an inspection's history is read in that order. Nothing here updates or
deletes an entry: deleting an inspection keeps its history (and adds the deletion).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from inspector.domain.audit import AuditEntry, check_detail
from inspector.storage.accounts import stamp
from inspector.storage.database import Database
from inspector.storage.sql.tables import audit_log

__all__ = ["AuditRecords", "insert"]


def _entry(r: RowMapping) -> AuditEntry:
    try:
        detail = json.loads(r["detail"] or "{}")
    except ValueError:
        detail = {"unreadable": r["detail"][:200]}
    return AuditEntry(
        id=int(r["id"]),
        at=datetime.fromisoformat(r["at"]),
        actor=r["actor"],
        action=r["action"],
        inspection_id=r["inspection_id"],
        detail=detail if isinstance(detail, dict) else {"value": detail},
        request_id=r["request_id"],
    )


def _values(entry: AuditEntry) -> dict[str, object]:
    return {
        "at": stamp(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "inspection_id": entry.inspection_id,
        "detail": check_detail(entry.detail),
        "request_id": entry.request_id,
    }


def insert(db: sa.Connection, entries: Iterable[AuditEntry]) -> int:
    """Append entries inside the caller's transaction (numbered by the database)."""
    values = [_values(e) for e in entries]
    if values:
        db.execute(audit_log.insert(), values)
    return len(values)


class AuditRecords:
    """The audit log of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, entries: Iterable[AuditEntry]) -> int:
        """Append entries (their ``id`` is ignored: the database numbers them); how many."""
        found = list(entries)
        if not found:
            return 0
        with self._db.transaction() as c:
            return insert(c, found)

    def history(self, inspection_id: str) -> list[AuditEntry]:
        """What was done to one inspection, oldest first."""
        found = self._db.query(
            sa.select(audit_log)
            .where(audit_log.c.inspection_id == inspection_id)
            .order_by(audit_log.c.id)
        )
        return [_entry(r) for r in found]

    def recent(self, limit: int = 100) -> list[AuditEntry]:
        """The newest entries, whatever their inspection (newest first)."""
        found = self._db.query(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
        return [_entry(r) for r in found]
