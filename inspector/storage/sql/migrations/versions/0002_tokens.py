"""Invitation tokens for the phone link, only their hash kept (``user_version`` 2).

The last schema of round 1: a database at this revision is what round 1 left.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.columns import NO, Flag
from inspector.storage.sql.legacy import set_schema_version

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column(
            "inspection_id",
            sa.Text,
            sa.ForeignKey("inspections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Text, nullable=False),
        sa.Column("revoked", Flag, nullable=False, server_default=NO),
    )
    op.create_index("tokens_by_inspection", "tokens", ["inspection_id"])
    set_schema_version(2)


def downgrade() -> None:
    op.drop_table("tokens")
    set_schema_version(1)
