"""One WebRTC connection with the seller's phone, as the answering side.

``PhonePeer`` wraps one aiortc ``RTCPeerConnection`` for one negotiation
(aiortc has no ICE restart: a reconnect is a new ``PhonePeer``). It

- reads *every* video frame as soon as aiortc has decoded it into a
  :class:`~inspector.frames.FrameSlot` (aiortc's own queue is unbounded, a
  slow reader would build up seconds of lag);
- routes the ``inspect`` data channel, in arrival order: heartbeats are
  answered here, photo transfers go through a :class:`PhotoReceiver`, every
  other validated message goes to the handler; a malformed message gets an
  ``error`` reply and the link stays up;
- sends a heartbeat every second, derives the round-trip time from the
  phone's echo and declares the link dead after ``HEARTBEAT_TIMEOUT`` without
  a message from the phone (aiortc itself only notices after ~30 s). Heartbeats
  travel on the ``control`` channel when the phone opened one (unordered, never
  stuck behind a still's chunks); any message or chunk counts as a sign of life,
  time this engine's own loop spent stalled (a busy machine) is not counted
  against the phone, and while a still arrives the link gets twice the time;
- measures fps, resolution, RTT and bitrate, and tells whether the media goes
  straight to the phone or through a TURN relay (:func:`media_path`).

Faults: a photo transfer cut short by the link dying (or by a reconnecting
phone replacing this peer) is reported once through ``on_photo_failed`` with a
reason starting ``link_lost``; its bytes are dropped, never handed on. A photo
that arrived whole is finished (decoded, handed to the handler) even if the
peer is closed meanwhile. An exception in the frame handler is reported (at
most once per ``_FRAME_ERROR_INTERVAL``) and the video keeps flowing.

With no ICE servers configured the peer connection gets ``iceServers=[]``:
aiortc would otherwise contact Google's public STUN server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
    sdp,
)
from aiortc.mediastreams import MediaStreamError

from inspector.config import IceServer
from inspector.live import protocol
from inspector.live.frames import Frame, FrameSlot
from inspector.live.photo_receiver import PhotoError, PhotoReceiver, ReceivedPhoto, Transfer
from inspector.live.protocol import ProtocolError
from inspector.live.timings import HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT

__all__ = ["PeerHandler", "PeerStats", "PhonePeer", "media_path", "rtc_configuration"]

log = logging.getLogger(__name__)

_INBOX_LIMIT = 4096  # messages waiting to be handled (a 25 MB photo is 400 chunks)
_INBOX_MAX_BYTES = 64 * 1024 * 1024  # and their bytes (two whole photos and then some)
#: A phone that earns more error replies than this within _ERROR_WINDOW seconds is cut
#: off (replies would otherwise queue without bound towards a phone that never reads).
_MAX_ERRORS = 100
_CONTROL_MAX_BYTES = 512  # a heartbeat is about 60 bytes
_LOOP_STALL = 0.5  # a heartbeat wake-up this late means the engine's loop was held up
_TRANSFER_GRACE = 2  # times the heartbeat timeout a link gets while a still arrives
_ERROR_WINDOW = 10.0
_CLOSE_TIMEOUT = 3.0
_FRAME_ERROR_INTERVAL = 5.0  # seconds between two reports of a failing frame handler


def rtc_configuration(ice_servers: Sequence[IceServer]) -> RTCConfiguration:
    """The aiortc configuration: the configured servers, or none at all (never a default)."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
            for s in ice_servers
        ]
    )


@dataclass(frozen=True)
class PeerStats:
    fps: float
    width: int
    height: int
    rtt_ms: float | None
    bitrate_kbps: float
    frames: int
    path: str | None = None  # "direct", "relay" (TURN), or None before ICE settles


