"""A round-1 database (schema 2, made by the round-1 program) upgrades in place.

``data/round1.db`` was written by the round-1 code itself (``make_round1_db.py``
says how): two inspections, one deleted, captures, damages and tokens.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from inspector.domain.progress import ShotsTaken
from inspector.storage.errors import StoreError
from inspector.storage.sql import head, make_engine, upgrade
from inspector.storage.store import Store

from .schema_view import check_texts, column_types, describe

FIXTURE = Path(__file__).with_name("data") / "round1.db"
TABLES = ("inspections", "captures", "damages", "tokens")


def rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return {
            t: [dict(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY rowid")] for t in TABLES
        }
    finally:
        db.close()


def with_new_columns(before: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Every row, every value as it was; the columns added since hold their defaults, and
    the inspection's shots are filled from its captures (0006)."""
    shots = '{"captures": 3, "taken": ["front", "rear"], "unusable": []}'
    new_columns = {
        "inspections": {"version": 1, "shots": shots},
        "damages": {"pair": None, "to_complete": 0, "version": 1},
        "tokens": {"mode": "self"},  # 0011: links from before ran their call on the server
    }
    return {t: [{**r, **new_columns.get(t, {})} for r in before[t]] for t in TABLES}


@pytest.fixture
def round1(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    path = data_dir / "inspector.db"
    shutil.copyfile(FIXTURE, path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
    return path


def test_round1_fixture_upgrades_keeping_every_row(round1: Path, tmp_path: Path) -> None:
    before = rows(round1)
    assert [len(before[t]) for t in TABLES] == [1, 3, 2, 3]  # the fixture is not empty
    engine = make_engine(f"sqlite:///{round1}", poolclass=sa.NullPool)
    assert upgrade(engine) == head()
    after = rows(round1)
    assert after == with_new_columns(before)
    # The same schema a new database gets (and the same version number).
    today = make_engine(f"sqlite:///{tmp_path / 'today.db'}")
    upgrade(today)
    assert describe(engine) == describe(today)
    assert column_types(engine) == column_types(today)
    assert check_texts(engine) == check_texts(today)
    assert sqlite3.connect(round1).execute("PRAGMA user_version").fetchone()[0] == 11  # head: 0011
    assert sqlite3.connect(round1).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sqlite3.connect(round1).execute("PRAGMA foreign_key_check").fetchall() == []


def test_the_store_upgrades_a_round1_database_in_place(round1: Path) -> None:
    """What a user meets: the new program opens the round-1 folder, every row is kept."""
    before = rows(round1)
    store = Store(round1.parent)
    try:
        assert store.schema_revision == head()
        (inspection,) = store.list_inspections()
        assert inspection.vehicle.plate == "AB-123-CD" and inspection.version == 1
        assert inspection.seller.name == "Élodie Martin"
        captures = store.captures(inspection.id)
        assert [c.shot_id for c in captures] == ["front", "front", "rear"]
        assert [s.shots for s in store.listing()] == [ShotsTaken.of(captures)]
        assert captures[1].retake_of == captures[0].id and captures[1].accepted is True
        damages = store.damages(inspection.id)
        assert [(d.id, d.pair, d.to_complete, d.version) for d in damages] == [
            ("d1", None, False, 1),
            ("d2", None, False, 1),
        ]
        assert damages[0].region is not None and damages[0].note == "rayure légère"
        revoked = {h: store.token_record(h * 64) for h in "abcd"}
        assert {h: r[2] for h, r in revoked.items() if r is not None} == {
            "a": True,
            "b": True,
            "c": False,  # "d" went with its deleted inspection
        }
    finally:
        store.close()
    assert rows(round1) == with_new_columns(before)


def test_a_read_only_store_reads_a_round1_database_leaving_the_file_as_it_was(
    round1: Path,
) -> None:
    """`inspector list` right after upgrading the program: read through an upgraded
    private copy, the file untouched until something writes."""
    before = hashlib.sha256(round1.read_bytes()).hexdigest()
    with Store(round1.parent, readonly=True) as store:
        (inspection,) = store.list_inspections()
        assert [d.id for d in store.damages(inspection.id)] == ["d1", "d2"]
        assert store.schema_revision == head()
    assert hashlib.sha256(round1.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in round1.parent.iterdir()) == ["inspector.db"]


def test_a_failed_upgrade_leaves_the_database_as_it_was(round1: Path) -> None:
    """Stamp and upgrade are one transaction: a failure midway changes nothing."""
    db = sqlite3.connect(round1, isolation_level=None)
    # Revision 0003 adds `to_complete`: a column already there makes it fail after
    # the stamp, after `pair` was added.
    db.execute("ALTER TABLE damages ADD COLUMN to_complete INTEGER")
    before = db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    db.close()
    with pytest.raises(
        StoreError, match=r"^cannot migrate the database: duplicate column name: to_complete$"
    ):
        upgrade(make_engine(f"sqlite:///{round1}", poolclass=sa.NullPool))
    db = sqlite3.connect(round1)
    assert db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall() == before
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
