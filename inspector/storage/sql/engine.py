"""An SQLAlchemy engine for a database URL, set up as the store sets up SQLite.

SQLite gets what ``storage.database`` gives its own connection: foreign keys on,
``synchronous=FULL``, a busy timeout, and real transactions (``BEGIN IMMEDIATE``
sent by us, so DDL runs inside them too and a migration applies whole or not at
all). ``postgresql://`` URLs use the psycopg 3 driver.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from inspector.storage.database import BUSY_TIMEOUT_SECONDS

__all__ = ["database_url", "make_engine"]


def database_url(url: str | URL) -> URL:
    """``url`` with its driver spelled out: ``postgresql://`` means psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///…`` or ``postgresql://…``)."""
    parsed = database_url(url)
    engine = sa.create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # No implicit transactions from the driver: _sqlite_begin opens every one.
    dbapi_connection.isolation_level = None
    for pragma in (
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=FULL",
        f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}",
    ):
        dbapi_connection.execute(pragma)


def _sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
