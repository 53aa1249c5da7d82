"""Where photo bytes live: a local folder or S3-compatible object storage.

The :class:`~inspector.storage.store.Store` keeps every photo through one of
these (by default the data folder's own ``photos/``). boto3 is imported only
when an ``s3://`` store is asked for.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from inspector.storage.errors import StoreError
from inspector.storage.photostore.base import PhotoState, PhotoStore, StoredPhoto
from inspector.storage.photostore.local import LocalPhotoStore

__all__ = ["LocalPhotoStore", "PhotoState", "PhotoStore", "StoredPhoto", "photo_store_for"]


def photo_store_for(url: str | Path) -> PhotoStore:
    """The photo store at ``url``: a folder (path or ``file://``) or ``s3://bucket/prefix``.

    A folder holds ``photos/ab/<sha256>.jpg`` like a data folder. For S3 the
    endpoint, region and credentials come from the standard ``AWS_*`` variables.
    Nothing is contacted here: the first operation checks the server.
    """
    if isinstance(url, Path):
        return LocalPhotoStore(url)
    text = str(url).strip()
    if not text:
        raise StoreError("no photo store given (a folder or s3://bucket/prefix)")
    scheme = urlsplit(text).scheme.lower()
    if scheme == "s3":
        from inspector.storage.photostore.s3 import S3PhotoStore

        return S3PhotoStore(text)
    if scheme == "file":
        return LocalPhotoStore(Path(urlsplit(text).path))
    if len(scheme) > 1:  # one letter is a Windows drive
        raise StoreError(f"unknown photo store {text!r}: give a folder or s3://bucket/prefix")
    return LocalPhotoStore(Path(text).expanduser())
