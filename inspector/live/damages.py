"""Damages recorded during the live call ("Add damage"), before the inspector sees them.

The operator presses "Add damage" while the seller stands at the car: the
damage is recorded at once, so it survives a crash and the review finds it,
with the part guessed from the shot being taken and everything else left
"to complete". Its photos are the wide view and close-up of its pair number;
the close-up is linked to it as soon as it is stored. Qt-free and
network-free: plain functions on the store, run in an executor by the session.
"""

from __future__ import annotations

import dataclasses

from inspector.domain.checklist import Shot, parse_damage_shot_id
from inspector.domain.models import Capture, Damage, DamageType, Part, Severity
from inspector.domain.progress import usable
from inspector.storage import NotFound
from inspector.storage.rows import new_id
from inspector.storage.store import Store

__all__ = [
    "FALLBACK_PART",
    "complete_damage",
    "guess_part",
    "link_closeup",
    "new_live_damage",
]

#: Stored when the shot names no part; the damage is "to complete" anyway.
FALLBACK_PART = Part.FRONT_BUMPER
#: What a live damage is until someone says otherwise.
PLACEHOLDER_TYPE = DamageType.OTHER
PLACEHOLDER_SEVERITY = Severity.MINOR


def guess_part(shot: Shot, damages: dict[int, Damage]) -> Part | None:
    """The part a damage noticed while taking ``shot`` most likely sits on, if any.

    On a damage shot it is that damage's part, once someone has confirmed it
    (a guess of a guess is no better than none).
    """
    if shot.part is not None:
        return shot.part
    parsed = parse_damage_shot_id(shot.id)
    if parsed is not None:
        other = damages.get(parsed[0])
        if other is not None and not other.to_complete:
            return other.part
    return None


def new_live_damage(inspection_id: str, pair: int, part: Part | None) -> Damage:
    """The record of a damage just added live: pair ``pair``, to complete."""
    return Damage(
        id=new_id(),
        inspection_id=inspection_id,
        capture_id=None,
        part=part or FALLBACK_PART,
        type=PLACEHOLDER_TYPE,
        severity=PLACEHOLDER_SEVERITY,
        pair=pair,
        to_complete=True,
    )


def _fresh(store: Store, inspection_id: str, damage_id: str) -> Damage:
    # Read again right before writing: the review may have changed it meanwhile.
    for damage in store.damages(inspection_id):
        if damage.id == damage_id:
            return damage
    raise NotFound(f"no damage {damage_id!r} in inspection {inspection_id!r}")


def link_closeup(store: Store, damage: Damage, capture: Capture) -> Damage | None:
    """Point ``damage`` at its newly stored close-up ``capture``; the updated damage or None.

    Nothing changes when the photo is not usable (the previous close-up stays)
    or once the damage is marked with a region (its mark belongs to that photo).
    """
    if not usable(capture):
        return None
    current = _fresh(store, damage.inspection_id, damage.id)
    if current.region is not None or current.capture_id == capture.id:
        return None
    return store.update_damage(dataclasses.replace(current, capture_id=capture.id))


def complete_damage(
    store: Store,
    inspection_id: str,
    damage_id: str,
    *,
    part: Part,
    type: DamageType,
    severity: Severity,
    note: str | None = None,
) -> Damage:
    """Set what the damage is (part, type, severity, and the note if given): it is complete."""
    current = _fresh(store, inspection_id, damage_id)
    completed = dataclasses.replace(
        current,
        part=Part(part),
        type=DamageType(type),
        severity=Severity(severity),
        note=current.note if note is None else note,
        to_complete=False,
    )
    return store.update_damage(completed)
