"""Completion of an inspection: **the** one place it is computed, pure and store-free.

Which shots an inspection has (its checklist's plus every damage pair), which
capture counts for each (the newest usable one), what is missing, which kept
photos are below the quality bar, each damage's photo pair, and the grade a
report shows. The report, the CLI, the live session and the console all come
here, so their counts agree.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Iterable, Set
from dataclasses import dataclass, field, fields

from inspector.domain.checklist import Checklist, Shot, damage_pair, parse_damage_shot_id
from inspector.domain.grading import OverallGrade, overall_grade
from inspector.domain.models import Capture, Damage, Inspection, Verdict

KEPT_AFTER_ATTEMPTS = "kept_after_attempts"
"""Quality reason the autopilot adds to a photo it kept after repeated rejections
(``inspector.autopilot.KEPT_AFTER_ATTEMPTS``; spelled here, as the autopilot imports us)."""


@dataclass(frozen=True)
class _Plan:
    """An inspection's shots split as completion counts them."""

    shots: tuple[Shot, ...]
    required: tuple[Shot, ...]
    optional: tuple[Shot, ...]
    ids: frozenset[str]
    required_ids: frozenset[str]

    @classmethod
    def of(cls, shots: Iterable[Shot]) -> _Plan:
        shots = tuple(shots)
        required = tuple(s for s in shots if s.required)
        return cls(
            shots,
            required,
            tuple(s for s in shots if not s.required),
            frozenset(s.id for s in shots),
            frozenset(s.id for s in required),
        )


@dataclass(frozen=True)
class Completion:
    """How complete an inspection's photo set is, as counts and missing shots.

    ``done`` counts the required shots with a usable photo, so
    ``done == required - len(missing)`` always holds: a count and the list of
    missing shots printed side by side can never disagree. A listing gets it from
    :func:`completion` (no capture read); :class:`Progress` adds the photos themselves.
    The missing shots are worked out when asked for (a listing of thousands asks for
    the counts only).
    """

    done: int
    required: int
    captured: int
    total: int
    _plan: _Plan = field(repr=False)
    _taken: Collection[str] = field(repr=False)
    """The shots photographed (or only those with a usable photo, ``_unusable`` empty)."""
    _unusable: Collection[str] = field(repr=False, default=())
    """Those of ``_taken`` without a usable photo: kept as read, a set made only when the
    missing shots are asked for (a listing of thousands asks for the counts only)."""

    @property
    def _usable(self) -> frozenset[str]:
        return frozenset(self._taken).difference(self._unusable)

    @property
    def missing(self) -> tuple[Shot, ...]:
        """Required shots without a usable photo, in checklist order."""
        usable = self._usable
        return tuple(s for s in self._plan.required if s.id not in usable)

    @property
    def optional_missing(self) -> tuple[Shot, ...]:
        """Optional shots without a usable photo."""
        usable = self._usable
        return tuple(s for s in self._plan.optional if s.id not in usable)

    @property
    def complete(self) -> bool:
        return self.done == self.required

    def __str__(self) -> str:
        return f"{self.done}/{self.required}"


@dataclass(frozen=True)
class Progress(Completion):
    """:class:`Completion` with the photos that count; made by :func:`shots_progress` only."""

    to_check: tuple[Capture, ...] = ()
    """The photos that stand for a shot but are below the quality bar (see :func:`below_bar`)."""


@dataclass(frozen=True)
class ShotsTaken:
    """What completion needs of an inspection's captures, without the captures: how many
    there are, the shots photographed, and those with a usable photo among them.

    The store keeps it with each inspection (``Store.listing``), so a list of thousands
    of inspections never decodes their captures; :meth:`of` makes it from the captures.
    """

    captures: int = 0
    taken: frozenset[str] = frozenset()
    usable: frozenset[str] = frozenset()

    @classmethod
    def of(cls, captures: Iterable[Capture]) -> ShotsTaken:
        captures = list(captures)
        return cls(
            len(captures),
            frozenset(c.shot_id for c in captures),
            frozenset(c.shot_id for c in captures if usable(c)),
        )


