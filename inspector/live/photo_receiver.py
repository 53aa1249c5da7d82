"""Reassembles one full-resolution photo sent over the data channel.

A transfer is ``photo_begin`` (validated header), binary chunks of at most
``protocol.CHUNK_SIZE`` bytes, then ``photo_end``. Every refusal raises
:class:`PhotoError` (a :class:`~inspector.protocol.ProtocolError` carrying the
capture id, when one is known) and drops the transfer: nothing half-received
is ever handed on. The image is decoded by Pillow in an executor with the
decompression-bomb limit enforced *before* any pixel is decoded, and the true
width and height come from the decoded image, not from the phone's header.

Memory is bounded whatever the phone sends: one transfer at a time, never more
bytes than its declared size (at most ``MAX_PHOTO_BYTES``). When a transfer is
refused, the rest of its chunks (up to its declared size) and its trailer are
dropped silently, so one refusal gives one error rather than one per chunk.

Hostile images are refused before they reach the rest of the system (quality
analysis, thumbnails, the PDF report): more than ``MAX_SCANS`` JPEG scans (a
progressive-JPEG CPU bomb), an EXIF block Pillow cannot read, or an EXIF
orientation other than the integers 1-8.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

from inspector.domain.photo_check import BadPhoto, decode_jpeg_size
from inspector.live import protocol
from inspector.live.protocol import ProtocolError

__all__ = ["ACCEPTED_MIME", "PhotoError", "PhotoReceiver", "ReceivedPhoto", "Transfer"]

ACCEPTED_MIME = ("image/jpeg",)


class PhotoError(ProtocolError):
    """A refused transfer; ``capture_id`` is the transfer's id if a header was seen."""

    def __init__(self, code: str, message: str, capture_id: str | None = None) -> None:
        super().__init__(code, message)
        self.capture_id = capture_id


@dataclass(frozen=True)
class ReceivedPhoto:
    id: str
    data: bytes
    sha256: str
    width: int
    height: int
    mime: str
    phone_time: float | None
    #: A preview's original (``original_size``, ``original_sha256``, ``original_width``,
    #: ``original_height`` of its header); None for a full photo.
    original: dict[str, Any] | None = None


@dataclass(frozen=True)
class Transfer:
    """A still on its way: bytes received so far, and whether it arrived ``whole`` (its
    hash checked, being decoded and handed on). The capture path waits for it rather
    than store a video frame in its place."""

    received: int
    whole: bool


