"""The newest decoded video frame of a session: a slot, not a queue.

The peer's reader task ``put``s every decoded frame as it arrives (loop thread);
the console paints and the session measures whatever is newest, from any
thread. Pixel conversion is lazy and cached per frame: a frame nobody looks at
costs nothing, a frame looked at twice is converted once per format.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["Frame", "FrameSlot"]

Pixels = npt.NDArray[np.uint8]


class Frame:
    """One decoded frame: ``seq`` (1, 2, ...), ``received`` (monotonic), size, pixels."""

    __slots__ = ("_cache", "_lock", "_source", "height", "received", "seq", "width")

    def __init__(self, source: Any, seq: int, received: float) -> None:
        self._source = source  # av.VideoFrame or an ndarray (BGR) for tests and fallbacks
        self.seq = seq
        self.received = received
        if isinstance(source, np.ndarray):
            self.height, self.width = int(source.shape[0]), int(source.shape[1])
        else:
            self.width, self.height = int(source.width), int(source.height)
        self._cache: dict[str, Pixels] = {}
        self._lock = threading.Lock()

    def _convert(self, fmt: str) -> Pixels:
        with self._lock:
            cached = self._cache.get(fmt)
            if cached is not None:
                return cached
            src = self._source
            out: Pixels
            if isinstance(src, np.ndarray):
                converted = cv2.cvtColor(src, cv2.COLOR_BGR2BGRA) if fmt == "bgra" else src.copy()
                out = np.asarray(converted, dtype=np.uint8)
            else:
                out = src.to_ndarray(format=fmt)
            out.setflags(write=False)  # shared between threads: nobody may paint on it
            self._cache[fmt] = out
            return out

    @property
    def source(self) -> Any:
        """The decoded frame as it came (``av.VideoFrame``, or a BGR array): the recorder's."""
        return self._source

    def bgr(self) -> Pixels:
        """H x W x 3 uint8, read-only (for quality measures)."""
        return self._convert("bgr24")

    def bgra(self) -> Pixels:
        """H x W x 4 uint8, read-only (for painting as QImage.Format_RGB32)."""
        return self._convert("bgra")


class FrameSlot:
    """Thread-safe holder of the newest :class:`Frame`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self._seq = 0

    def put(self, source: Any) -> Frame:
        """Keep ``source`` (an ``av.VideoFrame`` or BGR ndarray) as the newest frame."""
        with self._lock:
            self._seq += 1
            frame = Frame(source, self._seq, time.monotonic())
            self._frame = frame
            return frame

    def latest(self) -> Frame | None:
        with self._lock:
            return self._frame

    @property
    def seq(self) -> int:
        with self._lock:
            return self._seq
