"""The audit log: who did what to which inspection, and when.

Every front end records the same way: ``record(store, action, inspection_id, detail)``.
The actor is, in this order, the one given, the one set for the current request or
task by :func:`acting` (the team server sets the logged-in user's name there), or the
operating system's user at a single desk (``local:<name>``).

Recording never makes the action fail: the action is done (the photo stored, the
report written) before its entry is written, and an entry the database refuses is
logged as a warning and dropped. The live session records off the engine's loop, on
its executor, after the phone was answered (see ``inspector.live.session``), so a
slow database costs the live path nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import getpass
import logging
from collections.abc import Iterator
from typing import Any

from inspector.domain.audit import (
    ACTOR_MAX,
    AUTOPILOT,
    SELLER,
    SYSTEM,
    AuditAction,
    AuditEntry,
    local_actor,
)
from inspector.domain.models import Capture, Damage, utcnow
from inspector.storage import StoreError
from inspector.storage.store import Store

__all__ = [
    "AUTOPILOT",
    "SELLER",
    "SYSTEM",
    "AuditAction",
    "AuditEntry",
    "acting",
    "capture_detail",
    "current_actor",
    "damage_detail",
    "history",
    "record",
]

log = logging.getLogger(__name__)

_ACTING: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "inspector_audit_actor", default=None
)

RECORD_BUSY_TIMEOUT = 1.0
"""Seconds an entry waits for the database's write lock before it is dropped (logged)."""


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name, no passwd entry
        return "unknown"


@contextlib.contextmanager
def acting(actor: str, request_id: str = "") -> Iterator[None]:
    """Entries recorded in this block (this thread or task) name ``actor`` and
    ``request_id``. Worker threads do not inherit it: pass ``actor`` to them."""
    token = _ACTING.set((actor[:ACTOR_MAX], request_id))
    try:
        yield
    finally:
        _ACTING.reset(token)


def current_actor() -> str:
    """Who is acting now: the one :func:`acting` set, else ``local:<os user>``."""
    set_ = _ACTING.get()
    return set_[0] if set_ is not None else local_actor(_os_user())


def record(
    store: Store,
    action: AuditAction | str,
    inspection_id: str | None,
    detail: dict[str, Any] | None = None,
    *,
    actor: str | None = None,
    request_id: str | None = None,
) -> bool:
    """Append one entry; False (logged, never raised) if the store could not keep it."""
    acting_now = _ACTING.get()
    entry = AuditEntry(
        at=utcnow(),
        actor=(actor or current_actor())[:ACTOR_MAX],
        action=str(action),
        inspection_id=inspection_id,
        detail=dict(detail or {}),
        request_id=request_id
        if request_id is not None
        else (acting_now[1] if acting_now is not None else ""),
    )
    try:
        # A read-only store opens the database read-write for this one write.
        waiting = (
            contextlib.nullcontext() if store.readonly else store.busy_timeout(RECORD_BUSY_TIMEOUT)
        )
        with waiting:
            store.audit.add([entry])
    except (StoreError, ValueError) as exc:
        log.warning(
            "audit entry %s of inspection %s not recorded: %s", entry.action, inspection_id, exc
        )
        return False
    return True


def history(store: Store, inspection_id: str) -> list[AuditEntry]:
    """What was done to an inspection, oldest first."""
    return store.audit.history(inspection_id)


def capture_detail(capture: Capture) -> dict[str, Any]:
    """What the log says of a capture: its id, shot, verdict and photo's SHA-256."""
    return {
        "capture": capture.id,
        "shot": capture.shot_id,
        "verdict": capture.quality.verdict.value,
        "sha256": capture.sha256,
    }


def damage_detail(damage: Damage) -> dict[str, Any]:
    """What the log says of a damage: its id, part, type, severity, photo pair."""
    detail: dict[str, Any] = {
        "damage": damage.id,
        "part": damage.part.value,
        "type": damage.type.value,
        "severity": int(damage.severity),
    }
    if damage.pair is not None:
        detail["pair"] = damage.pair
    return detail
