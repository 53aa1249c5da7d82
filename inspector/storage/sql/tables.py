"""The records' schema as SQLAlchemy Core metadata, one for SQLite and PostgreSQL.

It is what the Alembic revisions make (the newest, :func:`revisions.head`), checked
by a test against a migrated database on both backends; up to revision 0003 it was
the schema the hand-written ``user_version`` migrations of earlier versions made.
Inspections and damages carry a row ``version``, bumped by every update that
checks it. What the rows module stores is kept as it is on both backends: times
are ISO 8601 text with their UTC offset, nested values are JSON text
(``json.dumps``), ids are text. Only two things differ by dialect, each where
SQLite has no better type: flags are ``BOOLEAN`` on PostgreSQL (``INTEGER`` 0/1
on SQLite), and a photo's byte size is ``BIGINT`` on PostgreSQL (SQLite's
``INTEGER`` is 64-bit already).
"""

from __future__ import annotations

import sqlalchemy as sa

from inspector.storage.sql.columns import NO, ByteSize, Flag, RowId

__all__ = [
    "TABLES",
    "audit_log",
    "blur_boxes",
    "blur_scans",
    "call_recordings",
    "captures",
    "damages",
    "inspections",
    "login_failures",
    "metadata",
    "phone_claims",
    "photo_readings",
    "seller_statements",
    "tokens",
    "user_sessions",
    "users",
]

metadata = sa.MetaData()

Text = sa.Text
Integer = sa.Integer


def _inspection_fk() -> sa.ForeignKey:
    return sa.ForeignKey("inspections.id", ondelete="CASCADE")


inspections = sa.Table(
    "inspections",
    metadata,
    sa.Column("id", Text, primary_key=True),
    sa.Column("created_at", Text, nullable=False),
    sa.Column("updated_at", Text, nullable=False),
    sa.Column("status", Text, nullable=False),
    sa.Column("operator", Text, nullable=False, server_default=sa.text("''")),
    sa.Column("inspector", Text, nullable=False, server_default=sa.text("''")),
    sa.Column("checklist", Text, nullable=False),
    sa.Column("vehicle", Text, nullable=False),  # JSON
    sa.Column("seller", Text, nullable=False),  # JSON
    sa.Column("notes", Text, nullable=False, server_default=sa.text("''")),
    sa.Column("grade", Integer),
    sa.Column("version", Integer, nullable=False, server_default=sa.text("1")),
    # JSON {"captures": n, "taken": [...], "unusable": [...]}: what listings need of the
    # captures, kept by every write to them; NULL: not known (read the captures).
    sa.Column("shots", Text),
)

captures = sa.Table(
    "captures",
    metadata,
    sa.Column("id", Text, primary_key=True),
    sa.Column("seq", Integer, nullable=False),
    sa.Column("inspection_id", Text, _inspection_fk(), nullable=False),
    sa.Column("shot_id", Text, nullable=False),
    sa.Column("sha256", Text, nullable=False),
    sa.Column("mime", Text, nullable=False),
    sa.Column("size", ByteSize, nullable=False),
    sa.Column("width", Integer, nullable=False),
    sa.Column("height", Integer, nullable=False),
    sa.Column("source", Text, nullable=False),
    sa.Column("captured_at", Text, nullable=False),
    sa.Column("phone_time", Text),
    sa.Column("quality", Text, nullable=False),  # JSON
    sa.Column("accepted", Flag),  # NULL: not decided yet
    sa.Column("retake_of", Text),
    sa.Index("captures_by_inspection", "inspection_id", "seq"),
    sa.Index("captures_by_sha", "sha256"),
)

damages = sa.Table(
    "damages",
    metadata,
    sa.Column("id", Text, primary_key=True),
    sa.Column("inspection_id", Text, _inspection_fk(), nullable=False),
    sa.Column("capture_id", Text, sa.ForeignKey("captures.id", ondelete="SET NULL"), nullable=True),
    sa.Column("part", Text, nullable=False),
    sa.Column("type", Text, nullable=False),
    sa.Column("severity", Integer, sa.CheckConstraint("severity BETWEEN 1 AND 3"), nullable=False),
    sa.Column("region", Text),  # JSON [x, y, w, h]
    sa.Column("note", Text, nullable=False, server_default=sa.text("''")),
    sa.Column("created_at", Text, nullable=False),
    sa.Column("pair", Integer, sa.CheckConstraint("pair IS NULL OR pair >= 1")),
    sa.Column("to_complete", Flag, nullable=False, server_default=NO),
    sa.Column("version", Integer, nullable=False, server_default=sa.text("1")),
    sa.Index("damages_by_inspection", "inspection_id"),
    sa.Index(
        "damages_by_pair",
        "inspection_id",
        "pair",
        unique=True,
        sqlite_where=sa.text("pair IS NOT NULL"),
        postgresql_where=sa.text("pair IS NOT NULL"),
    ),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("token_hash", Text, primary_key=True),  # SHA-256 of the link's token
    sa.Column("inspection_id", Text, _inspection_fk(), nullable=False),
    sa.Column("created_at", Text, nullable=False),
    sa.Column("expires_at", Text, nullable=False),
    sa.Column("revoked", Flag, nullable=False, server_default=NO),
    # How the call runs: "self" (the server's autopilot) or "operator" (the server relays
    # the signaling to the operator's console). Links older than 0011 are "self".
    sa.Column("mode", Text, nullable=False, server_default=sa.text("'self'")),
    sa.Index("tokens_by_inspection", "inspection_id"),
)

