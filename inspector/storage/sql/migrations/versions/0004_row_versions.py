"""A row version on inspections and damages, checked on every update (``user_version`` 4).

Several processes may share one database: an update names the version it read
(``UPDATE … WHERE id=? AND version=?``) and bumps it, so a change made elsewhere
meanwhile is never overwritten silently. Existing rows start at 1.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.legacy import set_schema_version

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    for table in ("inspections", "damages"):
        op.add_column(
            table,
            sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        )
    set_schema_version(4)


def downgrade() -> None:
    for table in ("damages", "inspections"):
        op.drop_column(table, "version")
    set_schema_version(3)
