"""The named status changes of an inspection: the one way every front end changes it.

Each is one row of the table in :mod:`inspector.domain.status`, applied in one
atomic step by a :class:`StatusWriter`: the store, or the live engine's
:class:`~inspector.storage.spool.LiveWriter` (which keeps the change in its
spool while another process holds the database). Each returns True when the
inspection moved (or is spooled to), False when it was a no-op by design (the
status never goes back); an illegal jump raises
:class:`~inspector.domain.status.IllegalTransition`.

Issuing a report (``inspector report``, ``inspector export`` with its report,
the console's export) is what marks an inspection reported: writing the PDF
itself changes nothing, and a report without a single photo marks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from inspector.domain import status as rules
from inspector.domain.audit import AuditAction
from inspector.domain.checklist import load_checklist
from inspector.domain.models import InspectionStatus
from inspector.domain.progress import progress
from inspector.storage.spool import LiveWriter
from inspector.storage.store import Store
from inspector.usecases import audit

__all__ = [
    "SETTABLE",
    "Incomplete",
    "StatusWriter",
    "captured",
    "invited",
    "live",
    "reported",
    "restore_after_interruption",
    "restored",
    "reviewed",
    "set_status",
]


class StatusWriter(Protocol):
    """What applies a transition atomically (``Store`` and ``LiveWriter`` do)."""

    def transition(
        self,
        inspection_id: str,
        to: InspectionStatus,
        *,
        allowed_from: Iterable[InspectionStatus],
    ) -> bool: ...


def _apply(writer: StatusWriter, inspection_id: str, transition: rules.Transition) -> bool:
    return writer.transition(inspection_id, transition.to, allowed_from=transition.allowed_from)


def invited(writer: StatusWriter, inspection_id: str) -> bool:
    """A join link was issued (a draft becomes invited; later statuses stay)."""
    return _apply(writer, inspection_id, rules.INVITED)


def live(writer: StatusWriter, inspection_id: str) -> bool:
    """A phone joined the call."""
    return _apply(writer, inspection_id, rules.LIVE)


def captured(writer: StatusWriter, inspection_id: str) -> bool:
    """Every required shot has a usable photo."""
    return _apply(writer, inspection_id, rules.CAPTURED)


def reviewed(writer: StatusWriter, inspection_id: str) -> bool:
    """An inspector finished the review ("Mark as reviewed" in the console); recorded in
    the audit log when it moved."""
    moved = _apply(writer, inspection_id, rules.REVIEWED)
    store = writer if isinstance(writer, Store) else getattr(writer, "store", None)
    if moved and isinstance(store, Store):
        audit.record(store, AuditAction.REVIEWED, inspection_id)
    return moved


def reported(store: Store, inspection_id: str) -> bool:
    """A report was issued; it implies the review is finished.

    A report of an inspection without a single photo reports nothing: its status
    stays where it is (False), so the list never shows "reported" for it.
    """
    if not store.captures(inspection_id):
        return False
    moved = _apply(store, inspection_id, rules.REPORTED)
    audit.record(store, AuditAction.REPORTED, inspection_id)  # each report issued
    return moved


def restore_after_interruption(writer: LiveWriter, inspection_id: str) -> InspectionStatus | None:
    """No call holds the inspection any more: "live" goes back to what its photos say.

    Captured when every required shot has a usable photo (spooled ones
    included), else invited so the seller can be asked again. Returns that
    status (written or spooled), None when the inspection is not live (or gone).
    """
    if writer.status(inspection_id) is not InspectionStatus.LIVE:
        return None
    store = writer.store
    inspection = store.get_inspection(inspection_id)
    try:
        checklist = load_checklist(inspection.checklist)
    except ValueError:  # the checklist is gone: the photos cannot say it is complete
        complete = False
    else:
        captures = writer.overlay(inspection_id, None)
        complete = progress(checklist, captures, store.damages(inspection_id)).complete
    transition = rules.RESTORED_CAPTURED if complete else rules.RESTORED_INVITED
    _apply(writer, inspection_id, transition)
    return transition.to


def _complete(store: Store, inspection_id: str) -> bool:
    """Whether every required shot of the inspection has a usable photo (False when its
    checklist is gone: the photos cannot say so)."""
    inspection = store.get_inspection(inspection_id)
    try:
        checklist = load_checklist(inspection.checklist)
    except ValueError:
        return False
    captures = store.captures(inspection_id)
    return progress(checklist, captures, store.damages(inspection_id)).complete


def restored(store: Store, inspection_id: str) -> bool:
    """A call held elsewhere (a remote console) ended: "live" goes back to what the
    stored photos say (captured or invited); False when it was not live."""
    complete = _complete(store, inspection_id)
    transition = rules.RESTORED_CAPTURED if complete else rules.RESTORED_INVITED
    if store.get_inspection(inspection_id).status is not InspectionStatus.LIVE:
        return False
    return _apply(store, inspection_id, transition)


class Incomplete(rules.IllegalTransition):
    """Marked captured while a required shot has no usable photo."""


SETTABLE = ("invited", "live", "captured", "reviewed", "restored")
"""The changes :func:`set_status` makes (a report is what marks an inspection reported)."""


def set_status(store: Store, inspection_id: str, change: str) -> bool:
    """Apply one named change (:data:`SETTABLE`) to the stored inspection, recorded in
    the audit log when it moved; IllegalTransition for a jump the table refuses
    (:class:`Incomplete` for "captured" with photos missing); ValueError for an
    unknown change."""
    before = store.get_inspection(inspection_id).status
    if change == "invited":
        moved = invited(store, inspection_id)
    elif change == "live":
        moved = live(store, inspection_id)
    elif change == "captured":
        if not _complete(store, inspection_id):
            raise Incomplete(
                f"cannot mark inspection {inspection_id} captured: required photos are missing"
            )
        moved = captured(store, inspection_id)
    elif change == "reviewed":
        return reviewed(store, inspection_id)  # recorded as "reviewed"
    elif change == "restored":
        moved = restored(store, inspection_id)
    else:
        raise ValueError(f"unknown status change {change!r}: {', '.join(SETTABLE)}")
    if moved:
        after = store.get_inspection(inspection_id).status
        audit.record(
            store,
            AuditAction.STATUS_CHANGED,
            inspection_id,
            {"from": before.value, "to": after.value},
        )
    return moved
