"""The capture path: a request to the phone, its still (or a video frame), stored, judged.

The phone is asked for a full-resolution still; if none arrives within
``still_timeout`` the newest video frame is stored instead (source "frame"), so
a flaky phone never blocks the walk. A still already on its way at that time (its
bytes still coming, or whole and being handed on) is waited for while it progresses,
up to ``STILL_TRANSFER_LIMIT``: a slow link or a busy server is not a flaky phone.
Whatever arrives is analysed in the executor and made durable through the
:class:`~inspector.storage.spool.LiveWriter` (the store, or the spool while another
process holds the database) before the phone hears "saved" with the quality verdict.
A request settles once: a still arriving after the fallback is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import cv2

from inspector.domain import quality
from inspector.domain.checklist import Shot
from inspector.domain.models import (
    Capture,
    CaptureSource,
    QualityReport,
    QualityThresholds,
    Verdict,
)
from inspector.i18n import Localized, Message
from inspector.live import events
from inspector.live.photo_receiver import Transfer
from inspector.live.session.context import Frame, SessionContext
from inspector.live.timings import (
    STILL_PROGRESS_INTERVAL,
    STILL_STALL_LIMIT,
    STILL_TRANSFER_LIMIT,
)
from inspector.storage import StoreError
from inspector.storage.rows import new_id
from inspector.usecases import audit
from inspector.usecases.audit import AuditAction

if TYPE_CHECKING:
    from inspector.live.session.originals import Originals

__all__ = ["FRAME_JPEG_QUALITY", "CapturePath", "Request"]

log = logging.getLogger(__name__)

#: JPEG quality of a video frame stored as a capture fallback.
FRAME_JPEG_QUALITY = 92

_NOT_SAVED = Message("Photo not saved, retry")
_NO_PHOTO = Message("No photo received, please retry")
_UNREADABLE = Message("Unreadable photo, retry")


def _no_transfer(_: str) -> Transfer | None:
    return None


@dataclass
class Request:
    """A capture asked of the phone and not yet fulfilled."""

    id: str
    shot: Shot
    result: asyncio.Future[Capture | None]
    timer: asyncio.Task[None] | None = None


def _phone_datetime(value: datetime | float | None) -> datetime | None:
    """The phone's clock as a datetime; JS sends milliseconds since the epoch.

    Values small enough to be seconds are taken as seconds, so either unit works.
    """
    if value is None or isinstance(value, datetime):
        return value
    try:
        seconds = value / 1000.0 if abs(value) > 1e11 else float(value)
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _encode_frame(frame: Frame, thresholds: QualityThresholds) -> tuple[bytes, QualityReport]:
    """Executor side of the frame fallback: JPEG bytes and their verdict."""
    if frame.ndim == 3 and frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)  # type: ignore[assignment]
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, FRAME_JPEG_QUALITY])
    if not ok:
        raise quality.QualityError("cannot encode the video frame as JPEG")
    return bytes(buf), quality.analyze_frame(frame, thresholds)


class CapturePath:
    """The capture requests of one session, from the phone's shutter to the stored photo.

    ``latest_frame`` gives the video frame the fallback stores.
    """

    def __init__(
        self,
        ctx: SessionContext,
        *,
        still_timeout: float,
        latest_frame: Callable[[], Frame | None],
        originals: Originals | None = None,
    ) -> None:
        self._ctx = ctx
        self.still_timeout = still_timeout
        self._latest_frame = latest_frame
        self._originals = originals
        self._pending: dict[str, Request] = {}
        self._results: dict[str, asyncio.Future[Capture | None]] = {}
        #: The still of a capture id on its way from the phone (set by the phone's link).
        self.transfer: Callable[[str], Transfer | None] = _no_transfer
        self.progress_interval = STILL_PROGRESS_INTERVAL
        self.stall_limit = STILL_STALL_LIMIT
        self.transfer_limit = STILL_TRANSFER_LIMIT
        self._hurry = asyncio.Event()

    @property
    def in_flight(self) -> bool:
        return bool(self._pending)

    def request(self) -> Request:
        """Ask the phone for a still of the current shot and arm the frame fallback."""
        ctx = self._ctx
        loop = asyncio.get_running_loop()
        request = Request(new_id(), ctx.current, loop.create_future())
        self._pending[request.id] = request
        self._results[request.id] = request.result
        ctx.send("capture", id=request.id)
        ctx.emit(events.CaptureRequested(ctx.inspection_id, request.id, request.shot.id))
        request.timer = loop.create_task(
            self._fallback_after(request.id), name=f"capture-fallback-{request.id}"
        )
        return request

    async def wait_result(self, capture_id: str) -> Capture | None:
        """The stored capture of a request, or None if it failed; waits until it settles.

        Cancelling the waiter does not cancel the request.
        """
        future = self._results.get(capture_id)
        if future is None:
            raise ValueError(f"no capture request {capture_id!r}")
        return await asyncio.shield(future)

    async def on_photo(
        self,
        capture_id: str,
        data: bytes,
        *,
        width: int,
        height: int,
        phone_time: datetime | float | None = None,
        original: dict[str, Any] | None = None,
    ) -> Capture | None:
        """A complete, hash-checked still arrived; store it with its verdict.

        A preview (``original``: its original's header) is judged as the original: the
        same picture, with the original's pixel size for the resolution check; it is
        stored as the photo (source ``preview``) and its original asked for.

        Unknown or already-fulfilled ids (a still arriving after the frame
        fallback) are ignored so a request never yields two captures.
        """
        request = self._take(capture_id)
        if request is None:
            log.info(
                "%s: ignoring photo for unknown or fulfilled capture %s",
                self._ctx.inspection_id,
                capture_id,
            )
            self._no_original(capture_id, original)
            return None
        if original is not None and self._originals is None:
            original = None  # nobody to receive the original: the preview is the photo
        true_size = (
            None
            if original is None
            else (int(original["original_width"]), int(original["original_height"]))
        )
        try:
            report = await self._ctx.run(
                functools.partial(
                    quality.analyze_jpeg, data, request.shot.quality, true_size=true_size
                )
            )
        except quality.QualityError as exc:
            self._fail(request, f"cannot analyse the photo: {exc}", _UNREADABLE)
            self._no_original(capture_id, original)
            return None
        capture = await self._store_capture(
            request,
            data,
            width=width,
            height=height,
            source=CaptureSource.STILL if original is None else CaptureSource.PREVIEW,
            report=report,
            phone_time=_phone_datetime(phone_time),
        )
        if capture is None:
            self._no_original(capture_id, original)
        elif original is not None and self._originals is not None:
            await self._originals.expect(capture, original)
        return capture

    def _no_original(self, capture_id: str, original: dict[str, Any] | None) -> None:
        """A preview that made no capture: the phone may forget its original."""
        if original is not None:
            self._ctx.send("original_status", id=capture_id, state="unwanted", have=0, size=0)

    def on_photo_failed(self, capture_id: str, reason: str) -> None:
        """The phone could not deliver the still: report it so the seller can retry."""
        request = self._take(capture_id)
        if request is None:
            log.info(
                "%s: photo failure for unknown capture %s: %s",
                self._ctx.inspection_id,
                capture_id,
                reason,
            )
            return
        self._fail(request, reason or "the phone could not send the photo", _NOT_SAVED)

    def unsettled(self) -> list[asyncio.Future[Capture | None]]:
        """The requests not settled yet (a still on its way or being stored)."""
        return [f for f in self._results.values() if not f.done()]

    def timers(self) -> list[asyncio.Task[None]]:
        """The fallback timers still armed (for shutting down)."""
        return [r.timer for r in self._pending.values() if r.timer is not None]

    def settle_pending(self) -> None:
        """Shutting down: every pending request settles as failed (None)."""
        for request in self._pending.values():
            if not request.result.done():
                request.result.set_result(None)
        self._pending.clear()

    def _take(self, capture_id: str) -> Request | None:
        """Claim a pending request (once) and stop its fallback timer."""
        request = self._pending.pop(capture_id, None)
        if request is not None and request.timer is not None:
            if request.timer is not asyncio.current_task():
                request.timer.cancel()
            request.timer = None
        return request

    async def _fallback_after(self, capture_id: str) -> None:
        await asyncio.sleep(self.still_timeout)
        await self._while_on_its_way(capture_id)
        request = self._take(capture_id)
        if request is None:
            return
        frame = self._latest_frame()
        if frame is None:
            self._fail(request, "no photo arrived and no video frame was seen", _NO_PHOTO)
            return
        log.info(
            "%s: no still for %s after %.1f s; storing the video frame",
            self._ctx.inspection_id,
            capture_id,
            self.still_timeout,
        )
        try:
            data, report = await self._ctx.run(_encode_frame, frame, request.shot.quality)
        except quality.QualityError as exc:
            self._fail(request, f"cannot use the video frame: {exc}", _NO_PHOTO)
            return
        height, width = frame.shape[:2]
        await self._store_capture(
            request,
            data,
            width=width,
            height=height,
            source=CaptureSource.FRAME,
            report=report,
            phone_time=None,
        )

    async def _while_on_its_way(self, capture_id: str) -> None:
        """Wait while the still is arriving: its bytes came within ``stall_limit`` (the
        grace the link itself gets while a still arrives: a young SCTP association may
        hold chunks for seconds), or it is whole and being handed on; at most until
        ``transfer_limit`` after the request, and not once :meth:`hurry` was called."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() - self.still_timeout + self.transfer_limit
        seen = -1
        progressed = loop.time()
        while capture_id in self._pending and not self._hurry.is_set():
            now = loop.time()
            transfer = self.transfer(capture_id)
            if now >= deadline or transfer is None:
                return
            if transfer.whole or transfer.received > seen:
                if seen < 0:
                    log.info(
                        "%s: still %s on its way after %.1f s (%d bytes): waiting for it",
                        self._ctx.inspection_id,
                        capture_id,
                        self.still_timeout,
                        transfer.received,
                    )
                seen, progressed = transfer.received, now
            elif now - progressed >= self.stall_limit:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._hurry.wait(), min(self.progress_interval, deadline - now)
                )

    def hurry(self) -> None:
        """Shutting down: stills still on their way are no longer waited for; their
        requests fall back to the video frame now, so something is stored in time."""
        self._hurry.set()

    async def _store_capture(
        self,
        request: Request,
        data: bytes,
        *,
        width: int,
        height: int,
        source: CaptureSource,
        report: QualityReport,
        phone_time: datetime | None,
    ) -> Capture | None:
        """Make the photo durable (store, or spool if the database is locked), then say so."""
        ctx = self._ctx
        previous = ctx.walk.latest_capture(request.shot.id)
        started = time.monotonic()
        try:
            saved = await ctx.run(
                functools.partial(
                    ctx.writer.add_capture,
                    ctx.inspection_id,
                    request.shot.id,
                    data,
                    width=width,
                    height=height,
                    source=source,
                    quality=report,
                    phone_time=phone_time,
                    retake_of=previous.id if previous is not None else None,
                    capture_id=request.id,
                )
            )
            capture = saved.capture
        except StoreError as exc:
            log.warning("%s: capture %s not stored: %s", ctx.inspection_id, request.id, exc)
            self._fail(request, str(exc), _NOT_SAVED)
            return None
        store_seconds = time.monotonic() - started
        path = await self._local_file(capture.sha256, data)
        ctx.walk.add_capture(capture)
        reject = report.verdict is Verdict.REJECT
        ctx.send(
            "capture_result",
            id=capture.id,
            verdict=report.verdict.value,
            reasons=ctx.reason_texts(report.reasons),
            stored=True,
            retake=reject,
        )
        ctx.emit(
            events.CaptureStored(
                ctx.inspection_id,
                capture,
                path=path,
                spooled=saved.spooled,
                store_seconds=store_seconds,
            )
        )
        ctx.record(AuditAction.CAPTURED, audit.capture_detail(capture))
        if not request.result.done():
            request.result.set_result(capture)
        return capture

    async def _local_file(self, sha256: str, data: bytes) -> str:
        """A file of the stored photo for the console's preview ("" if none can be made).

        The photo's own file in a folder store; with object storage a local copy
        made from the bytes at hand (the capture is stored already: failing to
        keep that copy only costs the preview).
        """
        store = self._ctx.store
        if store.photos_dir is not None:
            return str(store.photo_path(sha256))
        try:
            return str(await self._ctx.run(store.photo_file, sha256, data))
        except (StoreError, OSError) as exc:
            log.warning("photo %s stored, but no local copy for the preview: %s", sha256[:12], exc)
            return ""

    def _fail(self, request: Request, reason: str, said: Localized) -> None:
        """Nothing was stored for ``request``: tell the phone and the console."""
        ctx = self._ctx
        ctx.send(
            "capture_result",
            id=request.id,
            verdict="error",
            reasons=[ctx.say(said)],
            stored=False,
            retake=True,
        )
        ctx.emit(events.CaptureFailed(ctx.inspection_id, request.id, reason))
        if not request.result.done():
            request.result.set_result(None)
