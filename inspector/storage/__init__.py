"""Storage: the inspections' records in SQLite and their photos as content-addressed files.

``store.Store`` is the façade the other layers use; the modules behind it are
``database`` (opening SQLite, transactions), ``schema`` (migrations), ``rows``
(rows ↔ domain objects), ``photos`` (photo files, thumbnails, the photos lock),
``spool`` (the live session's writes that must not wait) and ``repair``;
``photostore`` (a folder or S3, not used by the Store yet).

The error family is re-exported here, so a caller catches ``StoreError`` from
``inspector.storage`` whichever module raised it.
"""

from inspector.storage.errors import (
    BucketMissing,
    ChecksumMismatch,
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
    "ChecksumMismatch",
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
