"""The store on every backend (``database_url``: SQLite, and a real PostgreSQL)."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from inspector.atomic import TMP_SUFFIX
from inspector.domain.models import (
    CaptureSource,
    Damage,
    DamageType,
    Inspection,
    InspectionStatus,
    Part,
    QualityReport,
    Region,
    Severity,
    Vehicle,
    Verdict,
)
from inspector.storage import ChangedElsewhere, Conflict, DiskFull, NotFound, StoreError
from inspector.storage.photos import ORPHAN_MIN_AGE_SECONDS
from inspector.storage.sql import head, make_engine, upgrade
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene
from tests.inspector.storage.sql.handwritten import MIGRATIONS

OK = QualityReport(Verdict.OK, metrics={"sharpness": 300.0})


@pytest.fixture
def pstore(data_dir: Path, photo_store: str | None) -> Iterator[Store]:
    """A store whose photos are in its data folder, or in S3 (the tests run on both)."""
    with Store(data_dir, photo_store=photo_store) as s:
        yield s


def has_photo(store: Store, sha: str) -> bool:
    return store.photo_state(sha) == "ok"


def make_inspection(store: Store, inspection_id: str = "insp1") -> Inspection:
    return store.create_inspection(
        Inspection(id=inspection_id, checklist="standard", vehicle=Vehicle(make="Renault"))
    )


def add(store: Store, inspection_id: str, data: bytes, shot: str = "front") -> str:
    c = store.add_capture(
        inspection_id, shot, data, width=10, height=10, source=CaptureSource.STILL, quality=OK
    )
    return c.id


def test_schema_is_current_and_sqlite_in_wal_mode(store: Store) -> None:
    assert store.schema_revision == head()
    if store.is_sqlite:
        db = sqlite3.connect(store.data_dir / "inspector.db")
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()


def test_inspection_round_trip(store: Store) -> None:
    inspection = make_inspection(store)
    inspection.notes = "rayure sur l'aile"
    inspection.status = InspectionStatus.LIVE  # a stale or edited copy's status...
    store.update_inspection(inspection)
    again = store.get_inspection("insp1")
    assert again.notes == "rayure sur l'aile"
    assert again.status is InspectionStatus.DRAFT  # ...is never written: only transition() moves it
    assert again.vehicle.make == "Renault"
    assert again.created_at.tzinfo is not None
    assert [i.id for i in store.list_inspections()] == ["insp1"]
    assert store.find_inspection("ins").id == "insp1"


def test_unknown_ids_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.get_inspection("nope")
    with pytest.raises(NotFound):
        store.delete_inspection("nope")
    with pytest.raises(NotFound):
        store.transition("nope", InspectionStatus.LIVE, allowed_from=[InspectionStatus.DRAFT])
    with pytest.raises(NotFound, match="cannot add a capture"):
        add(store, "nope", b"x")


def test_ambiguous_prefix_is_refused(store: Store) -> None:
    make_inspection(store, "abc1")
    make_inspection(store, "abc2")
    with pytest.raises(NotFound, match="several"):
        store.find_inspection("abc")
    # LIKE wildcards in the prefix are taken literally
    with pytest.raises(NotFound):
        store.find_inspection("%")


def test_capture_writes_photo_by_hash(pstore: Store) -> None:
    store = pstore
    make_inspection(store)
    data = jpeg_bytes(scene(320, 240))
    capture_id = add(store, "insp1", data)
    capture = store.get_capture(capture_id)
    assert capture.sha256 == hashlib.sha256(data).hexdigest()
    assert store.read_photo(capture.sha256) == data
    assert store.photo_file(capture.sha256).read_bytes() == data
    if store.photos_dir is not None:
        assert store.photo_path(capture.sha256).read_bytes() == data
    else:  # in S3: no file of the store's own, a cached copy in the data folder
        assert [p.name for p in store.data_dir.rglob("*.jpg")] == [f"{capture.sha256}.jpg"]
        with pytest.raises(StoreError, match="not in a folder"):
            store.photo_path(capture.sha256)
    assert capture.quality.metrics["sharpness"] == 300.0
    store.set_capture_accepted(capture_id, False)
    assert store.get_capture(capture_id).accepted is False


def test_delete_removes_files_not_shared(pstore: Store) -> None:
    store = pstore
    make_inspection(store, "a")
    make_inspection(store, "b")
    shared, own = b"shared photo", b"own photo"
    add(store, "a", shared)
    add(store, "a", own)
    add(store, "b", shared)
    own_sha = hashlib.sha256(own).hexdigest()
    store.delete_inspection("a")
    if store.photos_dir is None:
        # S3 has no lock: a photo stored within the grace period may be another
        # process's write about to be committed. The sweep takes it after that.
        assert has_photo(store, own_sha)
        assert store.sweep_orphans(min_age_seconds=0) == 1
    assert not has_photo(store, own_sha)
    assert has_photo(store, hashlib.sha256(shared).hexdigest())
    assert store.captures("a") == []


def test_thumbnail_is_cached_and_small(pstore: Store) -> None:
    store = pstore
    make_inspection(store)
    data = jpeg_bytes(scene(1600, 1200))
    sha = store.get_capture(add(store, "insp1", data)).sha256
    thumb = store.thumbnail(sha, 200)
    assert thumb.parent == store.data_dir / "thumbs"  # made locally whichever store
    from PIL import Image

    with Image.open(thumb) as img:
        assert max(img.size) == 200
    mtime = thumb.stat().st_mtime_ns
    assert store.thumbnail(sha, 200) == thumb
    assert thumb.stat().st_mtime_ns == mtime
    store.delete_inspection("insp1")
    assert not thumb.exists()


def test_thumbnails_are_a_cache(pstore: Store) -> None:
    """Deleted, they are made again from the photo store."""
    store = pstore
    make_inspection(store)
    data = jpeg_bytes(scene(800, 600))
    sha = store.get_capture(add(store, "insp1", data)).sha256
    thumb = store.thumbnail(sha, 128)
    store.photo_file(sha)
    for cached in ("thumbs", "cache"):
        shutil.rmtree(store.data_dir / cached, ignore_errors=True)
    assert store.thumbnail(sha, 128) == thumb and thumb.is_file()
    assert store.photo_file(sha).read_bytes() == data


def test_thumbnail_of_corrupt_photo_is_a_clear_error(pstore: Store) -> None:
    store = pstore
    make_inspection(store)
    sha = store.get_capture(add(store, "insp1", b"not a jpeg")).sha256
    with pytest.raises(StoreError, match="cannot be read"):
        store.thumbnail(sha)


def test_damages_round_trip(store: Store) -> None:
    make_inspection(store)
    capture_id = add(store, "insp1", b"photo")
    damage = Damage(
        id="d1",
        inspection_id="insp1",
        capture_id=capture_id,
        part=Part.DOOR_FRONT_LEFT,
        type=DamageType.DENT,
        severity=Severity.MODERATE,
        region=Region(0.1, 0.2, 0.3, 0.1),
        note="bosse",
    )
    store.add_damage(damage)
    damage.severity = Severity.SEVERE
    store.update_damage(damage)
    (again,) = store.damages("insp1")
    assert again.severity is Severity.SEVERE
    assert again.region == Region(0.1, 0.2, 0.3, 0.1)
    store.delete_damage("d1")
    assert store.damages("insp1") == []


def test_a_damage_keeps_its_photo_pair_and_whether_it_is_to_complete(store: Store) -> None:
    make_inspection(store)
    damage = Damage("d1", "insp1", None, Part.ROOF, DamageType.OTHER, Severity.MINOR, pair=2)
    damage.to_complete = True
    store.add_damage(damage)
    assert store.damages("insp1") == [damage]
    damage.to_complete = False
    store.update_damage(damage)
    assert store.damages("insp1") == [damage]
    with pytest.raises(Conflict, match="refused by the database"):  # one damage per photo pair
        store.add_damage(
            Damage("d2", "insp1", None, Part.ROOF, DamageType.DENT, Severity.MINOR, pair=2)
        )


def test_disk_full_is_reported_and_leaves_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_inspection(store)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(DiskFull, match="disk is full"):
        add(store, "insp1", b"a photo")
    monkeypatch.undo()
    assert store.captures("insp1") == []
    assert [p for p in store.photos_dir.rglob("*") if p.is_file()] == []


def test_unwritable_photo_folder_is_reported(store: Store) -> None:
    make_inspection(store)
    data = b"blocked photo"
    sha = hashlib.sha256(data).hexdigest()
    (store.photos_dir / sha[:2]).write_bytes(b"a file where a folder should be")
    with pytest.raises(StoreError, match="photo not saved"):
        add(store, "insp1", data)
    assert store.captures("insp1") == []


def test_corrupt_database_is_a_clear_error(data_dir: Path) -> None:
    (data_dir / "inspector.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the database"):
        Store(data_dir)


def test_newer_schema_is_refused(data_dir: Path, database_url: str | None) -> None:
    Store(data_dir, database_url=database_url).close()
    engine = make_engine(database_url or f"sqlite:///{data_dir / 'inspector.db'}")
    with engine.begin() as c:
        c.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for readonly in (False, True):
        with pytest.raises(StoreError, match=r"newer version \(revision 9999"):
            Store(data_dir, database_url=database_url, readonly=readonly)


def test_an_older_program_refuses_a_database_this_one_migrated(data_dir: Path) -> None:
    """The hand-written migrations refused a ``user_version`` above theirs: every revision
    since sets it, so the round-2 program says "newer version" instead of writing to a
    schema whose row versions it would not keep."""
    Store(data_dir).close()
    db = sqlite3.connect(data_dir / "inspector.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 11 > len(MIGRATIONS)
    db.close()


def test_migrates_a_version_1_database(data_dir: Path) -> None:
    db = sqlite3.connect(data_dir / "inspector.db")
    db.executescript(MIGRATIONS[0] + "PRAGMA user_version=1;")
    db.execute(
        "INSERT INTO inspections VALUES ('old','2026-01-01T00:00:00+00:00',"
        "'2026-01-01T00:00:00+00:00','draft','','','standard',"
        '\'{"make":"Fiat","model":"","year":null,"plate":"","vin":"",'
        '"mileage_km":null,"fuel":null,"colour":""}\','
        '\'{"name":"","phone":"","email":"","language":"fr"}\',\'\',NULL)'
    )
    db.commit()
    db.close()
    with Store(data_dir) as store:
        assert store.schema_revision == head()
        assert store.get_inspection("old").vehicle.make == "Fiat"
        store.revoke_tokens("old")  # the table added by migration 2 exists


def test_migrates_a_version_2_database_with_damages(data_dir: Path) -> None:
    db = sqlite3.connect(data_dir / "inspector.db")
    db.executescript(MIGRATIONS[0] + MIGRATIONS[1] + "PRAGMA user_version=2;")
    db.execute(
        "INSERT INTO inspections VALUES ('old','2026-01-01T00:00:00+00:00',"
        "'2026-01-01T00:00:00+00:00','captured','','','standard',"
        '\'{"make":"Fiat","model":"","year":null,"plate":"","vin":"",'
        '"mileage_km":null,"fuel":null,"colour":""}\','
        '\'{"name":"","phone":"","email":"","language":"fr"}\',\'\',NULL)'
    )
    db.execute(
        "INSERT INTO damages VALUES ('d1','old',NULL,'bonnet','dent',2,NULL,'',"
        "'2026-01-01T00:00:00+00:00')"
    )
    db.commit()
    db.close()
    with Store(data_dir) as store:
        assert store.schema_revision == head()
        (damage,) = store.damages("old")
        assert damage.part is Part.BONNET and damage.pair is None and not damage.to_complete


def test_two_threads_at_once(pstore: Store) -> None:
    store = pstore
    make_inspection(store)
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        try:
            for i in range(40):
                add(store, "insp1", f"{tag}-{i}".encode(), shot=tag)
                store.captures("insp1")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    captures = store.captures("insp1")
    assert len(captures) == 80
    assert sorted({c.id for c in captures}) == sorted(c.id for c in captures)
    assert all(store.read_photo(c.sha256) for c in captures[::10])


def test_sweeps_leftover_temporary_files(data_dir: Path, database_url: str | None) -> None:
    Store(data_dir, database_url=database_url).close()
    leftover = data_dir / "photos" / "ab" / f"abc.jpg.1234{TMP_SUFFIX}"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a photo")
    Store(data_dir, database_url=database_url).close()
    assert not leftover.exists()


def test_old_unreferenced_photos_are_swept_young_ones_kept(
    data_dir: Path, database_url: str | None
) -> None:
    with Store(data_dir, database_url=database_url) as store:
        make_inspection(store)
        kept = store.get_capture(add(store, "insp1", b"referenced")).sha256
        old_orphan = store.write_photo(b"killed before its row")
        young_orphan = store.write_photo(b"row about to be written by another process")
        an_hour_ago = time.time() - ORPHAN_MIN_AGE_SECONDS - 5
        for sha in (kept, old_orphan):
            os.utime(store.photo_path(sha), (an_hour_ago, an_hour_ago))
    with Store(data_dir, database_url=database_url) as store:
        assert store.photo_path(kept).exists()
        assert not store.photo_path(old_orphan).exists()
        assert store.photo_path(young_orphan).exists()


def test_unused_photos_are_swept_after_the_grace_period(pstore: Store) -> None:
    """On both stores, by the photos' real times (S3's are the server's, to the second)."""
    store = pstore
    make_inspection(store)
    kept = store.get_capture(add(store, "insp1", b"referenced")).sha256
    old_orphan = Store(store.data_dir, photo_store=store.photos.url).write_photo(b"killed")
    time.sleep(3.0)
    young_orphan = store.write_photo(b"row about to be written by another process")
    assert store.sweep_orphans(min_age_seconds=2.0) == 1
    assert has_photo(store, kept) and has_photo(store, young_orphan)
    assert not has_photo(store, old_orphan)
    # The sweep's safety: never on a database without any capture.
    store.delete_inspection("insp1")
    assert store.sweep_orphans(min_age_seconds=0) == 0
    assert has_photo(store, young_orphan)


