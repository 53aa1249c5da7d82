"""The life of an inspection: which status changes are legal, decided once.

draft → invited → live → captured → reviewed → reported. Each named
:class:`Transition` says which statuses it may start from. A change asked of an
inspection already at its target, or past it, is a no-op by design: a status
never goes back (a second join link leaves a live or captured inspection as it
is; a report issued again leaves it reported). Anything else is an illegal
jump, refused with :class:`IllegalTransition`. The one way back is the restore
after an interrupted call: "live" held by no call goes back to what its photos
say. The store applies a transition atomically (``Store.transition``); the
named changes every front end uses are in :mod:`inspector.usecases.status`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inspector.domain.models import InspectionStatus

__all__ = [
    "CAPTURED",
    "INVITED",
    "LIVE",
    "ORDER",
    "REPORTED",
    "RESTORED_CAPTURED",
    "RESTORED_INVITED",
    "REVIEWED",
    "TRANSITIONS",
    "IllegalTransition",
    "Transition",
    "moves",
]

_S = InspectionStatus

ORDER: tuple[InspectionStatus, ...] = tuple(InspectionStatus)
"""The statuses in the order an inspection goes through them."""


class IllegalTransition(ValueError):
    """A status change the table refuses; ``str()`` says why, for the user."""


@dataclass(frozen=True)
class Transition:
    """One legal change: to ``to``, from any of ``allowed_from``."""

    name: str
    to: InspectionStatus
    allowed_from: frozenset[InspectionStatus]


INVITED = Transition("invited", _S.INVITED, frozenset({_S.DRAFT}))
"""A join link was issued."""
LIVE = Transition("live", _S.LIVE, frozenset({_S.DRAFT, _S.INVITED}))
"""A phone joined the call."""
CAPTURED = Transition("captured", _S.CAPTURED, frozenset({_S.DRAFT, _S.INVITED, _S.LIVE}))
"""Every required shot has a usable photo."""
REVIEWED = Transition("reviewed", _S.REVIEWED, frozenset({_S.INVITED, _S.CAPTURED}))
"""An inspector finished reviewing the photos: not during a call (they may still change),
not before anything was asked of the seller."""
REPORTED = Transition(
    "reported", _S.REPORTED, frozenset({_S.DRAFT, _S.INVITED, _S.LIVE, _S.CAPTURED, _S.REVIEWED})
)
"""A report was issued (one of an incomplete inspection says so): it may be at any time."""
RESTORED_INVITED = Transition("restored", _S.INVITED, frozenset({_S.LIVE}))
"""An interrupted call, photos missing: the seller can be invited again."""
RESTORED_CAPTURED = Transition("restored", _S.CAPTURED, frozenset({_S.LIVE}))
"""An interrupted call after every required photo was taken."""

TRANSITIONS: tuple[Transition, ...] = (
    INVITED,
    LIVE,
    CAPTURED,
    REVIEWED,
    REPORTED,
    RESTORED_INVITED,
    RESTORED_CAPTURED,
)


def moves(
    current: InspectionStatus,
    to: InspectionStatus,
    allowed_from: Iterable[InspectionStatus],
    *,
    inspection_id: str = "",
) -> bool:
    """Whether an inspection at ``current`` moves to ``to``.

    True when ``current`` is in ``allowed_from``; False when it already is at
    ``to`` or past it (never downgrade); IllegalTransition otherwise.
    """
    allowed = frozenset(allowed_from)
    if current in allowed:
        return True
    if ORDER.index(current) >= ORDER.index(to):
        return False
    what = f"inspection {inspection_id}" if inspection_id else "the inspection"
    starts = " or ".join(s.value for s in ORDER if s in allowed) or "nowhere"
    raise IllegalTransition(
        f"cannot mark {what} {to.value}: it is {current.value} (only from {starts})"
    )
