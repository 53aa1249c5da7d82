"""Whether an inspection's report can be graded: what ``report`` and the team server's
``GET /api/v1/inspections/{id}/report`` refuse without ``allow_incomplete``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from inspector.domain.checklist import ChecklistError, load_checklist
from inspector.domain.progress import progress
from inspector.report.i18n import damage_ref

if TYPE_CHECKING:
    from inspector.storage.store import Store

__all__ = ["Readiness", "readiness"]


@dataclass
class Readiness:
    """Why the report cannot be graded (none: it can), and the photos below the bar."""

    inspection_id: str
    reasons: list[str] = field(default_factory=list)
    to_check: list[str] = field(default_factory=list)
    """The shots whose photo is below the quality bar (the report lists them to check)."""

    @property
    def complete(self) -> bool:
        return not self.reasons

    def message(self) -> str:
        return f"inspection {self.inspection_id} is incomplete: {'; '.join(self.reasons)}"


def readiness(store: Store, inspection_id: str) -> Readiness:
    """Required photos missing and damages still to complete (see
    :mod:`inspector.domain.grading`), named as the report names them."""
    inspection = store.find_inspection(inspection_id)
    damages = store.damages(inspection.id)
    found = Readiness(inspection.id)
    try:
        checklist = load_checklist(inspection.checklist)
    except ChecklistError:  # the report says the checklist is unknown; damages still count
        prog = None
    else:
        prog = progress(checklist, store.captures(inspection.id), damages)
        found.to_check = [c.shot_id for c in prog.to_check]
    if prog is not None and prog.missing:
        missing = len(prog.missing)
        names = ", ".join(s.id for s in prog.missing[:5]) + (", …" if missing > 5 else "")
        found.reasons.append(f"{missing} of {prog.required} required photos missing ({names})")
    # Named by their report identifiers (D1, D2… in recording order, as the report does).
    open_ = [damage_ref(k) for k, d in enumerate(damages, start=1) if d.to_complete]
    if open_:
        n = len(open_)
        found.reasons.append(
            f"{n} damage{'s' if n > 1 else ''} to complete ({', '.join(open_)}): "
            "type and severity not described"
        )
    return found
