"""The operator's (or autopilot's) decision on each photo: accept, retake, and the end.

An accepted photo moves the walk on when ``auto_advance`` is on; a retake
goes back to its shot and tells the seller why. When every required shot has
a usable photo the seller is thanked and the inspection marked captured.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from inspector.domain import status as status_rules
from inspector.domain.models import Capture, InspectionStatus, QualityReason
from inspector.i18n import Message
from inspector.live import events
from inspector.live.session.context import DONE, SessionContext
from inspector.storage import StoreError
from inspector.storage.spool import reviewed
from inspector.usecases import status as lifecycle
from inspector.usecases.audit import AuditAction

if TYPE_CHECKING:
    from inspector.live.session.originals import Originals

__all__ = ["Review"]

log = logging.getLogger(__name__)

_OPERATOR_RETAKE = Message("Please take this photo again")


class Review:
    """Accept and retake on one session's captures, and finishing the walk."""

    def __init__(
        self,
        ctx: SessionContext,
        *,
        auto_advance: bool,
        after_finish: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._ctx = ctx
        self.auto_advance = auto_advance
        self._after_finish = after_finish
        self.originals: Originals | None = None  # set by the controller
        self._waiting = False  # "done" said, the originals still on their way
        self._completing: set[asyncio.Task[None]] = set()

    async def accept(self, capture_id: str, *, note: QualityReason | None = None) -> None:
        """Keep a capture; with auto_advance move on (or finish if nothing is left).

        ``note`` (the autopilot's "kept after N attempts") is added to the
        capture's quality reasons so the inspector sees why it needs a look.
        """
        ctx = self._ctx
        capture = self._reviewed(capture_id, True)
        await ctx.run(ctx.writer.review, capture_id, True, note)
        self._replace(capture, accepted=True, quality=reviewed(capture, True, note).quality)
        ctx.emit(events.CaptureReviewed(ctx.inspection_id, capture_id, True))
        ctx.record(AuditAction.ACCEPTED, {"capture": capture_id, "shot": capture.shot_id})
        ctx.update_coverage()
        if not self.auto_advance:
            if ctx.walk.complete and not ctx.finished:
                await self.finish()
            return
        following = ctx.walk.next_needing(ctx.walk.index)
        if following is None:
            if not ctx.finished:
                await self.finish()
        elif capture.shot_id == ctx.current.id:
            ctx.go(following)

    async def retake(self, capture_id: str) -> None:
        """Turn a capture down and ask the seller for that shot again, saying why."""
        ctx = self._ctx
        capture = self._reviewed(capture_id, False)
        await ctx.run(ctx.writer.review, capture_id, False)
        self._replace(capture, accepted=False)
        ctx.emit(events.CaptureReviewed(ctx.inspection_id, capture_id, False))
        ctx.record(AuditAction.RETAKE, {"capture": capture_id, "shot": capture.shot_id})
        ctx.update_coverage()
        if not ctx.walk.complete:
            ctx.finished = False
        if self.originals is not None:
            self.originals.unwanted(capture_id)  # a photo turned down needs no original
        reasons = ctx.reason_texts(capture.quality.reasons) or [ctx.say(_OPERATOR_RETAKE)]
        if capture.shot_id != ctx.current.id:
            ctx.select(capture.shot_id)  # "take it again" means now, so go there
        ctx.send(
            "capture_result",
            id=capture_id,
            verdict=capture.quality.verdict.value,
            reasons=reasons,
            stored=True,
            retake=True,
        )

    async def finish(self) -> None:
        """Every required shot has a usable photo: show the summary to sign, thank the
        seller, mark the inspection. The summary goes first, so the page keeps its link
        open for the signature when "done" arrives."""
        ctx = self._ctx
        ctx.finished = True
        ctx.walk.finish()
        if self._after_finish is not None:
            try:
                await self._after_finish()
            except StoreError as exc:
                log.warning("%s: cannot show the summary: %s", ctx.inspection_id, exc)
        ctx.send("done", text=ctx.say(DONE))
        if self.originals is not None and self.originals.count:
            # Not complete while an original is on its way: the phone keeps its page
            # (and the link) until the last one is in; then originals_settled completes.
            self._waiting = True
            log.info(
                "%s: walk done, waiting for %d original(s)",
                ctx.inspection_id,
                self.originals.count,
            )
            return
        await self._complete()

    def originals_settled(self) -> None:
        """The last pending original is stored (or given up): complete a finished walk."""
        if not self._waiting:
            return
        self._waiting = False
        if not self._ctx.finished:
            return  # retaken meanwhile: the walk finishes again later
        task = asyncio.get_running_loop().create_task(self._complete(), name="complete")
        self._completing.add(task)
        task.add_done_callback(self._completing.discard)

    async def _complete(self) -> None:
        ctx = self._ctx
        try:
            await ctx.run(self._mark_captured)
        except StoreError as exc:
            log.warning("%s: cannot mark the inspection captured: %s", ctx.inspection_id, exc)
            ctx.emit(events.EngineError(str(exc), ctx.inspection_id))
        ctx.emit(events.Completed(ctx.inspection_id))

    def _mark_captured(self) -> None:
        ctx = self._ctx
        lifecycle.captured(ctx.writer, ctx.inspection_id)
        if ctx.inspection.status in status_rules.CAPTURED.allowed_from:
            ctx.inspection.status = InspectionStatus.CAPTURED

    def _reviewed(self, capture_id: str, accepted: bool) -> Capture:
        for capture in self._ctx.walk.captures:
            if capture.id == capture_id:
                return capture
        verb = "accept" if accepted else "retake"
        raise ValueError(f"cannot {verb} capture {capture_id!r}: not a capture of this session")

    def _replace(self, capture: Capture, **changes: Any) -> None:
        # Replace rather than mutate: the console may still hold the old object.
        walk = self._ctx.walk
        for c in walk.captures:
            if c.id == capture.id:
                walk.add_capture(dataclasses.replace(c, **changes))
