"""Photos are never lost to the store itself: a lost database, a delete racing a write,
a damaged file reused, and ``inspector repair`` afterwards.

Real SQLite, real files, and real processes where two of them share a data folder.
What is about the SQLite file (a lost or damaged one, repair) runs on SQLite; the rest
also on a real PostgreSQL (``database_url``). The same again with the photos in S3 (a
real SeaweedFS, tests/s3_server.py), where no lock exists and the grace period does
the work.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from inspector.cli.main import main
from inspector.domain.models import Capture, CaptureSource, Inspection, QualityReport, Verdict
from inspector.storage import DatabaseMissing, StoreError
from inspector.storage.database import DB_NAME
from inspector.storage.photos import ORPHAN_SWEEP_LIMIT
from inspector.storage.photostore.s3 import S3PhotoStore
from inspector.storage.sql import make_engine
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene
from tests.inspector.os_fixtures import ROOT, checkpoint, corrupt
from tests.inspector.report.test_report import make_inspection
from tests.s3_server import SeaweedS3

TWO_HOURS_AGO = time.time() - 2 * 3600


def photo_files(data_dir: Path) -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in sorted((data_dir / "photos").glob("??/*.jpg"))}


def age_photos(data_dir: Path) -> None:
    """Make every photo old enough for the orphan sweep."""
    for path in (data_dir / "photos").glob("??/*.jpg"):
        os.utime(path, (TWO_HOURS_AGO, TWO_HOURS_AGO))


def lose_database(data_dir: Path, how: str) -> None:
    db = data_dir / DB_NAME
    for companion in (db.with_name(DB_NAME + "-wal"), db.with_name(DB_NAME + "-shm")):
        companion.unlink(missing_ok=True)
    if how == "deleted":
        db.unlink()
    else:
        db.write_bytes(b"")  # truncated by disk trouble


def add(store: Store, inspection_id: str, data: bytes, shot: str = "front") -> str:
    return store.add_capture(
        inspection_id,
        shot,
        data,
        width=1,
        height=1,
        source=CaptureSource.STILL,
        quality=QualityReport(Verdict.OK),
    ).sha256


# -- item 1: a missing or empty database ------------------------------------------


@pytest.mark.parametrize("how", ["deleted", "truncated"])
def test_a_lost_database_is_refused_and_never_sweeps_the_photos(
    data_dir: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    with Store(data_dir) as store:
        make_inspection(store)
    before = photo_files(data_dir)
    age_photos(data_dir)
    lose_database(data_dir, how)

    for argv in (["list"], ["show", "a1b2"], ["new", "--make", "Fiat"]):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 1, argv
        assert f"photos/ holds {len(before)} files but the database is missing or empty" in err
        assert "restore it, or run `inspector repair`" in err
    with pytest.raises(StoreError, match="database is missing or empty"):
        Store(data_dir)
    assert photo_files(data_dir) == before
    if how == "deleted":
        assert not (data_dir / DB_NAME).exists()  # not even an empty one was created


def test_a_database_restored_from_an_older_backup_keeps_the_newer_photos(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(data_dir) as store:
        store.create_inspection(Inspection(id="older", checklist="standard"))
        add(store, "older", jpeg_bytes(scene(64, 48, seed=1)))
    backup = (data_dir / DB_NAME).read_bytes()  # closed: the WAL is folded in
    with Store(data_dir) as store:
        make_inspection(store)  # the work done since the backup
    before = photo_files(data_dir)
    age_photos(data_dir)
    lose_database(data_dir, "deleted")
    (data_dir / DB_NAME).write_bytes(backup)  # restored from the backup

    Store(data_dir).close()  # opening sweeps old unreferenced photos...
    assert photo_files(data_dir) == before  # ...but not a whole inspection's worth
    assert main(["repair"]) == 0
    assert f"{len(before) - 1} photos had no record" in capsys.readouterr().out


def test_read_only_commands_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str | None
) -> None:
    folder = tmp_path / "not-yet"
    where = ["--data-dir", str(folder)]
    if database_url is not None:
        where += ["--database-url", database_url]
    assert main([*where, "list"]) == 0
    assert "No inspections yet" in capsys.readouterr().out
    assert main([*where, "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main([*where, "show", "abc"]) == 1
    assert "no inspection 'abc'" in capsys.readouterr().err
    assert main([*where, "report", "abc", "-o", str(tmp_path / "r.pdf")]) == 1
    capsys.readouterr()
    assert not folder.exists()
    if database_url is not None:  # nor a schema on the server
        engine = make_engine(database_url, poolclass=sa.NullPool)
        with engine.connect() as c:
            assert sa.inspect(c).get_table_names() == []
        engine.dispose()


def test_photos_with_an_empty_server_database_are_refused(
    data_dir: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Photos in the folder, a server database without any schema: not their database
    (a wrong URL, or a database restored empty). Nothing is created, nothing swept."""
    with Store(data_dir) as store:
        make_inspection(store)
    before = photo_files(data_dir)
    age_photos(data_dir)
    for readonly in (False, True):
        with pytest.raises(DatabaseMissing, match=r"photos/ holds \d+ files but the database"):
            Store(data_dir, database_url=pg_url, readonly=readonly)
    assert main(["--database-url", pg_url, "list"]) == 1
    assert "is empty — use the database that holds their records" in capsys.readouterr().err
    assert photo_files(data_dir) == before
    engine = make_engine(pg_url, poolclass=sa.NullPool)
    with engine.connect() as c:
        assert sa.inspect(c).get_table_names() == []
    engine.dispose()


