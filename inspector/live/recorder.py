"""Recording a call's incoming video, with the seller's consent, and its timeline.

A :class:`CallRecorder` encodes every frame the peer decodes (H.264 in MP4 with
PyAV) on its own thread, so the engine's loop only queues frames (a bounded queue:
when the encoder falls behind, frames are dropped, never the call). Frames are timed
by when they arrived, so the video lasts as long as the call did (a reconnection
shows the last picture) and the timeline's times are the video's. The MP4 is
fragmented: a killed process leaves a playable file in ``recordings/partial/``.

:class:`SessionRecording` is one call's recording seen from the session: the seller's
answer, the recorder, the timeline marks (shots, captures, reviews, messages) and,
when the call ends, the files stored by SHA-256 and the row that points at them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from inspector.domain.recording import CallRecording, TimelineMark
from inspector.live import events
from inspector.storage import recordings as files
from inspector.storage.store import Store

__all__ = [
    "BITRATE",
    "MAX_HEIGHT",
    "MIME",
    "CallRecorder",
    "SessionRecording",
    "recorded_size",
]

log = logging.getLogger(__name__)

MIME = "video/mp4"
CODEC = "libx264"
BITRATE = 400_000
"""Video bits per second: about 3 MB a minute, under the 40 MB per 10 minutes budget."""
MAX_HEIGHT = 720
FPS = 30
PRESET = "superfast"
"""libx264's speed: with ``zerolatency`` (no lookahead, no B-frames) about 11 % of one core
at 720p30 here (``veryfast``: 19 %); bench/recording.py measures it in the engine."""
KEYFRAME_SECONDS = 2  # seeking to a capture lands within 2 s
QUEUE_FRAMES = 45  # 1.5 s of 30 fps waiting for the encoder; more is dropped
_TIME_BASE = Fraction(1, 1000)


def recorded_size(width: int, height: int, max_height: int = MAX_HEIGHT) -> tuple[int, int]:
    """The size the video is recorded at: at most ``max_height`` lines, even sides."""
    if height > max_height:
        width, height = round(width * max_height / height), max_height
    return max(2, width - width % 2), max(2, height - height % 2)


def fitted(frame: Any, width: int, height: int) -> Any:
    """``frame`` as a ``width`` x ``height`` yuv420p picture, its proportions kept.

    The video's size is set by the first frame; when the seller turns the phone the
    picture changes shape (landscape to portrait), and is then shown whole at the
    centre with black bars rather than stretched to the first frame's shape.
    """
    if (frame.width, frame.height) == (width, height):
        return frame if frame.format.name == "yuv420p" else frame.reformat(format="yuv420p")
    w, h = fitted_size(frame.width, frame.height, width, height)
    if (w, h) == (width, height):
        return frame.reformat(width, height, "yuv420p")
    inner = frame.reformat(w, h, "yuv420p").to_ndarray()  # (h * 3 / 2, w): Y, then U and V
    canvas = np.empty((height * 3 // 2, width), np.uint8)
    canvas[:height] = 16  # black in video range
    canvas[height:] = 128  # no colour
    x, y = (width - w) // 2 & ~1, (height - h) // 2 & ~1
    canvas[y : y + h, x : x + w] = inner[:h]
    for plane in range(2):  # U then V: quarter planes, each stored as height / 4 full rows
        src = inner[h + plane * h // 4 : h + (plane + 1) * h // 4].reshape(h // 2, w // 2)
        dst = canvas[height + plane * height // 4 : height + (plane + 1) * height // 4]
        dst.reshape(height // 2, width // 2)[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = src
    return av.VideoFrame.from_ndarray(canvas, format="yuv420p")


def fitted_size(width: int, height: int, box_width: int, box_height: int) -> tuple[int, int]:
    """The even size at which a ``width`` x ``height`` picture fits the box, proportions kept."""
    scale = min(box_width / width, box_height / height)
    w = min(box_width, max(2, round(width * scale)))
    h = min(box_height, max(2, round(height * scale)))
    return w - w % 2, h - h % 2


class CallRecorder:
    """Encodes frames pushed from the engine's loop to ``path`` on a thread of its own."""

    def __init__(self, path: Path, *, bitrate: int = BITRATE, max_height: int = MAX_HEIGHT) -> None:
        self.path = Path(path)
        self.bitrate = bitrate
        self.max_height = max_height
        self.frames = 0
        self.dropped = 0
        self.first: float | None = None  # monotonic time of the first frame
        self.last: float | None = None
        self.error: BaseException | None = None
        self._queue: queue.Queue[tuple[Any, float] | None] = queue.Queue(QUEUE_FRAMES)
        self._thread = threading.Thread(target=self._run, name="call-recorder", daemon=True)
        self._closed = False

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def push(self, frame: Any, received: float) -> None:
        """Any thread, never blocks: queue a decoded ``av.VideoFrame`` received at ``received``."""
        if self._closed or self.error is not None:
            return
        if self.first is None:
            self.first = received
        try:
            self._queue.put_nowait((frame, received))
        except queue.Full:
            self.dropped += 1
            return
        self.last = received

    def close(self, timeout: float = 30.0) -> None:
        """Blocking: encode what is queued, finish the file (call it off the loop)."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def duration(self) -> float:
        """Seconds from the first frame to the last (plus one frame)."""
        if self.first is None or self.last is None:
            return 0.0
        return self.last - self.first + 1 / FPS

    def _run(self) -> None:
        container: Any = None
        stream: Any = None
        last_pts = -1
        try:
            while (item := self._queue.get()) is not None:
                frame, received = item
                if isinstance(frame, np.ndarray):  # a test's or a fallback's BGR picture
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")
                if container is None:
                    container = av.open(
                        str(self.path),
                        mode="w",
                        format="mp4",
                        options={"movflags": "frag_keyframe+empty_moov+default_base_moof"},
                    )
                    stream = self._add_stream(container, frame.width, frame.height)
                assert self.first is not None
                pts = max(int((received - self.first) * 1000), last_pts + 1)
                last_pts = pts
                frame = fitted(frame, stream.width, stream.height)
                frame.pts = pts
                frame.time_base = _TIME_BASE
                for packet in stream.encode(frame):
                    container.mux(packet)
                self.frames += 1
            if stream is not None:
                for packet in stream.encode(None):
                    container.mux(packet)
        except Exception as exc:  # the call goes on without its recording
            self.error = exc
            log.exception("recording %s failed", self.path.name)
            while True:  # let push() callers go on; nothing more is encoded
                try:
                    if self._queue.get_nowait() is None:
                        break
                except queue.Empty:
                    break
        finally:
            if container is not None:
                try:
                    container.close()
                except Exception as exc:
                    self.error = self.error or exc

    def _add_stream(self, container: Any, width: int, height: int) -> Any:
        w, h = recorded_size(width, height, self.max_height)
        stream = container.add_stream(CODEC, rate=FPS)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = self.bitrate
        stream.codec_context.time_base = _TIME_BASE
        stream.options = {
            "preset": PRESET,
            "tune": "zerolatency",
            "maxrate": str(int(self.bitrate * 1.2)),
            "bufsize": str(self.bitrate * 2),
            "g": str(FPS * KEYFRAME_SECONDS),
            "threads": "2",
        }
        return stream


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SessionRecording:
    """One call's recording: the seller's answer, the recorder, the timeline marks."""

    store: Store
    inspection_id: str
    consent: bool
    consent_at: datetime = field(default_factory=_now)
    bitrate: int = BITRATE
    recorder: CallRecorder | None = None
    marks: list[TimelineMark] = field(default_factory=list)
    row_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _started: float = field(default_factory=time.monotonic)

    def answer(self) -> CallRecording:
        """Blocking (executor): keep the seller's answer at once (a crash cannot lose it)."""
        return self.store.add_recording(
            CallRecording(
                id=self.row_id,
                inspection_id=self.inspection_id,
                consent=self.consent,
                consent_at=self.consent_at,
            )
        )

    @property
    def recording(self) -> bool:
        return self.recorder is not None and self.recorder.error is None

    def start(self) -> None:
        """After a yes: start the recorder (its file in ``recordings/partial/``)."""
        if not self.consent or self.recorder is not None:
            return
        partial = files.partial_folder(self.store.data_dir) / f"{uuid.uuid4().hex}.mp4"
        self.recorder = CallRecorder(partial, bitrate=self.bitrate)
        self.recorder.start()

    def push(self, frame: Any, received: float) -> None:
        if self.recorder is not None:
            self.recorder.push(frame, received)

    def _t(self) -> float:
        origin = self.recorder.first if self.recorder is not None else None
        return max(0.0, time.monotonic() - (origin if origin is not None else self._started))

    def mark(self, kind: str, **details: str) -> None:
        """Something happened now (any thread)."""
        if self.recorder is None:
            return
        with self._lock:
            self.marks.append(TimelineMark(self._t(), kind, **details))

    def mark_event(self, event: events.Event) -> None:
        """The engine's events that belong on the timeline."""
        if isinstance(event, events.ShotChanged):
            self.mark("shot", shot_id=event.shot_id)
        elif isinstance(event, events.CaptureStored):
            c = event.capture
            self.mark("capture", shot_id=c.shot_id, capture_id=c.id)
        elif isinstance(event, events.CaptureReviewed):
            self.mark("accepted" if event.accepted else "retake", capture_id=event.capture_id)
        elif isinstance(event, events.PhoneJoined):
            self.mark("joined")
        elif isinstance(event, events.PhoneLeft):
            self.mark("left", text=event.reason)
        elif isinstance(event, events.Completed):
            self.mark("completed")

    def finish(self) -> CallRecording | None:
        """Blocking (executor): close the video, store it and its timeline, then the row
        (the answer's, kept by :meth:`answer`, now naming them); None without a recording.
        """
        recorder = self.recorder
        row = None
        if recorder is not None:
            recorder.close()
            if recorder.frames and recorder.error is None and recorder.first is not None:
                data_dir = self.store.data_dir
                sha, size = files.store_video(data_dir, recorder.path, MIME)
                with self._lock:
                    marks = list(self.marks)
                ended = _now()
                started = ended - timedelta(seconds=recorder.duration)
                timeline = files.write_timeline(data_dir, files.timeline_bytes(marks, started))
                row = CallRecording(
                    id=self.row_id,
                    inspection_id=self.inspection_id,
                    consent=True,
                    consent_at=self.consent_at,
                    sha256=sha,
                    timeline_sha256=timeline,
                    mime=MIME,
                    size=size,
                    duration=recorder.duration,
                    started_at=started,
                    ended_at=ended,
                )
            else:
                recorder.path.unlink(missing_ok=True)
                if recorder.error is not None:
                    log.warning("%s: no recording: %s", self.inspection_id, recorder.error)
        return None if row is None else self.store.update_recording(row)
