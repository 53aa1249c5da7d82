"""What ``inspector list`` and ``inspector show`` say, as JSON-ready data.

The local commands and the team server's operator API (``GET /api/v1/inspections``,
``GET /api/v1/inspections/{id}``) make them here, the same way, and the command line
prints its text from these same dicts whichever side made them: a remote ``list``
prints what a local one prints on the same data.

- :func:`listed`: each inspection of the store's light listing with its progress and
  its photos' states counted (what ``list`` prints as a table);
- :func:`list_entries`: every inspection whole, with its progress and photos (what
  ``list --json`` prints);
- :func:`inspection_details`: one inspection, its captures, damages and history
  (what ``show --json`` prints).

Each also gives how many photos are missing or altered (``deep``: checked by SHA-256).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from inspector.domain.checklist import Checklist, ChecklistError, load_checklist
from inspector.domain.models import InspectionStatus
from inspector.domain.progress import progress
from inspector.usecases import audit
from inspector.usecases.inspections import inspection_to_dict

if TYPE_CHECKING:
    from inspector.storage.listing import ListingRow
    from inspector.storage.store import Store

__all__ = ["Listed", "inspection_details", "list_entries", "listed"]

Listed = tuple["ListingRow", str, Counter[str]]
"""A listing row, its progress ("done/required", "?" for an unknown checklist), and its
photos' states counted ("ok", "missing", "altered")."""


def listed(store: Store, deep: bool) -> tuple[list[Listed], int]:
    """Each inspection with its progress over the photos present, and its photos' states
    counted; and how many photos are missing or altered.

    From the store's listing (no capture read) while every photo is there; the
    inspections whose photos are not all there are read whole, as ``show`` does, to count
    progress over the photos present only.
    """
    summaries = store.listing()
    states: dict[str, str] = {}
    if any(s.captures for s in summaries):
        states = dict(store.photo_states(store.used_photos(), deep=deep))  # one listing on S3
    bad = {sha for sha, state in states.items() if state != "ok"}
    affected = store.inspections_using(bad) if bad else set()
    checklists: dict[str, Checklist | None] = {}
    rows: list[Listed] = []
    problems = 0
    for summary in summaries:
        name = summary.checklist
        if name not in checklists:
            try:
                checklists[name] = load_checklist(name)
            except ChecklistError:
                checklists[name] = None
        checklist = checklists[name]
        if summary.id in affected:
            captures = store.captures(summary.id)
            unknown = {c.sha256 for c in captures} - states.keys()  # captured meanwhile
            states.update(store.photo_states(unknown, deep=deep))
            counts = Counter(states[c.sha256] for c in captures)
            present = [c for c in captures if states[c.sha256] == "ok"]
            problems += len(captures) - len(present)
            done = (
                str(progress(checklist, present, store.damages(summary.id)))
                if checklist is not None
                else "?"
            )
        else:
            counts = Counter({"ok": summary.captures} if summary.captures else {})
            done = str(summary.completion(checklist)) if checklist is not None else "?"
        rows.append((summary, done, counts))
    return rows, problems


def list_entries(
    store: Store,
    *,
    deep: bool = False,
    status: str | None = None,
    assignee: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Every inspection whole (``list --json``), newest first, with its ``progress`` and
    ``photos``; and how many photos are missing or altered. ``status`` and ``assignee``
    (the operator's name) keep only the inspections matching; ValueError for an unknown
    status."""
    wanted = None
    if status:
        try:
            wanted = InspectionStatus(status)
        except ValueError:
            choices = ", ".join(s.value for s in InspectionStatus)
            raise ValueError(f"unknown status {status!r}: choose {choices}") from None
    rows, problems = listed(store, deep)
    whole = {i.id: i for i in store.list_inspections()}
    entries = []
    for row, done, counts in rows:
        inspection = whole.get(row.id)
        if inspection is None:  # deleted between the two reads
            continue
        if wanted is not None and inspection.status is not wanted:
            continue
        if assignee is not None and inspection.operator != assignee:
            continue
        entries.append({**inspection_to_dict(inspection), "progress": done, "photos": dict(counts)})
    return entries, problems


def inspection_details(store: Store, inspection_id: str, *, deep: bool = False) -> dict[str, Any]:
    """One inspection as ``show --json`` prints it (NotFound if there is none; an id may
    be an unambiguous start of one): its captures each with its photo's state, the
    photos counted, progress, damages and the audit log."""
    inspection = store.find_inspection(inspection_id)
    captures = store.captures(inspection.id)
    damages = store.damages(inspection.id)
    history = audit.history(store, inspection.id)
    states = dict(store.photo_states((c.sha256 for c in captures), deep=deep))
    present = [c for c in captures if states[c.sha256] == "ok"]
    checklist = load_checklist(inspection.checklist)
    prog = progress(checklist, present, damages)
    data = inspection_to_dict(inspection, captures)
    data["progress"] = {"done": prog.done, "required": prog.required}
    for entry, c in zip(data["captures"], captures, strict=True):
        entry["photo"] = states[c.sha256]
    data["photos"] = dict(Counter(states[c.sha256] for c in captures))
    data["damages"] = [
        {
            "id": d.id,
            "part": d.part.value,
            "type": d.type.value,
            "severity": int(d.severity),
            "pair": d.pair,
            "to_complete": d.to_complete,
        }
        for d in damages
    ]
    data["audit"] = [e.to_dict() for e in history]
    return data
