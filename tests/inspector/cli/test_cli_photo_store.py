"""The product with its photos in S3 (a real SeaweedFS): the demo's live session, the
report, a bundle exported, verified and imported, all reading the photos from the
bucket; and every S3 failure a user can meet as one line, never a traceback.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from inspector.bundle import export_bundle
from inspector.cli.main import main
from inspector.domain.models import CaptureSource, Inspection, QualityReport, Verdict
from inspector.storage.store import Store
from tests.inspector.os_fixtures import inspector
from tests.inspector.report.test_report import make_inspection
from tests.s3_server import BUCKET, MISSING_BUCKET, SeaweedS3, seaweed_s3


def one_clear_line(err: str, *needles: str) -> None:
    """One error line (a warning about the inspection may come before it), no traceback."""
    assert "Traceback" not in err, err
    [line] = [line for line in err.splitlines() if line.startswith("inspector:")]
    assert line.startswith("inspector: error: "), err
    assert err.endswith(line + "\n"), err
    for needle in needles:
        assert needle in line, err


@pytest.mark.timeout(240)
def test_demo_report_and_bundles_with_the_photos_in_s3(
    data_dir: Path,
    tmp_path: Path,
    s3_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INSPECTOR_PHOTO_STORE", s3_url)  # as a deployment sets it
    demo_pdf = tmp_path / "demo.pdf"
    assert main(["demo", "--checklist", "quick", "-o", str(demo_pdf), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    inspection_id = result["inspection_id"]
    assert len(PdfReader(demo_pdf).pages) >= 2

    # The live session stored every photo in the bucket, none in the data folder.
    assert not list((data_dir / "photos").rglob("*.jpg"))
    with Store(data_dir, photo_store=s3_url, readonly=True) as store:
        captures = store.captures(inspection_id)
        assert len(captures) == result["captures"] >= 8
        assert {p.sha256 for p in store.list_photos()} == {c.sha256 for c in captures}
        assert {store.photo_state(c.sha256, deep=True) for c in captures} == {"ok"}

    # The report, again, from the bucket (a read-only command).
    again = tmp_path / "again.pdf"
    assert main(["report", inspection_id, "-o", str(again)]) == 0
    assert len(PdfReader(again).pages) == len(PdfReader(demo_pdf).pages)
    assert main(["show", inspection_id, "--check"]) == 0

    # A bundle made from the bucket, verified, and imported by another desk whose photos
    # are under another prefix (given by the flag, which wins over the variable).
    bundle = tmp_path / "bundle.zip"
    assert main(["export", inspection_id, "-o", str(bundle)]) == 0
    assert main(["verify", str(bundle)]) == 0
    other, other_url = tmp_path / "other", f"{s3_url}-other"
    assert main(["--data-dir", str(other), "--photo-store", other_url, "import", str(bundle)]) == 0
    capsys.readouterr()
    with (
        Store(data_dir, photo_store=s3_url) as mine,
        Store(other, photo_store=other_url) as theirs,
    ):
        imported = theirs.captures(inspection_id)
        assert [c.sha256 for c in imported] == [c.sha256 for c in captures]
        for c in imported:
            assert theirs.read_photo(c.sha256) == mine.read_photo(c.sha256)
        assert not list((other / "photos").rglob("*.jpg"))

    # Deleted: the rows at once; the photos once the grace period is over (no lock on S3).
    assert main(["delete", inspection_id]) == 0
    with Store(data_dir, photo_store=s3_url) as store:
        assert len(list(store.list_photos())) == len(captures)
        store.create_inspection(Inspection(id="keeper", checklist="standard"))
        store.add_capture("keeper", "front", b"a photo", width=1, height=1, **OK)
        assert store.sweep_orphans(min_age_seconds=0) == len(captures)
        assert len(list(store.list_photos())) == 1


OK = {"source": CaptureSource.STILL, "quality": QualityReport(Verdict.OK)}


# -- failures: one line, exit 1 ---------------------------------------------------------


@pytest.fixture
def desk(
    data_dir: Path, tmp_path: Path, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """A data folder whose inspection's photos are in ``s3_url`` (INSPECTOR_PHOTO_STORE),
    and a bundle to import."""
    monkeypatch.setenv("INSPECTOR_PHOTO_STORE", s3_url)
    with Store(data_dir, photo_store=s3_url) as store:
        inspection, _, _ = make_inspection(store)
    with Store(tmp_path / "elsewhere") as local:
        make_inspection(local)
        bundle = export_bundle(local, inspection.id, tmp_path / "bundle.zip", report=False)
    yield inspection.id, bundle


def commands(inspection_id: str, bundle: Path, tmp_path: Path) -> list[list[str]]:
    """Every kind of command: one that writes, one that reads photos, report, export, import."""
    return [
        ["new", "--make", "Fiat"],
        ["show", inspection_id, "--check"],
        ["report", inspection_id, "-o", str(tmp_path / "r.pdf")],
        ["export", inspection_id, "-o", str(tmp_path / "b.zip")],
        ["--data-dir", str(tmp_path / "fresh"), "import", str(bundle)],
    ]


@pytest.mark.timeout(120)
def test_refused_credentials_are_one_line(
    desk: tuple[str, Path], data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    for argv in commands(*desk, tmp_path):
        proc = inspector(*argv, data_dir=data_dir)
        assert proc.returncode == 1, (argv, proc.stderr)
        one_clear_line(proc.stderr, "refuses the credentials", "AWS_SECRET_ACCESS_KEY")
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "b.zip").exists()


@pytest.mark.timeout(120)
def test_a_missing_bucket_is_one_line(
    desk: tuple[str, Path], data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSPECTOR_PHOTO_STORE", f"s3://{MISSING_BUCKET}/desk")
    for argv in commands(*desk, tmp_path):
        proc = inspector(*argv, data_dir=data_dir)
        assert proc.returncode == 1, (argv, proc.stderr)
        one_clear_line(proc.stderr, f"has no bucket {MISSING_BUCKET!r}")


@pytest.fixture
def stopped_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SeaweedS3]:
    """A server of its own that held the photos, then stopped (the session's stays up)."""
    with seaweed_s3(tmp_path / "own-seaweedfs") as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.mark.timeout(180)
def test_a_stopped_server_is_one_line(
    stopped_server: SeaweedS3, data_dir: Path, tmp_path: Path
) -> None:
    url = f"s3://{BUCKET}/desk-{secrets.token_hex(4)}"
    with Store(data_dir, photo_store=url) as store:
        inspection, _, _ = make_inspection(store)
    with Store(tmp_path / "elsewhere") as local:
        make_inspection(local)
        bundle = export_bundle(local, inspection.id, tmp_path / "bundle.zip", report=False)
    stopped_server.stop()
    for argv in [["list"], *commands(inspection.id, bundle, tmp_path)]:
        proc = inspector("--photo-store", url, *argv, data_dir=data_dir)
        assert proc.returncode == 1, (argv, proc.stderr)
        one_clear_line(proc.stderr, "does not answer — is it running")
    assert not (data_dir / "photos").exists() or not any((data_dir / "photos").iterdir())
