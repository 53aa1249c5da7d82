"""The coverage map: which exterior parts the accepted photos show, and which are damaged.

Which shots cover which parts is data (each template shot's ``covers``). A part is
*not yet* covered until a shot covering it has an accepted photo, then *covered*;
a damage recorded on it makes it *damaged*, in its worst severity's colour (the
palette the report and the review use; a damage still to complete is grey). A part
no shot of the checklist covers is *unlisted* unless damaged: the map shows it
plainly and does not count it as left to shoot. Pure: no I/O, no Qt. The live
session computes it, sends it to the phone and tells the console.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from inspector.domain.checklist import Checklist
from inspector.domain.models import EXTERIOR_PARTS, Capture, Damage, Part, Severity
from inspector.domain.palette import SEVERITY_COLOURS, TO_COMPLETE_COLOUR

__all__ = [
    "COVERAGE_COLOURS",
    "Coverage",
    "PartCoverage",
    "PartState",
    "coverage_of",
]


class PartState(StrEnum):
    NOT_YET = "not_yet"
    COVERED = "covered"
    DAMAGED = "damaged"
    UNLISTED = "unlisted"  # no shot of the checklist covers it


#: Fill colours of the states that have no severity (a damaged part has its severity's).
COVERAGE_COLOURS: Mapping[PartState, str] = {
    PartState.NOT_YET: "#E8EBEF",
    PartState.COVERED: "#2E8B57",
    PartState.UNLISTED: "#F7F8FA",
}


@dataclass(frozen=True)
class PartCoverage:
    """One exterior part on the map.

    ``shot_id``: the shot to go to for this part: its first covering shot with an
    accepted photo, else its first covering shot (to take), else (an unlisted damaged
    part) the wide view of its damage's photo pair; None when there is none.
    ``severity``: the worst severity of its completed damages (None if it has none).
    ``listed``: some shot of the checklist covers it; ``covered``: one of those has an
    accepted photo (a damaged part may be either).
    """

    part: Part
    state: PartState
    colour: str
    shot_id: str | None = None
    severity: Severity | None = None
    damages: int = 0
    listed: bool = False
    covered: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part.value,
            "state": self.state.value,
            "colour": self.colour,
            "shot": self.shot_id,
            "severity": int(self.severity) if self.severity is not None else None,
            "listed": self.listed,
            "covered": self.covered,
        }


@dataclass(frozen=True)
class Coverage:
    """Every exterior part, in diagram order."""

    parts: tuple[PartCoverage, ...]

    def of(self, part: Part) -> PartCoverage:
        for p in self.parts:
            if p.part is part:
                return p
        raise KeyError(part)

    @property
    def listed(self) -> int:
        """How many parts some shot of the checklist covers."""
        return sum(1 for p in self.parts if p.listed)

    @property
    def covered(self) -> int:
        """How many of those an accepted photo shows."""
        return sum(1 for p in self.parts if p.covered)

    @property
    def left(self) -> tuple[Part, ...]:
        """The listed parts no accepted photo shows yet, in diagram order."""
        return tuple(p.part for p in self.parts if p.listed and not p.covered)

    def to_dict(self) -> dict[str, Any]:
        return {"parts": [p.to_dict() for p in self.parts]}


def _accepted(captures: Iterable[Capture]) -> set[str]:
    """Shots whose newest reviewed capture was accepted (a retake turns a shot back)."""
    verdict: dict[str, bool] = {}
    for capture in captures:  # oldest first: the newest decision wins
        if capture.accepted is not None:
            verdict[capture.shot_id] = capture.accepted
    return {shot_id for shot_id, ok in verdict.items() if ok}


def coverage_of(
    checklist: Checklist, captures: Iterable[Capture], damages: Iterable[Damage] = ()
) -> Coverage:
    """The map of one inspection: its checklist, its captures (oldest first), its damages."""
    accepted = _accepted(captures)
    covering: dict[Part, list[str]] = {}
    for shot in checklist.shots:
        for part in shot.covers:
            covering.setdefault(part, []).append(shot.id)
    on_part: dict[Part, list[Damage]] = {}
    for damage in damages:
        on_part.setdefault(damage.part, []).append(damage)
    wide = checklist.damage_shots[0].id.removeprefix("damage_") if checklist.damage_shots else None
    parts: list[PartCoverage] = []
    severity: Severity | None
    for part in EXTERIOR_PARTS:
        shots = covering.get(part, [])
        done = [s for s in shots if s in accepted]
        shot_id: str | None = (done or shots)[0] if shots else None
        found = on_part.get(part, [])
        if found:
            completed = [d.severity for d in found if not d.to_complete]
            severity = max(completed, default=None)
            colour = SEVERITY_COLOURS[severity] if severity is not None else TO_COMPLETE_COLOUR
            if shot_id is None and wide is not None:
                pair = next((d.pair for d in found if d.pair is not None), None)
                shot_id = f"damage_{pair}_{wide}" if pair is not None else None
            state = PartState.DAMAGED
        else:
            severity = None
            state = PartState.COVERED if done else PartState.NOT_YET
            state = state if shots else PartState.UNLISTED
            colour = COVERAGE_COLOURS[state]
        parts.append(
            PartCoverage(
                part,
                state,
                colour,
                shot_id,
                severity,
                damages=len(found),
                listed=bool(shots),
                covered=bool(done),
            )
        )
    return Coverage(tuple(parts))
