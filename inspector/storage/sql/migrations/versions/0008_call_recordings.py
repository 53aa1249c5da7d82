"""The seller's consent to record the call, and the recordings (``user_version`` 8).

Issue 17: ``call_recordings`` keeps each answer of the seller to "may this call be
recorded?" (yes or no, when), and for a yes the recording made: the video's and its
timeline's SHA-256 (files under ``DATA_DIR/recordings/``), size, duration, start and
end; ``deleted_at`` once the retention period removed the files (the consent stays).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.columns import ByteSize, Flag
from inspector.storage.sql.legacy import set_schema_version

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "call_recordings",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "inspection_id",
            sa.Text,
            sa.ForeignKey("inspections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("consent", Flag, nullable=False),
        sa.Column("consent_at", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text),
        sa.Column("timeline_sha256", sa.Text),
        sa.Column("mime", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("size", ByteSize, nullable=False, server_default=sa.text("0")),
        sa.Column("duration", sa.REAL, nullable=False, server_default=sa.text("0")),
        sa.Column("started_at", sa.Text),
        sa.Column("ended_at", sa.Text),
        sa.Column("deleted_at", sa.Text),
    )
    op.create_index("call_recordings_by_inspection", "call_recordings", ["inspection_id"])
    set_schema_version(8)


def downgrade() -> None:
    op.drop_index("call_recordings_by_inspection", table_name="call_recordings")
    op.drop_table("call_recordings")
    set_schema_version(7)
