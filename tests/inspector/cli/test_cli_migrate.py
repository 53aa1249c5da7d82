"""``inspector migrate``: a desk's SQLite + folder copied into a real PostgreSQL and a real
S3 (SeaweedFS), by real processes; re-run after a kill, it finishes the job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.storage.store import Store
from tests.inspector.cli.test_cli_photo_store import one_clear_line
from tests.inspector.os_fixtures import ROOT, inspector
from tests.inspector.postgres_fixtures import PostgresServer
from tests.inspector.usecases.test_migrate import _filled


def _migrate(data_dir: Path, pg_url: str, s3_url: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "inspector", "--data-dir", str(data_dir), "migrate",
        "--to-database", pg_url, "--to-photo-store", s3_url, *extra,
    ]  # fmt: skip


@pytest.mark.timeout(180)
def test_a_desk_moves_into_postgresql_and_s3_and_a_second_run_copies_nothing(
    data_dir: Path, pg_url: str, s3_url: str
) -> None:
    with Store(data_dir) as desk:
        ids = _filled(desk, 3)
    first = subprocess.run(
        _migrate(data_dir, pg_url, s3_url, "--json"), capture_output=True, text=True, cwd=ROOT
    )
    assert first.returncode == 0, first.stderr
    counts = json.loads(first.stdout)
    assert (counts["inspections_copied"], counts["photos_copied"]) == (3, 4)
    assert counts["complete"] is True
    # The shared store, as every command sees it now.
    shared = ["--database-url", pg_url, "--photo-store", s3_url]
    for inspection_id in ids:
        shown = inspector(*shared, "show", inspection_id, "--check", data_dir=data_dir / "other")
        assert shown.returncode == 0, shown.stderr
    second = subprocess.run(_migrate(data_dir, pg_url, s3_url), capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "inspections: 0 copied, 3 already there" in second.stdout
    assert "photos: 0 copied" in second.stdout


@pytest.mark.timeout(240)
@pytest.mark.parametrize("delay", [0.5, 1.5])
def test_a_killed_migration_resumes_and_leaves_no_row_without_its_photo(
    data_dir: Path, pg_url: str, s3_url: str, delay: float
) -> None:
    with Store(data_dir) as desk:
        for n in range(6):  # 2 MB photos: the kill most often lands in an upload
            inspection_id = _filled(desk, 1)[0]
            desk.add_capture(
                inspection_id, "left", os.urandom(2 << 20) + bytes([n]), width=1, height=1,
                source=desk.captures(inspection_id)[0].source,
                quality=desk.captures(inspection_id)[0].quality,
            )  # fmt: skip
    proc = subprocess.Popen(_migrate(data_dir, pg_url, s3_url), cwd=ROOT)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    with Store(data_dir / "check", database_url=pg_url, photo_store=s3_url) as shared:
        for inspection in shared.list_inspections():  # whatever went over is whole
            for capture in shared.captures(inspection.id):
                assert shared.photo_state(capture.sha256, deep=True) == "ok"
    again = subprocess.run(
        _migrate(data_dir, pg_url, s3_url, "--json"), capture_output=True, text=True, cwd=ROOT
    )
    assert again.returncode == 0, again.stderr
    counts = json.loads(again.stdout)
    assert counts["inspections_copied"] + counts["inspections_present"] == 6
    with (
        Store(data_dir, readonly=True) as desk,
        Store(data_dir / "check", database_url=pg_url, photo_store=s3_url) as shared,
    ):
        for inspection in desk.list_inspections():
            assert shared.captures(inspection.id) == desk.captures(inspection.id)
            assert shared.damages(inspection.id) == desk.damages(inspection.id)
            for capture in shared.captures(inspection.id):
                assert shared.photo_state(capture.sha256, deep=True) == "ok"


def test_an_unreachable_target_is_one_line_and_changes_nothing(
    data_dir: Path, postgres: PostgresServer, s3_url: str
) -> None:
    with Store(data_dir) as desk:
        _filled(desk, 1)
    proc = inspector(
        "migrate", "--to-database", f"{postgres.url()}&port=1", "--to-photo-store", s3_url,
        data_dir=data_dir,
    )  # fmt: skip
    assert proc.returncode == 1
    one_clear_line(proc.stderr, "cannot reach the database server")
