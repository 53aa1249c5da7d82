"""Each join link remembers how its call runs (``user_version`` 11).

Issue 14 (operator-guided calls relayed to the operator's console): a team server
runs a self-inspection's call itself (the autopilot) but only relays the signaling
of an operator-guided one to the operator's console. ``tokens.mode`` is "self" or
"operator". Links issued before this revision get "self": what every server did
with them until now (it ran the call itself).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.legacy import set_schema_version

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column(
        "tokens", sa.Column("mode", sa.Text, nullable=False, server_default=sa.text("'self'"))
    )
    set_schema_version(11)


def downgrade() -> None:
    op.drop_column("tokens", "mode")
    set_schema_version(10)
