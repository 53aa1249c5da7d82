"""The blur boxes of the listing's photos, and which photos were scanned (``user_version`` 6).

Issue 17: ``blur_boxes`` keeps each rectangle of a photo to blur when it is published
(plate, face, other; proposed by the detectors or drawn by the inspector); the photo
itself never changes. ``blur_scans`` says which photos the detectors have looked at,
so boxes the inspector removed are not proposed again.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.legacy import set_schema_version

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "blur_boxes",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "inspection_id",
            sa.Text,
            sa.ForeignKey("inspections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "capture_id",
            sa.Text,
            sa.ForeignKey("captures.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Text,
            sa.CheckConstraint("kind IN ('plate', 'face', 'other')", name="blur_box_kind"),
            nullable=False,
        ),
        sa.Column(
            "origin",
            sa.Text,
            sa.CheckConstraint("origin IN ('detected', 'inspector')", name="blur_box_origin"),
            nullable=False,
        ),
        sa.Column("x", sa.REAL, nullable=False),
        sa.Column("y", sa.REAL, nullable=False),
        sa.Column("w", sa.REAL, nullable=False),
        sa.Column("h", sa.REAL, nullable=False),
        sa.Column("score", sa.REAL),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_index("blur_boxes_by_inspection", "blur_boxes", ["inspection_id", "capture_id"])
    op.create_table(
        "blur_scans",
        sa.Column(
            "capture_id",
            sa.Text,
            sa.ForeignKey("captures.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "inspection_id",
            sa.Text,
            sa.ForeignKey("inspections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("detector", sa.Text, nullable=False),
    )
    op.create_index("blur_scans_by_inspection", "blur_scans", ["inspection_id"])
    set_schema_version(6)


def downgrade() -> None:
    op.drop_index("blur_scans_by_inspection", table_name="blur_scans")
    op.drop_table("blur_scans")
    op.drop_index("blur_boxes_by_inspection", table_name="blur_boxes")
    op.drop_table("blur_boxes")
    set_schema_version(5)
