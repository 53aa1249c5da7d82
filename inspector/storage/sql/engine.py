"""An SQLAlchemy engine for a database URL, set up as the store needs it.

SQLite: foreign keys on, ``synchronous=FULL``, a busy timeout, and real
transactions sent by us (the driver's own are off): ``BEGIN IMMEDIATE`` by
default, so a write takes the lock before reading what it changes and DDL runs
inside the transaction (a migration applies whole or not at all); a connection
with the execution option ``sqlite_begin="DEFERRED"`` reads without taking the
write lock. ``postgresql://`` URLs use the psycopg 3 driver, with a connect
timeout so an unreachable server is an error, not a hang.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "CONNECT_TIMEOUT_SECONDS",
    "POSTGRES_TCP_OPTIONS",
    "database_url",
    "make_engine",
    "shown_url",
]

#: How long a call waits for another connection's write lock before "database is busy".
BUSY_TIMEOUT_SECONDS = 5.0
#: How long connecting to a database server may take before it counts as unreachable.
CONNECT_TIMEOUT_SECONDS = 10
#: libpq's TCP settings for a database server that vanishes without closing (a host down, a
#: NAT or firewall forgetting the connection): an idle connection probed after 30 s and
#: found dead a minute after its last answer, a request left unacknowledged failing after
#: a minute, instead of a thread waiting for the kernel's retransmissions (15 min) or,
#: idle, for ever. The user timeout also bounds the probes (Linux), so it is the keepalives'
#: whole window: 30 + 3 x 10 s.
POSTGRES_TCP_OPTIONS: dict[str, int] = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,  # milliseconds
}


def database_url(url: str | URL) -> URL:
    """``url`` with its driver spelled out: ``postgresql://`` means psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def shown_url(url: str | URL) -> str:
    """The URL as messages show it: as a user writes it (no driver name, no
    %-escapes), the password hidden."""
    parsed = make_url(url)
    parsed = parsed.set(drivername=parsed.get_backend_name())
    return unquote(parsed.render_as_string(hide_password=True))


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///…`` or ``postgresql://…``)."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "postgresql":
        connect_args = options["connect_args"] = dict(options.get("connect_args", {}))
        given = {**POSTGRES_TCP_OPTIONS, "connect_timeout": CONNECT_TIMEOUT_SECONDS}
        for name, value in given.items():
            if name not in parsed.query:  # the URL's own libpq options win
                connect_args.setdefault(name, value)
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
    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    if mode not in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE"):
        raise ValueError(f"not an SQLite transaction mode: {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")
