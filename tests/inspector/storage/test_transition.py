"""Store.transition: the guard and the change in one write transaction, on every backend."""

from __future__ import annotations

import threading

import pytest

from inspector.domain import status as rules
from inspector.domain.models import Inspection
from inspector.domain.models import InspectionStatus as S
from inspector.domain.status import IllegalTransition
from inspector.storage import DatabaseBusy, NotFound
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from tests.data import force_status
from tests.inspector.db_locks import write_lock_held


def make(store: Store, status: S = S.DRAFT) -> str:
    return store.create_inspection(Inspection(id=new_id(), checklist="quick", status=status)).id


def row_status(store: Store, inspection_id: str) -> S:
    return store.get_inspection(inspection_id).status


def test_moves_only_from_the_allowed_statuses(store: Store) -> None:
    inspection_id = make(store)
    before = store.get_inspection(inspection_id).updated_at
    assert store.transition(inspection_id, S.INVITED, allowed_from=[S.DRAFT])
    assert row_status(store, inspection_id) is S.INVITED
    assert store.get_inspection(inspection_id).updated_at >= before
    assert not store.transition(inspection_id, S.INVITED, allowed_from=[S.DRAFT])  # already


def test_never_downgrades(store: Store) -> None:
    inspection_id = make(store, S.CAPTURED)
    t = rules.LIVE
    assert not store.transition(inspection_id, t.to, allowed_from=t.allowed_from)
    assert row_status(store, inspection_id) is S.CAPTURED


def test_an_illegal_jump_is_refused_and_changes_nothing(store: Store) -> None:
    inspection_id = make(store, S.LIVE)
    t = rules.REVIEWED
    with pytest.raises(IllegalTransition, match=f"inspection {inspection_id} reviewed: it is live"):
        store.transition(inspection_id, t.to, allowed_from=t.allowed_from)
    assert row_status(store, inspection_id) is S.LIVE


def test_an_unknown_inspection_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="no inspection 'nope'"):
        store.transition("nope", S.INVITED, allowed_from=[S.DRAFT])


def test_a_read_only_store_writes_it_deliberately(store: Store, database_url: str | None) -> None:
    inspection_id = make(store, S.CAPTURED)
    with Store(store.data_dir, readonly=True, database_url=database_url) as readonly:
        assert readonly.transition(inspection_id, S.REPORTED, allowed_from=[S.CAPTURED])
    assert row_status(store, inspection_id) is S.REPORTED


def test_a_locked_database_is_a_store_error_not_a_half_change(
    store: Store, database_url: str | None
) -> None:
    inspection_id = make(store)
    with write_lock_held(store.data_dir, database_url):
        with store.busy_timeout(0.05), pytest.raises(DatabaseBusy, match="busy"):
            store.transition(inspection_id, S.INVITED, allowed_from=[S.DRAFT])
        assert row_status(store, inspection_id) is S.DRAFT  # reads go on meanwhile
    assert row_status(store, inspection_id) is S.DRAFT
    assert store.transition(inspection_id, S.INVITED, allowed_from=[S.DRAFT])


@pytest.mark.timeout(60)
def test_two_stores_racing_never_lose_a_report(store: Store, database_url: str | None) -> None:
    """A restore (live -> invited) racing a report: whichever comes first, it ends reported.

    Read-then-write guards could interleave as "read live, report, write invited"
    and lose the report; the one-statement guard cannot.
    """
    inspection_id = make(store)
    first = Store(store.data_dir, database_url=database_url)
    second = Store(store.data_dir, database_url=database_url)
    results: dict[str, list[bool]] = {"restore": [], "report": []}
    barrier = threading.Barrier(2)  # both start each round together
    rounds = 40

    def run(name: str, racer: Store, t: rules.Transition) -> None:
        barrier.wait(10)
        results[name].append(racer.transition(inspection_id, t.to, allowed_from=t.allowed_from))

    try:
        for _ in range(rounds):
            force_status(store, inspection_id, S.LIVE)  # what a call leaves
            threads = [
                threading.Thread(target=run, args=("restore", first, rules.RESTORED_INVITED)),
                threading.Thread(target=run, args=("report", second, rules.REPORTED)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(10)
            assert row_status(store, inspection_id) is S.REPORTED
    finally:
        first.close()
        second.close()
    assert results["report"] == [True] * rounds  # a report always moves it
    assert len(results["restore"]) == rounds
