"""Accounts, their sessions, failed logins, and the audit log (``user_version`` 9).

Issue 14 (the team server): ``users`` (a unique name, a role, the argon2 hash of the
password, disabled or not, a row version), ``user_sessions`` (only the SHA-256 of a
session's token, with its user, times and client address), ``login_failures`` (each
failed login by account name and address, so that several server processes share
the limits), and ``audit_log`` (who did what to which inspection, and when; no
foreign key: the record of a deletion outlives the inspection).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.columns import NO, Flag, RowId
from inspector.storage.sql.legacy import set_schema_version

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column(
            "role",
            sa.Text,
            sa.CheckConstraint("role IN ('operator', 'inspector', 'admin')", name="user_role"),
            nullable=False,
        ),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("disabled", Flag, nullable=False, server_default=NO),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("changed_at", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
    )
    op.create_index("users_by_name", "users", ["name"], unique=True)
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column(
            "user_id",
            sa.Text,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Text, nullable=False),
        sa.Column("last_seen_at", sa.Text, nullable=False),
        sa.Column("client_address", sa.Text, nullable=False, server_default=sa.text("''")),
    )
    op.create_index("user_sessions_by_user", "user_sessions", ["user_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
    )
    op.create_index("login_failures_by_account", "login_failures", ["account", "at"])
    op.create_index("login_failures_by_address", "login_failures", ["address", "at"])
    op.create_table(
        "audit_log",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("inspection_id", sa.Text),
        sa.Column("detail", sa.Text, nullable=False, server_default=sa.text("'{}'")),
        sa.Column("request_id", sa.Text, nullable=False, server_default=sa.text("''")),
    )
    op.create_index("audit_log_by_inspection", "audit_log", ["inspection_id", "id"])
    set_schema_version(9)


def downgrade() -> None:
    op.drop_index("audit_log_by_inspection", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("login_failures_by_address", table_name="login_failures")
    op.drop_index("login_failures_by_account", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index("user_sessions_by_user", table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_index("users_by_name", table_name="users")
    op.drop_table("users")
    set_schema_version(8)
