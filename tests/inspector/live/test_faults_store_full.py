"""The photo store is full: a bucket over its quota (a real SeaweedFS whose quota is
enforced with ``weed shell``), or the photo folder's disk (a real 1 MB tmpfs, apart from
the data folder). A live capture is kept in this desk's spool, the phone is told
"saved", and it reaches the store once there is room; a command that must write a
photo says so in one line and leaves nothing half-written."""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.atomic import TMP_SUFFIX
from inspector.bundle import export_bundle
from inspector.domain.models import CaptureSource, QualityReport, Verdict
from inspector.storage import DiskFull
from inspector.storage.spool import LiveWriter
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene
from tests.inspector.cli.test_cli_photo_store import one_clear_line
from tests.inspector.live_fixtures import make_inspection
from tests.inspector.os_fixtures import fill_disk, inspector, small_disk
from tests.inspector.report.test_report import make_inspection as full_inspection
from tests.s3_server import BUCKET, SeaweedS3, seaweed_s3

DETAILS = {
    "width": 320,
    "height": 240,
    "source": CaptureSource.STILL,
    "quality": QualityReport(Verdict.OK),
}


def photo(seed: int) -> bytes:
    return jpeg_bytes(scene(320, 240, seed=seed))


def a_bundle(tmp_path: Path) -> tuple[str, Path]:
    with Store(tmp_path / "elsewhere") as local:
        inspection, _, _ = full_inspection(local)
        return inspection.id, export_bundle(
            local, inspection.id, tmp_path / "bundle.zip", report=False
        )


def spool_files(data_dir: Path) -> list[Path]:
    spool = data_dir / "spool"
    return [p for p in spool.iterdir() if p.is_file()] if spool.is_dir() else []


# -- a bucket over its quota -------------------------------------------------------------


@pytest.fixture
def quota_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SeaweedS3]:
    """A SeaweedFS of its own (the session's bucket stays writable for other tests)."""
    with seaweed_s3(tmp_path / "own-seaweedfs") as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        yield server


def over_quota(server: SeaweedS3) -> None:
    """Fill the bucket past a 1 MB quota and have SeaweedFS enforce it (read-only)."""
    server.admin().put_object(  # type: ignore[attr-defined]
        Bucket=BUCKET, Key="filler", Body=os.urandom(3 << 20)
    )
    deadline = time.monotonic() + 60
    while True:  # the usage is what the volume servers report, every few seconds
        listed = server.shell("s3.bucket.list")
        used = re.search(rf"{BUCKET}\s+size:(\d+)", listed)
        if used is not None and int(used.group(1)) > 1 << 20:
            break
        assert time.monotonic() < deadline, listed
        time.sleep(1)
    enforced = server.shell(
        f"s3.bucket.quota -name={BUCKET} -op=set -sizeMB=1", "s3.bucket.quota.enforce -apply"
    )
    assert "read only" in enforced, enforced


def quota_lifted(server: SeaweedS3) -> None:
    server.shell(f"s3.bucket.quota -name={BUCKET} -op=remove", "s3.bucket.quota.enforce -apply")


@pytest.mark.timeout(240)
def test_a_bucket_over_its_quota_keeps_live_captures_and_refuses_imports_in_one_line(
    quota_server: SeaweedS3, data_dir: Path, tmp_path: Path
) -> None:
    url = f"s3://{BUCKET}/desk-{secrets.token_hex(4)}"
    with Store(data_dir, photo_store=url) as store:
        inspection = make_inspection(store, "quick")
        writer = LiveWriter(store)
        assert not writer.add_capture(inspection.id, "front", photo(1), **DETAILS).spooled
        over_quota(quota_server)

        kept = writer.add_capture(inspection.id, "rear", photo(2), **DETAILS)  # type: ignore[arg-type]
        assert kept.spooled  # the phone is told "saved"
        assert writer.unavailable is not None and "the photo store" in writer.unavailable
        assert writer.flush().left == 1  # still refused: kept, not set aside

        bundle_id, bundle = a_bundle(tmp_path)
        proc = inspector("--photo-store", url, "import", str(bundle), data_dir=data_dir)
        assert proc.returncode == 1, proc.stderr
        one_clear_line(proc.stderr, "the photo store", "try again later")
        assert all(i.id != bundle_id for i in store.list_inspections())  # nothing half-written

        quota_lifted(quota_server)
        result = writer.flush()
        assert (result.written, result.left, result.failed) == (1, 0, ())
        stored = {c.id: c for c in store.captures(inspection.id)}
        assert kept.capture.id in stored
        assert store.photo_state(kept.capture.sha256, deep=True) == "ok"
        assert spool_files(data_dir) == []


# -- the photo folder's disk is full -------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_full_photo_disk_keeps_live_captures_and_refuses_imports_in_one_line(
    data_dir: Path, tmp_path: Path
) -> None:
    with (
        small_disk(tmp_path / "nas", "1m") as disk,
        Store(data_dir, photo_store=str(disk)) as store,
    ):
        inspection = make_inspection(store, "quick")
        writer = LiveWriter(store)
        assert not writer.add_capture(inspection.id, "front", photo(1), **DETAILS).spooled
        filler = fill_disk(disk)

        kept = writer.add_capture(inspection.id, "rear", photo(2), **DETAILS)  # type: ignore[arg-type]
        assert kept.spooled  # on the data folder's own disk: the phone is told "saved"
        assert writer.unavailable is not None and "the disk is full" in writer.unavailable
        assert writer.flush().left == 1

        bundle_id, bundle = a_bundle(tmp_path)
        proc = inspector("--photo-store", str(disk), "import", str(bundle), data_dir=data_dir)
        assert proc.returncode == 1, proc.stderr
        one_clear_line(proc.stderr, "the disk is full")
        assert all(i.id != bundle_id for i in store.list_inspections())
        assert not [p for p in disk.rglob(f"*{TMP_SUFFIX}")]  # no temporary left

        filler.unlink()
        result = writer.flush()
        assert (result.written, result.left, result.failed) == (1, 0, ())
        assert store.photo_state(kept.capture.sha256, deep=True) == "ok"
        assert spool_files(data_dir) == []


@pytest.mark.timeout(120)
def test_a_full_disk_under_the_data_folder_and_its_photos_refuses_the_capture(
    tmp_path: Path,
) -> None:
    """When the spool's disk is full too, the capture is refused (the phone is told to
    retry): no row, no photo, no spool entry, no temporary."""
    with small_disk(tmp_path / "disk", "1m") as disk, Store(disk / "data") as store:
        inspection = make_inspection(store, "quick")
        writer = LiveWriter(store)
        fill_disk(disk)
        with pytest.raises(DiskFull, match="the disk is full") as refused:
            writer.add_capture(inspection.id, "front", photo(3), **DETAILS)  # type: ignore[arg-type]
        assert "\n" not in str(refused.value)
        assert store.captures(inspection.id) == [] and writer.pending() == 0
        assert spool_files(disk / "data") == []
        assert not [p for p in disk.rglob(f"*{TMP_SUFFIX}")]