_WRITER = textwrap.dedent(
    """
    import os, sys
    from inspector.domain.models import CaptureSource, Inspection, QualityReport, Verdict
    from inspector.storage.store import Store
    store = Store(sys.argv[1], database_url=sys.argv[2] or None, photo_store=sys.argv[3] or None)
    store.create_inspection(Inspection(id="k", checklist="standard"))
    print("ready", flush=True)
    i = 0
    size = int(sys.argv[4])
    while True:
        data = os.urandom(size) + str(i).encode()
        store.add_capture("k", "front", data, width=1, height=1,
                          source=CaptureSource.STILL, quality=QualityReport(Verdict.OK))
        i += 1
        print(i, flush=True)
    """
)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5])
def test_killed_writer_never_leaves_a_dangling_row(
    data_dir: Path, database_url: str | None, photo_store: str | None, delay: float
) -> None:
    """SIGKILL a process in the middle of writing captures, then check every row.

    On S3 the photos are 2 MB, so that the kill most often lands in an upload.
    """
    size = 64 * 1024 if photo_store is None else 2 << 20
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _WRITER,
            str(data_dir),
            database_url or "",
            photo_store or "",
            str(size),
        ],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    assert proc.stdout.readline().strip() == b"1"  # one capture stored: then kill at random
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    with Store(data_dir, database_url=database_url, photo_store=photo_store) as store:
        captures = store.captures("k")
        assert captures, "the writer should have stored something before it was killed"
        for capture in captures:
            data = store.read_photo(capture.sha256)
            assert hashlib.sha256(data).hexdigest() == capture.sha256
            assert len(data) == capture.size
        if store.photos_dir is not None:
            assert not list(store.photos_dir.rglob(f"*{TMP_SUFFIX}"))
        # Whatever else is stored is whole: at most the photo whose row never came.
        stored = list(store.list_photos())
        assert len(stored) - len(captures) in (0, 1)
        for photo in stored:
            assert hashlib.sha256(store.read_photo(photo.sha256)).hexdigest() == photo.sha256