# The seller's signatures and remarks on the summary (issue 16): kind "signature"
# (the exact text signed, its SHA-256, the PNG's SHA-256, times, device, name, strokes
# as JSON) or "remark" (the seller's words).
seller_statements = sa.Table(
    "seller_statements",
    metadata,
    sa.Column("id", Text, primary_key=True),
    sa.Column("inspection_id", Text, _inspection_fk(), nullable=False),
    sa.Column(
        "kind",
        Text,
        sa.CheckConstraint("kind IN ('signature', 'remark')", name="seller_statement_kind"),
        nullable=False,
    ),
    sa.Column("at", Text, nullable=False),
    sa.Column("summary_sha256", Text, nullable=False),
    sa.Column("summary_text", Text, nullable=False, server_default=sa.text("''")),
    sa.Column("png_sha256", Text),
    sa.Column("name", Text, nullable=False, server_default=sa.text("''")),
    sa.Column("language", Text, nullable=False, server_default=sa.text("''")),
    sa.Column("user_agent", Text, nullable=False, server_default=sa.text("''")),
    sa.Column("phone_time", Text),
    sa.Column("strokes", Text),  # JSON [[[x, y, t], ...], ...]
    sa.Column("remark", Text, nullable=False, server_default=sa.text("''")),
    sa.Index("seller_statements_by_inspection", "inspection_id", "at"),
)

