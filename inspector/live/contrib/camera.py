"""The simulated phone's camera: a pre-rendered view, paced, with frame numbers.

Frames are cheap: each view (:mod:`~inspector.live.contrib.views`) is rendered
once with its blurred and dark variants; each frame is a shifted crop of the
current one with the frame number stamped as 32 black/white blocks in the top
rows (:func:`read_stamp` reads it back, so a benchmark can measure latency).
:meth:`SyntheticCamera.show` switches to another view (render it first with
:meth:`SyntheticCamera.prepare` off the event loop).
"""

from __future__ import annotations

import asyncio
import fractions
import functools
import math
import threading
import time
from collections import OrderedDict

import av
import cv2
import numpy as np
import numpy.typing as npt
from aiortc import MediaStreamTrack

from inspector.live.contrib.views import DemoVehicle, View, render_view

__all__ = [
    "MODES",
    "STAMP_BITS",
    "STAMP_ROWS",
    "EncodedCamera",
    "SyntheticCamera",
    "encode_vp8",
    "prerender",
    "read_stamp",
    "render_scene",
    "stamp",
]

Pixels = npt.NDArray[np.uint8]
STAMP_BITS = 32
STAMP_ROWS = 16
MODES = ("normal", "blurred", "dark")
_VIDEO_CLOCK = 90000
_KEPT_VIEWS = 4


@functools.lru_cache(maxsize=16)
def _cached_view(view: View, width: int, height: int, vehicle: DemoVehicle) -> Pixels:
    """Video-sized views shared by every camera (a load test runs many phones).

    Rendered at the frame's own size, then widened by the drift's margin with the
    picture mirrored at its edges: a crop then shows the car where the shot's outline
    expects it. (A view rendered larger and cropped put the car off the outline, and
    the autopilot's framing check asked a simulated seller of the front and rear
    shots to adjust for half a minute.)
    """
    m = _margin(width)
    picture = np.asarray(
        cv2.copyMakeBorder(
            render_view(view, width, height, vehicle), m, m, m, m, cv2.BORDER_REFLECT_101
        ),
        dtype=np.uint8,
    )
    picture.flags.writeable = False  # shared by every camera: frames are copies
    return picture


def render_scene(width: int, height: int) -> Pixels:
    """The demo car from the front: what the phone shows before it is given a shot."""
    return render_view(View("front"), width, height)


