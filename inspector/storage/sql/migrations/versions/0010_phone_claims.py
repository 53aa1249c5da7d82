"""Which device holds each live inspection, across server processes (``user_version`` 10).

Issue 14 (several ``inspector server`` processes on one database): ``phone_claims``
names, per live inspection, the device holding it (its cookie's SHA-256), the
process holding its call, and when that process last renewed it, so that a second
device is refused on every process, and an inspection left "live" by a process
that died is settled by another.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.legacy import set_schema_version

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "phone_claims",
        sa.Column(
            "inspection_id",
            sa.Text,
            sa.ForeignKey("inspections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("device", sa.Text, nullable=False),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("renewed_at", sa.Text, nullable=False),
    )
    set_schema_version(10)


def downgrade() -> None:
    op.drop_table("phone_claims")
    set_schema_version(9)
