"""Bring a database to the newest schema with Alembic, adopting one an older program made.

An SQLite database made by the hand-written ``user_version`` migrations of earlier
versions has no Alembic version table: it is stamped with the revision matching its
``user_version`` (:data:`legacy.REVISIONS`), then upgraded, so a round-1 database
(schema 2) gains today's schema in place with every row kept. Stamp and upgrade run
in one transaction: an interrupted upgrade leaves the database as it was. A database holding tables
this program did not make, or written by a newer program, is refused with a
:class:`StoreError` worded for the user, as is a database that cannot be reached
or that refuses a statement.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from inspector.storage.errors import StoreError, storage_error
from inspector.storage.sql.legacy import REVISIONS, user_version

__all__ = ["MIGRATIONS_DIR", "alembic_config", "behind", "head", "revision_of", "upgrade"]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_LOCK = 0x1A5_0013
"""The PostgreSQL advisory lock key that serializes upgrades of one database."""


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration, built here: the user needs no alembic.ini."""
    config = Config()
    # Config values go through configparser: a "%" in the install path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this program knows."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def revision_of(connection: sa.Connection) -> str | None:
    """The revision the database is at (None: not under Alembic yet)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine, target: str = "head") -> str:
    """Migrate the database of ``engine`` to ``target``; the revision it ends at.

    Several processes may upgrade one database at once: on PostgreSQL they queue on
    an advisory lock, on SQLite on ``BEGIN IMMEDIATE``; the later ones find it done.
    """
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))
            config = alembic_config(connection)
            current = revision_of(connection)
            if current is None:
                _adopt(connection, config)
            elif not _known(config, current):
                raise _newer(f"revision {current}")
            try:
                command.upgrade(config, target)
            except CommandError as exc:
                raise StoreError(f"cannot migrate the database: {exc}") from exc
            ending = revision_of(connection)
    except sa.exc.DBAPIError as exc:
        # The kind of failure (damaged, busy, unreachable, refused…) is kept, and said.
        error = storage_error(exc)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        said = reason if type(error) is StoreError else str(error)
        raise type(error)(f"cannot migrate the database: {said}") from exc
    return ending or ""


def behind(connection: sa.Connection) -> bool:
    """Whether :func:`upgrade` would change this database (it is not at :func:`head`).

    A newer or foreign database is refused as :func:`upgrade` refuses it; a blank one
    is behind. Reads only.
    """
    current = revision_of(connection)
    if current is None:
        version = user_version(connection)
        if version > max(REVISIONS):
            raise _newer(f"schema {version}")
        if not version and _tables(connection):
            raise _foreign(_tables(connection))
        return True
    if not _known(alembic_config(connection), current):
        raise _newer(f"revision {current}")
    return current != head()


def _adopt(connection: sa.Connection, config: Config) -> None:
    """Stamp a database today's ``user_version`` migrations made, refuse a foreign one."""
    tables = _tables(connection)
    version = user_version(connection)
    if version > max(REVISIONS):
        raise _newer(f"schema {version}")
    if version:
        command.stamp(config, REVISIONS[version])
    elif tables:
        raise _foreign(tables)


def _tables(connection: sa.Connection) -> set[str]:
    # An empty version table is a database downgraded to nothing: Alembic's own.
    return set(sa.inspect(connection).get_table_names()) - {"alembic_version"}


def _foreign(tables: set[str]) -> StoreError:
    return StoreError(
        "the database holds tables this program did not make "
        f"({', '.join(sorted(tables))}); use an empty database"
    )


def _known(config: Config, revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(config).get_revision(revision) is not None
    except CommandError:
        return False


def _newer(what: str) -> StoreError:
    return StoreError(
        f"the database was written by a newer version ({what}, this program knows "
        f"{head()}); please upgrade"
    )
