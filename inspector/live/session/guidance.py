"""Live guidance: what the seller sees besides the shot (hints, pointer, torch, messages).

Live hints come from sampling the video: at most one analysis every
``hint_interval`` seconds, in the executor, and a frame is dropped while one
is still running, so the loop stays cheap. The phone hears a hint only when it
changes. The newest sample (metrics, motion, verdict) is also what the
autopilot decides on: it asks for a sample no older than its own period
(``fresh``), so a session the autopilot drives analyses a frame about as often
as one of the two samplers alone would, not as often as both together.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass

from inspector.domain import quality
from inspector.domain.models import QualityReason, QualityThresholds, Verdict
from inspector.live import events, protocol
from inspector.live.session.context import Frame, SessionContext

__all__ = ["LiveGuidance", "LiveSample"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveSample:
    """One analysed live frame: what the hint and the autopilot decide on."""

    at: float  # loop time
    metrics: dict[str, float]
    motion: float | None  # None for the first frame: nothing to compare with
    hint: QualityReason | None
    verdict: Verdict  # the still verdict, ignoring resolution (the stream is smaller)

    @property
    def steady(self) -> bool:
        return self.motion is not None and self.motion <= quality.MAX_MOTION


def _analyze_live(
    frame: Frame, previous: Frame | None, thresholds: QualityThresholds
) -> tuple[dict[str, float], float | None, QualityReason | None, Verdict]:
    """Executor side of a live sample: metrics, motion, hint and resolution-free verdict."""
    metrics = quality.measure(frame)
    motion = None if previous is None else quality.frame_difference(frame, previous)
    hint = quality.live_hint(metrics, motion, thresholds)
    # The video stream is smaller than the still will be: judge everything but size.
    any_size = dataclasses.replace(thresholds, min_width=1, min_height=1)
    verdict = quality.assess(metrics, any_size).verdict
    return metrics, motion, hint, verdict


class LiveGuidance:
    """The video frames of one session, their live hints, and the operator's pointing tools."""

    def __init__(self, ctx: SessionContext, *, hint_interval: float) -> None:
        self._ctx = ctx
        self.hint_interval = hint_interval
        self._last_frame: Frame | None = None
        self._prev_sample: Frame | None = None
        self.live: LiveSample | None = None
        self._live_shot: str | None = None  # the shot self.live was judged for
        self._hint_code: str | None = None
        self._last_sample_at = float("-inf")
        self._sample_lock: asyncio.Lock | None = None
        self._sample_task: asyncio.Task[LiveSample | None] | None = None
        self._closed = False

    def latest_frame(self) -> Frame | None:
        """The newest video frame: the link's, else the last one given to :meth:`on_frame`."""
        link = self._ctx.link
        frame = link.latest_frame() if link is not None else None
        if frame is not None:
            self._last_frame = frame
            return frame
        return self._last_frame

    def forget_hint(self) -> None:
        """A fresh page shows no hint: the next one is sent whatever it is."""
        self._hint_code = None

    def on_frame(self, frame: Frame) -> None:
        """A new video frame: keep it for the fallback and maybe sample a live hint."""
        self._last_frame = frame
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        busy = self._sample_task is not None and not self._sample_task.done()
        if busy or now - self._last_sample_at < self.hint_interval:
            return
        self._last_sample_at = now
        self._sample_task = loop.create_task(self.sample(frame), name="live-hint")
        self._sample_task.add_done_callback(self._sample_done)

    def _sample_done(self, task: asyncio.Task[LiveSample | None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: live hint failed", self._ctx.inspection_id, exc_info=task.exception())

    async def sample(self, frame: Frame | None = None, *, fresh: float = 0.0) -> LiveSample | None:
        """Analyse ``frame`` (default: the newest) for the live hint; None without a frame.

        Sends the phone a ``hint`` only when the hint changes, and emits LiveHint then.
        ``fresh`` (seconds, with no ``frame`` given): the newest sample is returned as it is
        when it was taken less than that long ago, for the current shot.
        """
        ctx = self._ctx
        live = self.live
        if (
            frame is None
            and live is not None
            and self._live_shot == ctx.current.id
            and asyncio.get_running_loop().time() - live.at < fresh
        ):
            return live
        if frame is None:
            frame = self.latest_frame()
        if frame is None:
            return None
        if self._sample_lock is None:
            self._sample_lock = asyncio.Lock()
        async with self._sample_lock:
            shot = ctx.current
            try:
                metrics, motion, hint, verdict = await ctx.run(
                    _analyze_live, frame, self._prev_sample, shot.quality
                )
            except quality.QualityError as exc:
                log.debug("%s: frame not analysed: %s", ctx.inspection_id, exc)
                return None
            self._prev_sample = frame
            sample = LiveSample(asyncio.get_running_loop().time(), metrics, motion, hint, verdict)
            self.live = sample
            self._live_shot = shot.id
            code = hint.code if hint is not None else None
            if code != self._hint_code:
                self._hint_code = code
                text = ctx.say(hint.message) if hint is not None else ""
                ctx.send("hint", code=code, text=text)
                ctx.emit(events.LiveHint(ctx.inspection_id, code, dict(metrics)))
            return sample

    def stop(self) -> list[asyncio.Task[LiveSample | None]]:
        """No more sampling; returns the analysis still running (for shutting down)."""
        self._closed = True
        return [self._sample_task] if self._sample_task is not None else []

    # -- the operator's tools ------------------------------------------------------------

    def torch(self, on: bool) -> None:
        self._ctx.send("torch", on=bool(on))

    def pointer(self, x: float | None, y: float | None) -> None:
        """Point at (x, y), 0-1 over the picture the phone shows; (None, None) hides it."""
        if (x is None) != (y is None):
            raise ValueError("pointer needs both x and y, or neither to hide it")
        if x is not None and y is not None and not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValueError(f"pointer position ({x}, {y}) must be within 0-1")
        self._ctx.send("pointer", x=x, y=y)

    def message(self, text: str) -> None:
        text = text.strip()
        if not text:
            raise ValueError("the message is empty")
        limit = protocol.TO_PHONE["message"]["text"].max_len
        if len(text) > limit:
            raise ValueError(f"the message is too long ({len(text)} characters, at most {limit})")
        self._ctx.send("message", text=text)