def test_repair_refuses_a_database_server(
    data_dir: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--database-url", pg_url, "repair"]) == 1
    err = capsys.readouterr().err
    assert "`inspector repair` works on an SQLite database file only" in err
    assert "restore from its backups" in err and "Traceback" not in err


def test_read_only_commands_leave_the_database_as_it_was(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(data_dir) as store:
        inspection, _, _ = make_inspection(store)
    db = data_dir / DB_NAME
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    photos = photo_files(data_dir)
    for argv in (["list"], ["list", "--check"], ["show", inspection.id, "--check", "--json"]):
        assert main(argv) == 0
    capsys.readouterr()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert photo_files(data_dir) == photos


def test_repair_keeps_the_photos_of_a_lost_database(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(data_dir) as store:
        make_inspection(store)
    before = photo_files(data_dir)
    age_photos(data_dir)
    lose_database(data_dir, "deleted")

    assert main(["repair"]) == 0
    out = capsys.readouterr().out
    assert "The database was missing: a new one was created." in out
    assert f"{len(before)} photos had no record: kept in the new inspection" in out
    assert "cannot tell its vehicle, seller, inspection, shot" in out

    assert main(["list", "--json"]) == 0
    (recovered,) = json.loads(capsys.readouterr().out)
    assert recovered["vehicle"]["make"] == "Recovered photos"
    with Store(data_dir) as store:  # opens (and sweeps) normally again: nothing lost
        captures = store.captures(recovered["id"])
    assert {c.sha256 for c in captures} == set(before)
    assert photo_files(data_dir) == before
    # The recovered inspection is usable: a report, and a bundle another folder imports.
    assert (
        main(
            ["report", recovered["id"], "-o", str(tmp_path / "recovered.pdf"), "--allow-incomplete"]
        )
        == 0
    )
    assert main(["export", recovered["id"], "-o", str(tmp_path / "recovered.zip")]) == 0
    other = tmp_path / "other"
    assert main(["--data-dir", str(other), "import", str(tmp_path / "recovered.zip")]) == 0
    capsys.readouterr()
    # A second repair finds nothing more to do.
    assert main(["repair"]) == 0
    assert "Nothing to repair" in capsys.readouterr().out


def test_repair_salvages_a_damaged_database(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(data_dir) as store:
        first, _, _ = make_inspection(store)
        store.create_inspection(Inspection(id="second", checklist="standard"))
        for i in range(30):
            add(store, "second", jpeg_bytes(scene(64, 48, seed=100 + i)), shot="rear")
    before = photo_files(data_dir)
    db = data_dir / DB_NAME
    checkpoint(db)
    # Random bytes over one page holding capture rows (found with SQLite's dbstat).
    probe = sqlite3.connect(db)
    page_size = probe.execute("PRAGMA page_size").fetchone()[0]
    leaves = [
        n
        for (n,) in probe.execute(
            "SELECT pageno FROM dbstat WHERE name='captures' AND pagetype='leaf' ORDER BY pageno"
        )
    ]
    probe.close()
    assert len(leaves) >= 2
    corrupt(db, offset=(leaves[1] - 1) * page_size, length=page_size)
    # The listing reads no capture row (each inspection's shots are kept with it); reading
    # the captures finds the damage.
    codes = [main(["show", i]) for i in (first.id, "second")]
    assert 1 in codes
    assert "the database is damaged — see `inspector repair`" in capsys.readouterr().err

    assert main(["repair"]) == 3  # 3: some records could not be read back
    out = capsys.readouterr().out
    assert "The database was damaged: set aside as" in out
    assert "Recovered from it: 2 inspections, " in out
    assert "Part of the captures could not be read: those records are lost." in out
    assert "photos had no record: kept in the new inspection" in out
    aside = [p for p in data_dir.iterdir() if p.name.startswith(f"{DB_NAME}.damaged-")]
    assert aside, "the damaged database is kept aside"
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    check.close()
    with Store(data_dir) as store:
        assert store.used_photos() == set(before)  # every photo restored or adopted
        assert store.list_inspections()
    assert photo_files(data_dir) == before
    assert main(["list"]) == 0


_UNDECODABLE = {
    "part": "'not_a_part'",
    "type": "'not_a_type'",
    "severity": "99",
    "region": "'[0.1, 0.2'",  # cut JSON
}


def spoil_damage(db: Path, column: str) -> str:
    """Write a value no damage can have into one damage row, as disk trouble or a
    foreign tool could: SQLite still reads the row, the store cannot decode it."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA ignore_check_constraints=ON")  # severity 99 passes, as with such a tool
    (damage_id,) = con.execute("SELECT id FROM damages ORDER BY rowid LIMIT 1").fetchone()
    con.execute(f"UPDATE damages SET {column}={_UNDECODABLE[column]} WHERE id=?", (damage_id,))
    con.commit()
    con.close()
    return str(damage_id)


@pytest.mark.parametrize("column", sorted(_UNDECODABLE))
def test_repair_reports_an_undecodable_damage_in_a_damaged_database(
    data_dir: Path, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    with Store(data_dir) as store:
        inspection, _, damages = make_inspection(store)
        store.create_inspection(Inspection(id="second", checklist="standard"))
        for i in range(30):
            add(store, "second", jpeg_bytes(scene(64, 48, seed=100 + i)), shot="rear")
    assert len(damages) >= 2
    db = data_dir / DB_NAME
    checkpoint(db)
    spoiled = spoil_damage(db, column)
    probe = sqlite3.connect(db)
    page_size = probe.execute("PRAGMA page_size").fetchone()[0]
    (leaf,) = probe.execute(
        "SELECT pageno FROM dbstat WHERE name='captures' AND pagetype='leaf' "
        "ORDER BY pageno DESC LIMIT 1"
    ).fetchone()
    probe.close()
    corrupt(db, offset=(leaf - 1) * page_size, length=page_size)

    assert main(["repair"]) == 3  # reported, not a traceback
    out = capsys.readouterr().out
    assert "The database was damaged: set aside as" in out
    assert "damages could not be decoded or lost the record they belong to" in out
    with Store(data_dir) as store:
        kept = store.damages(inspection.id)  # every other damage decodes and is back
    assert spoiled not in {d.id for d in kept}
    assert len(kept) == len(damages) - 1
    assert main(["show", inspection.id]) == 0


@pytest.mark.parametrize("column", sorted(_UNDECODABLE))
def test_repair_sets_aside_a_database_with_an_undecodable_damage(
    data_dir: Path, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    with Store(data_dir) as store:
        inspection, _, damages = make_inspection(store)
    db = data_dir / DB_NAME
    spoiled = spoil_damage(db, column)
    assert main(["show", inspection.id]) == 1
    assert "see `inspector repair`" in capsys.readouterr().err

    assert main(["repair"]) == 3  # not "Nothing to repair": the record is lost
    out = capsys.readouterr().out
    assert "1 record could not be decoded" in out
    assert "1 damages could not be decoded or lost the record they belong to" in out
    (aside,) = [
        p
        for p in data_dir.iterdir()
        if p.name.startswith(f"{DB_NAME}.damaged-") and not p.name.endswith(("-wal", "-shm"))
    ]
    kept_aside = sqlite3.connect(aside)  # nothing is deleted: the row is in the copy set aside
    assert kept_aside.execute("SELECT count(*) FROM damages WHERE id=?", (spoiled,)).fetchone() == (
        1,
    )
    kept_aside.close()
    assert main(["show", inspection.id]) == 0  # the inspection opens again
    capsys.readouterr()
    with Store(data_dir) as store:
        assert len(store.damages(inspection.id)) == len(damages) - 1
    assert main(["repair"]) == 0
    assert "Nothing to repair" in capsys.readouterr().out


# -- item 2: a delete racing an import (or a capture with identical bytes) ---------

_IMPORTER = textwrap.dedent(
    """
    import contextlib, sys
    from inspector.domain.models import Capture, CaptureSource, Inspection, QualityReport, Verdict
    from inspector.storage.store import Store
    store = Store(sys.argv[1], database_url=sys.argv[3] or None)
    data = open(sys.argv[2], "rb").read()
    # What import_bundle does: photos first, then the rows, under the photos lock.
    hold = getattr(store, "writing_photos", contextlib.nullcontext)
    with hold():
        sha = store.write_photo(data)
        print("written", flush=True)
        sys.stdin.readline()
        inspection = Inspection(id="imported", checklist="standard")
        capture = Capture(id="c-imported", inspection_id="imported", shot_id="front",
                          sha256=sha, width=1, height=1, source=CaptureSource.STILL,
                          quality=QualityReport(Verdict.OK), size=len(data))
        store.import_rows(inspection, [capture], [])
    print("committed", flush=True)
    """
)


@pytest.mark.timeout(90)
def test_a_delete_racing_an_import_never_removes_a_photo_a_new_row_uses(
    data_dir: Path, tmp_path: Path, database_url: str | None
) -> None:
    photo = jpeg_bytes(scene(64, 48, seed=3))
    with Store(data_dir, database_url=database_url) as store:
        store.create_inspection(Inspection(id="old", checklist="standard"))
        sha = add(store, "old", photo)
    (tmp_path / "photo.jpg").write_bytes(photo)

    importer = subprocess.Popen(
        [
            *(sys.executable, "-c", _IMPORTER),
            *(str(data_dir), str(tmp_path / "photo.jpg"), database_url or ""),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert importer.stdout is not None and importer.stdin is not None
    assert importer.stdout.readline().strip() == "written"
    # Another process deletes the inspection that held the same photo...
    where = ["--data-dir", str(data_dir)]
    if database_url is not None:
        where += ["--database-url", database_url]
    deleter = subprocess.Popen(
        [sys.executable, "-m", "inspector", *where, "delete", "old"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    reader = Store(data_dir, database_url=database_url, readonly=True)
    deadline = time.monotonic() + 60
    while [i for i in reader.list_inspections() if i.id == "old"]:
        assert time.monotonic() < deadline, "the delete never committed"
        time.sleep(0.05)
    reader.close()
    time.sleep(0.5)  # ...and has had time to unlink what it thought unused
    importer.stdin.write("\n")
    importer.stdin.flush()
    assert importer.stdout.readline().strip() == "committed"
    assert importer.wait(timeout=30) == 0
    out, err = deleter.communicate(timeout=30)
    importer.stdin.close()
    importer.stdout.close()
    assert deleter.returncode == 0, err
    assert "Deleted inspection old" in out

    with Store(data_dir, database_url=database_url) as store:
        (capture,) = store.captures("imported")
        assert capture.sha256 == sha
        assert store.read_photo(sha) == photo, "the imported row points at a deleted photo"


def test_reusing_a_photo_file_makes_it_young_for_the_sweep(
    data_dir: Path, database_url: str | None
) -> None:
    photo = jpeg_bytes(scene(64, 48, seed=4))
    with Store(data_dir, database_url=database_url) as store:
        store.create_inspection(Inspection(id="k", checklist="standard"))
        add(store, "k", b"another photo")  # the sweep only runs when some row exists
        sha = store.write_photo(photo)  # an orphan left by a killed process long ago
        os.utime(store.photo_path(sha), (TWO_HOURS_AGO, TWO_HOURS_AGO))
        # A capture with identical bytes reuses the file; before its row is committed,
        # another process opens the data folder (and sweeps old orphans).
        assert store.write_photo(photo) == sha
        Store(data_dir, database_url=database_url).close()
        assert store.photo_path(sha).exists(), "the sweep removed a photo being reused"
        add(store, "k", photo)
        assert store.read_photo(sha) == photo


# -- item 3: a damaged local file is not reused ------------------------------------


def test_a_damaged_photo_file_is_replaced_when_the_same_bytes_are_written(store: Store) -> None:
    photo = jpeg_bytes(scene(64, 48, seed=5))
    sha = store.write_photo(photo)
    path = store.photo_path(sha)
    damaged = bytearray(photo)
    damaged[len(damaged) // 2] ^= 0xFF  # one byte changed on disk, same size
    path.write_bytes(bytes(damaged))
    assert store.write_photo(photo) == sha
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha


# -- the same guarantees with the photos in S3 (a real SeaweedFS) ------------------


def s3_photos(store: Store) -> dict[str, int]:
    return {p.sha256: p.size for p in store.list_photos()}


@pytest.mark.parametrize("how", ["deleted", "truncated"])
def test_s3_a_lost_database_is_refused_and_repair_keeps_the_photos(
    data_dir: Path,
    s3_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    monkeypatch.setenv("INSPECTOR_PHOTO_STORE", s3_url)  # as a deployment sets it
    with Store(data_dir, photo_store=s3_url) as store:
        make_inspection(store)
        before = s3_photos(store)
    assert photo_files(data_dir) == {}  # none in the data folder
    lose_database(data_dir, how)

    for argv in (["list"], ["show", "a1b2"], ["new", "--make", "Fiat"]):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 1, argv
        assert f"the photo store {s3_url} holds photos but there is no database" in err
        assert "run `inspector repair`" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(StoreError, match="holds photos but there is no database"):
        Store(data_dir, photo_store=s3_url)
    if how == "deleted":
        assert not (data_dir / DB_NAME).exists()  # not even an empty one was created

    assert main(["repair"]) == 0
    out = capsys.readouterr().out
    assert f"{len(before)} photos had no record: kept in the new inspection" in out
    assert main(["list", "--json"]) == 0
    (recovered,) = json.loads(capsys.readouterr().out)
    assert recovered["vehicle"]["make"] == "Recovered photos"
    with Store(data_dir, photo_store=s3_url) as store:  # opens (and sweeps) normally again
        assert {c.sha256 for c in store.captures(recovered["id"])} == set(before)
        assert store.sweep_orphans(min_age_seconds=0) == 0
        assert s3_photos(store) == before


def test_s3_a_database_restored_from_an_older_backup_keeps_the_newer_photos(
    data_dir: Path, s3_url: str
) -> None:
    with Store(data_dir, photo_store=s3_url) as store:
        store.create_inspection(Inspection(id="older", checklist="standard"))
        add(store, "older", jpeg_bytes(scene(64, 48, seed=1)))
    backup = (data_dir / DB_NAME).read_bytes()
    with Store(data_dir, photo_store=s3_url) as store:
        make_inspection(store)  # the work done since the backup
        before = s3_photos(store)
    lose_database(data_dir, "deleted")
    (data_dir / DB_NAME).write_bytes(backup)
    with Store(data_dir, photo_store=s3_url) as store:
        # Every newer photo is old enough to go, but a whole inspection's worth is not
        # a few killed uploads: nothing is swept.
        assert len(before) - 1 > ORPHAN_SWEEP_LIMIT
        assert store.sweep_orphans(min_age_seconds=0) == 0
        assert s3_photos(store) == before


def test_s3_read_only_commands_change_nothing(
    data_dir: Path, s3_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(data_dir, photo_store=s3_url) as store:
        inspection, _, _ = make_inspection(store)
        photos = s3_photos(store)
    db = data_dir / DB_NAME
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    assert main(["--photo-store", s3_url, "list", "--check"]) == 0
    assert "  ok  " in capsys.readouterr().out  # every photo read back and hashed
    assert main(["--photo-store", s3_url, "show", inspection.id, "--check", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {c["photo"] for c in shown["captures"]} == {"ok"}
    with Store(data_dir, photo_store=s3_url, readonly=True) as store:
        gone = next(iter(photos))
        store.photos._client.delete_object(Bucket=store.photos.bucket, Key=store.photos.key(gone))  # type: ignore[attr-defined]
    assert main(["--photo-store", s3_url, "list"]) == 0  # one listing of the bucket
    assert "1 missing" in capsys.readouterr().out
    photos.pop(gone)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    with Store(data_dir, photo_store=s3_url, readonly=True) as store:
        assert s3_photos(store) == photos


_S3_IMPORTER = textwrap.dedent(
    """
    import sys
    from inspector.domain.models import Capture, CaptureSource, Inspection, QualityReport, Verdict
    from inspector.storage.store import Store
    store = Store(sys.argv[1], photo_store=sys.argv[3])
    data = open(sys.argv[2], "rb").read()
    with store.writing_photos():  # what import_bundle does: photos, then the rows
        sha = store.write_photo(data)
        print("written", flush=True)
        sys.stdin.readline()
        inspection = Inspection(id="imported", checklist="standard")
        capture = Capture(id="c-imported", inspection_id="imported", shot_id="front",
                          sha256=sha, width=1, height=1, source=CaptureSource.STILL,
                          quality=QualityReport(Verdict.OK), size=len(data))
        store.import_rows(inspection, [capture], [])
    print("committed", flush=True)
    """
)

_S3_DELETER = textwrap.dedent(
    """
    import sys
    from inspector.storage.photostore.s3 import S3PhotoStore
    from inspector.storage.store import Store
    photos = S3PhotoStore(sys.argv[2], grace_seconds=float(sys.argv[3]))
    with Store(sys.argv[1], photo_store=photos) as store:
        print("ready", flush=True)
        sys.stdin.readline()
        store.delete_inspection("old")
    print("deleted", flush=True)
    """
)

GRACE = 2.0
"""A grace period the tests can wait out (S3's times are to the second)."""


@pytest.mark.timeout(90)
def test_s3_a_delete_racing_an_import_never_removes_a_photo_a_new_row_uses(
    data_dir: Path, tmp_path: Path, s3_url: str
) -> None:
    """No lock on S3: the import's upload makes the shared photo young again, and the
    delete (in another process) leaves young photos alone. The delete is not idle: the
    old inspection's own photo, unused and old, goes."""
    photo, own = jpeg_bytes(scene(64, 48, seed=3)), jpeg_bytes(scene(64, 48, seed=30))
    with Store(data_dir, photo_store=s3_url) as store:
        store.create_inspection(Inspection(id="old", checklist="standard"))
        sha, own_sha = add(store, "old", photo), add(store, "old", own, shot="rear")
    (tmp_path / "photo.jpg").write_bytes(photo)
    time.sleep(GRACE + 1.5)  # both photos are older than the grace period now

    # Both processes are started first: the delete then runs well within the grace
    # period of the import's upload (times are to the second).
    deleter = subprocess.Popen(
        [sys.executable, "-c", _S3_DELETER, str(data_dir), s3_url, str(GRACE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    importer = subprocess.Popen(
        [sys.executable, "-c", _S3_IMPORTER, str(data_dir), str(tmp_path / "photo.jpg"), s3_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert deleter.stdout is not None and deleter.stdin is not None
    assert importer.stdout is not None and importer.stdin is not None
    assert deleter.stdout.readline().strip() == "ready"
    assert importer.stdout.readline().strip() == "written"
    deleter.stdin.write("\n")
    deleter.stdin.flush()
    assert deleter.stdout.readline().strip() == "deleted"
    assert deleter.wait(timeout=30) == 0
    importer.stdin.write("\n")
    importer.stdin.flush()
    assert importer.stdout.readline().strip() == "committed"
    assert importer.wait(timeout=30) == 0
    for proc in (deleter, importer):
        proc.stdin.close()  # type: ignore[union-attr]
        proc.stdout.close()  # type: ignore[union-attr]

    with Store(data_dir, photo_store=s3_url) as store:
        (capture,) = store.captures("imported")
        assert capture.sha256 == sha
        assert store.read_photo(sha) == photo, "the imported row points at a deleted photo"
        assert store.photo_state(own_sha) == "missing"  # the delete did delete


def test_s3_a_photo_deleted_between_its_upload_and_its_row_is_stored_again(
    data_dir: Path, s3_url: str, s3_server: SeaweedS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The instant no age check covers: a delete lands after the upload, before the commit.
    The writer checks once its row is committed, and stores the photo again."""
    photo = jpeg_bytes(scene(64, 48, seed=6))
    with Store(data_dir, photo_store=s3_url) as store:
        store.create_inspection(Inspection(id="k", checklist="standard"))
        photos = store.photos
        assert isinstance(photos, S3PhotoStore)
        insert = store._insert_capture

        def racing_delete_then_insert(capture: Capture) -> None:
            s3_server.admin().delete_object(Bucket=photos.bucket, Key=photos.key(capture.sha256))  # type: ignore[attr-defined]
            assert not photos.exists(capture.sha256)
            insert(capture)

        monkeypatch.setattr(store, "_insert_capture", racing_delete_then_insert)
        sha = add(store, "k", photo)
        assert store.read_photo(sha) == photo


def test_s3_storing_a_photo_again_makes_it_young_for_the_sweep(data_dir: Path, s3_url: str) -> None:
    photo, forgotten = jpeg_bytes(scene(64, 48, seed=4)), jpeg_bytes(scene(64, 48, seed=40))
    with Store(data_dir, photo_store=s3_url) as store:
        store.create_inspection(Inspection(id="k", checklist="standard"))
        add(store, "k", b"another photo")  # the sweep only runs when some row exists
        sha = store.write_photo(photo)  # orphans left by a killed process
        forgotten_sha = store.write_photo(forgotten)
    # S3 times have a one-second resolution (LastModified, Date) and opening a store on
    # a loaded machine takes a while: a longer grace keeps the photo stored again young.
    grace = GRACE * 2
    time.sleep(grace + 1.5)
    with Store(data_dir, photo_store=s3_url) as store:  # another process, later
        # A capture with identical bytes stores the photo again; before its row is
        # committed, another process sweeps.
        assert store.write_photo(photo) == sha
        with Store(data_dir, photo_store=s3_url) as sweeper:
            assert sweeper.sweep_orphans(min_age_seconds=grace) == 1
        assert store.photo_state(sha) == "ok", "the sweep removed a photo being reused"
        assert store.photo_state(forgotten_sha) == "missing"
        add(store, "k", photo)
        assert store.read_photo(sha) == photo


def test_s3_an_altered_photo_is_seen_and_replaced_when_the_same_bytes_are_written(
    data_dir: Path, s3_url: str, s3_server: SeaweedS3
) -> None:
    photo = jpeg_bytes(scene(64, 48, seed=5))
    with Store(data_dir, photo_store=s3_url) as store:
        sha = store.write_photo(photo)
        photos = store.photos
        assert isinstance(photos, S3PhotoStore)
    damaged = bytearray(photo)
    damaged[len(damaged) // 2] ^= 0xFF
    s3_server.admin().put_object(Bucket=photos.bucket, Key=photos.key(sha), Body=bytes(damaged))  # type: ignore[attr-defined]
    with Store(data_dir, photo_store=s3_url) as store:
        assert store.photo_state(sha, deep=True) == "altered"
        with pytest.raises(StoreError, match="altered"):
            store.read_photo(sha)
        assert store.write_photo(photo) == sha
        assert store.photo_state(sha, deep=True) == "ok"


# -- a photo folder that is missing or cannot be used ------------------------------------


def _capture(store: Store, inspection_id: str) -> Capture:
    photo = jpeg_bytes(scene(64, 48, seed=5))
    return store.add_capture(
        inspection_id,
        "front",
        photo,
        width=64,
        height=48,
        source=CaptureSource.STILL,
        quality=QualityReport(Verdict.OK),
    )


def test_a_photo_folder_missing_or_unusable_is_made_or_named_in_one_line(
    data_dir: Path, tmp_path: Path
) -> None:
    """A folder photo store not made yet is made by the first capture (the writers' lock
    used to fail on it with a raw FileNotFoundError); one that cannot be made or
    written is one line, and no row is left without its photo."""
    from tests.inspector.live_fixtures import make_inspection as new_inspection
    from tests.inspector.os_fixtures import read_only_view

    later = tmp_path / "share" / "photos"
    with Store(data_dir, photo_store=str(later)) as store:
        inspection = new_inspection(store, "quick")
        capture = _capture(store, inspection.id)
        assert store.photo_state(capture.sha256, deep=True) == "ok"
        assert (later / "photos").is_dir()

    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"not a folder")
    frozen = tmp_path / "frozen"
    (frozen / "photos").mkdir(parents=True)
    with read_only_view(frozen, tmp_path / "ro") as read_only:
        for where, words in (
            (blocker / "photos", "cannot create"),
            (read_only, "cannot be written (Read-only file system)"),
        ):
            data = tmp_path / f"data-{where.name}"
            with (
                pytest.raises(StoreError) as failed,  # at the open's sweep, or the capture
                Store(data, photo_store=str(where)) as store,
            ):
                _capture(store, new_inspection(store, "quick").id)
            text = str(failed.value)
            assert words in text and str(where) in text and "\n" not in text, text
            with Store(data) as records:  # nothing half-written
                assert all(not records.captures(i.id) for i in records.list_inspections())


def test_the_photos_lock_of_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    from inspector.storage.photos import photos_lock

    with (
        pytest.raises(StoreError, match="does not exist: is its disk or network share mounted"),
        photos_lock(tmp_path / "unmounted", exclusive=False, timeout=1),
    ):
        pass


def test_repair_brings_back_what_the_seller_and_the_inspector_added(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not only inspections, captures and damages: the seller's signature and the answer
    on recording, the readings of identity photos, the listing's blur boxes and scans."""
    from inspector.domain.models import Region
    from inspector.domain.privacy import BlurBox
    from inspector.domain.recording import CallRecording
    from inspector.storage.blur import BlurScan
    from inspector.storage.readings import StoredReading
    from tests.inspector.report.test_report_signatures import sign

    with Store(data_dir) as store:
        inspection, captures, _ = make_inspection(store)
        front = next(iter(captures.values()))
        signature = sign(store, inspection.id)
        store.add_reading(StoredReading(front.id, inspection.id, "plate", "AB-123-CD", 0.97))
        box = BlurBox("box1", inspection.id, front.id, Region(0.1, 0.2, 0.3, 0.1), "plate")
        assert store.add_blur_scan(
            BlurScan(front.id, inspection.id, "cascades", box.created_at), [box]
        )
        store.add_recording(CallRecording("rec1", inspection.id, False, box.created_at))
    db = data_dir / DB_NAME
    checkpoint(db)
    spoil_damage(db, "part")  # a record the store cannot decode: the file is salvaged

    assert main(["repair"]) == 3
    out = capsys.readouterr().out
    assert "1 seller's signatures and remarks" in out and "1 blur boxes" in out
    with Store(data_dir) as store:
        [back] = store.signatures(inspection.id)
        assert back.png_sha256 == signature.png_sha256
        assert store.signature_png(back.png_sha256)  # its drawing is still there
        assert [r.text for r in store.readings(inspection.id)] == ["AB-123-CD"]
        assert store.blur_boxes(inspection.id) == [box]
        assert [s.capture_id for s in store.blur_scans(inspection.id)] == [front.id]
        [answer] = store.recordings(inspection.id)
        assert answer.id == "rec1" and answer.consent is False
