"""A simulated seller's phone: an aiortc client that joins like the browser does.

It fetches the join page (keeping the device cookie), opens the signaling
WebSocket, offers a synthetic camera track plus the ``inspect`` data channel,
says ``hello``, answers heartbeats and capture requests (a cached JPEG still
sent in 64 KiB chunks paced by ``bufferedAmount``), and can press the shutter,
drop the connection and reconnect (resuming at the last shot), or switch its
picture to blurred or dark. ``capture_behaviour="drop_midway"`` makes it die in
the middle of the next photo transfer (header and about half the chunks sent,
then the link dropped without a goodbye); it then goes back to ``"send"``.
``"slow"`` sends each still in small chunks spread over ``slow_seconds`` (a slow
uplink, or a busy engine taking it in). With ``auto_reconnect`` it recovers from a
dead link as the page does (``connection.js``): the data channel closed, the peer
failed or closed, or nothing heard for ``HEARTBEAT_TIMEOUT`` (its own stalls not
counted) → a brand new connection after 1, 2, 4, 8 s, resuming at the same shot;
``link_losses`` says why each time.
Every message it receives is recorded for tests. Its camera is
:class:`~inspector.live.contrib.camera.SyntheticCamera`, pointed at the view each
``shot`` message asks for (:mod:`~inspector.live.contrib.views`: the car from
every side, the wheels, the VIN, the odometer, the cabin…). The car's identity
(VIN, plate, mileage) is not sent to phones, so it is given to the phone as
``vehicle`` (the demo passes its inspection's; the default is the demo car).
The engine's ``video`` ask (a self-inspection) is honoured as the page does: the
frames sent are scaled down to ``max_side`` and paced at ``fps`` (``video_profile``
says what is sent), the stills keep ``still_size``. A team server relaying an
operator-guided call may say ``wait`` (no operator's console attached): the phone
closes its peer connection, as the page does, and offers again on ``resume``
(``waits`` counts the waits, ``waiting`` says whether it waits now).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import itertools
import json
import logging
import ssl as ssl_module
import time
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from aiohttp import (
    ClientSession,
    ClientWebSocketResponse,
    CookieJar,
    TCPConnector,
    WSMsgType,
    WSServerHandshakeError,
)
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from PIL import Image

from inspector.live import protocol
from inspector.live.contrib.camera import (
    MODES,
    STAMP_BITS,
    STAMP_ROWS,
    EncodedCamera,
    SyntheticCamera,
    prerender,
    read_stamp,
    render_scene,
)
from inspector.live.contrib.views import DemoVehicle, View, render_view, view_for_shot
from inspector.live.timings import HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT

__all__ = [
    "STAMP_BITS",
    "STAMP_ROWS",
    "DemoVehicle",
    "JoinRefused",
    "SimulatedPhone",
    "read_stamp",
    "render_scene",
]

Pixels = npt.NDArray[np.uint8]
CAPTURE_BEHAVIOURS = ("send", "ignore", "fail", "bad_sha", "drop_midway")
_MAX_BUFFERED = 1024 * 1024
_ORIGINAL_MAX_BUFFERED = 256 * 1024  # an original's chunks: a preview waits behind less
#: A preview's longest side (the phone page's too) and its JPEG quality.
PREVIEW_SIDE = 1600
PREVIEW_QUALITY = 80
#: Stills smaller than this are sent whole, without a preview.
PREVIEW_MIN_BYTES = 400_000
log = logging.getLogger(__name__)

_FIRST_SHOT_WAIT = 3.0  # seconds start() waits for the first shot after the welcome
_BACKOFF = (1.0, 2.0, 4.0, 8.0)  # the page's reconnection backoff (connection.js)
_RECONNECT_TIMEOUT = 20.0
_FINAL_REFUSALS = (403, 404, 409, 410)  # the page's socketRefused: no retry
_LOOP_STALL = 0.5  # a heartbeat tick this late: this loop was busy, not the link dead
_VIEW_WAIT = 10.0  # and then for the camera to film its view
_PREFETCH_PIXELS = 3_200_000  # stills up to this size are rendered before the capture asks


class JoinRefused(Exception):
    """The server refused the join page or the WebSocket (status in ``status``)."""

    def __init__(self, status: int, text: str = "") -> None:
        super().__init__(f"join refused with HTTP {status}")
        self.status = status
        self.text = text


def _jpeg(image_bgr: Pixels, quality: int = 88) -> bytes:
    out = io.BytesIO()
    Image.fromarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)).save(out, "JPEG", quality=quality)
    return out.getvalue()


def _preview_of(original: bytes) -> tuple[bytes, tuple[int, int], tuple[int, int]]:
    """The preview of a JPEG still: its longest side PREVIEW_SIDE; with both sizes."""
    with Image.open(io.BytesIO(original)) as im:
        size = im.size
        im.draft("RGB", (PREVIEW_SIDE, PREVIEW_SIDE))
        small = im.convert("RGB")
        small.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.save(out, "JPEG", quality=PREVIEW_QUALITY)
        return out.getvalue(), small.size, size


def _with_comment(jpeg: bytes, text: str) -> bytes:
    """Insert a COM segment after SOI: a distinct file without re-encoding."""
    payload = text.encode("utf-8")[:60000]
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


def synthetic_signature() -> tuple[str, list[dict[str, Any]]]:
    """A signature as the page sends it: a PNG data: URL and signature_pad's point groups."""
    import base64
    import io
    import math

    from PIL import Image, ImageDraw

    points = [
        {"x": 20 + 5.2 * i, "y": 60 + 30 * math.sin(i / 4.0) * (1 - i / 80), "time": 16 * i}
        for i in range(60)
    ]
    img = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    ImageDraw.Draw(img).line([(p["x"], p["y"]) for p in points], fill=(20, 20, 60, 255), width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return url, [{"points": points}]


# -- the phone -------------------------------------------------------------------------------


class SimulatedPhone:
    """Joins ``join_url`` like the phone page would. ``await start()``, then ``await stop()``."""

    def __init__(
        self,
        join_url: str,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float = 30,
        mode: str = "normal",
        still_size: tuple[int, int] = (4000, 3000),
        ssl: ssl_module.SSLContext | None = None,
        language: str = "fr",
        user_agent: str = "SimulatedPhone/1.0",
        capture_behaviour: str = "send",
        vehicle: DemoVehicle | None = None,
        signer_name: str | None = None,
        recording: bool | None = None,
        control_channel: bool = True,
        codec: str | None = None,
        previews: bool = False,
        replayed_video: bool = False,
        local_address: str | None = None,
        auto_reconnect: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.join_url = join_url
        self.ws_url = join_url.replace("/j/", "/ws/", 1).replace("http", "ws", 1)
        self.width, self.height, self.fps = width, height, fps
        self._mode = mode
        self.still_size = still_size
        self.ssl = ssl
        self.language = language
        self.user_agent = user_agent
        self.capture_behaviour = capture_behaviour
        self.slow_seconds = 3.0  # how long a "slow" still takes to send
        self.messages: list[dict[str, Any]] = []  # every data channel message received
        self.signaling: list[dict[str, Any]] = []  # every signaling message received
        self.errors: list[dict[str, Any]] = []
        self.config: dict[str, Any] | None = None
        self.shot_id: str | None = None
        self.vehicle = vehicle or DemoVehicle()
        self.view = View("front")  # what the camera is pointed at: the current shot's view
        self.in_position = True  # taps "I'm in position" when self-inspection asks
        self.signer_name = signer_name  # signs every summary shown, under this name
        self.recording = recording  # the seller's answer to "may the call be recorded?"
        self.control_channel = control_channel  # False: an older page, heartbeats in line
        self.codec = codec  # "video/H264": offer only that codec (an iPhone's), else aiortc's
        if replayed_video and codec not in (None, "video/VP8"):
            raise ValueError("replayed video is VP8: offer VP8 with it")
        # True: video encoded once per view and replayed (EncodedCamera; benchmarks).
        self.replayed_video = replayed_video
        #: The address its connections come from (a bench's phones each from their own
        #: loopback address, as real phones come from theirs); None: the system's choice.
        self.local_address = local_address
        self.control_messages = 0  # messages received on the control channel
        self.torch = False
        self.video_asked: tuple[int, float] | None = None  # the engine's "video" ask
        self.photos_sent: list[str] = []
        self.photos_cut: list[str] = []  # transfers abandoned by "drop_midway"
        # Previews first (a downscaled still, its original on the originals channel after).
        self.previews = previews
        self.originals: dict[str, bytes] = {}  # originals the engine has not stored yet
        self.originals_done: list[str] = []
        self.originals_made: dict[str, bytes] = {}  # every original a preview named
        self.original_bytes_sent = 0  # every byte of originals sent, resends included
        #: "send"; "corrupt_once" (the first original sent has a flipped byte); "drop_midway"
        #: (the link is lost once about half of the next original is sent); "hold" (none
        #: is sent: a test sends them).
        self.original_behaviour = "send"
        self._wanted: dict[str, int] = {}  # originals to send, from that byte
        self._uploading: str | None = None
        self._upload_kick = asyncio.Event()
        self._capturing = 0  # stills being taken or sent: originals wait
        self.rtt_ms: float | None = None
        self.connected = False
        self._http: ClientSession | None = None
        self._ws: ClientWebSocketResponse | None = None
        self._pc: RTCPeerConnection | None = None
        self._channel: Any = None
        self._control: Any = None
        self._originals_channel: Any = None
        self._track: SyntheticCamera | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._changed = asyncio.Event()
        self._open = asyncio.Event()
        self._filming = asyncio.Event()  # the camera shows the current shot's view
        self._still_cache: dict[tuple[tuple[int, int], View], bytes] = {}
        self._still_jobs: dict[tuple[tuple[int, int], View], asyncio.Future[bytes]] = {}
        self._send_lock = asyncio.Lock()
        self._dropping: asyncio.Task[None] | None = None
        self.waits = 0  # times a relaying server said "wait" (no operator's console)
        self.waiting = False
        self._resuming: asyncio.Task[None] | None = None
        self.auto_reconnect = auto_reconnect
        self.link_losses: list[str] = []  # why the link was found dead (auto_reconnect)
        self._recovering: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_rx = time.monotonic()

    # -- lifecycle -------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self._mode = mode
        if self._track is not None:
            self._track.mode = mode

    @property
    def frames_sent(self) -> int:
        return self._track.frames_sent if self._track is not None else 0

    @property
    def video_profile(self) -> tuple[int, int, float]:
        """What the phone sends now: width, height, frames a second."""
        track = self._track
        if track is None:
            return self.width, self.height, self.fps
        return (*track.sent_size, track.fps)

    @property
    def camera(self) -> SyntheticCamera | None:
        return self._track

    @property
    def filming(self) -> bool:
        """Whether the camera shows the view of the shot the engine asked for last."""
        return self._track is not None and self._track.view == self.view

    @property
    def buffered(self) -> int:
        """Bytes sent on the data channel but not yet on the wire (0 without a channel)."""
        return int(self._channel.bufferedAmount) if self._channel is not None else 0

    async def start(self, timeout: float = 10.0) -> None:
        """Fetch the page, open signaling and connect; returns when the channel is open
        and the camera films the engine's current shot (if one comes within 3 s)."""
        self._stopping = False
        try:
            if self._http is None:
                local = None if self.local_address is None else (self.local_address, 0)
                self._http = ClientSession(
                    cookie_jar=CookieJar(unsafe=True), connector=TCPConnector(local_addr=local)
                )
            async with self._http.get(self.join_url, ssl=self._ssl_arg()) as resp:
                text = await resp.text()
                if resp.status != 200:
                    raise JoinRefused(resp.status, text)
            await asyncio.wait_for(self._connect(), timeout)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Say bye and close everything; never hangs."""
        self._stopping = True
        for task in (self._recovering, self._resuming):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(task, 5.0)
        with contextlib.suppress(Exception):
            if self._ws is not None and not self._ws.closed:
                await asyncio.wait_for(self._ws.send_json({"type": "bye"}), 1.0)
        await self._teardown()
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()

    async def drop(self) -> None:
        """Lose the connection without a goodbye (the engine must notice by itself)."""
        await self._teardown()

    async def reconnect(self, timeout: float = 10.0) -> None:
        """A new WebSocket and peer connection, resuming at the current shot."""
        await self._teardown()
        await asyncio.wait_for(self._connect(), timeout)

    def _ssl_arg(self) -> ssl_module.SSLContext | bool:
        return self.ssl if self.ssl is not None else True

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _teardown(self) -> None:
        self.connected = False
        self._open.clear()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
        self._channel = None  # first: their closing is on purpose, not a lost link
        self._control = None
        self._originals_channel = None
        if self._pc is not None:
            pc, self._pc = self._pc, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pc.close(), 3.0)
        self._wanted.clear()  # the engine says again what it wants when the phone rejoins
        self._uploading = None
        if self._track is not None:
            self._track.stop()
            self._track = None
        if self._ws is not None:
            ws, self._ws = self._ws, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2.0)

    async def _connect(self) -> None:
        assert self._http is not None, "start() first"
        try:
            ws = await self._http.ws_connect(self.ws_url, ssl=self._ssl_arg(), max_msg_size=1 << 20)
        except WSServerHandshakeError as exc:
            raise JoinRefused(exc.status, exc.message) from None
        self._ws = ws
        config = await self._next_signal(ws)
        if config.get("type") != "config":
            raise JoinRefused(0, f"expected config, got {config.get('type')!r}")
        self.config = config
        ice = [
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in config.get("ice_servers", [])
        ]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=ice))
        self._pc = pc

        @pc.on("connectionstatechange")
        def _state() -> None:
            if pc is self._pc and pc.connectionState in ("failed", "closed"):
                self._link_lost(f"peer {pc.connectionState}")

        await asyncio.get_running_loop().run_in_executor(
            None, prerender, self.view, self.width, self.height, self.vehicle
        )
        camera = EncodedCamera if self.replayed_video else SyntheticCamera
        self._track = camera(
            self.width, self.height, self.fps, self._mode, view=self.view, vehicle=self.vehicle
        )
        if self.video_asked is not None:  # a reconnection keeps sending what was asked
            self._track.limit(*self.video_asked)
        sender = pc.addTrack(self._track)
        if self.codec:
            codecs = [
                c
                for c in RTCRtpSender.getCapabilities("video").codecs
                if c.mimeType.lower() in (self.codec.lower(), "video/rtx")
            ]
            transceiver = next(t for t in pc.getTransceivers() if t.sender is sender)
            transceiver.setCodecPreferences(codecs)
        channel = pc.createDataChannel(protocol.CHANNEL_LABEL, ordered=True)
        self._channel = channel
        if self.control_channel:  # heartbeats beside the ordered channel, as the page does
            control = pc.createDataChannel(protocol.CONTROL_LABEL, ordered=False, maxRetransmits=0)
            control.on("message", self._on_control_message)
            self._control = control
        if self.previews:
            self._originals_channel = pc.createDataChannel(protocol.ORIGINALS_LABEL, ordered=True)
        channel.on("open", self._on_open)
        channel.on("message", self._on_message)
        channel.on("close", lambda: self._link_lost("data channel closed", channel))
        await pc.setLocalDescription(await pc.createOffer())  # gathers every candidate
        await ws.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
        while True:
            reply = await self._next_signal(ws)
            if reply.get("type") == "answer":
                break
            if reply.get("type") == "wait":  # no operator's console yet: wait for resume
                self._waited()
                continue
            if reply.get("type") == "resume":  # a console attached: offer again
                self.waiting = False
                await ws.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
                continue
            if reply.get("type") in ("error", "bye"):
                raise JoinRefused(0, str(reply.get("message", reply.get("type"))))
        self.waiting = False
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
        self._spawn(self._watch_signaling(ws))
        seen = len(self.messages)
        await self._open.wait()
        await self.wait_for("welcome", after=seen, timeout=3600)  # bounded by the caller
        # The shot follows the welcome: return once the camera films it, so a caller does
        # not see the picture change (and look like motion) just after joining.
        with contextlib.suppress(TimeoutError):
            await self.wait_for("shot", after=seen, timeout=_FIRST_SHOT_WAIT)
            await asyncio.wait_for(self._filming.wait(), _VIEW_WAIT)

    async def _next_signal(self, ws: ClientWebSocketResponse) -> dict[str, Any]:
        msg = await ws.receive()
        if msg.type != WSMsgType.TEXT:
            raise JoinRefused(0, f"signaling closed ({msg.type.name})")
        data: dict[str, Any] = json.loads(msg.data)
        self.signaling.append(data)
        return data

    async def _watch_signaling(self, ws: ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                with contextlib.suppress(ValueError):
                    data = json.loads(msg.data)
                    self.signaling.append(data)
                    self._changed.set()
                    kind = data.get("type") if isinstance(data, dict) else None
                    if kind == "wait":  # the operator's console left: the call is over
                        self._waited()
                        await self._close_peer()
                    elif kind == "resume":  # it is back: a new call, at the same shot
                        self.waiting = False
                        self._resuming = asyncio.get_running_loop().create_task(self.reconnect())

    def _waited(self) -> None:
        self.waits += 1
        self.waiting = True

    async def _close_peer(self) -> None:
        """The call ends, the signaling socket stays (the page's wait screen)."""
        self.connected = False
        self._open.clear()
        pc, self._pc = self._pc, None
        self._channel = self._control = self._originals_channel = None
        if pc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pc.close(), 3.0)
        if self._track is not None:
            self._track.stop()
            self._track = None

    def _on_open(self) -> None:
        self.connected = True
        self.send(
            "hello",
            user_agent=self.user_agent,
            language=self.language,
            camera={
                "width": self.width,
                "height": self.height,
                "torch": True,
                "image_capture": True,
            },
            resume_shot=self.shot_id,
            **({} if self.recording is None else {"recording": self.recording}),
        )
        self._spawn(self._heartbeat())
        if self.previews:
            self._spawn(self._upload_originals())
        self._open.set()

    # -- the data channel --------------------------------------------------------------

    def send(self, kind: str, **fields: Any) -> None:
        self.send_raw(json.dumps({"v": protocol.VERSION, "type": kind, **fields}))

    def send_raw(self, data: str | bytes) -> None:
        if self._channel is not None and self._channel.readyState == "open":
            self._channel.send(data)

    def press_shutter(self) -> None:
        self.send("shutter")

    def _on_control_message(self, data: str | bytes) -> None:
        self.control_messages += 1
        self._on_message(data)

    def _on_message(self, data: str | bytes) -> None:
        self._last_rx = time.monotonic()
        if isinstance(data, bytes):
            return
        try:
            message = json.loads(data)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        self.messages.append(message)
        self._changed.set()
        kind = message.get("type")
        if kind == "heartbeat":
            self.heartbeat("heartbeat", ts=round(time.monotonic() * 1000, 3), echo=message["ts"])
        elif kind == "shot":
            self.shot_id = message.get("id")
            overlay = message.get("overlay")
            self.view = view_for_shot(self.shot_id, overlay if isinstance(overlay, str) else None)
            if self._track is None or self._track.view != self.view:
                self._filming.clear()
            self._spawn(self._point_at(self.view))
        elif kind == "pace":
            if message.get("step") == "position" and self.in_position:
                self.send("ready", shot_id=message["shot_id"])  # a seller who reads, then taps
        elif kind == "torch":
            self.torch = bool(message.get("on"))
        elif kind == "video":  # the engine's ask, honoured as the page does
            self.video_asked = (int(message["max_side"]), float(message["fps"]))
            if self._track is not None:
                self._track.limit(*self.video_asked)
        elif kind == "error":
            self.errors.append(message)
        elif kind == "capture":
            self._spawn(self._answer_capture(str(message["id"])))
        elif kind == "original_status":
            self._original_status(message)
        elif kind == "summary" and self.signer_name is not None:
            self.sign(str(message["sha256"]))

    def sign(self, summary_sha256: str) -> None:
        """Sign the summary of that SHA-256 with a synthetic stroke (a seller who agrees)."""
        png, strokes = synthetic_signature()
        self.send(
            "signature",
            sha256=summary_sha256,
            name=self.signer_name or "",
            png=png,
            strokes=strokes,
            phone_time=round(time.time() * 1000, 3),
        )

    def heartbeat(self, kind: str, **fields: Any) -> None:
        """On the control channel when it is open, else on the ordered one."""
        control = self._control
        if control is not None and control.readyState == "open":
            control.send(json.dumps({"v": protocol.VERSION, "type": kind, **fields}))
        else:
            self.send(kind, **fields)

    async def _heartbeat(self) -> None:
        self._last_rx = time.monotonic()
        stalled = 0.0  # this loop's own delays: not the link's (as the page counts them)
        while True:
            asked = time.monotonic()
            await asyncio.sleep(HEARTBEAT_INTERVAL)
            now = time.monotonic()
            self.heartbeat("heartbeat", ts=round(now * 1000, 3), echo=None)
            late = now - asked - HEARTBEAT_INTERVAL
            if late > _LOOP_STALL:
                stalled += late
                continue
            silent = now - self._last_rx
            if silent <= HEARTBEAT_TIMEOUT:
                stalled = 0.0
            elif silent - stalled > HEARTBEAT_TIMEOUT:
                self._link_lost("heartbeat timeout")

    def _link_lost(self, reason: str, channel: Any = None) -> None:
        """The page's ``linkLost``: a brand new connection after a backoff."""
        if channel is not None and channel is not self._channel:
            return  # an old connection's channel, closed on purpose
        if not self.auto_reconnect or self._stopping or self.waiting:
            return
        if self._recovering is not None and not self._recovering.done():
            return
        self.link_losses.append(reason)
        self.connected = False
        self._recovering = asyncio.get_running_loop().create_task(self._recover())

    async def _recover(self) -> None:
        for attempt in itertools.count():
            await asyncio.sleep(_BACKOFF[min(attempt, len(_BACKOFF) - 1)])
            if self._stopping or self.waiting:  # stopped, or waiting for "resume"
                return
            try:
                await self.reconnect(timeout=_RECONNECT_TIMEOUT)
                return
            except Exception as exc:  # timed out, refused: again, as the page does ...
                if isinstance(exc, JoinRefused) and exc.status in _FINAL_REFUSALS:
                    log.info("simulated phone: the link was refused for good (%s)", exc)
                    return  # ... unless the link is over
                log.info("simulated phone: reconnecting failed (%r); again", exc)

    async def _point_at(self, view: View) -> None:
        """Turn the camera to ``view`` once rendered, then get a still of up to 3 MP ready
        (a larger one waits for a capture: a 12 MP render costs a second of CPU, and most
        phones in tests never take a photo)."""
        track = self._track
        if track is not None:
            await asyncio.get_running_loop().run_in_executor(None, track.prepare, view)
            if self.view == view and self._track is track:
                track.show(view)
                self._filming.set()
        if self.still_size[0] * self.still_size[1] <= _PREFETCH_PIXELS:
            await asyncio.shield(self._still(view))

    def _still(self, view: View) -> asyncio.Future[bytes]:
        """The still of ``view`` as JPEG, rendered once in an executor (shared by callers)."""
        key = (self.still_size, view)
        job = self._still_jobs.get(key)
        if job is None or (job.done() and (job.cancelled() or job.exception() is not None)):
            loop = asyncio.get_running_loop()
            job = loop.run_in_executor(None, self._still_base, view)
            self._still_jobs[key] = job
        return job

    def _still_base(self, view: View) -> bytes:
        key = (self.still_size, view)
        base = self._still_cache.get(key)
        if base is None:
            w, h = self.still_size
            base = _jpeg(render_view(view, w, h, self.vehicle))
            self._still_cache[key] = base
        return base

    def still_bytes(self, capture_id: str) -> bytes:
        """The JPEG the phone sends for ``capture_id``: the current view, rendered at the
        still's size (once per size and view)."""
        return _with_comment(
            self._still_base(self.view), f"capture {capture_id} shot {self.shot_id}"
        )

    async def _answer_capture(self, capture_id: str) -> None:
        behaviour = self.capture_behaviour
        if behaviour == "ignore":
            return
        if behaviour == "fail":
            self.send("photo_failed", id=capture_id, reason="camera busy")
            return
        self._capturing += 1
        try:
            await self._answer_with_still(capture_id, behaviour)
        finally:
            self._capturing -= 1
            self._upload_kick.set()

    async def _answer_with_still(self, capture_id: str, behaviour: str) -> None:
        base = await asyncio.shield(self._still(self.view))
        data = _with_comment(base, f"capture {capture_id} shot {self.shot_id}")
        if self.previews and len(data) >= PREVIEW_MIN_BYTES and behaviour == "send":
            await self.send_preview(capture_id, data)
            return
        sha = hashlib.sha256(data).hexdigest()
        if behaviour == "bad_sha":
            sha = hashlib.sha256(b"other").hexdigest()
        if behaviour == "drop_midway":
            self.capture_behaviour = "send"  # one cut transfer, then behave again
            await self._send_half_then_drop(capture_id, data, sha)
            return
        if behaviour == "slow":
            await self._send_slowly(capture_id, data, sha)
            return
        await self.send_photo(capture_id, data, sha256=sha)

    async def _send_slowly(self, capture_id: str, data: bytes, sha: str) -> None:
        """A whole transfer, its bytes spread evenly over ``slow_seconds``."""
        chunk = 4096
        pieces = range(0, len(data), chunk)
        pause = self.slow_seconds / max(1, len(pieces))
        async with self._send_lock:
            self._photo_begin(capture_id, data, sha)
            for start in pieces:
                await asyncio.sleep(pause)
                self.send_raw(data[start : start + chunk])
            self.send("photo_end", id=capture_id)
            self.photos_sent.append(capture_id)

    async def _send_half_then_drop(self, capture_id: str, data: bytes, sha: str) -> None:
        """Header and about half the chunks, delivered, then the link lost (no photo_end)."""
        async with self._send_lock:
            self._photo_begin(capture_id, data, sha)
            half = max(protocol.CHUNK_SIZE, len(data) // 2)
            for start in range(0, min(half, len(data) - 1), protocol.CHUNK_SIZE):
                self.send_raw(data[start : min(start + protocol.CHUNK_SIZE, half)])
            while self._channel is not None and self._channel.bufferedAmount > 0:
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.2)  # let the engine take the chunks in
            self.photos_cut.append(capture_id)
        # This coroutine is one of the tasks drop() cancels: drop from a task of its own.
        dropping = asyncio.get_running_loop().create_task(self.drop())
        self._dropping = dropping
        await asyncio.shield(dropping)

    async def send_preview(self, capture_id: str, original: bytes) -> None:
        """A preview (the still downscaled to PREVIEW_SIDE), whose header names the
        original; the original follows when the engine asks for it (original_status)."""
        loop = asyncio.get_running_loop()
        preview, (pw, ph), (ow, oh) = await loop.run_in_executor(None, _preview_of, original)
        self.originals[capture_id] = original
        self.originals_made[capture_id] = original
        async with self._send_lock:
            self.send(
                "photo_begin",
                id=capture_id,
                size=len(preview),
                sha256=hashlib.sha256(preview).hexdigest(),
                width=pw,
                height=ph,
                mime="image/jpeg",
                phone_time=time.time(),
                original_size=len(original),
                original_sha256=hashlib.sha256(original).hexdigest(),
                original_width=ow,
                original_height=oh,
            )
            for start in range(0, len(preview), protocol.CHUNK_SIZE):
                while self._channel is not None and self._channel.bufferedAmount > _MAX_BUFFERED:
                    await asyncio.sleep(0.005)
                self.send_raw(preview[start : start + protocol.CHUNK_SIZE])
            self.send("photo_end", id=capture_id)
            self.photos_sent.append(capture_id)

    def _original_status(self, message: dict[str, Any]) -> None:
        capture_id, state = str(message["id"]), message.get("state")
        if state == "wanted":
            if capture_id not in self.originals:
                self.send("original_lost", id=capture_id, reason="not on this phone")
                return
            self._wanted[capture_id] = int(message.get("have", 0))
            if self._uploading == capture_id:
                self._uploading = None  # restart from what the engine has
            self._upload_kick.set()
            return
        self._wanted.pop(capture_id, None)
        if self._uploading == capture_id:
            self._uploading = None
        settled = state in ("done", "unwanted", "failed")
        kept = self.originals.pop(capture_id, None) if settled else None
        if kept is not None and state == "done":
            self.originals_done.append(capture_id)

    async def _upload_originals(self) -> None:
        """Send the wanted originals one after the other, stills first (while one is
        taken or sent, the originals wait), the buffer kept low."""
        while True:
            await self._upload_kick.wait()
            self._upload_kick.clear()
            while self._wanted and not self._capturing and self.original_behaviour != "hold":
                capture_id, have = next(iter(self._wanted.items()))
                del self._wanted[capture_id]
                data = self.originals.get(capture_id)
                if data is None:
                    continue
                await self._send_original(capture_id, data, have)

    async def _send_original(self, capture_id: str, data: bytes, offset: int) -> None:
        channel = self._originals_channel
        if channel is None or channel.readyState != "open":
            return
        behaviour = self.original_behaviour
        if behaviour == "corrupt_once":
            self.original_behaviour = "send"
            data = bytes([data[0] ^ 0xFF]) + data[1:] if offset == 0 else data
        cut_at = len(data) // 2 if behaviour == "drop_midway" else None
        self._uploading = capture_id
        begin = {"type": "original_begin", "id": capture_id, "offset": offset}
        channel.send(json.dumps({"v": protocol.VERSION, **begin}))
        position = offset
        while position < len(data):
            if self._uploading != capture_id or channel.readyState != "open":
                return  # the engine asked for something else, or the link went
            if self._capturing:
                await asyncio.sleep(0.02)  # a still goes first
                continue
            if channel.bufferedAmount > _ORIGINAL_MAX_BUFFERED:
                await asyncio.sleep(0.005)
                continue
            chunk = data[position : position + protocol.CHUNK_SIZE]
            channel.send(chunk)
            position += len(chunk)
            self.original_bytes_sent += len(chunk)
            if cut_at is not None and position >= cut_at:
                self.original_behaviour = "send"
                while channel.bufferedAmount > 0 and channel.readyState == "open":
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0.3)  # let the engine take them in
                self.photos_cut.append(capture_id)
                dropping = asyncio.get_running_loop().create_task(self.drop())
                self._dropping = dropping
                return
        self._uploading = None

    async def send_photo(
        self,
        capture_id: str,
        data: bytes,
        *,
        sha256: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> None:
        """A full photo transfer: header, chunks paced by ``bufferedAmount``, trailer."""
        async with self._send_lock:
            self._photo_begin(
                capture_id, data, sha256 or hashlib.sha256(data).hexdigest(), width, height
            )
            for start in range(0, len(data), protocol.CHUNK_SIZE):
                while self._channel is not None and self._channel.bufferedAmount > _MAX_BUFFERED:
                    await asyncio.sleep(0.005)
                self.send_raw(data[start : start + protocol.CHUNK_SIZE])
            self.send("photo_end", id=capture_id)
            self.photos_sent.append(capture_id)

    def _photo_begin(
        self,
        capture_id: str,
        data: bytes,
        sha: str,
        width: int | None = None,
        height: int | None = None,
    ) -> None:
        """The header of a photo transfer (the still's size unless told otherwise)."""
        w, h = self.still_size
        self.send(
            "photo_begin",
            id=capture_id,
            size=len(data),
            sha256=sha,
            width=width or w,
            height=height or h,
            mime="image/jpeg",
            phone_time=time.time(),
        )

    # -- for tests ---------------------------------------------------------------------

    async def wait_for(
        self, kind: str, *, after: int = 0, timeout: float = 5.0, where: Any = None
    ) -> dict[str, Any]:
        """The first message of ``kind`` received at index >= ``after`` (matching ``where``)."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages[after:]:
                if message.get("type") == kind and (where is None or where(message)):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {kind!r} message within {timeout} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def received(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]
