"""The Alembic migrations build the schema on SQLite and on a real PostgreSQL.

The metadata and the revisions agree on both backends; up to revision 0003 they make
what the hand-written ``user_version`` migrations of earlier versions made
(:mod:`.handwritten`), so a database those made is adopted and upgraded in place.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from inspector.storage.errors import StoreError
from inspector.storage.sql import head, make_engine, metadata, revision_of, upgrade
from inspector.storage.sql.legacy import REVISIONS
from inspector.storage.sql.revisions import alembic_config, behind

from .handwritten import SCHEMA_VERSION, handwritten_database
from .schema_view import check_texts, column_types, describe

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine on an empty database: an SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'inspector.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url, poolclass=sa.NullPool)
    yield engine
    engine.dispose()


def sqlite_engine(path: Path) -> sa.Engine:
    return make_engine(f"sqlite:///{path}", poolclass=sa.NullPool)


def differences(engine: sa.Engine) -> list[object]:
    """What Alembic's autogenerate would change to reach the metadata (types included)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def test_revisions_mirror_the_user_version_migrations() -> None:
    assert sorted(REVISIONS) == list(range(1, SCHEMA_VERSION + 1))
    assert REVISIONS[SCHEMA_VERSION] == "0003"
    # 0004 (row versions) is the first revision with no hand-written twin; after 0006 (the
    # blur boxes of the listing's photos) and 0007 (each inspection's shots kept for
    # listings), 0008 (the consent to record the call and the recordings), 0009 (accounts, sessions,
    # failed logins and the audit log), 0010 (which device and process hold a live
    # inspection), 0011 (each join link's mode: self or operator) is the newest.
    assert head() == "0011"


@pytest.mark.timeout(120)
def test_upgrade_from_empty_to_head_matches_the_metadata(backend: sa.Engine) -> None:
    assert upgrade(backend) == head()
    assert differences(backend) == []
    with backend.connect() as conn:
        assert revision_of(conn) == head()
    assert set(describe(backend)) == set(metadata.tables)


@pytest.mark.timeout(120)
def test_sqlite_and_postgresql_get_the_same_schema(tmp_path: Path, pg_url: str) -> None:
    lite = sqlite_engine(tmp_path / "inspector.db")
    pg = make_engine(pg_url, poolclass=sa.NullPool)
    try:
        upgrade(lite)
        upgrade(pg)
        assert describe(lite) == describe(pg)
        # Types differ only where the metadata says so (flags, byte sizes).
        for engine in (lite, pg):
            expected = {
                (t.name, c.name): c.type.compile(dialect=engine.dialect)
                for t in metadata.sorted_tables
                for c in t.columns
            }
            assert column_types(engine) == expected
        pg_types = column_types(pg)
        assert pg_types["damages", "to_complete"] == "BOOLEAN"
        assert pg_types["captures", "size"] == "BIGINT"
    finally:
        lite.dispose()
        pg.dispose()


def test_revisions_make_the_handwritten_schema_on_sqlite(tmp_path: Path) -> None:
    for version, revision in REVISIONS.items():
        old = sqlite_engine(handwritten_database(tmp_path / f"old{version}.db", version))
        alembic = sqlite_engine(tmp_path / f"alembic{version}.db")
        upgrade(alembic, revision)
        assert describe(alembic) == describe(old)
        assert column_types(alembic) == column_types(old)
        assert check_texts(alembic) == {**check_texts(old), "alembic_version": []}
        assert user_version(tmp_path / f"alembic{version}.db") == version
    upgrade(alembic)
    assert user_version(tmp_path / f"alembic{version}.db") == 11  # head: 0011


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


@pytest.mark.timeout(120)
def test_constraints_hold_on_both_backends(backend: sa.Engine) -> None:
    from inspector.storage.sql.tables import captures, damages, inspections, tokens

    upgrade(backend)
    text = {"created_at": "2026-12-01T06:00:00+00:00", "updated_at": "2026-12-01T06:00:00+00:00"}
    with backend.begin() as c:
        c.execute(
            inspections.insert(),
            {
                "id": "i1",
                **text,
                "status": "draft",
                "checklist": "standard",
                "vehicle": "{}",
                "seller": "{}",
            },
        )
        c.execute(
            captures.insert(),
            {
                "id": "c1",
                "seq": 1,
                "inspection_id": "i1",
                "shot_id": "front",
                "sha256": "0" * 64,
                "mime": "image/jpeg",
                "size": 5 * 2**31,
                "width": 4000,
                "height": 3000,
                "source": "still",
                "captured_at": text["created_at"],
                "quality": "{}",
                "accepted": True,
            },
        )
        damage = {
            "inspection_id": "i1",
            "part": "front_bumper",
            "type": "dent",
            "severity": 2,
            "created_at": text["created_at"],
        }
        c.execute(damages.insert(), {**damage, "id": "d1", "capture_id": "c1", "pair": 1})
        c.execute(damages.insert(), {**damage, "id": "d2"})
        c.execute(damages.insert(), {**damage, "id": "d3"})  # several without a pair
        c.execute(
            tokens.insert(),
            {
                "token_hash": "t" * 64,
                "inspection_id": "i1",
                "created_at": text["created_at"],
                "expires_at": "x",
            },
        )
    with backend.connect() as c:
        row = c.execute(
            sa.select(damages.c.to_complete, damages.c.note).where(damages.c.id == "d2")
        ).one()
        assert (bool(row.to_complete), row.note) == (False, "")  # the server defaults
        assert c.execute(sa.select(captures.c.size)).scalar_one() == 5 * 2**31
        assert bool(c.execute(sa.select(tokens.c.revoked)).scalar_one()) is False
    for bad in (
        {**damage, "id": "d4", "severity": 4},
        {**damage, "id": "d4", "pair": 0},
        {**damage, "id": "d4", "pair": 1},  # the pair is taken in this inspection
        {**damage, "id": "d4", "inspection_id": "nobody"},
    ):
        with pytest.raises(sa.exc.IntegrityError), backend.begin() as c:
            c.execute(damages.insert(), bad)
    with backend.begin() as c:
        c.execute(captures.delete().where(captures.c.id == "c1"))
        assert c.execute(sa.select(damages.c.capture_id).where(damages.c.id == "d1")).one() == (
            None,
        )
        c.execute(inspections.delete())
        for table in (captures, damages, tokens):
            assert c.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0


