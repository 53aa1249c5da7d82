"""The first schema: inspections, captures and damages (``user_version`` 1).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.columns import ByteSize, Flag
from inspector.storage.sql.legacy import set_schema_version

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("operator", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("inspector", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("checklist", sa.Text, nullable=False),
        sa.Column("vehicle", sa.Text, nullable=False),
        sa.Column("seller", sa.Text, nullable=False),
        sa.Column("notes", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("grade", sa.Integer),
    )
    op.create_table(
        "captures",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column(
            "inspection_id",
            sa.Text,
            sa.ForeignKey("inspections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("shot_id", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("mime", sa.Text, nullable=False),
        sa.Column("size", ByteSize, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("captured_at", sa.Text, nullable=False),
        sa.Column("phone_time", sa.Text),
        sa.Column("quality", sa.Text, nullable=False),
        sa.Column("accepted", Flag),
        sa.Column("retake_of", sa.Text),
    )
    op.create_index("captures_by_inspection", "captures", ["inspection_id", "seq"])
    op.create_index("captures_by_sha", "captures", ["sha256"])
    op.create_table(
        "damages",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "inspection_id",
            sa.Text,
            sa.ForeignKey("inspections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("capture_id", sa.Text, sa.ForeignKey("captures.id", ondelete="SET NULL")),
        sa.Column("part", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column(
            "severity", sa.Integer, sa.CheckConstraint("severity BETWEEN 1 AND 3"), nullable=False
        ),
        sa.Column("region", sa.Text),
        sa.Column("note", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_index("damages_by_inspection", "damages", ["inspection_id"])
    set_schema_version(1)


def downgrade() -> None:
    op.drop_table("damages")
    op.drop_table("captures")
    op.drop_table("inspections")
    set_schema_version(0)