# -- row versions: two editors never overwrite each other silently -------------------


def test_an_update_bumps_the_version_and_a_stale_copy_is_refused(store: Store) -> None:
    inspection = make_inspection(store)
    assert inspection.version == 1
    mine, theirs = store.get_inspection("insp1"), store.get_inspection("insp1")
    theirs.notes = "seen by the other inspector"
    assert store.update_inspection(theirs).version == 2
    mine.grade = 4
    with pytest.raises(ChangedElsewhere, match=r"changed by someone else.*reload"):
        store.update_inspection(mine)
    again = store.get_inspection("insp1")
    assert (again.notes, again.grade, again.version) == ("seen by the other inspector", None, 2)
    mine = again  # reloaded: the change goes through
    mine.grade = 4
    store.update_inspection(mine)
    assert store.get_inspection("insp1").version == 3 == mine.version
    # A status change is not an edit: it moves atomically and leaves the version alone.
    store.transition("insp1", InspectionStatus.INVITED, allowed_from=[InspectionStatus.DRAFT])
    mine.notes = "after the invitation"
    store.update_inspection(mine)
    gone = store.get_inspection("insp1")
    store.delete_inspection("insp1")
    with pytest.raises(NotFound):
        store.update_inspection(gone)


def test_a_stale_damage_is_refused(store: Store) -> None:
    make_inspection(store)
    store.add_damage(Damage("d1", "insp1", None, Part.ROOF, DamageType.DENT, Severity.MINOR))
    (mine,) = store.damages("insp1")
    (theirs,) = store.damages("insp1")
    theirs.severity = Severity.SEVERE
    store.update_damage(theirs)
    mine.note = "a stale copy"
    with pytest.raises(ChangedElsewhere):
        store.update_damage(mine)
    (kept,) = store.damages("insp1")
    assert (kept.severity, kept.note, kept.version) == (Severity.SEVERE, "", 2)


