"""The damages of an inspection: added, changed and deleted the same way by every front
end (the console's review, the team server's API), each change in the audit log.

A change names the version the caller read (:attr:`Damage.version`): one made by
someone else meanwhile is :class:`~inspector.storage.ChangedElsewhere`, and nothing is
written. A damage marked on a photo must be on a photo of its own inspection.
"""

from __future__ import annotations

from inspector.domain import validation as rules
from inspector.domain.audit import AuditAction
from inspector.domain.models import Damage
from inspector.storage import NotFound
from inspector.storage.store import Store
from inspector.usecases import audit

__all__ = ["add_damage", "change_damage", "delete_damage", "find_damage"]


def _check(store: Store, damage: Damage) -> None:
    rules.check_text("note", damage.note.replace("\r", ""), rules.DAMAGE_NOTE_MAX, multiline=True)
    if damage.capture_id is not None:
        try:
            capture = store.get_capture(damage.capture_id)
        except NotFound:
            capture = None
        if capture is None or capture.inspection_id != damage.inspection_id:
            raise ValueError(
                f"no photo {damage.capture_id!r} in inspection {damage.inspection_id}: "
                "a damage is marked on a photo of its own inspection"
            )


def find_damage(store: Store, inspection_id: str, damage_id: str) -> Damage:
    """One damage of an inspection; NotFound."""
    for damage in store.damages(inspection_id):
        if damage.id == damage_id:
            return damage
    raise NotFound(f"no damage {damage_id!r} in inspection {inspection_id}")


def add_damage(store: Store, damage: Damage) -> Damage:
    """Store a new damage (its inspection must exist); Conflict for an id already used."""
    store.get_inspection(damage.inspection_id)
    _check(store, damage)
    store.add_damage(damage)
    audit.record(store, AuditAction.DAMAGE_ADDED, damage.inspection_id, audit.damage_detail(damage))
    return damage


def change_damage(store: Store, damage: Damage) -> Damage:
    """Write a damage read at ``damage.version``; it comes back at its new version."""
    find_damage(store, damage.inspection_id, damage.id)
    _check(store, damage)
    store.update_damage(damage)
    audit.record(
        store, AuditAction.DAMAGE_CHANGED, damage.inspection_id, audit.damage_detail(damage)
    )
    return damage


def delete_damage(
    store: Store, inspection_id: str, damage_id: str, *, version: int | None = None
) -> Damage:
    """Delete a damage (``version``: as read; None deletes whatever it is now); the
    damage as it was."""
    gone = find_damage(store, inspection_id, damage_id)
    store.delete_damage(damage_id, version=version)
    audit.record(store, AuditAction.DAMAGE_DELETED, inspection_id, audit.damage_detail(gone))
    return gone
