"""The named status changes, and the callers that use them (CLI, report, restore)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from inspector.cli import main as cli
from inspector.domain.checklist import load_checklist
from inspector.domain.models import (
    CaptureSource,
    Inspection,
    QualityReport,
    Verdict,
)
from inspector.domain.models import InspectionStatus as S
from inspector.domain.status import IllegalTransition
from inspector.report.document import build_report
from inspector.storage.database import DB_NAME
from inspector.storage.rows import new_id
from inspector.storage.spool import SPOOL_DIR, LiveWriter
from inspector.storage.store import Store
from inspector.usecases import status as lifecycle
from tests.data import jpeg_bytes, scene


def make(store: Store, status: S = S.DRAFT, checklist: str = "quick") -> str:
    inspection = Inspection(id=new_id(), checklist=checklist, status=status)
    return store.create_inspection(inspection).id


def status_of(store: Store, inspection_id: str) -> S:
    return store.get_inspection(inspection_id).status


def photograph(store: Store, inspection_id: str, *, skip: int = 0) -> None:
    """A usable photo of every required shot of the quick checklist but the last ``skip``."""
    shots = [s for s in load_checklist("quick").shots if s.required]
    for i, shot in enumerate(shots[: len(shots) - skip]):
        store.add_capture(
            inspection_id,
            shot.id,
            jpeg_bytes(scene(160, 120, seed=i)),
            width=160,
            height=120,
            source=CaptureSource.STILL,
            quality=QualityReport(Verdict.OK),
        )


@contextmanager
def held_lock(store: Store) -> Iterator[None]:
    other = sqlite3.connect(store.data_dir / DB_NAME, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN EXCLUSIVE")
        yield
        other.execute("COMMIT")
    finally:
        other.close()


# -- the named changes ------------------------------------------------------------------


def test_an_inspection_goes_through_its_life(store: Store) -> None:
    inspection_id = make(store)
    assert lifecycle.invited(store, inspection_id)
    assert lifecycle.live(store, inspection_id)
    assert not lifecycle.invited(store, inspection_id)  # a second link during the call
    assert status_of(store, inspection_id) is S.LIVE
    assert lifecycle.captured(store, inspection_id)
    assert not lifecycle.live(store, inspection_id)  # another call to retake a photo
    assert lifecycle.reviewed(store, inspection_id)
    photograph(store, inspection_id)
    assert lifecycle.reported(store, inspection_id)
    assert not lifecycle.reported(store, inspection_id)  # a report issued again
    assert not lifecycle.reviewed(store, inspection_id)  # never downgraded
    assert status_of(store, inspection_id) is S.REPORTED


@pytest.mark.parametrize("start", [S.DRAFT, S.INVITED, S.LIVE, S.CAPTURED, S.REVIEWED])
def test_a_report_may_be_issued_at_any_time(store: Store, start: S) -> None:
    inspection_id = make(store, start)
    photograph(store, inspection_id, skip=2)  # incomplete: reported all the same
    assert lifecycle.reported(store, inspection_id)
    assert status_of(store, inspection_id) is S.REPORTED


@pytest.mark.parametrize("start", [S.DRAFT, S.INVITED, S.CAPTURED])
def test_a_report_without_a_single_photo_marks_nothing(store: Store, start: S) -> None:
    inspection_id = make(store, start)
    assert not lifecycle.reported(store, inspection_id)
    assert status_of(store, inspection_id) is start


@pytest.mark.parametrize("start", [S.DRAFT, S.LIVE])
def test_reviewed_is_refused_before_the_seller_was_asked_or_during_a_call(
    store: Store, start: S
) -> None:
    inspection_id = make(store, start)
    with pytest.raises(IllegalTransition, match=f"cannot mark inspection {inspection_id}"):
        lifecycle.reviewed(store, inspection_id)
    assert status_of(store, inspection_id) is start


# -- restore after an interrupted call ------------------------------------------------------


def test_restore_goes_back_to_what_the_photos_say(store: Store) -> None:
    complete, incomplete = make(store, S.LIVE), make(store, S.LIVE)
    photograph(store, complete)
    photograph(store, incomplete, skip=1)
    writer = LiveWriter(store)
    assert lifecycle.restore_after_interruption(writer, complete) is S.CAPTURED
    assert lifecycle.restore_after_interruption(writer, incomplete) is S.INVITED
    assert (status_of(store, complete), status_of(store, incomplete)) == (S.CAPTURED, S.INVITED)
    assert lifecycle.restore_after_interruption(writer, complete) is None  # not live any more
    assert lifecycle.restore_after_interruption(writer, "gone") is None


def test_restore_of_an_unknown_checklist_asks_again(store: Store) -> None:
    inspection_id = make(store, S.LIVE, checklist="retired_template")
    assert lifecycle.restore_after_interruption(LiveWriter(store), inspection_id) is S.INVITED


def test_restore_is_spooled_while_the_database_is_locked(store: Store) -> None:
    inspection_id = make(store, S.LIVE)
    photograph(store, inspection_id)
    writer = LiveWriter(store, busy_timeout=0.1)
    with held_lock(store):
        assert lifecycle.restore_after_interruption(writer, inspection_id) is S.CAPTURED
        assert writer.pending() == 1
        assert writer.status(inspection_id) is S.CAPTURED  # as the spool will leave it
        assert lifecycle.restore_after_interruption(writer, inspection_id) is None
    assert status_of(store, inspection_id) is S.LIVE
    assert writer.flush().written == 1
    assert status_of(store, inspection_id) is S.CAPTURED


def test_a_spooled_change_still_obeys_the_table_when_written(store: Store) -> None:
    inspection_id = make(store, S.INVITED)
    writer = LiveWriter(store, busy_timeout=0.1)
    with held_lock(store):
        assert lifecycle.live(writer, inspection_id)  # spooled: it will move if still legal
    photograph(store, inspection_id, skip=1)
    assert lifecycle.reported(store, inspection_id)  # meanwhile, from another process
    result = writer.flush()
    assert (result.written, result.failed) == (1, ())
    assert status_of(store, inspection_id) is S.REPORTED  # no downgrade to live


def test_an_older_versions_settle_entry_is_written_as_nothing(store: Store) -> None:
    """The engine writes the spool first, then restores every inspection still live."""
    inspection_id = make(store, S.LIVE)
    spool = store.data_dir / SPOOL_DIR
    spool.mkdir()
    entry = {"op": "settle", "inspection_id": inspection_id}
    (spool / "000000000001.json").write_text(json.dumps(entry))
    writer = LiveWriter(store)
    result = writer.flush()
    assert (result.written, result.failed) == (1, ())
    assert status_of(store, inspection_id) is S.LIVE
    assert lifecycle.restore_after_interruption(writer, inspection_id) is S.INVITED


# -- the callers ------------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_building_a_report_changes_no_status(store: Store, tmp_path: Path) -> None:
    inspection_id = make(store, S.CAPTURED)
    photograph(store, inspection_id)
    build_report(store, inspection_id, tmp_path / "r.pdf", lang="en")
    assert status_of(store, inspection_id) is S.CAPTURED


def test_cli_report_and_export_issue_a_report(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reported, exported, bare = (make(store, S.CAPTURED) for _ in range(3))
    for inspection_id in (reported, exported, bare):
        photograph(store, inspection_id)
    code, _, err = run_cli(capsys, "report", reported[:8], "-o", str(tmp_path / "r.pdf"))
    assert code == 0, err
    code, _, err = run_cli(capsys, "export", exported[:8], "-o", str(tmp_path / "e.zip"))
    assert code == 0, err
    code, _, err = run_cli(capsys, "export", bare, "-o", str(tmp_path / "b.zip"), "--no-report")
    assert code == 0, err
    assert status_of(store, reported) is S.REPORTED
    assert status_of(store, exported) is S.REPORTED
    assert status_of(store, bare) is S.CAPTURED  # no report in that bundle


def test_cli_export_of_an_inspection_without_photos_leaves_its_status(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = make(store, S.INVITED)
    code, _, err = run_cli(capsys, "export", empty, "-o", str(tmp_path / "e.zip"))
    assert code == 0, err
    assert status_of(store, empty) is S.INVITED


def test_cli_invite_marks_a_draft_invited_only(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    draft, live = make(store), make(store, S.LIVE)
    for inspection_id in (draft, live):
        code, _, err = run_cli(capsys, "invite", inspection_id, "--port", "9000")
        assert code == 0, err
    assert (status_of(store, draft), status_of(store, live)) == (S.INVITED, S.LIVE)
