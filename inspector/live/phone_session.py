"""One inspection's live session on the engine: its phone's peer, frames and walk.

A :class:`PhoneSession` outlives the connections it holds: the frame slot,
the :class:`~inspector.live.session.SessionController` (checklist walk,
captures) and, for self-inspection with the engine's autopilot on, the
:class:`~inspector.live.autopilot.Autopilot` stay, while the
:class:`~inspector.live.peer.PhonePeer` is one per negotiation (a reconnecting
phone replaces it). It is the peer's :class:`~inspector.live.peer.PeerHandler`
and lives on the engine's loop; only :meth:`PhoneSession.frame_read` is called
from other threads.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from inspector.domain.models import InspectionStatus
from inspector.live import events, protocol
from inspector.live.autopilot import VIDEO_FPS, VIDEO_MAX_SIDE, Autopilot
from inspector.live.frames import Frame, FrameSlot
from inspector.live.peer import PhonePeer
from inspector.live.photo_receiver import ReceivedPhoto, Transfer
from inspector.live.recorder import SessionRecording
from inspector.live.server import SignalingError
from inspector.live.session import Mode, SessionController
from inspector.live.timings import CONTROLLER_FRAME_INTERVAL, FRAME_EVENT_RETRY, OFFER_TIMEOUT
from inspector.storage import StoreError

if TYPE_CHECKING:
    from inspector.live.engine import Engine

__all__ = ["PhoneSession"]

log = logging.getLogger(__name__)


class _Link:
    """The :class:`~inspector.live.session.PhoneLink` of one peer."""

    def __init__(self, peer: PhonePeer, slot: FrameSlot) -> None:
        self.peer = peer
        self.slot = slot

    def send(self, text: str) -> bool:
        return self.peer.send(text)

    def latest_frame(self) -> npt.NDArray[np.uint8] | None:
        frame = self.slot.latest()
        return None if frame is None else frame.bgr()


class PhoneSession:
    """One inspection's live state; implements :class:`~inspector.live.peer.PeerHandler`."""

    def __init__(self, engine: Engine, inspection_id: str, mode: Mode) -> None:
        self.engine = engine
        self.inspection_id = inspection_id
        self.mode: Mode = mode
        self.slot = FrameSlot()
        self.controller: SessionController | None = None
        self.autopilot: Autopilot | None = None
        self.peer: PhonePeer | None = None
        self.attached: PhonePeer | None = None  # the peer whose hello the controller has
        #: The last peer replaced or lost: a photo it received whole may still be on its
        #: way to the controller (decoded, handed on) after it went.
        self._gone: PhonePeer | None = None
        self.left_at: float | None = None
        self.state = "closed"
        self._frame_lock = threading.Lock()
        self._frame_pending_since: float | None = None
        self._last_controller_frame = 0.0
        self._converting = False  # a frame on its way to the controller: skip others
        self._opening: asyncio.Future[SessionController] | None = None
        self.recording: SessionRecording | None = None  # after the seller's answer

    # -- controller -------------------------------------------------------

    async def ensure_controller(self) -> SessionController:
        if self.controller is not None:
            return self.controller
        if self._opening is None:
            loop = asyncio.get_running_loop()
            self._opening = loop.create_future()
            engine = self.engine
            try:
                controller = await SessionController.open(
                    engine.store,
                    self.inspection_id,
                    mode=self.mode,
                    emit=engine.emit,
                    still_timeout=engine.timings.still_timeout,
                    auto_advance=engine.auto_advance or self.mode == "self",
                    writer=engine.writer,
                )
            except BaseException as exc:
                self._opening.set_exception(exc)
                self._opening.exception()  # retrieved: nobody else may be waiting
                self._opening = None
                raise
            controller.watch_transfers(self._transfer)
            self.controller = controller
            self._opening.set_result(controller)
            return controller
        return await asyncio.shield(self._opening)

    def _transfer(self, capture_id: str) -> Transfer | None:
        """A still on its way through the phone's current link, or received whole by the
        link before it and still being handed on (a part-sent one there is lost)."""
        if self.peer is not None:
            transfer = self.peer.transfer(capture_id)
            if transfer is not None:
                return transfer
        if self._gone is not None:
            transfer = self._gone.transfer(capture_id)
            if transfer is not None and transfer.whole:
                return transfer
        return None

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.engine.emit(events.ConnectionChanged(self.inspection_id, state))

    # -- frames -------------------------------------------------------------

    def frame_read(self) -> Frame | None:
        """Any thread: the newest frame; clears the pending FrameAvailable."""
        with self._frame_lock:
            self._frame_pending_since = None
        return self.slot.latest()

    def on_frame(self, peer: PhonePeer, frame: Frame) -> None:
        if peer is not self.peer:
            return
        now = time.monotonic()
        with self._frame_lock:
            pending = self._frame_pending_since
            announce = pending is None or now - pending > FRAME_EVENT_RETRY
            if announce:
                self._frame_pending_since = now
        if announce:
            self.engine.emit(events.FrameAvailable(self.inspection_id, frame.seq))
        recording = self.recording
        if recording is not None:
            recording.push(frame.source, frame.received)
        controller = self.controller
        if (
            controller is not None
            and self.attached is peer
            and now - self._last_controller_frame >= CONTROLLER_FRAME_INTERVAL
        ):
            self._last_controller_frame = now
            if not self._converting:
                self._converting = True
                self.engine.thread.spawn(
                    self._feed_controller(peer, controller, frame), "frame-to-controller"
                )

    async def _feed_controller(
        self, peer: PhonePeer, controller: SessionController, frame: Frame
    ) -> None:
        """Convert the frame to BGR in the executor (not on the loop), then hand it over."""
        try:
            bgr = await self.engine.thread.run(frame.bgr)
            if self.controller is controller:
                controller.on_frame(bgr)
        except Exception as exc:  # like a failure in the frame handler itself
            peer.report_frame_error(exc)
        finally:
            self._converting = False

    # -- PeerHandler --------------------------------------------------------

    def on_channel_open(self, peer: PhonePeer) -> None:
        log.debug("%s: data channel open", self.inspection_id)

    async def on_message(self, peer: PhonePeer, message: dict[str, Any]) -> None:
        if peer is not self.peer:
            return
        controller = await self.ensure_controller()
        if message["type"] == "hello" and self.attached is not peer:
            self.attached = peer
            controller.attach(_Link(peer, self.slot), message)
            self.left_at = None
            self.set_state("connected")
            camera = message.get("camera")
            self.engine.emit(
                events.PhoneJoined(
                    self.inspection_id,
                    str(message.get("user_agent", ""))[:200],
                    dict(camera) if isinstance(camera, dict) else {},
                    str(message.get("language", "")),
                )
            )
            await self.engine._mark(self.inspection_id, InspectionStatus.LIVE)
            await self._consent(message.get("recording"))
            await self.start_autopilot()
            return
        await controller.handle_message(message)

    # -- recording, with the seller's consent ----------------------------------------

    async def _consent(self, answer: object) -> None:
        """The seller's answer in ``hello.recording``: kept, and a yes starts the recorder.

        A reconnection repeats the same answer (nothing changes); a different answer (the
        page reloaded) ends the recording so far and keeps the new answer.
        """
        if not isinstance(answer, bool) or not self.engine.settings.record_calls:
            return
        if self.recording is not None:
            if self.recording.consent == answer:
                return
            await self._finish_recording()
        recording = SessionRecording(self.engine.store, self.inspection_id, answer)
        try:
            await self.engine.thread.run(recording.answer)
        except StoreError as exc:
            log.warning("%s: the recording consent was not kept: %s", self.inspection_id, exc)
            return
        recording.start()
        self.recording = recording
        self.engine.emit(events.RecordingChanged(self.inspection_id, answer, recording.recording))

    async def _finish_recording(self) -> None:
        recording, self.recording = self.recording, None
        if recording is None:
            return
        try:
            await self.engine.thread.run(recording.finish)
        except (StoreError, OSError) as exc:
            log.error("%s: the recording could not be stored: %s", self.inspection_id, exc)
            self.engine.emit(
                events.EngineError(f"the call's recording was not kept: {exc}", self.inspection_id)
            )
        if recording.recording:
            self.engine.emit(events.RecordingChanged(self.inspection_id, recording.consent, False))

    def mark(self, kind: str, **details: str) -> None:
        """Put something on the recording's timeline (any thread)."""
        if self.recording is not None:
            self.recording.mark(kind, **details)

    async def on_photo(self, peer: PhonePeer, photo: ReceivedPhoto) -> None:
        controller = await self.ensure_controller()
        await controller.on_photo(
            photo.id,
            photo.data,
            width=photo.width,
            height=photo.height,
            phone_time=photo.phone_time,
            original=photo.original,
        )

    def on_original_begin(self, peer: PhonePeer, capture_id: str, offset: int) -> None:
        if peer is self.peer and self.controller is not None:
            self.controller.on_original_begin(capture_id, offset)

    def on_original_chunk(self, peer: PhonePeer, data: bytes) -> None:
        if peer is self.peer and self.controller is not None:
            self.controller.on_original_chunk(data)

    def on_photo_failed(self, peer: PhonePeer, capture_id: str, reason: str) -> None:
        if self.controller is not None:
            self.controller.on_photo_failed(capture_id, reason)
        else:
            self.engine.emit(events.CaptureFailed(self.inspection_id, capture_id, reason))

    def on_dead(self, peer: PhonePeer, reason: str) -> None:
        if peer is not self.peer:
            return
        log.info("%s: link lost (%s)", self.inspection_id, reason)
        self.peer = None
        self.left_at = time.monotonic()
        self._detach(peer)
        self.set_state("reconnecting")
        self.engine.thread.spawn(peer.close(), "close-peer")

    def _detach(self, peer: PhonePeer) -> None:
        self._gone = peer
        if self.attached is peer:
            self.attached = None
            if self.controller is not None:
                self.controller.detach()

    # -- negotiation ------------------------------------------------------------

    async def offer(self, sdp: str) -> str:
        try:
            await self.ensure_controller()
        except Exception as exc:
            log.error("%s: cannot open the session: %s", self.inspection_id, exc)
            self.engine.emit(
                events.EngineError(f"cannot open the session: {exc}"[:500], self.inspection_id)
            )
            raise SignalingError("this inspection cannot be opened right now") from None
        peer = PhonePeer(
            self,
            self.slot,
            ice_servers=self.engine.settings.ice_servers_for(f"engine-{self.inspection_id[:8]}"),
            heartbeat_timeout=self.engine.timings.heartbeat_timeout,
            name=f"peer-{self.inspection_id}",
        )
        old, self.peer = self.peer, peer
        if old is not None:
            self._detach(old)
            await old.close()
        self.set_state("connecting")
        try:
            return await asyncio.wait_for(peer.answer(sdp), OFFER_TIMEOUT)
        except Exception as exc:
            if self.peer is peer:
                self.peer = None
                self.left_at = time.monotonic()
                self.set_state("reconnecting" if self.attached is None else self.state)
            await peer.close()
            raise SignalingError(f"the offer could not be answered: {str(exc)[:120]}") from None

    def last_seen(self) -> float | None:
        if self.peer is not None and self.peer.dead_reason is None:
            return time.monotonic()
        return self.left_at

    async def start_autopilot(self) -> None:
        if self.mode != "self" or not self.engine.autopilot or self.controller is None:
            return
        if self.autopilot is None:
            timings = self.engine.timings
            self.autopilot = Autopilot(
                self.controller,
                steady_seconds=timings.steady_seconds,
                settle_seconds=timings.settle_seconds,
                await_seller=True,  # "I'm in position" on the phone, then the steady rule
                framing=True,
            )
        await self.autopilot.start()
        # Nobody watches this video but the autopilot: ask for what its analysis uses
        # (on every hello: a reconnected phone, or a reloaded page, starts afresh).
        peer = self.attached
        if peer is not None:
            peer.send(protocol.encode("video", max_side=VIDEO_MAX_SIDE, fps=VIDEO_FPS))

    async def close_link(self, reason: str) -> None:
        """The phone is gone for good (bye, end of session): close the peer, keep state."""
        peer, self.peer = self.peer, None
        if peer is not None:
            self._detach(peer)
            await peer.close()
        self.left_at = time.monotonic()
        if self.state != "closed":
            self.engine.emit(events.PhoneLeft(self.inspection_id, reason))
        self.set_state("closed")

    async def close(self, reason: str, *, settle: bool = True) -> None:
        """End the session; ``settle``: put "live" back to what the photos say (not when
        another console holds the call now)."""
        if self.autopilot is not None:
            await self.autopilot.stop()
            self.autopilot = None
        await self.close_link(reason)
        await self._finish_recording()
        if self.controller is not None:
            await self.controller.close()
        if settle:
            await self.engine._settle(self.inspection_id)