def test_two_stores_on_one_database_the_second_update_is_told(
    data_dir: Path, tmp_path: Path, database_url: str | None
) -> None:
    """Two processes' stores (two consoles, or a console and a server) on one database:
    both read the same inspection, both save; the second gets ChangedElsewhere."""
    url = database_url or f"sqlite:///{data_dir / 'inspector.db'}"
    first = Store(data_dir, database_url=url)
    second = Store(tmp_path / "elsewhere", database_url=url)  # its own working folder
    try:
        make_inspection(first)
        here, there = first.get_inspection("insp1"), second.get_inspection("insp1")
        here.notes, there.notes = "first", "second"
        first.update_inspection(here)
        with pytest.raises(ChangedElsewhere):
            second.update_inspection(there)
        assert first.get_inspection("insp1").notes == "first"
        assert second.get_inspection("insp1").version == 2
    finally:
        first.close()
        second.close()


def test_a_delete_decided_on_a_stale_copy_is_refused_like_an_update(
    data_dir: Path, tmp_path: Path, database_url: str | None
) -> None:
    """A delete naming the version it read: refused (nothing deleted) when someone else
    changed the record since, made when it is current; an update of a record deleted
    meanwhile is told it is gone."""
    url = database_url or f"sqlite:///{data_dir / 'inspector.db'}"
    first = Store(data_dir, database_url=url)
    second = Store(tmp_path / "elsewhere", database_url=url)
    try:
        make_inspection(first)
        first.add_damage(Damage("d1", "insp1", None, Part.ROOF, DamageType.DENT, Severity.MINOR))
        here, there = first.get_inspection("insp1"), second.get_inspection("insp1")
        (damage_here,), (damage_there,) = first.damages("insp1"), second.damages("insp1")

        damage_here.note = "seen"
        first.update_damage(damage_here)
        with pytest.raises(ChangedElsewhere, match="changed by someone else"):
            second.delete_damage("d1", version=damage_there.version)
        assert [d.note for d in first.damages("insp1")] == ["seen"]  # kept, with the edit
        here.notes = "called the seller"
        first.update_inspection(here)
        with pytest.raises(ChangedElsewhere, match="changed by someone else"):
            second.delete_inspection("insp1", version=there.version)
        assert first.get_inspection("insp1").notes == "called the seller"
        assert first.damages("insp1")  # nothing of it deleted

        (damage_there,) = second.damages("insp1")  # reloaded: the delete goes through
        second.delete_damage("d1", version=damage_there.version)
        with pytest.raises(NotFound):  # the other side's edit of what is gone
            first.update_damage(damage_here)
        with pytest.raises(NotFound):
            first.delete_damage("d1", version=damage_here.version)
        there = second.get_inspection("insp1")
        second.delete_inspection("insp1", version=there.version)
        with pytest.raises(NotFound):
            first.get_inspection("insp1")
    finally:
        first.close()
        second.close()


