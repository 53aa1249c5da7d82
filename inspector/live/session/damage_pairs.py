"""Damages added during the live call: recorded at once, their photo pair appended to the walk.

The record itself (part guessed from the shot, "to complete", the close-up
linked once stored) is :mod:`inspector.live.damages`; this module keeps the
session's side: one pair number at a time, the walk's new shots, and the
links made when a close-up is stored.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass

from inspector.domain.checklist import Shot, damage_pair, parse_damage_shot_id
from inspector.domain.models import Capture, Damage, DamageType, Part, Severity
from inspector.live import damages as live_damage
from inspector.live.session.context import SessionContext
from inspector.storage import StoreError
from inspector.usecases import audit
from inspector.usecases.audit import AuditAction

__all__ = ["DamagePair", "DamagePairs"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DamagePair:
    """A damage added live: its record (to complete) and the two shots to take of it.

    ``guess`` is the part guessed from the shot being taken, None when that shot
    shows no particular part (the record then holds a placeholder part).
    """

    number: int
    wide: Shot
    closeup: Shot
    damage: Damage
    guess: Part | None = None


class DamagePairs:
    """The damages one session added live (this call or an earlier one), by pair number."""

    def __init__(self, ctx: SessionContext, damages: list[Damage]) -> None:
        self._ctx = ctx
        # Damages added live, by pair number: their record exists before their photos.
        self.by_pair: dict[int, Damage] = {d.pair: d for d in damages if d.pair is not None}
        self._lock = asyncio.Lock()  # one pair number, one record, one at a time
        self._tasks: set[asyncio.Task[None]] = set()

    async def add(self) -> DamagePair:
        """Record one more damage and append its wide view and close-up, numbered after the others.

        The damage is stored before anything else (a crash cannot lose it), with
        the part guessed from the current shot and marked "to complete"; see
        :mod:`inspector.live.damages`. If everything else was already done the
        new wide view becomes current, since it is now the only thing left to
        photograph. StoreError if the damage cannot be recorded (nothing changes).
        """
        ctx = self._ctx
        if not ctx.checklist.damage_shots:
            raise ValueError(f"checklist {ctx.checklist.id!r} has no damage shots")
        async with self._lock:
            number = ctx.walk.damage_count + 1
            part = live_damage.guess_part(ctx.current, self.by_pair)
            damage = live_damage.new_live_damage(ctx.inspection_id, number, part)
            await ctx.run(ctx.store.add_damage, damage)
            self.by_pair[number] = damage
            wide, closeup = ctx.walk.add_damage_pairs(number)
            ctx.damage_changed(damage)
        ctx.record(AuditAction.DAMAGE_ADDED, audit.damage_detail(damage))
        if ctx.finished and wide.required:
            ctx.finished = False
            ctx.select(wide.id)
        return DamagePair(number, wide, closeup, damage, part)

    async def complete(
        self,
        damage_id: str,
        *,
        part: Part,
        type: DamageType,
        severity: Severity,
        note: str | None = None,
    ) -> Damage:
        """Say what a damage is (the operator's answer to "Add damage"): no longer to complete."""
        ctx = self._ctx
        async with self._lock:
            damage = await ctx.run(
                functools.partial(
                    live_damage.complete_damage,
                    ctx.store,
                    ctx.inspection_id,
                    damage_id,
                    part=part,
                    type=type,
                    severity=severity,
                    note=note,
                )
            )
            if damage.pair is not None:
                self.by_pair[damage.pair] = damage
            ctx.damage_changed(damage)
            return damage

    def link_when_stored(self, shot: Shot, result: asyncio.Future[Capture | None]) -> None:
        """Once a damage's close-up is stored, point the damage at it (see live.damages)."""
        checklist = self._ctx.checklist
        parsed = parse_damage_shot_id(shot.id)
        if parsed is None or not checklist.damage_shots:
            return
        number = parsed[0]
        closeup_id = damage_pair(checklist, number)[1].id
        if shot.id != closeup_id:
            return

        def stored(result: asyncio.Future[Capture | None]) -> None:
            if result.cancelled() or result.result() is None or number not in self.by_pair:
                return
            task = asyncio.get_running_loop().create_task(
                self._link_closeup(number, result.result()), name=f"damage-link-{number}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        result.add_done_callback(stored)

    async def settle(self) -> None:
        """Let the links of close-ups just stored land (short store writes)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _link_closeup(self, number: int, capture: Capture | None) -> None:
        if capture is None:
            return
        ctx = self._ctx
        async with self._lock:
            damage = self.by_pair.get(number)
            if damage is None:
                return
            try:
                linked = await ctx.run(live_damage.link_closeup, ctx.store, damage, capture)
            except StoreError as exc:
                # The pair number still finds the photo (progress.damage_photos).
                log.warning(
                    "%s: damage %s not linked to %s: %s",
                    ctx.inspection_id,
                    damage.id,
                    capture.id,
                    exc,
                )
                return
            if linked is not None:
                self.by_pair[number] = linked
                ctx.damage_changed(linked)