class PhotoReceiver:
    """One transfer at a time, in order: :meth:`begin`, :meth:`chunk`, :meth:`end`."""

    def __init__(self, max_bytes: int = protocol.MAX_PHOTO_BYTES) -> None:
        self.max_bytes = max_bytes
        self._header: dict[str, Any] | None = None
        self._buf = bytearray()
        self._sha = hashlib.sha256()
        self._discard_id: str | None = None  # a refused transfer whose rest is dropped
        self._discard_left = 0

    @property
    def active_id(self) -> str | None:
        return None if self._header is None else str(self._header["id"])

    @property
    def received(self) -> int:
        return len(self._buf)

    def reset(self) -> str | None:
        """Drop the transfer in progress; returns its id if there was one."""
        active = self.active_id
        self._header = None
        self._buf = bytearray()
        self._sha = hashlib.sha256()
        self._discard_id, self._discard_left = None, 0
        return active

    @property
    def discarding(self) -> str | None:
        """The id of a refused transfer whose remaining chunks are being dropped."""
        return self._discard_id

    def _fail(
        self, code: str, message: str, capture_id: str | None = None, *, discard: bool = True
    ) -> PhotoError:
        header, received = self._header, len(self._buf)
        active = self.reset()
        if header is not None and discard:  # drop what the phone still sends of it
            self._discard(str(header["id"]), int(header["size"]) - received)
        return PhotoError(code, message, capture_id or active)

    def _discard(self, capture_id: str, left: int) -> None:
        self._discard_id = capture_id
        self._discard_left = max(0, left)

    def begin(self, header: dict[str, Any]) -> None:
        """Start a transfer from a ``photo_begin`` message (already validated)."""
        if self._header is not None:
            raise self._fail("second_header", "a photo transfer is already in progress")
        self._discard_id, self._discard_left = None, 0  # a new transfer ends any discarding
        header = protocol.validate(header, protocol.FROM_PHONE)
        capture_id = str(header["id"])
        if header.get("type") != "photo_begin":
            raise PhotoError("bad_header", "expected photo_begin", capture_id)
        if header["size"] > self.max_bytes:
            self._discard(capture_id, int(header["size"]))
            raise PhotoError("too_large", "the photo is larger than allowed", capture_id)
        if header["mime"] not in ACCEPTED_MIME:
            self._discard(capture_id, int(header["size"]))
            raise PhotoError("bad_mime", f"unsupported type {header['mime'][:32]!r}", capture_id)
        given = [name for name in protocol.ORIGINAL_FIELDS if name in header]
        if given and len(given) != len(protocol.ORIGINAL_FIELDS):
            self._discard(capture_id, int(header["size"]))
            raise PhotoError(
                "bad_preview",
                "a preview names its original's size, SHA-256 and pixel size",
                capture_id,
            )
        self._header = header

    def chunk(self, data: bytes) -> None:
        if self._header is None:
            if self._discard_id is not None and len(data) <= self._discard_left:
                self._discard_left -= len(data)  # the rest of a refused transfer
                return
            self._discard_id, self._discard_left = None, 0
            raise PhotoError("no_header", "binary data outside a photo transfer")
        if len(data) > protocol.CHUNK_SIZE:
            raise self._fail("chunk_too_large", "a photo chunk is larger than 64 KiB")
        if len(self._buf) + len(data) > int(self._header["size"]):
            raise self._fail("too_much_data", "more bytes than the declared size")
        self._buf += data
        self._sha.update(data)

    def finish(self, trailer: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        """Check a ``photo_end`` against the header (size, SHA-256); returns (header, bytes)."""
        header = self._header
        if header is None:
            if self._discard_id is not None and trailer.get("id") == self._discard_id:
                self._discard_id, self._discard_left = None, 0
                # Already refused (and reported with its id): only an error reply.
                raise PhotoError("refused", "this photo was already refused")
            raise PhotoError("no_header", "photo_end without photo_begin", trailer.get("id"))
        if trailer.get("id") != header["id"]:
            raise self._fail(
                "wrong_id", "photo_end does not match the photo in transfer", discard=False
            )
        if len(self._buf) != header["size"]:
            raise self._fail(
                "incomplete", "the photo is shorter than its declared size", discard=False
            )
        if self._sha.hexdigest() != header["sha256"]:
            raise self._fail("sha_mismatch", "the photo's SHA-256 does not match", discard=False)
        data = bytes(self._buf)
        self.reset()
        return header, data

    async def end(self, trailer: dict[str, Any]) -> ReceivedPhoto:
        """Finish the transfer and decode the image in an executor."""
        header, data = self.finish(trailer)
        capture_id = str(header["id"])
        loop = asyncio.get_running_loop()
        try:
            width, height = await loop.run_in_executor(None, decode_jpeg_size, data)
        except BadPhoto as exc:
            raise PhotoError(exc.code, str(exc), capture_id) from None
        phone_time = header.get("phone_time")
        return ReceivedPhoto(
            id=capture_id,
            data=data,
            sha256=str(header["sha256"]),
            width=width,
            height=height,
            mime=str(header["mime"]),
            phone_time=None if phone_time is None else float(phone_time),
            original=(
                {name: header[name] for name in protocol.ORIGINAL_FIELDS}
                if "original_sha256" in header
                else None
            ),
        )
