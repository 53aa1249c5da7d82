"""What the parts of one live session share: the inspection, its walk, the phone, the console.

The capture path, the review, the live guidance and the damages added live
each keep their own state; they reach the phone, the console's events, the
executor and the walk's position through one :class:`SessionContext`. Moving
the walk lives here because every part moves it (the operator's clicks, an
accepted photo, a retake, a damage added after the end) and the phone must see
each move.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, Literal, ParamSpec, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from inspector.domain.checklist import Checklist, Shot
from inspector.domain.coverage import Coverage, coverage_of
from inspector.domain.models import Damage, Inspection, Language, QualityReason
from inspector.domain.walk import Walk
from inspector.i18n import Localized, Message, languages
from inspector.live import events, protocol
from inspector.storage.spool import LiveWriter
from inspector.storage.store import Store
from inspector.usecases import audit
from inspector.usecases.audit import AuditAction

__all__ = ["DONE", "Frame", "Mode", "PhoneLink", "SessionContext", "session_language"]

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]
Mode = Literal["operator", "self"]
_P = ParamSpec("_P")
_T = TypeVar("_T")

DONE = Message("All the photos are taken.")  # the page adds its thanks and "close this page"


class PhoneLink(Protocol):
    """What the controller needs from a connected phone (the peer, or a test double)."""

    def send(self, text: str) -> object:
        """Send one protocol text message; the result (if any) is ignored."""
        ...

    def latest_frame(self) -> Frame | None:
        """The newest decoded video frame as a BGR uint8 array, if any."""
        ...


def session_language(value: object) -> str | None:
    """A language the catalogs speak from a browser tag ('fr-FR' -> 'fr'), else None."""
    if not isinstance(value, str):
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in languages() else None


class SessionContext:
    """One inspection's walk with one phone, and the ways to tell the phone and the console."""

    def __init__(
        self,
        *,
        store: Store,
        writer: LiveWriter,
        inspection: Inspection,
        checklist: Checklist,
        walk: Walk,
        mode: Mode,
        emit: Callable[[events.Event], None],
        actor: str | None = None,
    ) -> None:
        self.store = store
        self.writer = writer
        self.inspection = inspection
        self.inspection_id = inspection.id
        self.checklist = checklist
        self.walk = walk
        self.mode: Mode = mode
        self.actor = actor or (audit.AUTOPILOT if mode == "self" else audit.current_actor())
        """Who the audit log names for what the session does (accept, retake, capture)."""
        self._audits: set[asyncio.Future[bool]] = set()
        self._emit_cb = emit
        self.link: PhoneLink | None = None
        self.language = session_language(inspection.seller.language) or Language.FR.value
        self.finished = walk.complete  # resumed a complete inspection: nothing to ask
        # Every damage of the inspection, by id (read at open, then those added live).
        self.damages: dict[str, Damage] = {}
        self.coverage: Coverage | None = None

    @property
    def current(self) -> Shot:
        return self.walk.current

    # -- the walk's position, shown on the phone ------------------------------------

    def select(self, shot_id: str) -> Shot:
        """Make ``shot_id`` the current shot and show it on the phone."""
        try:
            index = self.walk.index_of(shot_id)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        self.go(index)
        return self.current

    def go(self, index: int) -> None:
        if not self.walk.go(index):
            return
        self.send_shot()
        total = len(self.walk.shots)
        self.emit(events.ShotChanged(self.inspection_id, index, self.current.id, total))

    def send_shot(self) -> None:
        shot = self.current
        lang = self.language
        self.send(
            "shot",
            index=self.walk.index,
            total=len(self.walk.shots),
            id=shot.id,
            category=shot.category,
            title=shot.title.get(lang),
            instruction=shot.instruction.get(lang),
            overlay=shot.overlay,
            state=self.walk.state(shot.id).value,
            orientation=shot.orientation,
        )

    # -- the coverage map, shown on the phone and in the console ---------------------------

    def update_coverage(self, *, resend: bool = False) -> Coverage:
        """Compute the map; tell the phone and the console when it changed.

        ``resend``: the phone gets it even unchanged (it just joined).
        """
        coverage = coverage_of(self.checklist, self.walk.captures, self.damages.values())
        changed = coverage != self.coverage
        self.coverage = coverage
        if changed or resend:
            self.send(
                "coverage",
                parts=[p.to_dict() for p in coverage.parts],
                covered=coverage.covered,
                listed=coverage.listed,
            )
        if changed:
            self.emit(events.CoverageChanged(self.inspection_id, coverage))
        return coverage

    def damage_changed(self, damage: Damage) -> None:
        """A damage recorded or changed during the call."""
        self.damages[damage.id] = damage
        self.update_coverage()

    # -- words for the seller -----------------------------------------------------------

    def say(self, text: Localized) -> str:
        return text.get(self.language)

    def reason_texts(self, reasons: tuple[QualityReason, ...]) -> list[str]:
        return [r.message.get(self.language) for r in reasons]

    # -- plumbing ---------------------------------------------------------------------

    def send(self, kind: str, **fields: Any) -> None:
        """Validate and send; dropped when no phone is linked (attach re-sends the shot)."""
        text = protocol.encode(kind, **fields)
        if self.link is None:
            return
        try:
            self.link.send(text)
        except Exception:  # a dying transport must not take the session down
            log.warning("%s: sending %s failed", self.inspection_id, kind, exc_info=True)

    def emit(self, event: events.Event) -> None:
        try:
            self._emit_cb(event)
        except Exception:  # a broken listener must not break the capture path
            log.exception("%s: event listener failed on %s", self.inspection_id, event.name)

    def record(
        self, action: AuditAction, detail: dict[str, Any] | None = None, *, actor: str = ""
    ) -> None:
        """Add an audit entry off the loop, without waiting: the live path never waits for
        the log, and a log the database refuses only costs a warning (see
        :mod:`inspector.usecases.audit`). Call it after the phone was answered."""
        loop = asyncio.get_running_loop()
        call = functools.partial(
            audit.record, self.store, action, self.inspection_id, detail, actor=actor or self.actor
        )
        future = loop.run_in_executor(None, call)
        self._audits.add(future)
        future.add_done_callback(self._recorded)

    def _recorded(self, future: asyncio.Future[bool]) -> None:
        self._audits.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.warning("%s: audit entry not recorded: %s", self.inspection_id, future.exception())

    async def run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``fn`` in the default executor: store writes and image work never stall the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))
