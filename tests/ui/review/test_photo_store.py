"""The review with its photos in S3 (a real SeaweedFS): the photo, the thumbnails and
the report come from the bucket; only a cache of them is kept in the data folder."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from inspector.storage.store import Store
from ui.review.overview import OverviewView
from ui.review.workspace import ReviewWorkspace

from .conftest import Sample

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def store(data_dir: Path, s3_url: str) -> Iterator[Store]:
    """This module's store keeps its photos in S3 (the sample and workspace use it)."""
    with Store(data_dir, photo_store=s3_url) as s:
        yield s


def test_the_review_shows_photos_from_s3(
    qtbot: QtBot,
    store: Store,
    tmp_path: Path,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
) -> None:
    assert not list((store.data_dir / "photos").rglob("*.jpg"))
    workspace = make_workspace(sample.inspection_id)
    qtbot.waitUntil(lambda: workspace.viewer.shown_capture_id is not None, timeout=10000)
    overview = workspace.findChild(OverviewView)
    assert overview is not None
    qtbot.waitUntil(
        lambda: all(not t.thumb.icon().isNull() for t in overview.capture_tiles.values()),
        timeout=10000,
    )
    shown = store.get_capture(workspace.viewer.shown_capture_id)  # type: ignore[arg-type]
    assert (store.data_dir / "cache" / "photos" / f"{shown.sha256}.jpg").is_file()
    assert len(list((store.data_dir / "thumbs").glob("*.jpg"))) == len(sample.capture_ids)

    out = tmp_path / "report.pdf"
    with qtbot.waitSignal(workspace.report_exported, timeout=60000):
        workspace.export_action.setEnabled(True)
        workspace.export_report(out)
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.timeout(120)
def test_the_review_window_opens_on_s3_and_refuses_a_wrong_key_in_one_line(
    store: Store, sample: Sample, tmp_path: Path, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shot = tmp_path / "review.png"
    argv = [sys.executable, "-m", "ui.review", "--data-dir", str(store.data_dir)]
    argv += ["--photo-store", s3_url, sample.inspection_id]
    proc = subprocess.run(
        [*argv, "--screenshot", str(shot)], cwd=ROOT, capture_output=True, text=True, timeout=90
    )
    assert proc.returncode == 0, proc.stderr
    assert shot.stat().st_size > 10_000

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "refuses the credentials" in proc.stderr
