"""Storage: the inspections' records in SQLite or PostgreSQL, and their photos as
content-addressed files.

``store.Store`` is the façade the other layers use; the modules behind it are
``database`` (opening the database, transactions), ``sql`` (the schema as SQLAlchemy
Core tables, Alembic migrations, engines), ``rows`` (rows ↔ domain objects),
``photos`` (photo files, thumbnails, the photos lock), ``spool`` (the live session's
writes that must not wait) and ``repair`` (SQLite only); ``photostore`` (a folder or
S3, not used by the Store yet).

The error family is re-exported here, so a caller catches ``StoreError`` from
``inspector.storage`` whichever module raised it.
"""

from inspector.storage.errors import (
    BucketMissing,
    ChangedElsewhere,
    ChecksumMismatch,
    Conflict,
    CredentialsRefused,
    DatabaseBusy,
    DatabaseDamaged,
    DatabaseMissing,
    DiskFull,
    NoDatabase,
    NotFound,
    ReadOnly,
    StoreError,
    StoreUnreachable,
    WriteNotRecorded,
    storage_error,
)

__all__ = [
    "BucketMissing",
    "ChangedElsewhere",
    "ChecksumMismatch",
    "Conflict",
    "CredentialsRefused",
    "DatabaseBusy",
    "DatabaseDamaged",
    "DatabaseMissing",
    "DiskFull",
    "NoDatabase",
    "NotFound",
    "ReadOnly",
    "StoreError",
    "StoreUnreachable",
    "WriteNotRecorded",
    "storage_error",
]
