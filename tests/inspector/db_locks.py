"""Another connection holding the lock a store's writers need, on either backend.

SQLite: ``BEGIN EXCLUSIVE`` on the file. PostgreSQL: ``LOCK TABLE … IN EXCLUSIVE MODE``
on the store's tables, which stops every write and lets reads go on, as SQLite's lock
does in WAL mode (a backup, an admin script, a long migration).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from inspector.storage.database import DB_NAME
from inspector.storage.sql import make_engine

__all__ = ["LOCK_TABLES", "write_lock_held"]

LOCK_TABLES = "LOCK TABLE inspections, captures, damages, tokens IN EXCLUSIVE MODE"


@contextlib.contextmanager
def write_lock_held(data_dir: Path, database_url: str | None) -> Iterator[None]:
    """Hold the write lock of the store on ``database_url`` (None: ``data_dir``'s SQLite)."""
    if database_url is None:
        other = sqlite3.connect(data_dir / DB_NAME, isolation_level=None, timeout=0)
        try:
            other.execute("BEGIN EXCLUSIVE")
            yield
            other.execute("COMMIT")
        finally:
            other.close()
        return
    engine = make_engine(database_url, poolclass=sa.NullPool)
    try:
        with engine.begin() as c:
            c.exec_driver_sql(LOCK_TABLES)
            yield
    finally:
        engine.dispose()
