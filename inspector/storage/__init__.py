"""Storage: the inspections' records in SQLite or PostgreSQL, and their photos by content
(a folder or S3).

``store.Store`` is the façade the other layers use; the modules behind it are
``database`` (opening the database, transactions), ``sql`` (the schema as SQLAlchemy
Core tables, Alembic migrations, engines), ``rows`` (rows ↔ domain objects),
``photostore`` (where the photo bytes are: a folder or S3), ``photos`` (photo files,
the photos lock), ``photocache`` (thumbnails and local copies), ``spool`` (the live
session's writes that must not wait) and ``repair`` (SQLite only).

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
