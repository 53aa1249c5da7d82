"""One live session between the console (or autopilot) and the seller's phone.

:class:`SessionController` is the face every caller uses; its parts, one
concept each: ``context`` (what they share: the walk's position, the phone, the
console's events), ``capture`` (request, still or frame fallback, stored with
its verdict), ``review`` (accept, retake, the end of the walk), ``guidance``
(live hints, pointer, torch, messages) and ``damage_pairs`` (damages added
during the call).
"""

from inspector.domain.walk import ShotState
from inspector.live.session.context import Mode, PhoneLink
from inspector.live.session.controller import SessionController
from inspector.live.session.damage_pairs import DamagePair
from inspector.live.session.guidance import LiveSample

__all__ = [
    "DamagePair",
    "LiveSample",
    "Mode",
    "PhoneLink",
    "SessionController",
    "ShotState",
]
