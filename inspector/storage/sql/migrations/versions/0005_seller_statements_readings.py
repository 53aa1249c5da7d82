"""The seller's signatures and remarks, and the identity read from photos (``user_version`` 5).

Issue 16: ``seller_statements`` keeps each signature of the summary (the exact text, its
SHA-256, the drawing's SHA-256, times, device, name, strokes) and each remark;
``photo_readings`` what the OCR read in a VIN, odometer or plate photo.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.columns import NO, Flag
from inspector.storage.sql.legacy import set_schema_version

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "seller_statements",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "inspection_id",
            sa.Text,
            sa.ForeignKey("inspections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Text,
            sa.CheckConstraint("kind IN ('signature', 'remark')", name="seller_statement_kind"),
            nullable=False,
        ),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("summary_sha256", sa.Text, nullable=False),
        sa.Column("summary_text", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("png_sha256", sa.Text),
        sa.Column("name", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("language", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("user_agent", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("phone_time", sa.Text),
        sa.Column("strokes", sa.Text),
        sa.Column("remark", sa.Text, nullable=False, server_default=sa.text("''")),
    )
    op.create_index("seller_statements_by_inspection", "seller_statements", ["inspection_id", "at"])
    op.create_table(
        "photo_readings",
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
        sa.Column(
            "kind",
            sa.Text,
            sa.CheckConstraint("kind IN ('vin', 'odometer', 'plate')", name="photo_reading_kind"),
            nullable=False,
        ),
        sa.Column("text", sa.Text),
        sa.Column("confidence", sa.REAL, nullable=False),
        sa.Column("plate_format", sa.Text),
        sa.Column("filled", Flag, nullable=False, server_default=NO),
        sa.Column("at", sa.Text, nullable=False),
    )
    op.create_index("photo_readings_by_inspection", "photo_readings", ["inspection_id"])
    set_schema_version(5)


def downgrade() -> None:
    op.drop_index("photo_readings_by_inspection", table_name="photo_readings")
    op.drop_table("photo_readings")
    op.drop_index("seller_statements_by_inspection", table_name="seller_statements")
    op.drop_table("seller_statements")
    set_schema_version(4)