@pytest.mark.timeout(120)
def test_downgrade_to_nothing_and_back(backend: sa.Engine) -> None:
    upgrade(backend)
    with backend.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert describe(backend) == {}
    upgrade(backend)
    assert differences(backend) == []


# -- adopting a database today's code made --------------------------------------------


def test_a_handwritten_database_is_stamped_unchanged_then_upgraded(tmp_path: Path) -> None:
    path = handwritten_database(tmp_path / "inspector.db")
    before = sqlite3.connect(path).execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    engine = sqlite_engine(path)
    with engine.connect() as c:
        assert behind(c)
    assert upgrade(engine, REVISIONS[SCHEMA_VERSION]) == "0003"
    after = sqlite3.connect(path).execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    assert [r for r in after if r[1] != "alembic_version" and "alembic" not in r[1]] == before
    assert upgrade(engine) == head()
    fresh = sqlite_engine(tmp_path / "fresh.db")
    upgrade(fresh)
    assert describe(engine) == describe(fresh)  # key columns aside (SQLite let TEXT keys be NULL)
    with engine.connect() as c:
        assert not behind(c)
    assert upgrade(engine) == head()  # again: nothing to do


def test_newer_or_foreign_databases_are_refused(tmp_path: Path) -> None:
    newer = handwritten_database(tmp_path / "newer.db")
    sqlite3.connect(newer, isolation_level=None).execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match=r"newer version \(schema 99"):
        upgrade(sqlite_engine(newer))

    ahead = tmp_path / "ahead.db"
    upgrade(sqlite_engine(ahead))
    sqlite3.connect(ahead, isolation_level=None).execute(
        "UPDATE alembic_version SET version_num = '9999'"
    )
    with pytest.raises(StoreError, match=r"newer version \(revision 9999"):
        upgrade(sqlite_engine(ahead))

    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign, isolation_level=None).execute("CREATE TABLE orders (id INTEGER)")
    with pytest.raises(StoreError, match=r"tables this program did not make \(orders\)"):
        upgrade(sqlite_engine(foreign))


_UPGRADER = """
import sys
from inspector.storage.sql import make_engine, upgrade
engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
print(upgrade(engine), flush=True)
"""


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_concurrent_upgrades_of_one_database_all_succeed(backend: sa.Engine) -> None:
    """Processes starting at once on one database: one migrates, the others wait and find
    it done (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE)."""
    url = backend.url.render_as_string(hide_password=False)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _UPGRADER, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        for p in procs:  # all imported and connected-to-be: then all go at once
            assert p.stdout is not None and p.stdout.readline() == "ready\n"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outcomes = [p.communicate(timeout=90) for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [(out.strip(), err) for out, err in outcomes] == [(head(), "")] * 3
    assert differences(backend) == []


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    for url in (f"sqlite:///{missing}/inspector.db", f"postgresql://nobody@/x?host={missing}"):
        engine = make_engine(url, poolclass=sa.NullPool)
        with pytest.raises(StoreError, match=r"^cannot migrate the database: [^\n]+$"):
            upgrade(engine)


def test_the_store_opens_a_database_alembic_made(
    tmp_path: Path, vehicle_input: dict[str, object], seller_input: dict[str, object]
) -> None:
    """A database migrated by Alembic alone (say by an operations team) is an ordinary store."""
    from inspector.domain.models import (
        CaptureSource,
        Damage,
        DamageType,
        Part,
        QualityReport,
        Severity,
        Verdict,
    )
    from inspector.storage.store import Store
    from inspector.usecases.inspections import create_inspection
    from tests.data import jpeg_bytes, scene

    upgrade(sqlite_engine(tmp_path / "inspector.db"))
    store = Store(tmp_path)
    try:
        assert store.schema_revision == head()
        inspection, _ = create_inspection(store, vehicle=vehicle_input, seller=seller_input)
        image = scene(64, 48)
        capture = store.add_capture(
            inspection.id,
            "front",
            jpeg_bytes(image),
            width=64,
            height=48,
            source=CaptureSource.STILL,
            quality=QualityReport(Verdict.OK),
        )
        store.add_damage(
            Damage(
                "d1",
                inspection.id,
                capture.id,
                Part.FRONT_BUMPER,
                DamageType.DENT,
                Severity.MINOR,
                pair=1,
                to_complete=True,
            )
        )
        assert [c.id for c in store.captures(inspection.id)] == [capture.id]
        assert [(d.pair, d.to_complete) for d in store.damages(inspection.id)] == [(1, True)]
    finally:
        store.close()
