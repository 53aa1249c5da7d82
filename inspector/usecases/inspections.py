"""Use cases on inspections shared by the CLI, the engine and the console.

Creating one (validated, as every front end must) and the JSON views of
inspections and captures (declared in :mod:`inspector.domain.views`, which the
bundle and the store use too). Completion lives in :mod:`inspector.domain.progress`.
"""

from __future__ import annotations

import dataclasses
from types import EllipsisType
from typing import Any

from inspector.domain.audit import AuditAction
from inspector.domain.checklist import load_checklist
from inspector.domain.models import Capture, Inspection
from inspector.domain.validation import (
    NOTES_MAX,
    PERSON_MAX,
    FieldChecks,
    ValidationError,
    check_seller,
    check_text,
    check_vehicle,
)
from inspector.domain.views import CaptureView, InspectionView
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from inspector.usecases import audit


def create_inspection(
    store: Store,
    *,
    checklist: str = "standard",
    operator: str = "",
    vehicle: dict[str, Any],
    seller: dict[str, Any],
    notes: str = "",
    actor: str | None = None,
) -> tuple[Inspection, list[str]]:
    """Validate input, then create a draft inspection; returns it with any warnings.

    The audit log records who (``actor``, else :func:`audit.current_actor`)."""
    template = load_checklist(checklist)
    check = FieldChecks()  # every bad field at once, not the first one only
    checked = check(check_vehicle, **vehicle)
    checked_seller = check(check_seller, **seller)
    checked_operator = check(check_text, "operator", operator, PERSON_MAX)
    checked_notes = check(check_text, "notes", notes, NOTES_MAX, multiline=True)
    check.raise_any()
    assert checked is not None and checked_seller is not None
    inspection = Inspection(
        id=new_id(),
        checklist=template.id,
        vehicle=checked.value,
        seller=checked_seller,
        operator=checked_operator or "",
        notes=checked_notes or "",
    )
    store.create_inspection(inspection)
    audit.record(store, AuditAction.CREATED, inspection.id, {"checklist": template.id}, actor=actor)
    return inspection, checked.warnings


EDITABLE = ("vehicle", "notes", "grade")
"""What :func:`edit_inspection` changes: what the review's vehicle panel edits."""


def _is_grade(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


def edit_inspection(
    store: Store,
    inspection_id: str,
    *,
    version: int,
    vehicle: dict[str, Any] | None = None,
    notes: str | None = None,
    grade: int | EllipsisType | None = ...,
) -> tuple[Inspection, list[str]]:
    """Change an inspection's vehicle data (given whole, as ``new`` takes it), notes or
    grade (1-5, or None for the suggested one), read at ``version``; the inspection at
    its new version, with the vehicle's warnings. ValidationError naming the first bad
    field (every bad field checked); ChangedElsewhere if it changed since ``version``.
    The change is in the audit log, with the fields it touched."""
    inspection = store.get_inspection(inspection_id)
    check = FieldChecks()
    checked = check(check_vehicle, **vehicle) if vehicle is not None else None
    checked_notes = (
        check(check_text, "notes", notes, NOTES_MAX, multiline=True) if notes is not None else None
    )
    if grade is not ... and grade is not None and not _is_grade(grade):
        check.errors.append(ValidationError("grade", f"must be 1 to 5, not {grade!r}"))
    check.raise_any()
    changes: dict[str, Any] = {}
    if checked is not None:
        changes["vehicle"] = checked.value
    if checked_notes is not None:
        changes["notes"] = checked_notes
    if grade is not ...:
        changes["grade"] = grade
    edited = dataclasses.replace(inspection, **changes, version=version)
    store.update_inspection(edited)
    audit.record(store, AuditAction.EDITED, inspection_id, {"fields": sorted(changes)})
    return edited, checked.warnings if checked is not None else []


def delete_inspection(
    store: Store, inspection_id: str, *, version: int | None = None, actor: str | None = None
) -> None:
    """Delete an inspection, its rows and unused photos (``version``: as read, see
    :meth:`Store.delete_inspection`); its audit log stays, with the deletion."""
    store.delete_inspection(inspection_id, version=version)
    audit.record(store, AuditAction.DELETED, inspection_id, actor=actor)


def inspection_to_dict(
    inspection: Inspection, captures: list[Capture] | None = None
) -> dict[str, Any]:
    """A JSON-ready view of an inspection (and its captures if given): :class:`InspectionView`."""
    return InspectionView.of(inspection, captures).to_json()


def capture_to_dict(c: Capture) -> dict[str, Any]:
    """A JSON-ready view of a capture: :class:`CaptureView`."""
    return CaptureView.of(c).to_json()