def usable(capture: Capture) -> bool:
    """A capture counts unless someone rejected it (or quality rejected it unreviewed)."""
    return usable_as(capture.accepted, capture.quality.verdict)


def usable_as(accepted: bool | None, verdict: Verdict) -> bool:
    """:func:`usable` from the two things it looks at (the store's summary reads only them)."""
    if accepted is not None:
        return accepted
    return verdict is not Verdict.REJECT


def kept_after_attempts(capture: Capture) -> bool:
    return any(r.code == KEPT_AFTER_ATTEMPTS for r in capture.quality.reasons)


def below_bar(capture: Capture) -> bool:
    """A usable photo the quality check did not pass: a warning, or kept despite a reject."""
    return usable(capture) and (
        capture.quality.verdict is not Verdict.OK or kept_after_attempts(capture)
    )


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
    return _damage_count((c.shot_id for c in captures), (d.pair for d in damages))


_may_be_damage_shot = operator.methodcaller("startswith", "damage_")


def damage_pairs(shot_ids: Iterable[str], pairs: Iterable[int | None] = ()) -> int:
    """How many damage pairs there are, from the shots photographed and the pair of each
    damage (None if it has none): the highest number of either."""
    return _damage_count(shot_ids, pairs)


def _damage_count(shot_ids: Iterable[str], pairs: Iterable[int | None]) -> int:
    numbers = [
        p[0]
        for s in filter(_may_be_damage_shot, shot_ids)
        if (p := parse_damage_shot_id(s)) is not None
    ]
    numbers += [n for n in pairs if n is not None]
    return max(numbers, default=0)


def inspection_shots(
    checklist: Checklist, captures: Iterable[Capture], damages: Iterable[Damage] = ()
) -> list[Shot]:
    """The template's shots plus every damage pair up to the highest one photographed
    (or recorded, when ``damages`` are given)."""
    return _shots(checklist, damage_count(captures, damages))


def _shots(checklist: Checklist, pairs: int) -> list[Shot]:
    shots = list(checklist.shots)
    if checklist.damage_shots:
        for n in range(1, pairs + 1):
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
    damage: Damage, captures: Iterable[Capture], checklist: Checklist | None
) -> DamagePhotos:
    """The wide view and the close-up of ``damage``, found by its pair number.

    The pair is the damage's ``pair`` (recorded by "Add damage"), or else the one
    of the photo it is marked on (a damage marked in review on a pair's photo).
    Each photo is the newest usable capture of its shot, except that the photo
    the damage is marked on with a region wins, since its mark is drawn there.
    Without a checklist (or one without damage shots) only the number is found.
    """
    captures = list(captures)
    marked = next((c for c in captures if c.id == damage.capture_id), None)
    number = damage.pair
    if number is None and marked is not None:
        parsed = parse_damage_shot_id(marked.shot_id)
        number = parsed[0] if parsed is not None else None
    if number is None or checklist is None or not checklist.damage_shots:
        return DamagePhotos(number, None, None)
    best = best_captures(captures)

    def pick(shot: Shot) -> Capture | None:
        if marked is not None and marked.shot_id == shot.id and damage.region is not None:
            return marked
        return best.get(shot.id)

    wide, closeup = damage_pair(checklist, number)
    return DamagePhotos(number, pick(wide), pick(closeup))


def shots_progress(shots: Iterable[Shot], captures: Iterable[Capture]) -> Progress:
    """Completion over an explicit list of shots: **the** one place it is computed.

    The report, the CLI, the live session and the console all come here (through
    :func:`progress` when they start from a checklist, or :func:`completion` for a
    listing), so their counts agree.
    """
    shots, captures = list(shots), list(captures)
    best = best_captures(captures)
    counts = _completion(_Plan.of(shots), {c.shot_id for c in captures}, best.keys())
    return Progress(
        **{f.name: getattr(counts, f.name) for f in fields(Completion)},
        to_check=tuple(best[s.id] for s in shots if s.id in best and below_bar(best[s.id])),
    )


