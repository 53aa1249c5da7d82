"""Use cases on inspections shared by the CLI, the engine and the console.

Creating one (validated, as every front end must) and the JSON views of
inspections and captures. Completion lives in :mod:`inspector.domain.progress`.
"""

from __future__ import annotations

from typing import Any

from inspector.domain.checklist import load_checklist
from inspector.domain.models import Capture, Inspection
from inspector.domain.validation import check_seller, check_text, check_vehicle
from inspector.storage.rows import new_id
from inspector.storage.store import Store


def create_inspection(
    store: Store,
    *,
    checklist: str = "standard",
    operator: str = "",
    vehicle: dict[str, Any],
    seller: dict[str, Any],
    notes: str = "",
) -> tuple[Inspection, list[str]]:
    """Validate input, then create a draft inspection; returns it with any warnings."""
    template = load_checklist(checklist)
    checked = check_vehicle(**vehicle)
    inspection = Inspection(
        id=new_id(),
        checklist=template.id,
        vehicle=checked.value,
        seller=check_seller(**seller),
        operator=check_text("operator", operator, 120),
        notes=check_text("notes", notes, 4000, multiline=True),
    )
    store.create_inspection(inspection)
    return inspection, checked.warnings


def inspection_to_dict(
    inspection: Inspection, captures: list[Capture] | None = None
) -> dict[str, Any]:
    """A JSON-ready view of an inspection (and its captures if given)."""
    data: dict[str, Any] = {
        "id": inspection.id,
        "status": inspection.status.value,
        "checklist": inspection.checklist,
        "operator": inspection.operator,
        "inspector": inspection.inspector,
        "notes": inspection.notes,
        "grade": inspection.grade,
        "created_at": inspection.created_at.isoformat(),
        "updated_at": inspection.updated_at.isoformat(),
        "vehicle": inspection.vehicle.to_dict(),
        "seller": inspection.seller.to_dict(),
    }
    if captures is not None:
        data["captures"] = [capture_to_dict(c) for c in captures]
    return data


def capture_to_dict(c: Capture) -> dict[str, Any]:
    return {
        "id": c.id,
        "shot_id": c.shot_id,
        "sha256": c.sha256,
        "width": c.width,
        "height": c.height,
        "size": c.size,
        "mime": c.mime,
        "source": c.source.value,
        "captured_at": c.captured_at.isoformat(),
        "phone_time": c.phone_time.isoformat() if c.phone_time else None,
        "accepted": c.accepted,
        "retake_of": c.retake_of,
        "quality": c.quality.to_dict(),
    }
