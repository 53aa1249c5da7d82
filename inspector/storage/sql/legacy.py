"""The bridge to the hand-written ``user_version`` migrations of earlier versions.

Before Alembic, the store numbered its SQLite schema in ``PRAGMA user_version``
(migrations 1-3, written by hand). Revisions 0001-0003 are those migrations, one for
one, so a database at ``user_version`` *n* is at revision :data:`REVISIONS`\\[*n*\\]
and is adopted by stamping it so. Every revision, later ones included, also sets
``user_version`` on SQLite: a program that only knows the hand-written migrations
refuses a database migrated past them ("written by a newer version") instead of
writing to a schema it does not know.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["REVISIONS", "set_schema_version", "user_version"]

REVISIONS: dict[int, str] = {1: "0001", 2: "0002", 3: "0003"}
"""The Alembic revision an SQLite database the hand-written migrations made at
``user_version`` *n* is at."""


def user_version(connection: sa.Connection) -> int:
    """SQLite's ``PRAGMA user_version`` (0 on other databases: they never had one)."""
    if connection.dialect.name != "sqlite":
        return 0
    return int(connection.exec_driver_sql("PRAGMA user_version").scalar_one())


def set_schema_version(number: int) -> None:
    """Inside a revision: record ``number`` in SQLite's ``user_version`` (a no-op elsewhere)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA user_version = {int(number)}")
