"""The full-resolution originals of photos sent as previews, arriving in the background.

A phone on a slow link sends a downscaled preview first (``photo_begin`` with the
``original_*`` fields): the quality verdict and the operator's decision come from it,
and the capture is stored with the preview as its photo (source ``preview``). The
original then comes on the ``originals`` data channel, ``original_begin {id, offset}``
and binary chunks, while the walk goes on.

Every byte received is appended to a file of its own in ``DATA_DIR/originals/`` (its
header, the original's expected size and SHA-256, in a JSON file beside it), so a phone
that reconnects, or an engine that restarts, resumes where the bytes stopped: the engine
tells the phone ``original_status {state: "wanted", have: N}`` when it attaches and the
phone sends from byte N. Chunks already received are never asked for again.

When the last byte is in, the file is checked (size, SHA-256, a decodable JPEG) and
replaces the preview: the photo store first, then the capture's row
(``LiveWriter.replace_preview``, through the spool while the database is locked), then
the phone hears ``done`` and the console ``OriginalStored``. Bytes that do not match
their SHA-256 are dropped and asked for again from byte 0, up to ``MAX_MISMATCHES``
times; then, or when the phone says it lost the original (``original_lost``: the page
was reloaded), the preview stays the photo for good and the capture says so (source
``preview``). A retaken capture's original is not wanted any more (``unwanted``).

The walk is not complete while an original is pending: :meth:`Originals.wait_settled`
is what the end of the walk waits for.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from inspector.domain.models import Capture, CaptureSource
from inspector.domain.photo_check import BadPhoto, decode_jpeg_size
from inspector.live import events
from inspector.live.session.context import SessionContext
from inspector.storage import StoreError
from inspector.storage.photos import write_atomic

__all__ = ["MAX_MISMATCHES", "ORIGINALS_DIR", "Originals", "Pending"]

log = logging.getLogger(__name__)

ORIGINALS_DIR = "originals"
#: Originals whose bytes did not match their SHA-256 are asked for again this many times.
MAX_MISMATCHES = 3
#: Seconds between two progress events of one session.
PROGRESS_INTERVAL = 0.25


@dataclass
class Pending:
    """One original on its way: what the preview's header promised, and what is in."""

    capture_id: str
    inspection_id: str
    shot_id: str
    preview_sha256: str
    size: int
    sha256: str
    width: int
    height: int
    have: int = 0
    mismatches: int = 0
    hasher: Any = field(default_factory=hashlib.sha256, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "capture_id": self.capture_id,
            "inspection_id": self.inspection_id,
            "shot_id": self.shot_id,
            "preview_sha256": self.preview_sha256,
            "size": self.size,
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
            "mismatches": self.mismatches,
        }


def _safe_name(capture_id: str) -> str:
    """Capture ids are ours (hex), but a file name is built from them: nothing else."""
    if not capture_id or not all(c.isalnum() or c in "-_" for c in capture_id):
        raise ValueError(f"not a capture id: {capture_id!r}")
    return capture_id


