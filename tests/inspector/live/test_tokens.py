"""Join tokens: issued, checked, expired, revoked; only the hash is stored."""

from __future__ import annotations

import sqlite3
import time

import pytest

from inspector.live.tokens import INVALID_MESSAGE, InvalidToken, Invitations, hash_token, token_tag
from inspector.storage.store import Store

from ..live_fixtures import make_inspection


def test_issue_and_check(store: Store) -> None:
    inspection = make_inspection(store)
    inv = Invitations(store, ttl_seconds=60)
    token, expires_at = inv.issue(inspection.id)
    assert len(token) >= 43  # 256 bits, url-safe
    assert inv.check(token) == inspection.id
    assert expires_at.tzinfo is not None
    other, _ = inv.issue(inspection.id)
    assert other != token and inv.check(other) == inspection.id


def test_a_token_remembers_its_mode_across_processes(store: Store) -> None:
    inspection = make_inspection(store)
    here = Invitations(store, ttl_seconds=60)
    guided, _ = here.issue(inspection.id, mode="operator")
    alone, _ = here.issue(inspection.id)  # the default: a self-inspection's
    assert (here.mode_of(guided), here.mode_of(alone)) == ("operator", "self")
    elsewhere = Invitations(store, ttl_seconds=60)  # another process: memory from the store
    assert elsewhere.mode_of(guided) is None
    elsewhere.refresh()
    assert (elsewhere.mode_of(guided), elsewhere.mode_of(alone)) == ("operator", "self")
    assert elsewhere.mode_of("unknown") is None
    with pytest.raises(ValueError, match="mode must be"):
        here.issue(inspection.id, mode="autopilot")


def test_only_the_hash_is_stored(store: Store) -> None:
    inspection = make_inspection(store)
    token, _ = Invitations(store, 60).issue(inspection.id)
    db = sqlite3.connect(store.data_dir / "inspector.db")
    try:
        dump = "\n".join(db.iterdump())
    finally:
        db.close()
    assert token not in dump
    assert hash_token(token) in dump
    assert token_tag(token) == hash_token(token)[:8]


@pytest.mark.parametrize("bad", ["", "x", "A" * 43, "A" * 500, "é/../\x00"])
def test_unknown_tokens_are_invalid(store: Store, bad: str) -> None:
    make_inspection(store)
    with pytest.raises(InvalidToken) as err:
        Invitations(store, 60).check(bad)
    assert str(err.value) == INVALID_MESSAGE


def test_expired_token_is_invalid_with_the_same_message(store: Store) -> None:
    inspection = make_inspection(store)
    inv = Invitations(store, ttl_seconds=0.05)
    token, _ = inv.issue(inspection.id)
    time.sleep(0.1)
    with pytest.raises(InvalidToken) as err:
        inv.check(token)
    assert str(err.value) == INVALID_MESSAGE


def test_revoke(store: Store) -> None:
    a, b = make_inspection(store), make_inspection(store)
    inv = Invitations(store, 60)
    ta1, _ = inv.issue(a.id)
    ta2, _ = inv.issue(a.id)
    tb, _ = inv.issue(b.id)
    assert inv.revoke(a.id) == 2
    for token in (ta1, ta2):
        with pytest.raises(InvalidToken):
            inv.check(token)
    assert inv.check(tb) == b.id
    assert inv.revoke(a.id) == 0


def test_ttl_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError):
        Invitations(store, 0)