_PLANS: dict[tuple[int, int], tuple[Checklist, _Plan]] = {}
"""The plan of (checklist, damage pairs) already made: a listing counts thousands of
inspections against a few checklists (keyed by identity, the checklist kept with it)."""


def _plan(checklist: Checklist, pairs: int) -> _Plan:
    key = (id(checklist), pairs)
    found = _PLANS.get(key)
    if found is not None and found[0] is checklist:
        return found[1]
    plan = _Plan.of(_shots(checklist, pairs))
    if len(_PLANS) >= 256:
        _PLANS.clear()
    _PLANS[key] = (checklist, plan)
    return plan


def _completion(plan: _Plan, taken: Set[str], usable_ids: Set[str]) -> Completion:
    usable = usable_ids if isinstance(usable_ids, frozenset) else frozenset(usable_ids)
    if len(plan.required_ids) == len(plan.required):  # no shot twice: count in C
        done = len(plan.required_ids & usable)
    else:
        done = sum(1 for s in plan.required if s.id in usable)
    return Completion(
        done=done,
        required=len(plan.required),
        captured=len(plan.ids & taken),
        total=len(plan.shots),
        _plan=plan,
        _taken=usable,
    )


def progress(
    checklist: Checklist, captures: Iterable[Capture], damages: Iterable[Damage] = ()
) -> Progress:
    """Completion of an inspection: its checklist's shots and the damage pairs it has
    (photographed, or recorded live by "Add damage" before their photos)."""
    captures = list(captures)
    return shots_progress(inspection_shots(checklist, captures, damages), captures)


def completion(
    checklist: Checklist, shots: ShotsTaken, damage_pairs: Iterable[int | None] = ()
) -> Completion:
    """:func:`progress` without the photos, from what a listing reads: the same counts
    and missing shots (``damage_pairs``: the pair of each damage, None if it has none)."""
    count = _damage_count(shots.taken, damage_pairs)
    return _completion(_plan(checklist, count), shots.taken, shots.usable)


def listed_completion(
    checklist: Checklist, taken: Collection[str], unusable: Collection[str], pairs: int = 0
) -> Completion:
    """:func:`completion` from a summary as a listing reads it, without making sets of
    it: ``taken`` the shots photographed, ``unusable`` those of them without a usable
    photo, ``pairs`` the number of damage pairs (:func:`damage_pairs`). The checklist's
    shot sets are worked out once per checklist and number of pairs (``_plan``); each
    count is then a set operation against them, in C.
    """
    plan = _plan(checklist, pairs if checklist.damage_shots else 0)
    if len(plan.required_ids) == len(plan.required):  # no shot twice: count in C
        done_ids = plan.required_ids.intersection(taken)
        done = len(done_ids.difference(unusable) if unusable else done_ids)
    else:
        usable = frozenset(taken).difference(unusable)
        done = sum(1 for s in plan.required if s.id in usable)
    return Completion(
        done,
        len(plan.required),
        len(plan.ids.intersection(taken)),
        len(plan.shots),
        plan,
        taken,
        unusable,
    )


def inspection_grade(
    inspection: Inspection,
    damages: Iterable[Damage],
    prog: Progress | None,
    captures: Iterable[Capture] = (),
) -> OverallGrade:
    """The grade a report shows for this inspection (see :mod:`inspector.grading`).

    ``prog`` is its :func:`progress`; None when its checklist is unknown, in
    which case completion cannot be judged and only the quality cap applies
    (to the ``captures`` below the bar, if given).
    """
    to_check: Iterable[Capture] = prog.to_check if prog is not None else ()
    if prog is None:
        to_check = [c for c in best_captures(captures).values() if below_bar(c)]
    return overall_grade(
        damages,
        chosen=inspection.grade,
        missing=len(prog.missing) if prog is not None else 0,
        required=prog.required if prog is not None else 0,
        below_bar=[
            Verdict.REJECT if kept_after_attempts(c) else c.quality.verdict for c in to_check
        ],
    )