def media_path(pc: RTCPeerConnection) -> str | None:
    """``"relay"`` when the nominated ICE pair goes through TURN, else ``"direct"``.

    aiortc does not expose the selected pair (its stats have no candidate pairs),
    so this reads aioice's nominated pair; ``None`` until one is nominated, or if
    a future aiortc/aioice moves it (the path is then reported unknown, never wrong).
    """
    try:
        connection = pc.sctp.transport.transport._connection  # type: ignore[union-attr]
        pair = connection._nominated.get(1)
    except AttributeError:
        return None
    if pair is None:
        return None
    types = (pair.local_candidate.type, pair.remote_candidate.type)
    return "relay" if "relay" in types else "direct"


class PeerHandler(Protocol):
    """What a peer reports to its owner (all called on the loop thread)."""

    def on_channel_open(self, peer: PhonePeer) -> None: ...

    async def on_message(self, peer: PhonePeer, message: dict[str, Any]) -> None: ...

    async def on_photo(self, peer: PhonePeer, photo: ReceivedPhoto) -> None: ...

    def on_photo_failed(self, peer: PhonePeer, capture_id: str, reason: str) -> None: ...

    def on_original_begin(self, peer: PhonePeer, capture_id: str, offset: int) -> None: ...

    def on_original_chunk(self, peer: PhonePeer, data: bytes) -> None: ...

    def on_frame(self, peer: PhonePeer, frame: Frame) -> None: ...

    def on_dead(self, peer: PhonePeer, reason: str) -> None: ...