def test_concurrent_updates_from_two_stores_lose_nothing(
    data_dir: Path, tmp_path: Path, database_url: str | None
) -> None:
    """Racing writers with retries: every update lands once, none is overwritten."""
    url = database_url or f"sqlite:///{data_dir / 'inspector.db'}"
    stores = [Store(data_dir, database_url=url), Store(tmp_path / "other", database_url=url)]
    rounds = 25
    try:
        make_inspection(stores[0])
        refused = [0, 0]

        def editor(n: int) -> None:
            store = stores[n]
            for i in range(rounds):
                while True:
                    current = store.get_inspection("insp1")
                    current.notes += f"{n}.{i};"
                    try:
                        store.update_inspection(current)
                        break
                    except ChangedElsewhere:
                        refused[n] += 1

        threads = [threading.Thread(target=editor, args=(n,)) for n in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(50)
        final = stores[0].get_inspection("insp1")
        edits = final.notes.rstrip(";").split(";")
        assert sorted(edits) == sorted(f"{n}.{i}" for n in (0, 1) for i in range(rounds))
        assert final.version == 1 + 2 * rounds
    finally:
        for s in stores:
            s.close()


def test_a_read_only_store_never_migrates_a_server_database(data_dir: Path, pg_url: str) -> None:
    engine = make_engine(pg_url, poolclass=sa.NullPool)
    upgrade(engine, "0003")  # what the version before row versions left
    engine.dispose()
    with pytest.raises(StoreError, match="made by an older version: open it once with a command"):
        Store(data_dir, database_url=pg_url, readonly=True)
    Store(data_dir, database_url=pg_url).close()  # a command that writes upgrades it
    with Store(data_dir, database_url=pg_url, readonly=True) as store:
        assert store.schema_revision == head()


def test_records_read_every_inspection_with_its_captures_and_damages(store: Store) -> None:
    """The listings' three queries give what the per-inspection reads give."""
    make_inspection(store, "a")
    make_inspection(store, "b")
    make_inspection(store, "empty")
    for n in range(3):
        add(store, "a" if n % 2 else "b", f"photo {n}".encode(), shot=f"shot{n}")
    store.add_damage(Damage("d1", "b", None, Part.ROOF, DamageType.DENT, Severity.MINOR))
    records = store.records()
    assert [r.inspection for r in records] == store.list_inspections()
    for r in records:
        assert r.captures == store.captures(r.inspection.id)
        assert r.damages == store.damages(r.inspection.id)
    assert [len(r.captures) for r in records if r.inspection.id == "empty"] == [0]
