"""The device claims every server process shares (``phone_claims``), on SQLite and PostgreSQL:
one device per inspection while its claim is fresh, taken over once stale, renewed and
released by its process only, gone with the inspection, and the inspections a dead
process left "live" found."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from inspector.storage.store import Store
from inspector.usecases import status as lifecycle
from inspector.usecases.inspections import create_inspection

pytestmark = pytest.mark.timeout(120)

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
STALE = timedelta(seconds=15)


def _inspection(store: Store) -> str:
    inspection, _ = create_inspection(
        store, vehicle={"make": "Renault", "model": "Clio"}, seller={"name": "Jean Dupont"}
    )
    return inspection.id


def test_one_device_per_inspection_until_its_claim_is_stale(store: Store) -> None:
    claims = store.claims
    iid = _inspection(store)
    assert claims.take(iid, "phone-a", "server-1", T0, T0 - STALE) is None
    # The same device, through another process (its server died, the proxy moved it).
    assert claims.take(iid, "phone-a", "server-2", T0, T0 - STALE) is None
    assert claims.current(iid).holder == "server-2"  # type: ignore[union-attr]
    # Another device, on another process, while the claim is fresh: refused, told whose.
    later = T0 + timedelta(seconds=5)
    refused = claims.take(iid, "phone-b", "server-1", later, later - STALE)
    assert refused is not None and refused.device == "phone-a" and refused.holder == "server-2"
    # The holding process's own rule decides for its own claim (a take-over it allowed).
    assert claims.take(iid, "phone-b", "server-2", later, later - STALE) is None
    # Not renewed for longer than STALE: free for anyone.
    much_later = T0 + timedelta(minutes=5)
    assert claims.take(iid, "phone-c", "server-1", much_later, much_later - STALE) is None
    assert claims.current(iid).device == "phone-c"  # type: ignore[union-attr]


def test_renew_release_and_take_over(store: Store) -> None:
    claims = store.claims
    a, b, gone = _inspection(store), _inspection(store), _inspection(store)
    claims.take(a, "phone-a", "server-1", T0, T0 - STALE)
    claims.take(b, "phone-b", "server-1", T0, T0 - STALE)
    # server-1 froze; phone-x took b on server-2 once b's claim was stale.
    later = T0 + timedelta(minutes=1)
    assert claims.take(b, "phone-x", "server-2", later, later - STALE) is None
    # server-1 comes back: a is renewed; b is lost (its phone must go); a claim that went
    # missing (taken while the database did not answer) is made; a deleted one is not.
    store.delete_inspection(gone)
    lost = claims.renew("server-1", {a: "phone-a", b: "phone-b", gone: "phone-g"}, later)
    assert lost == {b}
    assert claims.current(a).renewed_at == later  # type: ignore[union-attr]
    assert claims.current(b).holder == "server-2"  # type: ignore[union-attr]
    assert claims.current(gone) is None
    c = _inspection(store)
    assert claims.renew("server-1", {c: "phone-c"}, later) == set()
    assert claims.current(c).device == "phone-c"  # type: ignore[union-attr]
    claims.clear(c)  # a desk's recovery after a crash: nobody holds it now
    assert claims.current(c) is None
    # Releasing is the holder's alone.
    claims.release(b, "server-1")
    assert claims.current(b) is not None
    claims.release(b, "server-2")
    assert claims.current(b) is None
    # The claim goes with its inspection.
    store.delete_inspection(a)
    assert claims.current(a) is None


def test_live_inspections_no_process_holds_are_found(store: Store) -> None:
    claims = store.claims
    held, dead, unclaimed, invited = (_inspection(store) for _ in range(4))
    for iid in (held, dead, unclaimed):
        lifecycle.invited(store, iid)
        lifecycle.live(store, iid)
    lifecycle.invited(store, invited)
    now = T0 + timedelta(minutes=10)
    claims.take(held, "phone-h", "server-1", now, now - STALE)
    claims.take(dead, "phone-d", "server-2", T0, T0 - STALE)  # never renewed since
    assert sorted(claims.abandoned_live(now - 2 * STALE)) == sorted([dead, unclaimed])


def test_concurrent_claims_by_two_devices_grant_one(store: Store) -> None:
    """Two processes claim one inspection at the same moment for two devices: exactly one
    wins (the database serializes them; a concurrent first insert is retried as a read)."""
    iid = _inspection(store)
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def take(device: str, holder: str) -> None:
        barrier.wait()
        results[device] = store.claims.take(iid, device, holder, T0, T0 - STALE)

    threads = [
        threading.Thread(target=take, args=("phone-a", "server-1")),
        threading.Thread(target=take, args=("phone-b", "server-2")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    granted = [d for d, r in results.items() if r is None]
    assert len(results) == 2 and len(granted) == 1
    assert store.claims.current(iid).device == granted[0]  # type: ignore[union-attr]
