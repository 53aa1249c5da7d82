"""Use cases on inspections shared by the CLI, the engine and the console.

Kept apart from the store so that validation and checklist rules live in one
place whatever the front end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from inspector.checklist import (
    Checklist,
    Shot,
    damage_pair,
    load_checklist,
    parse_damage_shot_id,
)
from inspector.models import Capture, Damage, Inspection, Verdict
from inspector.store import Store, new_id
from inspector.validation import check_seller, check_text, check_vehicle


@dataclass(frozen=True)
class Progress:
    """How far the checklist has come: required shots with a usable photo."""

    done: int
    required: int
    captured: int
    total: int

    @property
    def complete(self) -> bool:
        return self.done >= self.required

    def __str__(self) -> str:
        return f"{self.done}/{self.required}"


def usable(capture: Capture) -> bool:
    """A capture counts unless someone rejected it (or quality rejected it unreviewed)."""
    if capture.accepted is not None:
        return capture.accepted
    return capture.quality.verdict is not Verdict.REJECT


def best_captures(captures: Iterable[Capture]) -> dict[str, Capture]:
    """The newest usable capture of each shot, by shot id."""
    best: dict[str, Capture] = {}
    for capture in captures:
        if usable(capture):
            best[capture.shot_id] = capture
    return best


def damage_count(captures: Iterable[Capture], damages: Iterable[Damage] = ()) -> int:
    """How many damage pairs there are: the highest number photographed or recorded.

    A pair is persisted by its photos and, since "Add damage" records the
    damage at once, by the damage's ``pair`` before any photo is taken.
    """
    numbers = [p[0] for c in captures if (p := parse_damage_shot_id(c.shot_id)) is not None]
    numbers += [d.pair for d in damages if d.pair is not None]
    return max(numbers, default=0)


def inspection_shots(
    checklist: Checklist, captures: Iterable[Capture], damages: Iterable[Damage] = ()
) -> list[Shot]:
    """The template's shots plus every damage pair up to the highest one photographed
    (or recorded, when ``damages`` are given)."""
    shots = list(checklist.shots)
    if checklist.damage_shots:
        for n in range(1, damage_count(captures, damages) + 1):
            shots.extend(damage_pair(checklist, n))
    return shots


@dataclass(frozen=True)
class DamagePhotos:
    """The photo pair of one damage; a photo not taken (or not usable) is None.

    ``number`` is the pair's number (shots "damage_<n>_wide" / "damage_<n>_closeup"),
    None for a damage marked on an ordinary photo of the checklist.
    """

    number: int | None
    wide: Capture | None
    closeup: Capture | None


def damage_photos(
    damage: Damage, captures: Iterable[Capture], checklist: Checklist
) -> DamagePhotos:
    """The wide view and the close-up of ``damage``, found by its pair number.

    The pair is the damage's ``pair`` (recorded by "Add damage"), or else the one
    of the photo it is marked on (a damage marked in review on a pair's photo).
    Each photo is the newest usable capture of its shot, except that the photo
    the damage is marked on with a region wins, since its mark is drawn there.
    """
    captures = list(captures)
    marked = next((c for c in captures if c.id == damage.capture_id), None)
    number = damage.pair
    if number is None and marked is not None:
        parsed = parse_damage_shot_id(marked.shot_id)
        number = parsed[0] if parsed is not None else None
    if number is None or not checklist.damage_shots:
        return DamagePhotos(number, None, None)
    best = best_captures(captures)

    def pick(shot: Shot) -> Capture | None:
        if marked is not None and marked.shot_id == shot.id and damage.region is not None:
            return marked
        return best.get(shot.id)

    wide, closeup = damage_pair(checklist, number)
    return DamagePhotos(number, pick(wide), pick(closeup))


def shots_progress(shots: Iterable[Shot], captures: Iterable[Capture]) -> Progress:
    """Progress over an explicit list of shots (the live session adds damage pairs)."""
    shots, captures = list(shots), list(captures)
    best = best_captures(captures)
    ids = {s.id for s in shots}
    required = [s.id for s in shots if s.required]
    return Progress(
        done=sum(1 for shot_id in required if shot_id in best),
        required=len(required),
        captured=len({c.shot_id for c in captures if c.shot_id in ids}),
        total=len(shots),
    )


def progress(
    checklist: Checklist, captures: Iterable[Capture], damages: Iterable[Damage] = ()
) -> Progress:
    captures = list(captures)
    return shots_progress(inspection_shots(checklist, captures, damages), captures)


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
