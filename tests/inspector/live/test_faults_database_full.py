"""The database server's disk is full: a real PostgreSQL cluster of its own on a real
small tmpfs, filled. Commands say so in one line (never a traceback) and leave nothing
half-written (no row without its photo, no inspection of an import without its
captures); a live capture is kept in this desk's spool, the phone is told "saved", and
it reaches the database once there is room."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from inspector.domain.models import CaptureSource, Inspection, QualityReport, Verdict
from inspector.storage import DiskFull
from inspector.storage.spool import LiveWriter
from inspector.storage.store import Store
from tests.inspector.cli.test_cli_photo_store import one_clear_line
from tests.inspector.live.test_faults_store_full import a_bundle, photo, spool_files
from tests.inspector.live_fixtures import make_inspection
from tests.inspector.os_fixtures import fill_disk, inspector, small_disk
from tests.inspector.postgres_fixtures import (
    PostgresServer,
    Unavailable,
    postgres_server,
    unavailable,
)

DETAILS = {
    "width": 320,
    "height": 240,
    "source": CaptureSource.STILL,
    "quality": QualityReport(Verdict.OK),
}

FULL = "the database server's disk is full"


@contextmanager
def server_on_small_disk(size: str) -> Iterator[tuple[Path, PostgresServer]]:
    """A PostgreSQL cluster of its own whose data folder is on a real tmpfs of ``size``.

    The disk is mounted in the temporary folder, not under pytest's (only root may enter
    that, and the server runs as the ``postgres`` user).
    """
    mount_point = Path(tempfile.mkdtemp(prefix="inspector-pg-disk-"))
    mount_point.chmod(0o755)
    try:
        with small_disk(mount_point, size) as disk:
            try:
                with postgres_server(directory=disk) as server:
                    yield disk, server
            except Unavailable as exc:
                unavailable(str(exc))
    finally:
        with contextlib.suppress(OSError):
            mount_point.rmdir()


def until_full(write: object, limit: int = 2000) -> int:
    """Call ``write(n)`` until the database refuses it for a full disk: the pages that
    still had room are used up first. How many went in."""
    assert callable(write)
    for n in range(limit):
        try:
            write(n)
        except DiskFull as exc:
            assert FULL in str(exc) and "\n" not in str(exc), exc
            return n
    pytest.fail(f"{limit} writes and the database never said its disk is full")


def refused_while_full(store: Store, disk: Path, argv: list[str], data_dir: Path) -> None:
    """Run ``inspector *argv`` once the database refuses even the smallest row: it fails
    in one clear line and writes no inspection.

    Once, a command's insert went in seconds after this process's was refused (why was
    not found; a new connection alone does not do it): then the command rightly
    succeeded, and the pages are filled again (three tries).
    """
    for attempt in range(3):
        # The smallest rows: the room their pages keep is too little for any real one.
        until_full(
            lambda n, a=attempt: store.create_inspection(Inspection(id=f"{a}.{n}", checklist=""))
        )
        before = {i.id for i in store.list_inspections()}
        proc = inspector(*argv, data_dir=data_dir, timeout=180)
        if proc.returncode == 0:
            continue
        assert proc.returncode == 1, proc.stderr
        one_clear_line(proc.stderr, FULL)
        assert {i.id for i in store.list_inspections()} == before  # nothing half-written
        return
    pytest.fail(f"inspector {argv[2]} was never refused (free: {os.statvfs(disk).f_bavail} blocks)")


@pytest.mark.timeout(420)
def test_a_full_database_disk_refuses_commands_in_one_line_and_spools_live_captures(
    data_dir: Path, tmp_path: Path
) -> None:
    with server_on_small_disk("96m") as (disk, server):
        url = server.url(server.create_database())
        bundle_id, bundle = a_bundle(tmp_path)
        with Store(data_dir, database_url=url) as store:
            inspection = make_inspection(store, "quick")
            writer = LiveWriter(store)
            assert not writer.add_capture(inspection.id, "front", photo(1), **DETAILS).spooled  # type: ignore[arg-type]
            filler = fill_disk(disk)

            # Commands: one line, exit 1, nothing written.
            for argv in (["new", "--make", "Fiat"], ["import", str(bundle)]):
                refused_while_full(store, disk, ["--database-url", url, *argv], data_dir)
            assert bundle_id not in {i.id for i in store.list_inspections()}

            # The live path: the rows' pages fill up, then a capture goes to the spool.
            kept = None
            for n in range(2000):
                saved = writer.add_capture(inspection.id, "rear", photo(10 + n), **DETAILS)  # type: ignore[arg-type]
                if saved.spooled:
                    kept = saved
                    break
            assert kept is not None, "the database never said its disk is full"
            assert writer.unavailable is not None and FULL in writer.unavailable
            assert kept.capture.id not in {c.id for c in store.captures(inspection.id)}
            assert writer.flush().left == 1  # still full: kept, not set aside
            # No row without its photo.
            for c in store.captures(inspection.id):
                assert store.photo_state(c.sha256, deep=True) == "ok", c.id

            filler.unlink()  # room again
            result = writer.flush()
            assert (result.written, result.left, result.failed) == (1, 0, ())
            stored = {c.id: c for c in store.captures(inspection.id)}
            assert kept.capture.id in stored
            assert store.photo_state(kept.capture.sha256, deep=True) == "ok"
            assert spool_files(data_dir) == []
