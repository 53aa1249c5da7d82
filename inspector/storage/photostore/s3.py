"""Photos in S3-compatible object storage: ``s3://bucket/prefix``.

The endpoint, region and credentials come from the standard variables
(``AWS_ENDPOINT_URL``, ``AWS_REGION``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, or anything else boto3 reads), so one configuration
serves AWS, SeaweedFS, MinIO, Ceph and the others.

Every upload carries the SHA-256 of its bytes (``x-amz-checksum-sha256``; per
part for multipart uploads) and the server refuses bytes that do not match. S3
makes an object visible only whole, and only once its PUT (or its multipart
completion) has answered 200: then it is durable, so the row that points at it
can be committed. A killed upload leaves nothing visible (at worst an unfinished
multipart upload, which the sweep aborts after the grace period).

There is no cross-process lock on a bucket. Instead every writer stores its
photos (again, if they are there: the PUT refreshes their time) right before
committing the rows that use them, and nothing deletes a photo stored within the
grace period: both the sweep and :meth:`S3PhotoStore.remove_unused` read each
candidate's age (``LastModified`` against the server's own clock, so a skewed
client clock changes nothing) just before the delete, then ask the database
once more which are used, then delete. Every boto3 failure comes out as a
one-line :class:`StoreError`.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
from botocore.config import Config

from inspector.storage.errors import (
    BucketMissing,
    ChecksumMismatch,
    CredentialsRefused,
    DiskFull,
    NotFound,
    StoreError,
    StoreUnreachable,
)
from inspector.storage.photostore.base import (
    ORPHAN_MIN_AGE_SECONDS,
    ORPHAN_SWEEP_LIMIT,
    PhotoState,
    StoredPhoto,
    check_file_name,
    check_sha256,
    photo_name,
    sha256_of_name,
)
from inspector.storage.photostore.shelf import copy_checked, file_sha256

__all__ = ["MULTIPART_THRESHOLD", "PART_SIZE", "S3PhotoStore", "parse_s3_url"]

PART_SIZE = 8 << 20
"""Multipart part size: S3's minimum is 5 MiB; a 12 MP capture (3-8 MB) is one PUT."""
MULTIPART_THRESHOLD = 16 << 20
PART_WORKERS = 4

