"""The audit log's vocabulary: who did what to which inspection, and when (no I/O).

An entry names its ``actor``: a user's name on a team server, ``local:<os user>`` at a
single desk (no accounts there; the operating system's user is who sits at it),
``seller`` for what the phone did, ``autopilot`` for self-inspection, ``system`` for
the program itself (recovery, retention). ``detail`` is a small JSON object (ids,
shot, verdict, file name), never a photo, a token or a password.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from inspector.i18n import Message

__all__ = [
    "ACTOR_MAX",
    "AUTOPILOT",
    "DETAIL_MAX",
    "SELLER",
    "SYSTEM",
    "AuditAction",
    "AuditEntry",
    "action_label",
    "check_detail",
    "local_actor",
]

SELLER = "seller"
AUTOPILOT = "autopilot"
SYSTEM = "system"
ACTOR_MAX = 80
DETAIL_MAX = 2048
"""Bytes of a detail's JSON: a few fields, not a document."""


class AuditAction(StrEnum):
    CREATED = "created"
    INVITED = "invited"
    REVOKED = "revoked"
    CAPTURED = "captured"
    ORIGINAL_STORED = "original_stored"
    ACCEPTED = "accepted"
    RETAKE = "retake"
    REJECTED = "rejected"
    DAMAGE_ADDED = "damage_added"
    DAMAGE_CHANGED = "damage_changed"
    DAMAGE_DELETED = "damage_deleted"
    SIGNED = "signed"
    REMARKED = "remarked"
    EDITED = "edited"
    REVIEWED = "reviewed"
    STATUS_CHANGED = "status_changed"
    REPORTED = "reported"
    EXPORTED = "exported"
    IMPORTED = "imported"
    DELETED = "deleted"
    USER_ADDED = "user_added"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    PASSWORD_CHANGED = "password_changed"


_LABELS = {
    AuditAction.CREATED: Message("Created"),
    AuditAction.INVITED: Message("Join link sent"),
    AuditAction.REVOKED: Message("Join links revoked"),
    AuditAction.CAPTURED: Message("Photo stored"),
    AuditAction.ORIGINAL_STORED: Message("Full-resolution photo stored"),
    AuditAction.ACCEPTED: Message("Photo accepted"),
    AuditAction.RETAKE: Message("Retake asked"),
    AuditAction.REJECTED: Message("Photo rejected"),
    AuditAction.DAMAGE_ADDED: Message("Damage added"),
    AuditAction.DAMAGE_CHANGED: Message("Damage changed"),
    AuditAction.DAMAGE_DELETED: Message("Damage deleted"),
    AuditAction.SIGNED: Message("Signed by the seller"),
    AuditAction.REMARKED: Message("Remark of the seller"),
    AuditAction.EDITED: Message("Vehicle data, notes or grade changed"),
    AuditAction.REVIEWED: Message("Marked as reviewed"),
    AuditAction.STATUS_CHANGED: Message("Status changed"),
    AuditAction.REPORTED: Message("Report written"),
    AuditAction.EXPORTED: Message("Exported"),
    AuditAction.IMPORTED: Message("Imported from a bundle"),
    AuditAction.DELETED: Message("Deleted"),
    AuditAction.USER_ADDED: Message("User added"),
    AuditAction.USER_DISABLED: Message("User disabled"),
    AuditAction.USER_ENABLED: Message("User enabled"),
    AuditAction.PASSWORD_CHANGED: Message("Password changed"),
}


def action_label(action: str, lang: str) -> str:
    """An action's words for a person (an action this version does not know: as stored)."""
    try:
        return _LABELS[AuditAction(action)].get(lang)
    except ValueError:
        return action


def local_actor(os_user: str) -> str:
    """The actor at a single desk: ``local:<name of the operating system's user>``."""
    return f"local:{os_user or 'unknown'}"[:ACTOR_MAX]


def check_detail(detail: dict[str, Any] | None) -> str:
    """The detail as stored JSON text; ValueError if it is not small plain JSON."""
    try:
        text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"an audit detail must be plain JSON: {exc}") from None
    if not isinstance(detail or {}, dict):
        raise ValueError("an audit detail is a JSON object")
    if len(text.encode("utf-8")) > DETAIL_MAX:
        raise ValueError(f"an audit detail has at most {DETAIL_MAX} bytes of JSON")
    return text


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log. ``action`` is an :class:`AuditAction` value (text, so
    that an entry written by a newer version still reads)."""

    at: datetime
    actor: str
    action: str
    inspection_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    request_id: str = ""
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "inspection_id": self.inspection_id,
            "detail": self.detail,
            "request_id": self.request_id,
        }