class PhonePeer:
    """One negotiation with the phone. ``answer(offer)``, then ``close()``."""

    def __init__(
        self,
        handler: PeerHandler,
        slot: FrameSlot,
        *,
        ice_servers: Sequence[IceServer] = (),
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
        name: str = "peer",
    ) -> None:
        self.handler = handler
        self.slot = slot
        self.name = name
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.pc = RTCPeerConnection(rtc_configuration(ice_servers))
        self.receiver = PhotoReceiver()
        self.channel: Any = None
        self.control: Any = None  # the phone's heartbeat channel, if it opened one
        self.originals: Any = None  # the phone's channel for originals, if it opened one
        self.rtt_ms: float | None = None
        self.closed = False
        self.dead_reason: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._inbox: asyncio.Queue[str | bytes] = asyncio.Queue(_INBOX_LIMIT)
        self._inbox_bytes = 0
        self._errors: deque[float] = deque(maxlen=_MAX_ERRORS)
        self._last_seen = time.monotonic()
        self._frames = 0
        self._width = 0
        self._height = 0
        self._stat_time = time.monotonic()
        self._stat_frames = 0
        self._stat_bytes: int | None = None
        self._fps = 0.0
        self._bitrate = 0.0
        #: Photos received whole, being checked and handed on: task -> capture id.
        self._finishing: dict[asyncio.Task[None], str] = {}
        self._frame_error_at = float("-inf")
        self.pc.on("track", self._on_track)
        self.pc.on("datachannel", self._on_datachannel)
        self.pc.on("connectionstatechange", self._on_state)

    # -- lifecycle -------------------------------------------------------

    async def answer(self, offer_sdp: str) -> str:
        """Apply the phone's offer and return our complete answer SDP."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        log.info("%s: video codec %s", self.name, self.video_codec or "none")
        return str(self.pc.localDescription.sdp)

    @property
    def video_codec(self) -> str | None:
        """The video codec the phone sends ("video/H264", "video/VP8"), once answered.

        The first codec of our answer's video section: the one the phone encodes with.
        An iPhone offers H264 first (its hardware encoder); Chrome offers VP8 first.
        """
        local: RTCSessionDescription | None = self.pc.localDescription  # None before
        if local is None:
            return None
        for media in sdp.SessionDescription.parse(local.sdp).media:
            if media.kind == "video" and media.port and media.rtp.codecs:
                return str(media.rtp.codecs[0].mimeType)
        return None

    async def close(self) -> None:
        """Cancel every task and close the connection; never hangs."""
        if self.closed:
            return
        self._abort_transfer("the connection was replaced or closed")
        self.closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=_CLOSE_TIMEOUT)
        # Shielded: aiortc's close() may be waiting on a future shared with a close it
        # started itself (DTLS closed); cancelling ours on timeout would cancel that future
        # and make aiortc's own close fail with InvalidStateError.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.pc.close()), _CLOSE_TIMEOUT)

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.name}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            # Hand it to the loop's exception handler (the engine turns it into an event).
            asyncio.get_running_loop().call_exception_handler(
                {"message": f"{task.get_name()} failed", "exception": exc, "task": task}
            )

    def _die(self, reason: str) -> None:
        if self.closed or self.dead_reason is not None:
            return
        self.dead_reason = reason
        self._abort_transfer(reason)
        self.handler.on_dead(self, reason)

    def _report(self, message: str, exc: BaseException) -> None:
        """Hand an unexpected exception to the loop's handler (the engine's EngineError)."""
        asyncio.get_running_loop().call_exception_handler(
            {"message": f"{self.name}: {message}", "exception": exc}
        )

    def _abort_transfer(self, why: str) -> None:
        """Drop a half-received photo and fail its capture (the bytes die with this peer)."""
        capture_id = self.receiver.reset()
        if capture_id is None:
            return
        log.info("%s: photo %s cut short: %s", self.name, capture_id, why)
        try:
            self.handler.on_photo_failed(
                self, capture_id, f"link_lost: the link was lost during the transfer ({why})"
            )
        except Exception as exc:
            self._report("reporting an aborted photo failed", exc)

    # -- events from aiortc ----------------------------------------------

    def _on_state(self) -> None:
        state = self.pc.connectionState
        if state in ("failed", "closed"):
            self._die(f"connection {state}")

    def _on_track(self, track: Any) -> None:
        if track.kind == "video":
            self._spawn(self._read_frames(track), "frames")
        else:  # audio is not wanted; still drain it so nothing queues up
            self._spawn(self._drain(track), "drain")

    async def _read_frames(self, track: Any) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self._frames += 1
            self._width, self._height = int(frame.width), int(frame.height)
            stored = self.slot.put(frame)
            try:
                self.handler.on_frame(self, stored)
            except Exception as exc:  # a bug downstream must not stop the video
                self.report_frame_error(exc)

    def report_frame_error(self, exc: BaseException) -> None:
        """A failure handling a frame: reported at most once per interval, never per frame."""
        now = time.monotonic()
        if now - self._frame_error_at >= _FRAME_ERROR_INTERVAL:
            self._frame_error_at = now
            self._report("handling a video frame failed", exc)

    async def _drain(self, track: Any) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()

    def _on_datachannel(self, channel: Any) -> None:
        if channel.label == protocol.CONTROL_LABEL and self.control is None:
            self.control = channel
            channel.on("message", self._on_control_message)
            return
        if channel.label == protocol.ORIGINALS_LABEL and self.originals is None:
            self.originals = channel
            channel.on("message", self._on_originals_message)
            return
        if channel.label != protocol.CHANNEL_LABEL or self.channel is not None:
            channel.close()
            return
        self.channel = channel
        channel.on("message", self._on_channel_message)
        channel.on("close", lambda: self._die("data channel closed"))
        self._last_seen = time.monotonic()
        self._spawn(self._consume(), "inbox")
        self._spawn(self._heartbeat(), "heartbeat")
        if channel.readyState == "open":
            self.handler.on_channel_open(self)
        else:
            channel.on("open", lambda: self.handler.on_channel_open(self))

    def _on_control_message(self, data: str | bytes) -> None:
        """A heartbeat on the control channel: handled at once, not queued behind a still."""
        self._last_seen = time.monotonic()
        if not isinstance(data, str) or len(data) > _CONTROL_MAX_BYTES:
            return
        try:
            message = protocol.decode(data)
        except ProtocolError:
            return  # an unreliable channel: a bad heartbeat is simply not one
        if message["type"] == "heartbeat":
            self._heard(message)

    def _on_originals_message(self, data: str | bytes) -> None:
        """The originals channel: ``original_begin`` then chunks, handled at once (each
        chunk is appended to a file; nothing queues here)."""
        self._last_seen = time.monotonic()
        if self.closed:
            return
        try:
            if isinstance(data, bytes | bytearray):
                if len(data) > protocol.CHUNK_SIZE:
                    raise ProtocolError("chunk_too_large", "an original's chunk is over 64 KiB")
                self.handler.on_original_chunk(self, bytes(data))
                return
            message = protocol.decode(data)
            if message["type"] != "original_begin":
                raise ProtocolError("wrong_channel", "only originals travel on this channel")
            self.handler.on_original_begin(self, str(message["id"]), int(message["offset"]))
        except ProtocolError as exc:
            self._send_error(exc.code, str(exc))
        except Exception as exc:  # a bug downstream: report it, keep the link up
            self._send_error("internal", "the original could not be handled")
            self._report("handling an original failed", exc)

    def _heard(self, heartbeat: dict[str, Any]) -> None:
        echo = heartbeat.get("echo")
        if echo is not None:
            rtt = time.monotonic() * 1000.0 - float(echo)
            if 0 <= rtt < 60_000:
                self.rtt_ms = rtt

    def _on_channel_message(self, data: str | bytes) -> None:
        self._last_seen = time.monotonic()
        if self._inbox_bytes + len(data) > _INBOX_MAX_BYTES:
            self._send_error("overloaded", "too many messages; one was dropped")
            return
        try:
            self._inbox.put_nowait(data)
        except asyncio.QueueFull:
            self._send_error("overloaded", "too many messages; one was dropped")
        else:
            self._inbox_bytes += len(data)

    # -- the data channel --------------------------------------------------

    @property
    def channel_open(self) -> bool:
        return self.channel is not None and self.channel.readyState == "open"

    def send(self, text: str) -> bool:
        """Send a text message if the channel is open; returns whether it was sent."""
        if self.closed or not self.channel_open:
            return False
        try:
            self.channel.send(text)
        except Exception as exc:  # the transport went away under us
            log.debug("%s: send failed: %s", self.name, exc)
            return False
        return True

    def _send_error(self, code: str, message: str) -> None:
        """An error reply, unless the phone has earned too many lately: then it is cut off."""
        now = time.monotonic()
        errors = self._errors
        if len(errors) == errors.maxlen and now - errors[0] < _ERROR_WINDOW:
            self._die("too many protocol errors")
            return
        errors.append(now)
        self.send(protocol.error(code, message))

    async def _consume(self) -> None:
        while True:
            data = await self._inbox.get()
            self._inbox_bytes -= len(data)
            try:
                await self._route(data)
            except PhotoError as exc:
                self._photo_refused(exc)
            except ProtocolError as exc:
                self._send_error(exc.code, str(exc))
            except Exception as exc:  # a bug downstream: report it, keep the link up
                self._send_error("internal", "the message could not be handled")
                self._report("handling a message failed", exc)

    def transfer(self, capture_id: str) -> Transfer | None:
        """The still ``capture_id`` on its way from the phone, or None if it is not."""
        if capture_id in self._finishing.values():
            return Transfer(self.receiver.received, whole=True)
        if self.receiver.active_id == capture_id:
            return Transfer(self.receiver.received, whole=False)
        return None

    def _photo_refused(self, exc: PhotoError) -> None:
        self._send_error(exc.code, str(exc))
        if exc.capture_id is not None:
            self.handler.on_photo_failed(self, exc.capture_id, f"{exc.code}: {exc}")

    async def _finish_photo(self, trailer: dict[str, Any]) -> None:
        """Check, decode and hand on a photo received whole; never raises."""
        try:
            photo = await self.receiver.end(trailer)
            await self.handler.on_photo(self, photo)
        except PhotoError as exc:
            self._photo_refused(exc)
        except Exception as exc:
            self._send_error("internal", "the photo could not be handled")
            self._report("handling a photo failed", exc)

    async def _route(self, data: str | bytes) -> None:
        if isinstance(data, bytes | bytearray):
            self.receiver.chunk(bytes(data))
            return
        message = protocol.decode(data)
        kind = message["type"]
        if kind == "heartbeat":
            self._heard(message)
        elif kind == "photo_begin":
            self.receiver.begin(message)
        elif kind == "photo_end":
            # A photo that arrived whole is stored even if this peer is closed meanwhile
            # (the phone reconnecting must not lose it): finish it in a task of its own.
            task = asyncio.get_running_loop().create_task(
                self._finish_photo(message), name=f"{self.name}:photo"
            )
            self._finishing[task] = str(message.get("id"))
            task.add_done_callback(lambda t: self._finishing.pop(t, None))
            await asyncio.shield(task)
        elif kind == "photo_failed":
            if self.receiver.active_id == message["id"]:
                self.receiver.reset()
            self.handler.on_photo_failed(self, str(message["id"]), str(message["reason"]))
        else:
            await self.handler.on_message(self, message)

    def _send_heartbeat(self) -> None:
        text = protocol.encode("heartbeat", ts=round(time.monotonic() * 1000.0, 3))
        control = self.control
        if control is not None and control.readyState == "open" and not self.closed:
            try:
                control.send(text)
                return
            except Exception as exc:  # the transport went away under us
                log.debug("%s: heartbeat not sent: %s", self.name, exc)
        self.send(text)

    async def _heartbeat(self) -> None:
        stalled = 0.0  # seconds this loop was held up beyond the intervals it asked for
        while True:
            self._send_heartbeat()
            asked = time.monotonic()
            await asyncio.sleep(self.heartbeat_interval)
            now = time.monotonic()
            late = now - asked - self.heartbeat_interval
            if late > _LOOP_STALL:
                # This engine was busy (a loaded machine): what the phone sent meanwhile
                # may still wait in the socket. That time is not the phone's, and the
                # loop gets a turn to read what waits before the phone is judged.
                stalled += late
                continue
            # A still on its way: its chunks count as signs of life, but a young SCTP
            # association can hold them (and the phone's in-line messages) for a
            # retransmission timeout of 3-6 s. Such a link is given twice the time.
            timeout = self.heartbeat_timeout * (
                _TRANSFER_GRACE if self.receiver.active_id is not None else 1
            )
            silent = now - self._last_seen
            if silent <= timeout:
                stalled = 0.0
            elif silent - stalled > timeout:
                self._die("no heartbeat")
                return

    # -- stats -------------------------------------------------------------

    async def stats(self) -> PeerStats:
        """Rates since the previous call (call about once a second)."""
        now = time.monotonic()
        elapsed = max(now - self._stat_time, 1e-3)
        total = None
        with contextlib.suppress(Exception):
            report = await self.pc.getStats()
            total = sum(
                int(getattr(s, "bytesReceived", 0) or 0)
                for s in report.values()
                if getattr(s, "type", "") == "transport"
            )
        self._fps = (self._frames - self._stat_frames) / elapsed
        if total is not None and self._stat_bytes is not None:
            self._bitrate = max(0, total - self._stat_bytes) * 8 / 1000.0 / elapsed
        self._stat_bytes = total
        self._stat_frames = self._frames
        self._stat_time = now
        return PeerStats(
            fps=round(self._fps, 1),
            width=self._width,
            height=self._height,
            rtt_ms=None if self.rtt_ms is None else round(self.rtt_ms, 1),
            bitrate_kbps=round(self._bitrate, 1),
            frames=self._frames,
            path=media_path(self.pc),
        )
