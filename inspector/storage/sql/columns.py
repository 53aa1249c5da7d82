"""Column types shared by the metadata and the migrations, portable to PostgreSQL.

Where SQLite has no better type the column keeps what today's SQLite schema
declares, and PostgreSQL gets the type it has for it.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["NO", "ByteSize", "Flag", "RowId"]

Flag = sa.Boolean(create_constraint=False).with_variant(sa.Integer(), "sqlite")
"""A yes/no column: ``BOOLEAN`` on PostgreSQL, ``INTEGER`` 0/1 on SQLite (as today)."""

ByteSize = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""A size in bytes: 64-bit on both (SQLite's ``INTEGER`` is 64-bit already)."""

NO = sa.false()
"""The server default of a flag: ``false`` on PostgreSQL, ``0`` on SQLite."""

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""A numbered row's key: ``BIGSERIAL`` on PostgreSQL; SQLite's ``INTEGER PRIMARY KEY``
(its rowid, 64-bit) there."""
