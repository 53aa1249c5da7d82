"""The table of legal status changes: forward only, one way back, clear refusals."""

from __future__ import annotations

import pytest

from inspector.domain import status
from inspector.domain.models import InspectionStatus as S
from inspector.domain.status import IllegalTransition, moves


def test_the_statuses_are_in_life_order() -> None:
    assert status.ORDER == (S.DRAFT, S.INVITED, S.LIVE, S.CAPTURED, S.REVIEWED, S.REPORTED)


def test_the_table() -> None:
    table = {(t.name, t.to): set(t.allowed_from) for t in status.TRANSITIONS}
    assert table == {
        ("invited", S.INVITED): {S.DRAFT},
        ("live", S.LIVE): {S.DRAFT, S.INVITED},
        ("captured", S.CAPTURED): {S.DRAFT, S.INVITED, S.LIVE},
        ("reviewed", S.REVIEWED): {S.INVITED, S.CAPTURED},
        ("reported", S.REPORTED): {S.DRAFT, S.INVITED, S.LIVE, S.CAPTURED, S.REVIEWED},
        ("restored", S.INVITED): {S.LIVE},
        ("restored", S.CAPTURED): {S.LIVE},
    }


def test_only_the_restore_goes_back_and_nothing_returns_to_draft() -> None:
    for t in status.TRANSITIONS:
        assert t.to is not S.DRAFT
        backwards = {s for s in t.allowed_from if status.ORDER.index(s) > status.ORDER.index(t.to)}
        assert not backwards or t.name == "restored", t
        assert t.to not in t.allowed_from, t  # a move always changes something


@pytest.mark.parametrize("transition", status.TRANSITIONS, ids=lambda t: f"{t.name}-{t.to}")
def test_every_status_either_moves_stays_or_is_refused(transition: status.Transition) -> None:
    for current in S:
        at_or_past = status.ORDER.index(current) >= status.ORDER.index(transition.to)
        if current in transition.allowed_from:
            assert moves(current, transition.to, transition.allowed_from)
        elif at_or_past:
            assert not moves(current, transition.to, transition.allowed_from)  # never downgrade
        else:
            with pytest.raises(IllegalTransition):
                moves(current, transition.to, transition.allowed_from)


def test_an_illegal_jump_says_what_and_why() -> None:
    with pytest.raises(IllegalTransition) as info:
        moves(S.LIVE, S.REVIEWED, status.REVIEWED.allowed_from, inspection_id="ab12")
    assert str(info.value) == (
        "cannot mark inspection ab12 reviewed: it is live (only from invited or captured)"
    )
    with pytest.raises(IllegalTransition, match="it is draft"):
        moves(S.DRAFT, S.REVIEWED, status.REVIEWED.allowed_from)
    assert isinstance(info.value, ValueError)  # the CLI prints it as one line
