"""Self-inspection without an operator: capture when the picture is steady and good.

The autopilot stands in for the operator's capture, accept and retake clicks.
It samples the live video through the :class:`~inspector.live.session.SessionController`
(which also sends the seller the live hints), and captures once the frames
have been steady and free of reject-level problems for ``steady_seconds`` — or
at once when the seller presses the shutter. A photo the quality check
rejects is retaken (the phone has already been told why); any other is
accepted, which moves the controller to the next shot until the checklist is
complete. One capture is in flight at a time.

Paced by the seller (``await_seller``, what the engine uses): on each new shot
the phone shows the instruction and an "I'm in position" button (``pace``
"position"); only once the seller taps it does the steady rule count. Then a
**framing check** (``framing``, for the shots outlining the whole car) compares
the picture with the shot's outline: a picture that does not line up asks the
seller to adjust (``pace`` "adjust") instead of being saved. The shutter button
always captures at once, framing or not: the seller keeps the last word.

A seller is never stuck on one shot: after ``max_attempts`` photos of a shot
rejected by the quality check (say a phone that only delivers low-resolution
frames), the autopilot keeps the sharpest of them, accepted, with the reason
``kept_after_attempts`` added to its quality reasons (its verdict stays
"reject", which the report shows), and moves on. The count comes from the
captures of the shot in the store, so it survives a reconnection or a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from inspector.domain.models import Capture, QualityReason, Verdict
from inspector.domain.quality import ANALYSIS_SIZE
from inspector.i18n import Message
from inspector.live.session import SessionController
from inspector.live.timings import AUTOPILOT_SAMPLE_HZ, SETTLE_SECONDS, STEADY_SECONDS
from inspector.storage import StoreError

__all__ = ["KEPT_AFTER_ATTEMPTS", "VIDEO_FPS", "VIDEO_MAX_SIDE", "Autopilot", "kept_reason"]

log = logging.getLogger(__name__)

#: The video an autopilot's analysis uses, asked of a self-inspecting phone (the
#: ``video`` message): the quality measures shrink a frame to ANALYSIS_SIZE pixels on
#: its longest side, and the autopilot looks AUTOPILOT_SAMPLE_HZ times a second. More
#: is decoded by the server for nobody (and encoded and sent by the phone for nobody).
VIDEO_MAX_SIDE = ANALYSIS_SIZE
VIDEO_FPS = AUTOPILOT_SAMPLE_HZ

#: Quality reason code of a photo kept after ``max_attempts`` rejected ones.
KEPT_AFTER_ATTEMPTS = "kept_after_attempts"


def kept_reason(attempts: int) -> QualityReason:
    return QualityReason(
        KEPT_AFTER_ATTEMPTS,
        Message("Kept after {attempts} rejected attempts: please check").bind(attempts=attempts),
    )


POSITION = Message("Read the instruction, go to the spot, then tap “I'm in position”.")
HOLD = Message("Hold still: the photo is taken as soon as the picture is steady.")
ADJUST = Message("Line the car up with the white outline: step back or to the side.")
#: How often the seller is told again to adjust, at most (seconds).
ADJUST_REPEAT = 3.0


def _sharpness(capture: Capture) -> float:
    return float(capture.quality.metrics.get("sharpness", 0.0))


class Autopilot:
    """Drives one :class:`SessionController` (with ``auto_advance``) to completion.

    ``settle_seconds`` is a pause after every new shot (and every retake)
    before steadiness counts: a seller who stands still reading the next
    instruction must not be photographed pointing at the previous view.
    """

    def __init__(
        self,
        controller: SessionController,
        *,
        steady_seconds: float = STEADY_SECONDS,
        sample_hz: float = AUTOPILOT_SAMPLE_HZ,
        settle_seconds: float = SETTLE_SECONDS,
        max_attempts: int = 3,
        await_seller: bool = False,
        framing: bool = False,
    ) -> None:
        if not controller.auto_advance:
            raise ValueError("the autopilot needs a controller with auto_advance=True")
        if sample_hz <= 0:
            raise ValueError("sample_hz must be positive")
        if steady_seconds < 0 or settle_seconds < 0:
            raise ValueError("steady_seconds and settle_seconds must not be negative")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.await_seller = await_seller
        self.framing = framing
        self.framing_refusals = 0  # pictures not saved because they did not line up
        self._ready_for: str | None = None  # the shot the seller is in position for
        self.kept_for_review: list[str] = []  # capture ids kept after max_attempts
        self.controller = controller
        self.steady_seconds = steady_seconds
        self.period = 1.0 / sample_hz
        self.settle_seconds = settle_seconds
        self.captures = 0  # requests made, for logs and tests
        self._task: asyncio.Task[None] | None = None
        self._shutter: asyncio.Event | None = None  # set by a press of the shutter
        self._wake: asyncio.Event | None = None  # set by a press or "I'm in position"
        self._done: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start driving the session (idempotent)."""
        if self.running:
            return
        self._shutter = asyncio.Event()
        self._wake = asyncio.Event()
        self._done = asyncio.Event()
        self._error = None
        self.controller.set_shutter_handler(self._on_shutter)
        self.controller.set_ready_handler(self._on_ready)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="autopilot")

    async def stop(self) -> None:
        """Cancel the drive and wait for it to end; never hangs, safe to call twice."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task})  # does not raise, unlike awaiting the task
        self.controller.set_shutter_handler(None)
        self.controller.set_ready_handler(None)
        if self._done is not None:
            self._done.set()

    async def finished(self) -> bool:
        """Wait until the checklist is complete (True) or the autopilot stopped (False).

        Re-raises the error that ended the autopilot, if one did.
        """
        if self._done is None:
            raise RuntimeError("the autopilot was never started")
        await self._done.wait()
        if self._error is not None:
            raise self._error
        return self.controller.complete

    async def _run(self) -> None:
        assert self._done is not None and self._shutter is not None
        try:
            await self._drive(self._shutter)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            log.exception("%s: autopilot failed", self.controller.inspection_id)
            self._error = exc
        finally:
            self._done.set()

    def _on_ready(self, shot_id: str) -> None:
        """The seller tapped "I'm in position" (for the shot the phone showed)."""
        if shot_id == self.controller.current.id:
            self._ready_for = shot_id
            if self._wake is not None:
                self._wake.set()  # at once, not after the sample period

    def _on_shutter(self) -> None:
        if self._shutter is not None and self._wake is not None:
            self._shutter.set()
            self._wake.set()

    async def _drive(self, shutter: asyncio.Event) -> None:
        c = self.controller
        loop = asyncio.get_running_loop()
        shot_id: str | None = None
        linked = False
        armed_at = 0.0
        held_for: str | None = None  # the shot "hold still" was said for
        steady_since: float | None = None
        adjusted_at = -ADJUST_REPEAT
        while not c.complete:
            if c.current.id != shot_id or c.linked != linked:  # a new shot, or the phone is back
                shot_id, linked = c.current.id, c.linked
                if self._ready_for != shot_id:
                    self._ready_for = None
                    held_for = None
                    if self.await_seller and linked:
                        c.pace("position", POSITION)
                armed_at = loop.time() + self.settle_seconds
                steady_since = None
            if not c.linked or c.capture_in_flight:
                steady_since = None
                await self._pause(shutter)
                continue
            if self.await_seller and self._ready_for != shot_id and not self._pressed(shutter):
                await self._pause(shutter)  # waiting for "I'm in position"
                continue
            if self.await_seller and held_for != shot_id and self._ready_for == shot_id:
                held_for = shot_id
                armed_at = loop.time() + self.settle_seconds
                c.pace("hold", HOLD)
            # The live hints sample the same video: a sample of theirs from within this
            # period is as good as a new one (one analysis, not two, per frame looked at).
            sample = await c.sample(fresh=self.period)
            now = loop.time()
            good = (
                sample is not None
                and sample.steady
                and sample.verdict is not Verdict.REJECT
                and now >= armed_at
            )
            if not good:
                steady_since = None
            elif steady_since is None:
                steady_since = now
            pressed = self._pressed(shutter)
            ready = steady_since is not None and now - steady_since >= self.steady_seconds
            if ready and not pressed and self.framing:
                framing = await c.framing()
                if framing is not None and not framing.framed:
                    self.framing_refusals += 1
                    steady_since = None
                    if now - adjusted_at >= ADJUST_REPEAT:
                        adjusted_at = now
                        c.pace("adjust", ADJUST)
                    await self._pause(shutter)
                    continue
            if pressed or ready:
                shutter.clear()
                await self._capture_once()
                shutter.clear()  # presses during the capture were for this one
                armed_at = loop.time() + self.settle_seconds
                steady_since = None
                continue
            await self._pause(shutter)
        log.info("%s: autopilot finished the checklist", c.inspection_id)

    @staticmethod
    def _pressed(shutter: asyncio.Event) -> bool:
        """Whether the seller pressed the shutter since the last capture."""
        return shutter.is_set()

    async def _pause(self, shutter: asyncio.Event) -> None:
        """Sleep one sample period, waking at once when the seller presses or is ready."""
        wake = self._wake
        assert wake is not None
        if shutter.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), self.period)
        wake.clear()

    async def _capture_once(self) -> None:
        c = self.controller
        capture_id = await c.capture()
        self.captures += 1
        capture = await c.wait_result(capture_id)
        if capture is None:
            return  # the phone was told; wait for a steady picture again
        try:
            if capture.quality.verdict is not Verdict.REJECT:
                await c.accept(capture_id)
                return
            rejected = [
                x
                for x in c.captures_of(capture.shot_id)
                if x.quality.verdict is Verdict.REJECT and x.accepted is not True
            ]
            if len(rejected) < self.max_attempts:
                await c.retake(capture_id)
                return
            # Enough: keep the sharpest (every stored photo decoded) and move on.
            best = max(rejected, key=_sharpness)
            log.warning(
                "%s: shot %s rejected %d times; keeping %s for review",
                c.inspection_id,
                capture.shot_id,
                len(rejected),
                best.id,
            )
            await c.accept(best.id, note=kept_reason(len(rejected)))
            self.kept_for_review.append(best.id)
        except StoreError as exc:
            # The photo is stored; its review is not. Keep guiding rather than give up.
            log.warning("%s: review of %s not saved: %s", c.inspection_id, capture_id, exc)
