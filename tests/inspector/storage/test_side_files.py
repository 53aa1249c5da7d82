"""The seller's signature drawings and the call recordings are kept beside the photos:
every desk of a team reads them, whoever made them (a shared folder or S3)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.storage import StoreError
from inspector.storage import recordings as files
from inspector.storage.sidefiles import recording_name, signature_name
from inspector.storage.store import Store
from inspector.usecases.migrate import migrate
from tests.inspector.bundle.test_bundle_recording import record
from tests.inspector.report.test_report import make_inspection
from tests.inspector.report.test_report_signatures import sign

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(params=["folder", "s3"])
def shelf(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The team's photo store: a folder of its own (not a desk's data folder), or S3."""
    if request.param == "folder":
        return str(tmp_path / "team-photos")
    return str(request.getfixturevalue("s3_url"))


class Team:
    """Desks, each with its own data folder, on one database and one photo store."""

    def __init__(self, root: Path, shelf: str) -> None:
        self.root, self.shelf = root, shelf
        self.database_url = f"sqlite:///{root / 'team.db'}"
        self.opened: list[Store] = []

    def desk(self, name: str) -> Store:
        store = Store(self.root / name, database_url=self.database_url, photo_store=self.shelf)
        self.opened.append(store)
        return store


@pytest.fixture
def team(tmp_path: Path, shelf: str) -> Iterator[Team]:
    t = Team(tmp_path, shelf)
    yield t
    for store in t.opened:
        store.close()


def sha_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_signature_drawn_on_one_desk_is_read_on_another(team: Team) -> None:
    operator, inspector = team.desk("operator"), team.desk("inspector")
    inspection, _, _ = make_inspection(operator)
    signature = sign(operator, inspection.id)
    [seen] = inspector.signatures(inspection.id)
    png = inspector.signature_png(seen.png_sha256)
    assert hashlib.sha256(png).hexdigest() == signature.png_sha256
    assert png == operator.signature_png(signature.png_sha256)


def test_a_recording_made_on_one_desk_plays_on_another(team: Team) -> None:
    operator, inspector = team.desk("operator"), team.desk("inspector")
    inspection, _, _ = make_inspection(operator)
    record(operator, inspection.id)
    [row] = inspector.recordings(inspection.id)
    assert row.sha256 and row.timeline_sha256 and row.playable
    video = inspector.recording_file(row.sha256, row.mime)
    assert video.is_relative_to(inspector.data_dir) and sha_of(video) == row.sha256
    timeline = inspector.recording_file(row.timeline_sha256, "application/json")
    assert files.read_timeline(timeline.read_bytes())[0].capture_id == "c1"


def test_the_retention_deletes_every_copy(team: Team) -> None:
    operator, inspector = team.desk("operator"), team.desk("inspector")
    inspection, _, _ = make_inspection(operator)
    record(operator, inspection.id)
    [row] = operator.recordings(inspection.id)
    assert row.sha256
    inspector.recording_file(row.sha256, row.mime)  # a cached copy on the second desk
    later = datetime.now(UTC) + timedelta(days=31)
    assert inspector.delete_expired_recordings(30, now=later) == 1
    [row] = operator.recordings(inspection.id)
    assert row.deleted_at is not None
    name = recording_name(row.sha256, row.mime)
    assert not inspector.side_files.on_shelf(name)
    assert not inspector.side_files.local(name).exists()
    # The desk that made it drops its own copy at its next round, once past the grace.
    own = operator.side_files.local(name)
    if own.exists():  # (with a folder shelf the desk's copy is the one it made)
        os.utime(own, (time.time() - 7200,) * 2)
        operator.delete_expired_recordings(30, now=later)
        assert not own.exists()


def test_deleting_an_inspection_deletes_its_drawings_and_recording(team: Team) -> None:
    operator = team.desk("operator")
    inspection, _, _ = make_inspection(operator)
    signature = sign(operator, inspection.id)
    record(operator, inspection.id)
    [row] = operator.recordings(inspection.id)
    assert row.sha256 and row.timeline_sha256
    names = [
        signature_name(signature.png_sha256),
        recording_name(row.sha256, row.mime),
        recording_name(row.timeline_sha256, "application/json"),
    ]
    assert all(operator.side_files.on_shelf(n) for n in names)
    operator.delete_inspection(inspection.id)
    for name in names:
        assert not operator.side_files.on_shelf(name)
        assert not operator.side_files.local(name).exists()


def test_a_recording_the_store_refused_at_the_end_of_the_call_is_shelved_later(
    tmp_path: Path,
) -> None:
    """The photo store cannot take the files when the call ends: the row is kept (the
    files are on the desk that made them) and a later round puts them beside the photos."""
    team = Team(tmp_path, str(tmp_path / "team-photos"))
    operator, inspector = team.desk("operator"), team.desk("inspector")
    try:
        inspection, _, _ = make_inspection(operator)
        blocker = tmp_path / "team-photos" / "recordings"
        blocker.parent.mkdir(parents=True, exist_ok=True)
        blocker.write_text("not a folder")  # the shelf cannot make recordings/ab/
        record(operator, inspection.id)
        [row] = inspector.recordings(inspection.id)
        assert row.sha256 and row.playable
        with pytest.raises(StoreError, match=r"not read from|neither on this desk"):
            inspector.recording_file(row.sha256, row.mime)
        blocker.unlink()
        assert operator.shelve_recordings() == 2  # video and timeline
        assert sha_of(inspector.recording_file(row.sha256, row.mime)) == row.sha256
        assert operator.shelve_recordings() == 0
    finally:
        operator.close()
        inspector.close()


def test_migrate_takes_the_drawings_and_recordings_to_the_team_store(
    store: Store, tmp_path: Path, shelf: str
) -> None:
    """As ``inspector migrate`` runs: the target's working folder is a temporary one; the
    files must end up beside the team's photos, where another desk reads them."""
    inspection, _, _ = make_inspection(store)
    signature = sign(store, inspection.id)
    record(store, inspection.id)
    [row] = store.recordings(inspection.id)
    assert row.sha256
    database_url = f"sqlite:///{tmp_path / 'team.db'}"
    with Store(tmp_path / "work", database_url=database_url, photo_store=shelf) as target:
        report = migrate(store, target)
    assert report.complete and report.recording_files_copied == 2
    assert any("call recordings: 2 file(s) copied" in line for line in report.lines())
    with Store(tmp_path / "desk", database_url=database_url, photo_store=shelf) as desk:
        png = desk.signature_png(signature.png_sha256)
        assert hashlib.sha256(png).hexdigest() == signature.png_sha256
        assert sha_of(desk.recording_file(row.sha256, row.mime)) == row.sha256


def test_an_imported_bundle_s_recording_is_read_on_every_desk(
    store: Store, team: Team, tmp_path: Path
) -> None:
    from inspector.bundle import export_bundle, import_bundle

    inspection, _, _ = make_inspection(store)
    record(store, inspection.id)
    [row] = store.recordings(inspection.id)
    assert row.sha256
    bundle = export_bundle(store, inspection.id, tmp_path / "b.zip", report=False)
    import_bundle(team.desk("importer"), bundle)
    video = team.desk("inspector").recording_file(row.sha256, row.mime)
    assert sha_of(video) == row.sha256
