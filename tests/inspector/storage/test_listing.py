"""The fast listing (``Store.listing``: each inspection's shots kept with its row) against
the long way (``Store.records``: every capture decoded, then ``progress``), on SQLite
and PostgreSQL: after every kind of write the two must give the same figures."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from inspector.domain.checklist import load_checklist
from inspector.domain.models import (
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Inspection,
    Part,
    QualityReason,
    QualityReport,
    Seller,
    Severity,
    Vehicle,
    Verdict,
)
from inspector.domain.progress import Completion, ShotsTaken, progress
from inspector.i18n import LocalText
from inspector.storage import DatabaseDamaged, rows
from inspector.storage.rows import CaptureDetails
from inspector.storage.sql import head, make_engine
from inspector.storage.sql.revisions import alembic_config
from inspector.storage.sql.tables import inspections
from inspector.storage.store import Store

STANDARD = load_checklist("standard")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def counts(c: Completion) -> tuple[object, ...]:
    return (c.done, c.required, c.captured, c.total, c.complete, c.missing, c.optional_missing)


def shown(i: Inspection) -> tuple[object, ...]:
    """What a listing row holds of an inspection, from the inspection itself."""
    return (
        i.id,
        i.status,
        i.checklist,
        i.vehicle.title(),
        i.vehicle.plate,
        i.seller.name,
        i.created_at,
        i.updated_at,
        i.version,
    )


def assert_listing_agrees(store: Store) -> None:
    """Every figure a listing shows, the fast way and the long way."""
    records = store.records()
    listed = store.listing()
    assert [s[:9] for s in listed] == [shown(r.inspection) for r in records]
    for s, r in zip(listed, records, strict=True):
        assert s.shots == ShotsTaken.of(r.captures), s.id
        assert s.shots.captures == len(r.captures)
        assert counts(s.completion(STANDARD)) == counts(
            progress(STANDARD, r.captures, r.damages)
        ), s.id
        assert str(s.completion(STANDARD)) == str(progress(STANDARD, r.captures, r.damages))


def capture(store: Store, inspection_id: str, shot: str, data: bytes, verdict: Verdict) -> Capture:
    return store.add_capture(
        inspection_id,
        shot,
        data,
        width=10,
        height=10,
        source=CaptureSource.STILL,
        quality=QualityReport(verdict),
    )


def new(store: Store, inspection_id: str) -> Inspection:
    return store.create_inspection(Inspection(id=inspection_id, checklist="standard"))


def test_the_listing_agrees_with_the_records_after_every_kind_of_write(store: Store) -> None:
    new(store, "empty")
    new(store, "a")
    assert_listing_agrees(store)
    front = capture(store, "a", "front", b"a front", Verdict.OK)
    rear = capture(store, "a", "rear", b"a rear", Verdict.REJECT)  # not usable
    capture(store, "a", "side_left", b"a left", Verdict.WARN)  # usable, below the bar
    assert_listing_agrees(store)
    assert [s.shots for s in store.listing() if s.id == "a"] == [
        ShotsTaken(3, frozenset({"front", "rear", "side_left"}), frozenset({"front", "side_left"}))
    ]
    store.set_capture_accepted(rear.id, True)  # the inspector keeps the rejected one
    assert_listing_agrees(store)
    store.set_capture_accepted(front.id, False)  # and refuses a good one
    assert_listing_agrees(store)
    store.set_capture_accepted(front.id, None)
    assert_listing_agrees(store)
    retake = capture(store, "a", "rear", b"a rear again", Verdict.REJECT)
    store.accept_for_review(
        retake.id, QualityReason("kept_after_attempts", LocalText.of({"en": "kept"}))
    )
    assert_listing_agrees(store)

    # Damage pairs: recorded before their photos, then photographed; a second pair only
    # photographed (wide view rejected).
    store.add_damage(Damage("d1", "a", None, Part.ROOF, DamageType.DENT, Severity.MINOR, pair=1))
    assert_listing_agrees(store)
    capture(store, "a", "damage_1_wide", b"wide 1", Verdict.OK)
    capture(store, "a", "damage_2_closeup", b"close 2", Verdict.OK)
    capture(store, "a", "damage_2_wide", b"wide 2", Verdict.REJECT)
    assert_listing_agrees(store)
    store.delete_damage("d1")
    assert_listing_agrees(store)

    # A capture made earlier (the live session's spool), and an imported inspection.
    new(store, "b")
    details: CaptureDetails = {
        "width": 1,
        "height": 1,
        "source": CaptureSource.STILL,
        "quality": QualityReport(Verdict.OK),
    }
    store.put_capture(rows.new_capture("b", "front", sha256(b"abc"), 3, details), b"abc")
    imported = Inspection(id="imported", checklist="standard")
    kept = [
        dataclasses.replace(c, id=rows.new_id(), inspection_id="imported")
        for c in store.captures("a")
    ]
    store.import_rows(
        imported,
        kept,
        [Damage("d2", "imported", None, Part.BONNET, DamageType.SCRATCH, Severity.SEVERE, pair=3)],
    )
    assert_listing_agrees(store)
    store.delete_inspection("a")
    assert_listing_agrees(store)


def test_a_complete_inspection_lists_as_complete(store: Store) -> None:
    new(store, "full")
    for n, shot in enumerate(s for s in STANDARD.shots if s.required):
        capture(store, "full", shot.id, b"shot %d" % n, Verdict.OK)
    (summary,) = store.listing()
    done = summary.completion(STANDARD)
    assert done.complete and str(done) == f"{done.required}/{done.required}"
    assert_listing_agrees(store)


def test_where_the_summary_is_not_known_the_captures_are_read(store: Store) -> None:
    new(store, "a")
    capture(store, "a", "front", b"front", Verdict.OK)
    capture(store, "a", "rear", b"rear", Verdict.REJECT)
    with store._transaction() as db:
        db.execute(inspections.update().values(shots=None))
    assert_listing_agrees(store)
    assert store.listing()[0].shots.captures == 2


@pytest.mark.parametrize(
    "name",
    [
        "Élodie Ñúñez",  # escaped \\u00c9 in the JSON text
        "Zoé 🚗",  # outside the BMP: a surrogate pair in the JSON text
        "Eve\u202e\x1b[31m",  # control characters
        "Eve\udcff",  # a lone surrogate (bytes that were not UTF-8): the database refuses it
        "nul\x00here",  # PostgreSQL's ->> refuses \\u0000
    ],
)
def test_the_listing_shows_any_text_as_the_inspection_holds_it(store: Store, name: str) -> None:
    """The shown fields come out of the JSON in the database; what it cannot take apart
    sends the listing the long way, with the same result."""
    store.create_inspection(
        Inspection(
            id="odd",
            checklist="standard",
            vehicle=Vehicle(make=name, model="308", year=2019, plate=name),
            seller=Seller(name=name),
        )
    )
    new(store, "plain")
    assert_listing_agrees(store)
    odd = next(s for s in store.listing() if s.id == "odd")
    assert (odd.vehicle, odd.plate, odd.seller) == (f"{name} 308 2019", name, name)


def test_a_damaged_inspection_row_is_named(store: Store) -> None:
    new(store, "fine")
    new(store, "bad")
    with store._transaction() as db:
        db.execute(inspections.update().where(inspections.c.id == "bad").values(seller="{"))
    with pytest.raises(DatabaseDamaged, match="inspection 'bad' is damaged"):
        store.listing()
    with store._transaction() as db:
        db.execute(
            inspections.update().where(inspections.c.id == "bad").values(seller='{"name": ""}')
        )
        db.execute(inspections.update().where(inspections.c.id == "fine").values(shots="[]"))
    with pytest.raises(DatabaseDamaged, match="inspection 'fine' is damaged"):
        store.listing()


def test_writers_of_one_inspection_at_once_leave_every_capture_in_its_summary(
    data_dir: Path, database_url: str | None
) -> None:
    """Each write reads the captures after locking the inspection: two processes adding
    and reviewing captures of one inspection at the same time miss none."""
    with Store(data_dir, database_url=database_url) as first:
        new(first, "a")
        with Store(data_dir, database_url=database_url) as second:
            errors: list[BaseException] = []

            def add(store: Store, name: str) -> None:
                try:
                    for n in range(8):
                        made = capture(
                            store, "a", f"{name}_{n}", f"{name} {n}".encode(), Verdict.OK
                        )
                        if n % 3 == 0:
                            store.set_capture_accepted(made.id, False)
                except BaseException as exc:  # reported below
                    errors.append(exc)

            threads = [
                threading.Thread(target=add, args=(s, name))
                for s, name in ((first, "one"), (second, "two"))
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            assert not errors
        (summary,) = first.listing()
        assert summary.shots.captures == 16
        assert len(summary.shots.usable) == 10  # 3 of each writer's 8 refused
        assert_listing_agrees(first)


@pytest.mark.timeout(120)
def test_revision_0007_fills_the_summary_of_every_inspection(
    data_dir: Path, database_url: str | None
) -> None:
    """A database from before the summary: upgraded, every inspection's summary is what
    the store itself writes."""
    with Store(data_dir, database_url=database_url) as store:
        new(store, "empty")
        new(store, "a")
        capture(store, "a", "front", b"front", Verdict.OK)
        refused = capture(store, "a", "rear", b"rear", Verdict.OK)
        store.set_capture_accepted(refused.id, False)
        capture(store, "a", "side_left", b"left", Verdict.REJECT)
        kept = capture(store, "a", "side_right", b"right", Verdict.REJECT)
        store.set_capture_accepted(kept.id, True)
        capture(store, "a", "damage_2_wide", b"wide", Verdict.WARN)
        new(store, "b")
        capture(store, "b", "front", b"b front", Verdict.WARN)
        written = {s.id: s.shots for s in store.listing()}
        url = database_url or f"sqlite:///{data_dir / 'inspector.db'}"
    engine = make_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0006")
        with engine.connect() as conn:
            assert "shots" not in {c["name"] for c in sa.inspect(conn).get_columns("inspections")}
    finally:
        engine.dispose()
    with Store(data_dir, database_url=database_url) as store:
        assert store.schema_revision == head()
        with store._transaction() as db:
            assert (
                db.execute(
                    sa.select(sa.func.count()).where(inspections.c.shots.is_(None))
                ).scalar_one()
                == 0
            )
        assert {s.id: s.shots for s in store.listing()} == written
        assert_listing_agrees(store)