class Originals:
    """The originals one session waits for, kept on disk as they arrive."""

    def __init__(
        self,
        ctx: SessionContext,
        *,
        on_settled: Callable[[], object] | None = None,
    ) -> None:
        self._ctx = ctx
        self.dir = ctx.store.data_dir / ORIGINALS_DIR
        self.pending: dict[str, Pending] = {}
        self._current: Pending | None = None  # what the chunks on the channel are for
        self._finishing: set[asyncio.Task[None]] = set()
        self._settled = asyncio.Event()
        self._settled.set()
        self._on_settled = on_settled
        self._progress_at = 0.0

    # -- state ------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self.pending)

    @property
    def bytes_left(self) -> int:
        return sum(p.size - p.have for p in self.pending.values())

    async def wait_settled(self) -> None:
        """Until no original is pending (none arriving, none being stored)."""
        await self._settled.wait()

    def _changed(self) -> None:
        if self.pending or self._finishing:
            self._settled.clear()
            return
        was = self._settled.is_set()
        self._settled.set()
        if not was and self._on_settled is not None:
            self._on_settled()

    def _part(self, capture_id: str) -> Path:
        return self.dir / f"{_safe_name(capture_id)}.part"

    def _meta(self, capture_id: str) -> Path:
        return self.dir / f"{_safe_name(capture_id)}.json"

    # -- what a previous call left ------------------------------------------------------

    def load(self, captures: list[Capture]) -> None:
        """The originals a previous call of this inspection left half-received (run in a
        worker thread): resumed from the bytes on disk, for captures still previews."""
        if not self.dir.is_dir():
            return
        previews = {c.id: c for c in captures if c.source is CaptureSource.PREVIEW}
        for meta in sorted(self.dir.glob("*.json")):
            try:
                data = json.loads(meta.read_bytes())
                if data.get("inspection_id") != self._ctx.inspection_id:
                    continue
                known = set(Pending.__dataclass_fields__) - {"have", "hasher"}
                pending = Pending(**{k: v for k, v in data.items() if k in known})
            except (OSError, ValueError, TypeError) as exc:
                log.warning("ignoring %s: %s", meta.name, exc)
                continue
            capture = previews.get(pending.capture_id)
            if capture is None or capture.sha256 != pending.preview_sha256:
                self._forget_files(pending.capture_id)  # stored meanwhile, or gone
                continue
            part = self._part(pending.capture_id)
            with contextlib.suppress(FileNotFoundError), part.open("rb") as f:
                while block := f.read(1 << 20):
                    pending.hasher.update(block)
                    pending.have += len(block)
            if pending.have > pending.size:
                part.unlink(missing_ok=True)
                pending.have, pending.hasher = 0, hashlib.sha256()
            self.pending[pending.capture_id] = pending
        self._changed()

    # -- from the capture path and the review -----------------------------------------

    async def expect(self, capture: Capture, header: dict[str, Any]) -> None:
        """A capture was stored from a preview: its original is wanted, from byte 0."""
        pending = Pending(
            capture_id=capture.id,
            inspection_id=capture.inspection_id,
            shot_id=capture.shot_id,
            preview_sha256=capture.sha256,
            size=int(header["original_size"]),
            sha256=str(header["original_sha256"]),
            width=int(header["original_width"]),
            height=int(header["original_height"]),
        )
        try:
            await self._ctx.run(self._write_meta, pending, truncate=True)
        except OSError as exc:
            # The preview is stored: without room for its original it stays the photo.
            log.warning("%s: original of %s not kept: %s", capture.inspection_id, capture.id, exc)
            self._ctx.send("original_status", id=capture.id, state="failed", have=0, size=0)
            return
        self.pending[capture.id] = pending
        self._changed()
        self._status(pending)

    def unwanted(self, capture_id: str) -> None:
        """A retaken capture: its original is not needed any more."""
        pending = self.pending.pop(capture_id, None)
        if pending is None:
            return
        if self._current is pending:
            self._current = None
        self._forget_files(capture_id)
        self._ctx.send("original_status", id=capture_id, state="unwanted", have=0, size=0)
        self._changed()

    def attached(self) -> None:
        """A phone (re)joined: tell it where each pending original stands (one whole
        on disk but not stored yet, the store having refused it, is stored now)."""
        self._current = None
        busy = {t.get_name() for t in self._finishing}
        for pending in list(self.pending.values()):
            if pending.have == pending.size:
                if f"original-{pending.capture_id}" not in busy:
                    self._start_finish(pending)
            else:
                self._status(pending)

    def detached(self) -> None:
        self._current = None

    def lost(self, capture_id: str, reason: str) -> None:
        """The phone no longer has this original: the preview stays the photo."""
        pending = self.pending.pop(capture_id, None)
        if pending is None:
            return
        if self._current is pending:
            self._current = None
        self._forget_files(capture_id)
        self._give_up(pending, f"the phone lost it: {reason}")

    # -- from the originals channel ----------------------------------------------------

    def begin(self, capture_id: str, offset: int) -> None:
        """``original_begin``: the chunks that follow are that original's, from ``offset``."""
        pending = self.pending.get(capture_id)
        self._current = None
        if pending is None:
            self._ctx.send("original_status", id=capture_id, state="unwanted", have=0, size=0)
            return
        if offset != pending.have:
            self._status(pending)  # "send from here": the chunks until then are dropped
            return
        self._current = pending

    def chunk(self, data: bytes) -> None:
        """Bytes of the current original, appended to its file (without fsync: a file
        that lost its tail in a power cut fails its SHA-256 and is asked for again)."""
        pending = self._current
        if pending is None:
            return  # after a refused begin: dropped until the next original_begin
        if pending.have + len(data) > pending.size:
            self._current = None
            self._restart(pending, "more bytes than the original's declared size")
            return
        try:
            with self._part(pending.capture_id).open("ab", buffering=0) as f:
                f.write(data)
        except OSError as exc:
            self._current = None
            log.warning("%s: cannot keep original bytes: %s", pending.inspection_id, exc)
            self._status(pending)  # the phone sends them again from what is kept
            return
        pending.hasher.update(data)
        pending.have += len(data)
        if pending.have == pending.size:
            self._current = None
            self._start_finish(pending)
        self._progress(pending)

    def _start_finish(self, pending: Pending) -> None:
        task = asyncio.get_running_loop().create_task(
            self._finish(pending), name=f"original-{pending.capture_id}"
        )
        self._finishing.add(task)
        self._settled.clear()
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._finishing.discard(task)
        self._changed()

    async def close(self) -> None:
        """The session closes: originals being stored land; the rest waits on disk."""
        self._current = None
        if self._finishing:
            await asyncio.gather(*self._finishing, return_exceptions=True)

    # -- plumbing ---------------------------------------------------------------------

    def _status(self, pending: Pending) -> None:
        self._ctx.send(
            "original_status",
            id=pending.capture_id,
            state="wanted",
            have=pending.have,
            size=pending.size,
        )

    def _progress(self, pending: Pending) -> None:
        now = time.monotonic()
        whole = pending.have >= pending.size
        if not whole and now - self._progress_at < PROGRESS_INTERVAL:
            return
        self._progress_at = now
        self._ctx.emit(
            events.OriginalProgress(
                self._ctx.inspection_id,
                pending.capture_id,
                pending.have,
                pending.size,
                self.count,
                self.bytes_left,
            )
        )

    def _restart(self, pending: Pending, reason: str) -> None:
        """Bad bytes: drop them and ask again from 0, or give up after MAX_MISMATCHES."""
        pending.mismatches += 1
        pending.have, pending.hasher = 0, hashlib.sha256()
        with contextlib.suppress(OSError):
            self._part(pending.capture_id).unlink(missing_ok=True)
        retrying = pending.mismatches < MAX_MISMATCHES
        log.warning(
            "%s: original of %s refused (%s)%s",
            pending.inspection_id,
            pending.capture_id,
            reason,
            ", asked again" if retrying else ", keeping the preview",
        )
        self._ctx.send("error", code="original_mismatch", message=reason[:500])
        if not retrying:
            self.pending.pop(pending.capture_id, None)
            self._forget_files(pending.capture_id)
            self._give_up(pending, reason)
            return
        with contextlib.suppress(OSError):
            self._write_meta(pending, truncate=False)
        self._ctx.emit(
            events.OriginalFailed(
                self._ctx.inspection_id, pending.capture_id, reason, True, self.count
            )
        )
        self._status(pending)

    def _give_up(self, pending: Pending, reason: str) -> None:
        self._ctx.send("original_status", id=pending.capture_id, state="failed", have=0, size=0)
        self._ctx.emit(
            events.OriginalFailed(
                self._ctx.inspection_id, pending.capture_id, reason, False, self.count
            )
        )
        self._changed()

    async def _finish(self, pending: Pending) -> None:
        """All bytes are in: check them, then replace the preview (store, row, walk)."""
        ctx = self._ctx
        try:
            if pending.hasher.hexdigest() != pending.sha256:
                self._restart(pending, "the original's SHA-256 does not match")
                return
            try:
                data = await ctx.run(self._part(pending.capture_id).read_bytes)
                if hashlib.sha256(data).hexdigest() != pending.sha256:
                    self._restart(pending, "the original's file does not match its SHA-256")
                    return
                width, height = await ctx.run(decode_jpeg_size, data)
            except BadPhoto as exc:
                self._restart(pending, f"the original is not a readable JPEG: {exc}")
                return
            except OSError as exc:
                self._restart(pending, f"the original's file cannot be read: {exc}")
                return
            try:
                spooled = await ctx.run(
                    functools.partial(
                        ctx.writer.replace_preview,
                        pending.inspection_id,
                        pending.capture_id,
                        pending.preview_sha256,
                        data,
                        width=width,
                        height=height,
                    )
                )
            except StoreError as exc:
                # Kept on disk, whole: tried again when the phone next attaches.
                log.warning(
                    "%s: original of %s not stored: %s", ctx.inspection_id, pending.capture_id, exc
                )
                ctx.emit(events.EngineError(f"original not stored: {exc}", ctx.inspection_id))
                return
            self.pending.pop(pending.capture_id, None)
            self._forget_files(pending.capture_id)
            capture = self._replaced(pending, data, width, height)
            path = ""
            if capture is not None:
                path = await self._local_file(capture.sha256, data)
            ctx.send(
                "original_status",
                id=pending.capture_id,
                state="done",
                have=pending.size,
                size=pending.size,
            )
            if capture is not None:
                ctx.emit(
                    events.OriginalStored(ctx.inspection_id, capture, path, self.count, spooled)
                )
        finally:
            self._changed()

    def _replaced(self, pending: Pending, data: bytes, width: int, height: int) -> Capture | None:
        walk = self._ctx.walk
        for c in walk.captures:
            if c.id == pending.capture_id:
                capture = replace(
                    c,
                    sha256=pending.sha256,
                    size=len(data),
                    width=width,
                    height=height,
                    source=CaptureSource.STILL,
                )
                walk.add_capture(capture)
                return capture
        return None

    async def _local_file(self, sha256: str, data: bytes) -> str:
        store = self._ctx.store
        if store.photos_dir is not None:
            return str(store.photo_path(sha256))
        try:
            return str(await self._ctx.run(store.photo_file, sha256, data))
        except (StoreError, OSError):
            return ""

    def _write_meta(self, pending: Pending, *, truncate: bool) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if truncate:
            self._part(pending.capture_id).write_bytes(b"")
        write_atomic(self._meta(pending.capture_id), json.dumps(pending.to_json()).encode())

    def _forget_files(self, capture_id: str) -> None:
        for path in (self._part(capture_id), self._meta(capture_id)):
            with contextlib.suppress(OSError):
                os.unlink(path)