# What the OCR read in a VIN, odometer or plate photo (issue 16); ``filled``: the
# reading filled an empty mileage ("read from photo").
photo_readings = sa.Table(
    "photo_readings",
    metadata,
    sa.Column(
        "capture_id", Text, sa.ForeignKey("captures.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("inspection_id", Text, _inspection_fk(), nullable=False),
    sa.Column(
        "kind",
        Text,
        sa.CheckConstraint("kind IN ('vin', 'odometer', 'plate')", name="photo_reading_kind"),
        nullable=False,
    ),
    sa.Column("text", Text),
    sa.Column("confidence", sa.REAL, nullable=False),  # REAL on both backends
    sa.Column("plate_format", Text),
    sa.Column("filled", Flag, nullable=False, server_default=NO),
    sa.Column("at", Text, nullable=False),
    sa.Index("photo_readings_by_inspection", "inspection_id"),
)

# The seller's answers to "may this call be recorded?" and the recordings made (issue 17):
# video and timeline by SHA-256 under DATA_DIR/recordings/; ``deleted_at`` once the
# retention period removed the files (the consent stays on record).
call_recordings = sa.Table(
    "call_recordings",
    metadata,
    sa.Column("id", Text, primary_key=True),
    sa.Column("inspection_id", Text, _inspection_fk(), nullable=False),
    sa.Column("consent", Flag, nullable=False),
    sa.Column("consent_at", Text, nullable=False),
    sa.Column("sha256", Text),
    sa.Column("timeline_sha256", Text),
    sa.Column("mime", Text, nullable=False, server_default=sa.text("''")),
    sa.Column("size", ByteSize, nullable=False, server_default=sa.text("0")),
    sa.Column("duration", sa.REAL, nullable=False, server_default=sa.text("0")),
    sa.Column("started_at", Text),
    sa.Column("ended_at", Text),
    sa.Column("deleted_at", Text),
    sa.Index("call_recordings_by_inspection", "inspection_id"),
)


def _capture_fk() -> sa.ForeignKey:
    return sa.ForeignKey("captures.id", ondelete="CASCADE")


# A rectangle of a photo to blur when it is published (issue 17), in 0-1 coordinates of
# the photo as displayed; ``origin``: proposed by the detectors or drawn by the inspector.
blur_boxes = sa.Table(
    "blur_boxes",
    metadata,
    sa.Column("id", Text, primary_key=True),
    sa.Column("inspection_id", Text, _inspection_fk(), nullable=False),
    sa.Column("capture_id", Text, _capture_fk(), nullable=False),
    sa.Column(
        "kind",
        Text,
        sa.CheckConstraint("kind IN ('plate', 'face', 'other')", name="blur_box_kind"),
        nullable=False,
    ),
    sa.Column(
        "origin",
        Text,
        sa.CheckConstraint("origin IN ('detected', 'inspector')", name="blur_box_origin"),
        nullable=False,
    ),
    sa.Column("x", sa.REAL, nullable=False),
    sa.Column("y", sa.REAL, nullable=False),
    sa.Column("w", sa.REAL, nullable=False),
    sa.Column("h", sa.REAL, nullable=False),
    sa.Column("score", sa.REAL),
    sa.Column("created_at", Text, nullable=False),
    sa.Index("blur_boxes_by_inspection", "inspection_id", "capture_id"),
)

# The photos the detectors looked at (whatever they found), so that boxes the inspector
# removed are not proposed again; ``detector`` names the detector and its settings.
blur_scans = sa.Table(
    "blur_scans",
    metadata,
    sa.Column("capture_id", Text, _capture_fk(), primary_key=True),
    sa.Column("inspection_id", Text, _inspection_fk(), nullable=False),
    sa.Column("at", Text, nullable=False),
    sa.Column("detector", Text, nullable=False),
    sa.Index("blur_scans_by_inspection", "inspection_id"),
)

# The team server's accounts (issue 14, revision 0009): a unique lower-case name, a
# role, the argon2 hash of the password (never the password), a row version.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Text, primary_key=True),
    sa.Column("name", Text, nullable=False),
    sa.Column(
        "role",
        Text,
        sa.CheckConstraint("role IN ('operator', 'inspector', 'admin')", name="user_role"),
        nullable=False,
    ),
    sa.Column("password_hash", Text, nullable=False),
    sa.Column("disabled", Flag, nullable=False, server_default=NO),
    sa.Column("created_at", Text, nullable=False),
    sa.Column("changed_at", Text, nullable=False),
    sa.Column("version", Integer, nullable=False, server_default=sa.text("1")),
    sa.Index("users_by_name", "name", unique=True),
)

# A logged-in session: only the SHA-256 of its token is kept.
user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("token_hash", Text, primary_key=True),
    sa.Column("user_id", Text, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", Text, nullable=False),
    sa.Column("expires_at", Text, nullable=False),
    sa.Column("last_seen_at", Text, nullable=False),
    sa.Column("client_address", Text, nullable=False, server_default=sa.text("''")),
    sa.Index("user_sessions_by_user", "user_id"),
)

# Each failed login, by the account name tried (known or not) and the client's address:
# the limits hold across every server process on the database (a sliding window).
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", RowId, primary_key=True, autoincrement=True),
    sa.Column("at", Text, nullable=False),
    sa.Column("account", Text, nullable=False),
    sa.Column("address", Text, nullable=False),
    sa.Index("login_failures_by_account", "account", "at"),
    sa.Index("login_failures_by_address", "address", "at"),
)

# Who did what to which inspection, and when. No foreign key: the record of a deletion
# outlives the inspection. ``detail``: a small JSON object.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", RowId, primary_key=True, autoincrement=True),
    sa.Column("at", Text, nullable=False),
    sa.Column("actor", Text, nullable=False),
    sa.Column("action", Text, nullable=False),
    sa.Column("inspection_id", Text),
    sa.Column("detail", Text, nullable=False, server_default=sa.text("'{}'")),
    sa.Column("request_id", Text, nullable=False, server_default=sa.text("''")),
    sa.Index("audit_log_by_inspection", "inspection_id", "id"),
)

# Which device holds each live inspection, and which server process holds its call
# (renewed every few seconds while the call lasts; a stale one is free). No row version:
# a claim is taken and renewed in one statement each, and never outlives its inspection.
phone_claims = sa.Table(
    "phone_claims",
    metadata,
    sa.Column(
        "inspection_id",
        Text,
        sa.ForeignKey("inspections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("device", Text, nullable=False),
    sa.Column("holder", Text, nullable=False),
    sa.Column("renewed_at", Text, nullable=False),
)

TABLES = (
    inspections,
    captures,
    damages,
    tokens,
    seller_statements,
    photo_readings,
    call_recordings,
    blur_boxes,
    blur_scans,
    users,
    user_sessions,
    login_failures,
    audit_log,
    phone_claims,
)