def _variant(sharp: Pixels, mode: str) -> Pixels:
    if mode == "blurred":
        return np.asarray(cv2.GaussianBlur(sharp, (0, 0), 9), dtype=np.uint8)
    if mode == "dark":
        return (sharp.astype(np.uint16) * 3 // 20).astype(np.uint8)
    return sharp


def stamp(frame: Pixels, number: int) -> None:
    """Write ``number`` (mod 2**32) as black/white blocks over the top rows, in place."""
    width = frame.shape[1]
    block = width // STAMP_BITS
    for bit in range(STAMP_BITS):
        value = 255 if (number >> (STAMP_BITS - 1 - bit)) & 1 else 0
        frame[:STAMP_ROWS, bit * block : (bit + 1) * block] = value


def read_stamp(frame_bgr: npt.NDArray[np.uint8]) -> int | None:
    """The frame number stamped by the simulated phone, or None if there is no clear stamp."""
    if frame_bgr.ndim != 3 or frame_bgr.shape[0] < STAMP_ROWS or frame_bgr.shape[1] < STAMP_BITS:
        return None
    width = frame_bgr.shape[1]
    block = width // STAMP_BITS
    margin_x = max(1, block // 4)
    strip = frame_bgr[3 : STAMP_ROWS - 3].mean(axis=2)
    number = 0
    for bit in range(STAMP_BITS):
        value = float(strip[:, bit * block + margin_x : (bit + 1) * block - margin_x].mean())
        if 70 < value < 185:
            return None
        number = (number << 1) | int(value >= 128)
    return number


def prerender(view: View, width: int, height: int, vehicle: DemoVehicle | None = None) -> None:
    """Render ``view`` for a camera of this size ahead of time (call it off the event loop)."""
    _cached_view(view, width, height, vehicle or DemoVehicle())


def _margin(width: int) -> int:
    return max(8, width // 40)


class SyntheticCamera(MediaStreamTrack):
    """A paced video track of shifted crops of the view the phone is pointed at."""

    kind = "video"

    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        mode: str = "normal",
        *,
        view: View | None = None,
        vehicle: DemoVehicle | None = None,
    ) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.margin = _margin(width)
        self.vehicle = vehicle or DemoVehicle()
        self._prepared: OrderedDict[View, dict[str, Pixels]] = OrderedDict()
        self._lock = threading.Lock()  # prepare() runs in executor threads
        self.view = view or View("front")
        self._variants = self.prepare(self.view)
        self.mode = mode
        self.frames_sent = 0
        self.sent_at: dict[int, float] = {}  # frame number -> monotonic time (last 300)
        self._start: float | None = None
        self._base_n = 0  # the frame number the current rate counts from ...
        self._base_pts = 0  # ... and its timestamp
        self.max_side: int | None = None  # frames scaled down to this (the engine's ask)

    def limit(self, max_side: int, fps: float) -> None:
        """Send at most ``fps`` frames a second, scaled down to ``max_side`` pixels at most.

        What a browser's sender does with ``maxFramerate`` and ``scaleResolutionDownBy``:
        the camera itself (and so the stills) keeps its size.
        """
        n = self.frames_sent
        now = time.monotonic()
        self._base_pts = int(self._base_pts + (n - self._base_n) * _VIDEO_CLOCK / self.fps)
        self._base_n = n
        self._start = now
        self.fps = min(self.fps, fps)
        self.max_side = max_side if max_side < max(self.width, self.height) else None

    @property
    def sent_size(self) -> tuple[int, int]:
        """The size of the frames sent (the camera's, or scaled down)."""
        if self.max_side is None:
            return self.width, self.height
        r = self.max_side / max(self.width, self.height)
        return max(2, round(self.width * r) // 2 * 2), max(2, round(self.height * r) // 2 * 2)

    def prepare(self, view: View) -> dict[str, Pixels]:
        """Render ``view`` (once; a fraction of a second, so call it off the event loop).

        The blurred and dark variants are made when first asked for. The last
        few views are kept, so going back and forth costs nothing.
        """
        with self._lock:
            variants = self._prepared.get(view)
        if variants is None:
            variants = {"normal": _cached_view(view, self.width, self.height, self.vehicle)}
        with self._lock:
            variants = self._prepared.setdefault(view, variants)
            self._prepared.move_to_end(view)
            while len(self._prepared) > _KEPT_VIEWS:
                self._prepared.popitem(last=False)
        return variants

    def _picture(self) -> Pixels:
        picture = self._variants.get(self.mode)
        if picture is None:
            picture = self._variants[self.mode] = _variant(self._variants["normal"], self.mode)
        return picture

    def show(self, view: View) -> None:
        """Point the camera at ``view`` from the next frame on."""
        self._variants = self.prepare(view)
        self.view = view

    async def _due(self) -> tuple[int, int]:
        """Wait for the next frame's time: (its number, its timestamp)."""
        if self.readyState != "live":
            from aiortc.mediastreams import MediaStreamError

            raise MediaStreamError
        n = self.frames_sent
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + (n - self._base_n) / self.fps
        if due > now:
            await asyncio.sleep(due - now)
        return n, self._base_pts + int((n - self._base_n) * _VIDEO_CLOCK / self.fps)

    def _sent(self, n: int) -> None:
        self.frames_sent = n + 1
        self.sent_at[n] = time.monotonic()
        self.sent_at.pop(n - 300, None)

    def _frame(self, n: int) -> Pixels:
        """Frame ``n``: the view's crop, drifting, stamped, at the size sent."""
        m = self.margin
        # A slow drift, well under the motion threshold and within the framing check's
        # tolerance (a quarter of the margin: 4 px of a 640 px frame).
        dx = int(m + m * 0.25 * math.sin(n / 150.0))
        dy = int(m + m * 0.15 * math.cos(n / 190.0))
        picture = self._picture()[dy : dy + self.height, dx : dx + self.width].copy()
        if self.mode == "normal":  # sharp blocks would lift a blurred or dark picture's metrics
            stamp(picture, n)
        if self.max_side is not None:
            picture = np.asarray(
                cv2.resize(picture, self.sent_size, interpolation=cv2.INTER_AREA), dtype=np.uint8
            )
        return picture

    async def recv(self) -> av.VideoFrame:
        n, pts = await self._due()
        frame = av.VideoFrame.from_ndarray(self._frame(n), format="bgr24")
        frame.pts = pts
        frame.time_base = fractions.Fraction(1, _VIDEO_CLOCK)
        self._sent(n)
        return frame


#: Encoded clips, shared by the phones of one process: (view, mode, size, fps) -> packets.
_CLIPS: dict[tuple[View, str, tuple[int, int], float], list[bytes]] = {}


class EncodedCamera(SyntheticCamera):
    """A :class:`SyntheticCamera` whose video is VP8 encoded once per view and replayed.

    For benchmarks that run many simulated phones on the server's own machine: a phone
    then costs packetising and encrypting, not rendering and encoding (a real phone
    encodes on its own hardware). Each view becomes a clip of ``CLIP_SECONDS`` starting
    with a keyframe, looped; a new view starts at its clip's keyframe, so a receiver
    that lost a packet recovers within a clip (a request for a keyframe is not
    honoured). Stamps repeat with the clip: no latency measurement with this camera.
    Offer VP8 with it (aiortc's default).
    """

    CLIP_SECONDS = 2.0

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._clip_key: tuple[View, str, tuple[int, int], float] | None = None
        self._clip_first = 0  # the frame number the current clip started at

    async def recv(self) -> av.Packet:  # type: ignore[override,type-arg]
        n, pts = await self._due()
        key = (self.view, self.mode, self.sent_size, self.fps)
        clip = _CLIPS.get(key)
        if clip is None:
            frames = [self._frame(i) for i in range(max(1, round(self.fps * self.CLIP_SECONDS)))]
            clip = await asyncio.get_running_loop().run_in_executor(
                None, encode_vp8, frames, self.fps
            )
            clip = _CLIPS.setdefault(key, clip)
        if key != self._clip_key:
            self._clip_key, self._clip_first = key, n
        packet = av.Packet(clip[(n - self._clip_first) % len(clip)])
        packet.pts = pts
        packet.time_base = fractions.Fraction(1, _VIDEO_CLOCK)
        self._sent(n)
        return packet


def encode_vp8(frames: list[Pixels], fps: float) -> list[bytes]:
    """``frames`` as VP8 packets, one per frame, the first a keyframe and no other."""
    height, width = frames[0].shape[:2]
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuv420p"
    codec.time_base = fractions.Fraction(1, max(1, round(fps)))
    codec.bit_rate = 900_000
    codec.gop_size = len(frames)
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    packets: list[bytes] = []
    for i, picture in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(picture, format="bgr24").reformat(format="yuv420p")
        frame.pts = i
        packets += [bytes(p) for p in codec.encode(frame)]
    packets += [bytes(p) for p in codec.encode(None)]
    return packets
