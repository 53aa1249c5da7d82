"""The photo store, on both backends: a local folder and a real S3 server (SeaweedFS).

Every test runs against both; the S3 one talks to ``weed server -s3`` started
for the session on 127.0.0.1 (tests/s3_server.py), through the standard AWS_*
variables, each test under its own prefix.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from inspector.storage.errors import (
    BucketMissing,
    ChecksumMismatch,
    CredentialsRefused,
    NotFound,
    StoreError,
    StoreUnreachable,
)
from inspector.storage.photostore import LocalPhotoStore, PhotoStore, photo_store_for
from inspector.storage.photostore.s3 import MULTIPART_THRESHOLD, PART_SIZE, S3PhotoStore
from tests.s3_server import BUCKET, MISSING_BUCKET, free_ports

ROOT = Path(__file__).resolve().parents[3]
BIG = 30 << 20


@pytest.fixture(params=["local", "s3"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store's address: a folder, or a prefix of its own in the bucket."""
    if request.param == "local":
        return str(tmp_path / "store")
    return str(request.getfixturevalue("s3_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[PhotoStore]:
    s = photo_store_for(store_url)
    yield s
    s.close()


def jpeg_like(size: int) -> bytes:
    """Bytes of a given size, unique to the call (their content does not matter here)."""
    return b"\xff\xd8\xff\xe0" + os.urandom(size - 4)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert isinstance(exc, StoreError)
    assert "\n" not in text and "Traceback" not in text and text
    return text


def test_photo_store_for_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(photo_store_for(str(tmp_path)), LocalPhotoStore)
    assert isinstance(photo_store_for(tmp_path), LocalPhotoStore)
    assert photo_store_for(f"file://{tmp_path}").url == str(tmp_path)
    s3 = photo_store_for("s3://bucket/some/prefix/")
    assert isinstance(s3, S3PhotoStore)
    assert (s3.bucket, s3.prefix, s3.url) == ("bucket", "some/prefix/", "s3://bucket/some/prefix")
    assert s3.key("ab" + "0" * 62) == f"some/prefix/photos/ab/ab{'0' * 62}.jpg"
    for bad in ("", "ftp://x/y", "s3:///nobucket"):
        with pytest.raises(StoreError):
            photo_store_for(bad)


def test_boto3_is_loaded_only_for_an_s3_store(tmp_path: Path) -> None:
    """A console on a local folder does not pay for importing boto3 (about half a second)."""
    probe = (
        "import sys; from inspector.storage.photostore import photo_store_for; "
        f"photo_store_for({str(tmp_path)!r}).put(b'x'); "
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules; "
        "photo_store_for('s3://bucket/p'); assert 'boto3' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, timeout=30)


def test_put_get_exists_round_trip(store: PhotoStore) -> None:
    data = jpeg_like(200_000)
    name = sha(data)
    assert not store.exists(name)
    assert store.put(data) == name
    assert store.exists(name)
    assert store.get(name) == data
    assert store.size(name) == len(data)
    [listed] = store.list()
    assert (listed.sha256, listed.size) == (name, len(data))
    assert abs(listed.modified - time.time()) < 60
    with pytest.raises(NotFound):
        store.get(sha(b"absent"))
    with pytest.raises(NotFound):
        store.size(sha(b"absent"))
    # Another store on the same address (another process, later) sees it: stored, not cached.
    other = photo_store_for(store.url)
    assert other.get(name) == data
    other.close()


def test_local_store_writes_the_data_folder_layout(tmp_path: Path) -> None:
    data = jpeg_like(1000)
    LocalPhotoStore(tmp_path).put(data)
    assert (tmp_path / "photos" / sha(data)[:2] / f"{sha(data)}.jpg").read_bytes() == data


def test_the_same_bytes_twice_is_one_photo_made_young_again(store: PhotoStore) -> None:
    data = jpeg_like(50_000)
    first = store.put(data)
    [before] = store.list()
    time.sleep(1.1)  # S3 keeps modification times to the second
    assert store.put(data) == first
    [after] = store.list()
    assert after.sha256 == first and after.modified > before.modified
    assert store.get(first) == data


def test_a_corrupted_upload_is_refused(store: PhotoStore) -> None:
    """On S3 the wrong ChecksumSHA256 goes to the server, which refuses the bytes."""
    data = jpeg_like(100_000)
    claimed = sha(data[:-1] + b"\x00")
    with pytest.raises(ChecksumMismatch) as refused:
        store.put(data, sha256=claimed)
    one_line(refused.value)
    assert not store.exists(claimed)
    assert not store.exists(sha(data))
    assert list(store.list()) == []
    assert store.put(data, sha256=sha(data)) == sha(data)  # the right name goes through


def test_the_server_checks_the_checksum_itself(s3_env: dict[str, str]) -> None:
    """Not our own comparison: a PUT whose x-amz-checksum-sha256 is wrong is refused by S3."""
    store = photo_store_for(f"s3://{BUCKET}/raw-{secrets.token_hex(4)}")
    assert isinstance(store, S3PhotoStore)
    store.check()
    data = jpeg_like(10_000)
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        store._client.put_object(
            Bucket=BUCKET, Key=store.key(sha(data)), Body=data, ChecksumSHA256=wrong
        )
    assert refused.value.response["Error"]["Code"] == "BadDigest"
    assert not store.exists(sha(data))


@pytest.mark.timeout(120)
def test_a_30_mb_photo_goes_through_multipart(store: PhotoStore) -> None:
    data = jpeg_like(BIG)
    assert BIG >= MULTIPART_THRESHOLD
    name = store.put(data)
    assert name == sha(data)
    assert store.size(name) == BIG
    assert store.get(name) == data
    if isinstance(store, S3PhotoStore):
        head = store._client.head_object(
            Bucket=store.bucket, Key=store.key(name), ChecksumMode="ENABLED"
        )
        parts = -(-BIG // PART_SIZE)
        # A composite SHA-256: the server checked each part's checksum.
        assert head["ChecksumSHA256"].endswith(f"-{parts}")
        assert store.unfinished_uploads() == 0
    with pytest.raises(ChecksumMismatch):
        store.put(data, sha256=sha(b"not these bytes"))


def test_the_sweep_waits_for_the_grace_period(store: PhotoStore) -> None:
    old = store.put(jpeg_like(1000))
    time.sleep(3.0)
    young = store.put(jpeg_like(1000))
    used = store.put(jpeg_like(1000))
    # Only the unused photo older than the grace period goes (S3 times are to the
    # second: "young" is at most about a second old here, "old" at least three)...
    assert store.sweep(lambda: {used}, grace_seconds=2.0) == 1
    assert {p.sha256 for p in store.list()} == {young, used}
    assert not store.exists(old)
    # ...nothing while every unused photo is younger than the grace period...
    assert store.sweep(lambda: {used}, grace_seconds=3600) == 0
    # ...nor on a database that uses nothing (an emptied database would lose everything).
    assert store.sweep(set, grace_seconds=0) == 0
    assert {p.sha256 for p in store.list()} == {young, used}
    assert store.sweep(lambda: {used}, grace_seconds=0) == 1
    assert {p.sha256 for p in store.list()} == {used}


def test_remove_unused_keeps_what_a_row_uses(store: PhotoStore) -> None:
    kept, gone = store.put(jpeg_like(1000)), store.put(jpeg_like(1000))
    if isinstance(store, S3PhotoStore):
        # No lock on a bucket: a photo stored within the grace period may be a write
        # whose row is about to be committed, so it is left (to the sweep)...
        assert store.remove_unused([kept, gone], lambda asked: asked & {kept}) == 0
        assert store.exists(gone)
        store.grace_seconds = 0  # ...and goes once the grace period is over
    assert store.remove_unused([kept, gone], lambda asked: asked & {kept}) == 1
    assert store.exists(kept) and not store.exists(gone)
    assert store.remove_unused([], lambda asked: set()) == 0


def test_s3_deletes_ask_the_rows_after_the_age_check(s3_env: dict[str, str]) -> None:
    """The rows are asked last, right before the delete: a row committed while the ages
    were read keeps its photo."""
    store = S3PhotoStore(f"s3://{BUCKET}/ask-{secrets.token_hex(4)}", grace_seconds=0)
    a, b = store.put(jpeg_like(1000)), store.put(jpeg_like(1000))
    asked: list[set[str]] = []

    def used_of(shas: set[str]) -> set[str]:
        assert all(store.exists(sha) for sha in shas)  # nothing deleted before asking
        asked.append(set(shas))
        return {a}  # "a" got its row meanwhile

    assert store.remove_unused([a, b], used_of) == 1
    assert asked == [{a, b}]
    assert store.exists(a) and not store.exists(b)
    calls: list[str] = []
    c = store.put(jpeg_like(1000))

    def used() -> set[str]:
        calls.append("used")
        return {a} if len(calls) == 1 else {a, c}  # c's row committed during the sweep

    assert store.sweep(used, grace_seconds=0) == 0
    assert calls == ["used", "used"] and store.exists(c)


@pytest.mark.timeout(60)
def test_s3_ages_come_from_the_server_clock(
    s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client whose clock runs two hours ahead still sees a fresh photo as fresh."""
    import inspector.storage.photostore.s3 as s3_module

    store = S3PhotoStore(f"s3://{BUCKET}/clock-{secrets.token_hex(4)}")
    used, fresh = store.put(jpeg_like(1000)), store.put(jpeg_like(1000))
    real = time.time
    monkeypatch.setattr(s3_module, "time", SimpleNamespace(time=lambda: real() + 7200))
    assert store.sweep(lambda: {used}) == 0
    assert store.remove_unused([fresh], lambda asked: set()) == 0
    assert store.exists(fresh)


# -- failures: one line, never a traceback ---------------------------------------


def test_unreachable_server_is_one_line(
    s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    [closed] = free_ports(1)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed}")
    store = photo_store_for(f"s3://{BUCKET}/x")
    with pytest.raises(StoreUnreachable) as failed:
        store.put(b"data")
    assert f"127.0.0.1:{closed}" in one_line(failed.value)


@pytest.mark.parametrize("key", ["inspector", "nobody"])
def test_refused_credentials_are_one_line(
    s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    store = photo_store_for(f"s3://{BUCKET}/x")
    for operation in (lambda: store.put(b"data"), lambda: store.exists(sha(b"data"))):
        with pytest.raises(CredentialsRefused) as refused:
            operation()
        assert "AWS_ACCESS_KEY_ID" in one_line(refused.value)


def test_no_credentials_is_one_line(
    s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(CredentialsRefused) as refused:
        photo_store_for(f"s3://{BUCKET}/x").exists(sha(b"data"))
    assert "AWS_ACCESS_KEY_ID" in one_line(refused.value)


def test_missing_bucket_is_one_line_not_a_missing_photo(s3_env: dict[str, str]) -> None:
    store = photo_store_for(f"s3://{MISSING_BUCKET}/x")
    for operation in (
        lambda: store.exists(sha(b"data")),
        lambda: store.put(b"data"),
        lambda: store.get(sha(b"data")),
        lambda: list(store.list()),
    ):
        with pytest.raises(BucketMissing) as missing:
            operation()
        assert MISSING_BUCKET in one_line(missing.value)


def test_a_folder_that_cannot_be_one_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"not a folder")
    with pytest.raises(StoreError) as failed:
        photo_store_for(str(blocker / "store")).put(b"data")
    one_line(failed.value)


# -- a real process killed mid-upload ----------------------------------------------

WRITER = f"""
import os, sys
from inspector.storage.photostore import photo_store_for
store = photo_store_for(sys.argv[1])
base = os.urandom({BIG})
n = 0
while True:
    n += 1
    store.put(n.to_bytes(8, "big") + base)
    print(n, flush=True)
"""


def in_flight(store: PhotoStore) -> Callable[[], bool]:
    """Whether an upload is under way: a temporary file, or an open multipart upload."""
    if isinstance(store, S3PhotoStore):
        return lambda: store.unfinished_uploads() > 0
    assert isinstance(store, LocalPhotoStore)
    return lambda: any(store.files.photos_dir.rglob("*.part"))


@pytest.mark.timeout(120)
def test_a_process_killed_mid_upload_leaves_no_partial_photo(store: PhotoStore) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, store.url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as writer:
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "1"  # one whole photo stored
            busy = in_flight(store)
            deadline = time.monotonic() + 30
            while not busy():
                assert time.monotonic() < deadline, "no upload seen in flight"
                assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
            os.kill(writer.pid, signal.SIGKILL)
        finally:
            writer.kill()
    photos = list(store.list())
    assert photos  # the first one at least
    for photo in photos:  # whatever is visible is whole
        assert photo.size == BIG + 8
        assert sha(store.get(photo.sha256)) == photo.sha256
    # What the killed upload left (a temporary, an open multipart upload) is hidden,
    # and the sweep clears it once old enough, keeping every whole photo.
    keep = {p.sha256 for p in photos}
    assert store.sweep(lambda: keep, grace_seconds=0) == 0
    assert not in_flight(store)()
    assert {p.sha256 for p in store.list()} == keep
