"""The checklist walk of one inspection: its shots, where it stands, what is left.

The live session (which moves the walk and tells the phone) and the console's
checklist (which follows the session's events) both keep a :class:`Walk`, so a
shot's state, the next shot needing a photo and the skipped shots are decided
here once. Completion counts come from :mod:`inspector.domain.progress`.

A shot's state is its newest capture's (accepted or turned down by someone,
else the quality verdict). A shot without a capture is pending, unless it is
optional and the walk has gone past it: it was current and the walk moved on,
it lies before where the walk moved forward to (or started, when resumed), or
the walk finished. Pure data, no I/O, no Qt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from enum import StrEnum

from inspector.domain.checklist import Checklist, Shot, damage_pair, parse_damage_shot_id
from inspector.domain.models import Capture, Damage, Verdict
from inspector.domain.progress import (
    Progress,
    best_captures,
    damage_count,
    inspection_shots,
    shots_progress,
)

__all__ = ["ShotState", "Walk", "capture_state"]


class ShotState(StrEnum):
    """What the console and the phone show for a shot."""

    PENDING = "pending"
    OK = "ok"
    WARN = "warn"
    REJECTED = "rejected"
    SKIPPED = "skipped"


_VERDICT_STATE = {
    Verdict.OK: ShotState.OK,
    Verdict.WARN: ShotState.WARN,
    Verdict.REJECT: ShotState.REJECTED,
}


def capture_state(capture: Capture) -> ShotState:
    """A person's decision wins over the quality verdict."""
    if capture.accepted is not None:
        return ShotState.OK if capture.accepted else ShotState.REJECTED
    return _VERDICT_STATE[capture.quality.verdict]


class Walk:
    """The shots of one inspection (its checklist's and every damage pair) and the current one.

    ``captures`` and ``damages`` are what the store holds; a damage recorded
    live (its ``pair``) has its two shots before they are photographed. The
    walk starts at :meth:`first_open` (where a resumed session goes on), and
    counts the optional shots before it as passed.
    """

    def __init__(
        self,
        checklist: Checklist,
        captures: Iterable[Capture] = (),
        damages: Iterable[Damage] = (),
    ) -> None:
        self.checklist = checklist
        self._captures: list[Capture] = list(captures)  # arrival order: the newest last
        damages = list(damages)
        self._shots: list[Shot] = inspection_shots(checklist, self._captures, damages)
        self._damage_count = damage_count(self._captures, damages) if checklist.damage_shots else 0
        self._passed: set[str] = set()
        self._index = self.first_open()
        self._passed.update(s.id for s in self._shots[: self._index])

    # -- what the walk is --------------------------------------------------------------

    @property
    def shots(self) -> list[Shot]:
        return list(self._shots)

    @property
    def index(self) -> int:
        return self._index

    @property
    def current(self) -> Shot:
        return self._shots[self._index]

    @property
    def captures(self) -> list[Capture]:
        """Every capture, oldest first."""
        return list(self._captures)

    @property
    def damage_count(self) -> int:
        """How many damage pairs the walk has."""
        return self._damage_count

    @property
    def progress(self) -> Progress:
        return shots_progress(self._shots, self._captures)

    @property
    def complete(self) -> bool:
        return self.progress.complete

    def index_of(self, shot_id: str) -> int:
        """Position of a shot in the walk; KeyError if the walk has no such shot."""
        for i, shot in enumerate(self._shots):
            if shot.id == shot_id:
                return i
        raise KeyError(
            f"no shot {shot_id!r} in this inspection (checklist {self.checklist.id!r}, "
            f"{len(self._shots)} shots)"
        )

    def state(self, shot_id: str) -> ShotState:
        """The state of one shot (see the module docstring)."""
        index = self.index_of(shot_id)
        newest = self.latest_capture(shot_id)
        if newest is not None:
            return capture_state(newest)
        shot = self._shots[index]
        if index != self._index and not shot.required and shot_id in self._passed:
            return ShotState.SKIPPED
        return ShotState.PENDING

    def states(self) -> dict[str, ShotState]:
        return {shot.id: self.state(shot.id) for shot in self._shots}

    def latest_capture(self, shot_id: str) -> Capture | None:
        """The newest capture of a shot, whatever its verdict."""
        for capture in reversed(self._captures):
            if capture.shot_id == shot_id:
                return capture
        return None

    def first_open(self) -> int:
        """The first shot still needing a photo (where a session starts), else the first."""
        following = self.next_needing(-1)
        return 0 if following is None else following

    def next_needing(self, after: int) -> int | None:
        """Index of the first shot after ``after`` (wrapping) that still needs a photo.

        A shot needs one when it is required and has no usable capture; None when
        none does (the walk is complete).
        """
        best = best_captures(self._captures)
        n = len(self._shots)
        for step in range(1, n + 1):
            i = (after + step) % n
            shot = self._shots[i]
            if shot.required and shot.id not in best:
                return i
        return None

    # -- what happens to it ----------------------------------------------------------------

    def go(self, index: int) -> bool:
        """Make shot ``index`` current; True if it changed.

        The shot left is passed, and so is every shot jumped over going forward.
        """
        if not 0 <= index < len(self._shots):
            raise IndexError(f"no shot #{index} (the walk has {len(self._shots)})")
        if index == self._index:
            return False
        self._passed.add(self.current.id)
        self._passed.update(s.id for s in self._shots[self._index + 1 : index])
        self._index = index
        return True

    def finish(self) -> None:
        """Every required shot is done: the optional ones still without a photo are skipped."""
        self._passed.update(s.id for s in self._shots)

    def add_capture(self, capture: Capture) -> None:
        """A capture stored (a damage shot brings its pair); a known id replaces its capture."""
        parsed = parse_damage_shot_id(capture.shot_id)
        if parsed is not None:
            self.add_damage_pairs(parsed[0])
        for i, known in enumerate(self._captures):
            if known.id == capture.id:
                self._captures[i] = capture
                return
        self._captures.append(capture)

    def review(self, capture_id: str, accepted: bool) -> Capture | None:
        """Someone kept or turned down a capture; None if the walk does not know it."""
        for capture in self._captures:
            if capture.id == capture_id:
                reviewed = dataclasses.replace(capture, accepted=accepted)
                self.add_capture(reviewed)
                return reviewed
        return None

    def add_damage_pairs(self, up_to: int) -> list[Shot]:
        """Damage pairs up to number ``up_to`` (a checklist without damage shots has none).

        Returns the shots added, in walk order: none if the walk already has them.
        """
        added: list[Shot] = []
        if not self.checklist.damage_shots:
            return added
        while self._damage_count < up_to:
            self._damage_count += 1
            added += damage_pair(self.checklist, self._damage_count)
        self._shots += added
        return added