_CREDENTIALS = frozenset(
    {
        "403",
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "InvalidSecurity",
        "AuthorizationHeaderMalformed",
    }
)
_CHECKSUM = frozenset(
    {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"}
)
_FULL = frozenset({"QuotaExceeded", "InsufficientStorage", "507", "EntityTooLarge"})
_UNREACHABLE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectionClosedError,
)


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix/")`` (prefix may be empty)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise StoreError(f"not an S3 photo store address (s3://bucket/prefix): {url!r}")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _server_age(head: dict[str, Any]) -> float:
    """Seconds since an object was last stored, by the server's clock (its ``Date``)."""
    modified: float = head["LastModified"].timestamp()
    date = head.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        now = email.utils.parsedate_to_datetime(date).timestamp() if date else time.time()
    except (TypeError, ValueError):
        now = time.time()
    return now - modified


class S3PhotoStore:
    """Photos as objects ``<prefix>/photos/ab/<sha256>.jpg`` in one bucket.

    ``grace_seconds``: a photo stored (or stored again) more recently is never
    deleted, whatever the rows say (see the module notes).
    """

    def __init__(
        self,
        url: str,
        *,
        grace_seconds: float = ORPHAN_MIN_AGE_SECONDS,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        attempts: int = 3,
    ) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self.grace_seconds = grace_seconds
        self._url = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        env = os.environ
        self.endpoint_url = (
            endpoint_url or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
        )
        self.region = (
            region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        )
        config = Config(
            region_name=self.region,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": attempts, "mode": "standard"},
            max_pool_connections=PART_WORKERS * 2,
            s3={
                # Services other than AWS rarely resolve bucket.host names.
                **({"addressing_style": "path"} if self.endpoint_url else {}),
                # No SHA-256 of the body in the request's signature: every upload
                # carries its own (x-amz-checksum-sha256, a signed header) that the
                # server checks, and over http botocore would hash each photo a second
                # time for the signature, and the server check that hash too. Over
                # https with a checksum, botocore already leaves it out.
                "payload_signing_enabled": False,
            },
        )
        try:
            self._client: Any = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint_url,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                config=config,
            )
        except (botocore.exceptions.BotoCoreError, ValueError) as exc:
            raise StoreError(f"photo store {self._url}: {_one_line(exc)}") from exc
        self._ready = threading.Event()
        self._ready_lock = threading.Lock()

    @property
    def url(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return f"S3PhotoStore({self._url!r}, endpoint={self.where!r})"

    @property
    def where(self) -> str:
        """The server, for messages: the endpoint or the AWS region."""
        return self.endpoint_url or f"AWS S3 ({self.region})"

    def key(self, sha256: str) -> str:
        return self.prefix + photo_name(sha256)

    # -- errors ---------------------------------------------------------------

    def _error(self, exc: Exception, what: str) -> StoreError:
        """A boto3 failure in one line a user can act on."""
        if isinstance(exc, _UNREACHABLE):
            return StoreUnreachable(
                f"{what}: the photo store {self.where} does not answer — is it running, "
                f"and is AWS_ENDPOINT_URL right? ({_one_line(exc)})"
            )
        if isinstance(
            exc,
            botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError,
        ):
            return CredentialsRefused(
                f"{what}: no credentials for the photo store {self.where} — "
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )
        if isinstance(exc, botocore.exceptions.ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _CREDENTIALS:
                return CredentialsRefused(
                    f"{what}: the photo store {self.where} refuses the credentials ({code}) — "
                    "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the key's rights "
                    f"on bucket {self.bucket!r}"
                )
            if code == "NoSuchBucket":
                return self._bucket_missing()
            if code in _CHECKSUM:
                return ChecksumMismatch(
                    f"{what}: the photo store refused the bytes, they do not match their "
                    f"SHA-256 ({code})"
                )
            if code in ("NoSuchKey", "404"):
                return NotFound(f"{what}: it is missing from {self._url}")
            if code in _FULL:
                return DiskFull(f"{what}: the photo store {self.where} is full ({code})")
            if isinstance(status, int) and status >= 500:
                return StoreUnreachable(
                    f"{what}: the photo store {self.where} failed ({code or status}), "
                    "try again later"
                )
            message = _one_line(error.get("Message", "")) or str(status)
            return StoreError(f"{what}: the photo store {self.where} said {code}: {message}")
        return StoreError(f"{what}: {_one_line(exc)}")

    def _bucket_missing(self) -> BucketMissing:
        return BucketMissing(
            f"the photo store {self.where} has no bucket {self.bucket!r} — create it "
            "(or correct the s3:// address)"
        )

    def _call(self, what: str, method: str, **kwargs: Any) -> Any:
        """``client.<method>(**kwargs)``, its failures as a StoreError."""
        self.check()
        try:
            return getattr(self._client, method)(**kwargs)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise self._error(exc, what) from exc

    def check(self) -> None:
        """Make sure the server answers, takes the credentials and has the bucket.

        Done once, before the first operation: without it a missing bucket
        would read as "no such photo".
        """
        if self._ready.is_set():
            return
        with self._ready_lock:
            if self._ready.is_set():
                return
            self.ping()
            self._ready.set()

    def ping(self) -> None:
        """Ask the server for the bucket, now (not remembered, unlike :meth:`check`)."""
        what = f"cannot use {self._url}"
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchBucket"):
                raise self._bucket_missing() from exc
            raise self._error(exc, what) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._error(exc, what) from exc

    # -- photos ---------------------------------------------------------------

    def put(self, data: bytes, sha256: str | None = None) -> str:
        if len(data) >= MULTIPART_THRESHOLD:
            actual = hashlib.sha256(data).hexdigest()
            if sha256 is not None and check_sha256(sha256) != actual:
                raise ChecksumMismatch(
                    f"photo {sha256[:12]} not saved: its bytes do not match their SHA-256"
                )
            self._put_multipart(
                self.key(actual),
                lambda number: data[(number - 1) * PART_SIZE : number * PART_SIZE],
                len(data),
                f"photo {actual[:12]} not saved",
            )
            return actual
        if sha256 is None:
            digest = hashlib.sha256(data).digest()
            sha256 = digest.hex()
        else:
            digest = bytes.fromhex(check_sha256(sha256))
        # The server hashes what it received and refuses a mismatch (BadDigest).
        # Stored again even if present: the PUT refreshes its time for the sweep
        # and replaces a damaged copy.
        self._call(
            f"photo {sha256[:12]} not saved",
            "put_object",
            Bucket=self.bucket,
            Key=self.key(sha256),
            Body=data,
            ContentType="image/jpeg",
            ChecksumSHA256=_b64(digest),
        )
        return sha256

    def _put_multipart(
        self,
        key: str,
        part: Callable[[int], bytes],
        size: int,
        what: str,
        content_type: str = "image/jpeg",
    ) -> None:
        """Upload in parts (``part(n)``: the n-th, from 1), each with its SHA-256; nothing
        is visible until complete."""
        upload = self._call(
            what,
            "create_multipart_upload",
            Bucket=self.bucket,
            Key=key,
            ContentType=content_type,
            ChecksumAlgorithm="SHA256",
        )
        upload_id = upload["UploadId"]

        def send(number: int) -> dict[str, Any]:
            chunk = part(number)
            checksum = _b64(hashlib.sha256(chunk).digest())
            answer = self._call(
                what,
                "upload_part",
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=chunk,
                ChecksumSHA256=checksum,
            )
            return {"ETag": answer["ETag"], "PartNumber": number, "ChecksumSHA256": checksum}

        count = -(-size // PART_SIZE)
        try:
            with ThreadPoolExecutor(PART_WORKERS, thread_name_prefix="s3-part") as pool:
                parts = list(pool.map(send, range(1, count + 1)))
            self._call(
                what,
                "complete_multipart_upload",
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise

    def get(self, sha256: str) -> bytes:
        what = f"photo {sha256[:12]}"
        answer = self._call(what, "get_object", Bucket=self.bucket, Key=self.key(sha256))
        try:
            data: bytes = answer["Body"].read()
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            raise self._error(exc, what) from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ChecksumMismatch(f"{what} is altered in {self._url}: its bytes changed")
        return data

    def _head(self, sha256: str) -> dict[str, Any] | None:
        return self._head_key(self.key(sha256), f"photo {sha256[:12]}")

    def _head_key(self, key: str, what: str) -> dict[str, Any] | None:
        self.check()
        try:
            head: dict[str, Any] = self._client.head_object(Bucket=self.bucket, Key=key)
        except botocore.exceptions.ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in ("404", "NoSuchKey"):
                return None
            raise self._error(exc, what) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._error(exc, what) from exc
        return head

    def exists(self, sha256: str) -> bool:
        return self._head(sha256) is not None

    def state(self, sha256: str, *, deep: bool = False) -> PhotoState:
        if not deep:
            return "ok" if self.exists(sha256) else "missing"
        try:
            self.get(check_sha256(sha256))
        except NotFound:
            return "missing"
        except ChecksumMismatch:
            return "altered"
        return "ok"

    def local_path(self, sha256: str) -> Path | None:
        return None

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to hold: deletes leave every photo stored within the grace period."""
        return contextlib.nullcontext()

    def _age(self, sha256: str) -> float | None:
        """Seconds since the photo was last stored (server clock), or None if there is none."""
        head = self._head(sha256)
        return None if head is None else _server_age(head)

    def size(self, sha256: str) -> int:
        head = self._head(sha256)
        if head is None:
            raise NotFound(f"photo {sha256[:12]} is missing from {self._url}")
        return int(head["ContentLength"])

    def list(self) -> Iterator[StoredPhoto]:
        self.check()
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + "photos/"
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    sha = sha256_of_name(item["Key"][len(self.prefix) :])
                    if sha is not None:
                        modified = item["LastModified"].timestamp()
                        yield StoredPhoto(sha, int(item["Size"]), modified)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise self._error(exc, f"photos of {self._url} not listed") from exc

    # -- deleting: only what the database says no row uses --------------------

    def _delete(self, shas: Iterable[str]) -> int:
        keys = [{"Key": self.key(sha)} for sha in shas]
        removed = 0
        for start in range(0, len(keys), 1000):  # S3's limit per request
            batch = keys[start : start + 1000]
            answer = self._call(
                "photos not deleted",
                "delete_objects",
                Bucket=self.bucket,
                Delete={"Objects": batch, "Quiet": True},
            )
            removed += len(batch) - len(answer.get("Errors", []))
        return removed

    def remove_unused(self, shas: Iterable[str], used_of: Callable[[set[str]], set[str]]) -> int:
        wanted = {check_sha256(sha) for sha in shas}
        old = self._older_than_grace(wanted, self.grace_seconds)
        if not old:
            return 0
        return self._delete(old - used_of(old))  # the rows, asked right before deleting

    def _older_than_grace(self, shas: Iterable[str], grace_seconds: float) -> set[str]:
        """Those of ``shas`` stored at least ``grace_seconds`` ago, read from the server now."""
        return {
            sha
            for sha in sorted(shas)
            if (age := self._age(sha)) is not None and age >= grace_seconds
        }

    def sweep(
        self, used: Callable[[], set[str]], grace_seconds: float = ORPHAN_MIN_AGE_SECONDS
    ) -> int:
        self._abort_stale_uploads(grace_seconds)
        listed = list(self.list())  # before used(): a row committed meanwhile is seen
        in_use = used()
        if not in_use:
            return 0
        now = time.time()
        old = [
            p.sha256 for p in listed if p.sha256 not in in_use and now - p.modified >= grace_seconds
        ]
        if len(old) > ORPHAN_SWEEP_LIMIT:
            return 0  # records were lost, not uploads
        # Stored again since the listing: young again, and maybe about to be used.
        still_old = self._older_than_grace(old, grace_seconds)
        if not still_old:
            return 0
        return self._delete(still_old - used())  # the rows, asked right before deleting

    def _abort_stale_uploads(self, grace_seconds: float) -> None:
        """Abort multipart uploads a killed process never finished (hidden, but they take space)."""
        self.check()
        now = time.time()
        pages = self._client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=self.prefix + "photos/"
        )
        try:
            for page in pages:
                for upload in page.get("Uploads", []):
                    if now - upload["Initiated"].timestamp() >= grace_seconds:
                        with contextlib.suppress(botocore.exceptions.ClientError):
                            self._client.abort_multipart_upload(
                                Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                            )
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise self._error(exc, f"unfinished uploads of {self._url} not listed") from exc

    def unfinished_uploads(self) -> int:
        """How many multipart uploads are open (killed or in flight)."""
        answer = self._call(
            "unfinished uploads not listed",
            "list_multipart_uploads",
            Bucket=self.bucket,
            Prefix=self.prefix + "photos/",
        )
        return len(answer.get("Uploads", []))

    # -- other files beside the photos (FileShelf) -----------------------------------

    def put_file(self, name: str, path: Path, sha256: str, content_type: str) -> None:
        key = self.prefix + check_file_name(name)
        what = f"{name} not saved"
        try:
            actual, size = file_sha256(path)
        except OSError as exc:
            raise StoreError(f"{what}: {exc.strerror or exc}") from exc
        if actual != check_sha256(sha256):
            raise ChecksumMismatch(f"{what}: its bytes do not match their SHA-256")
        if size < MULTIPART_THRESHOLD:
            self._call(
                what,
                "put_object",
                Bucket=self.bucket,
                Key=key,
                Body=path.read_bytes(),
                ContentType=content_type,
                ChecksumSHA256=_b64(bytes.fromhex(sha256)),  # checked by the server
            )
            return
        fd = os.open(path, os.O_RDONLY)
        try:
            self._put_multipart(
                key,
                lambda number: os.pread(fd, PART_SIZE, (number - 1) * PART_SIZE),
                size,
                what,
                content_type,
            )
        finally:
            os.close(fd)

    def fetch_file(self, name: str, sha256: str, dest: Path) -> None:
        key = self.prefix + check_file_name(name)
        what = f"{name} in {self._url}"
        answer = self._call(what, "get_object", Bucket=self.bucket, Key=key)
        try:
            copy_checked(answer["Body"], dest, sha256, what)
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            raise self._error(exc, what) from exc

    def has_file(self, name: str) -> bool:
        return self._head_key(self.prefix + check_file_name(name), name) is not None

    def delete_files(self, names: Iterable[str]) -> None:
        keys = [{"Key": self.prefix + check_file_name(name)} for name in names]
        for start in range(0, len(keys), 1000):  # S3's limit per request
            answer = self._call(
                "files not deleted",
                "delete_objects",
                Bucket=self.bucket,
                Delete={"Objects": keys[start : start + 1000], "Quiet": True},
            )
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise StoreError(
                    f"{len(answer['Errors'])} file(s) not deleted from {self._url}: "
                    f"{first.get('Key', '')}: {first.get('Message') or first.get('Code')}"
                )

    def close(self) -> None:
        self._client.close()
