"""The bridge to today's ``user_version`` migrations while both code paths exist.

Revisions 0001-0003 are the hand-written migrations 1-3 of ``storage.schema``, one
for one, so an SQLite database at ``PRAGMA user_version`` *n* is at revision
:data:`REVISIONS`\\[*n*\\]. Every revision also sets ``user_version`` on SQLite: a
database Alembic migrated still opens with today's ``Store``, and a program that
only knows the hand-written migrations refuses a database migrated past them.
"""

from __future__ import annotations

from alembic import op

__all__ = ["REVISIONS", "set_schema_version"]

REVISIONS: dict[int, str] = {1: "0001", 2: "0002", 3: "0003"}
"""The Alembic revision an SQLite database at ``user_version`` *n* is at."""


def set_schema_version(number: int) -> None:
    """Inside a revision: record ``number`` in SQLite's ``user_version`` (a no-op elsewhere)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA user_version = {int(number)}")
