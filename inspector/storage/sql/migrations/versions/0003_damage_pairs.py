"""A damage added live knows its photo pair, and whether it needs completing (``user_version`` 3).

Columns are added in place (``ALTER TABLE … ADD COLUMN``, with the check on the
column as SQLite allows), never by copying the table: the rows stay where they are.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.columns import NO, Flag
from inspector.storage.sql.legacy import set_schema_version

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column(
        "damages",
        sa.Column("pair", sa.Integer, sa.CheckConstraint("pair IS NULL OR pair >= 1")),
    )
    op.add_column("damages", sa.Column("to_complete", Flag, nullable=False, server_default=NO))
    op.create_index(
        "damages_by_pair",
        "damages",
        ["inspection_id", "pair"],
        unique=True,
        sqlite_where=sa.text("pair IS NOT NULL"),
        postgresql_where=sa.text("pair IS NOT NULL"),
    )
    set_schema_version(3)


def downgrade() -> None:
    op.drop_index("damages_by_pair", "damages")
    op.drop_column("damages", "to_complete")
    op.drop_column("damages", "pair")
    set_schema_version(2)
