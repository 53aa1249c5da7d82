"""The live engine's writes, which never wait long for the database.

Another process holding the database's write lock (SQLite's, or a PostgreSQL
table or row lock: a backup, an admin script, ``VACUUM``) must not stall a call:
the phone's photo has to be saved now. The
engine writes captures, review marks and status changes through
:class:`LiveWriter`, in worker threads, with a short busy timeout
(:data:`LIVE_BUSY_TIMEOUT`, well under the phone link's heartbeat timeout).
When the database is locked, or the database or object store does not answer
(a team's PostgreSQL or S3 down, restarting, the network cut) or is full (a
bucket over its quota, a photo folder's disk), the write is kept in a *spool*
instead, if this desk's own disk can hold it (else the store's refusal stands:
the phone is told to retry). A store that hangs rather than refuses (stopped,
packets dropped) is waited for at most :data:`LIVE_STORE_DEADLINE` (a database
server or object storage: not SQLite nor a folder), then the write is spooled
too; the call left waiting may still land later, so applying a spooled write
twice is harmless (a capture already there is skipped). The spool is:
``DATA_DIR/spool/``, one numbered JSON file per write, and beside a capture's
JSON the photo's bytes, each written atomically and fsynced before the JSON
that names them. A capture in the spool is durable: the phone is told
"saved". :meth:`LiveWriter.flush` writes the spool to the store in order; the
engine calls it every second while something waits, and when it starts.

Order is kept: while the spool holds anything, every new write joins its end,
so a review mark never reaches the store before its capture. Only one process
runs live sessions on a data folder (:mod:`inspector.live_lock`), so only one
writes and flushes its spool.

A write the store refuses for another reason than a lock (a capture whose
inspection was deleted meanwhile, damaged spool bytes) is moved to
``spool/failed/`` and reported, never retried forever nor deleted.

A desk whose call belongs to a team server writes through a :class:`Mirror` too:
a capture or an original counts only once the server has acknowledged it (hash
checked), before the desk's own copy is written; a server that cannot be reached
then is the store's refusal (the phone keeps the photo and retries), never a
capture spooled unacknowledged. Review marks and status changes are sent to the
server first as well; unreachable, they wait in the spool (``"mirrored"`` says
which entries the server already has) and go out in order with the rest.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar, Unpack

from inspector.atomic import TMP_SUFFIX
from inspector.domain.models import (
    Capture,
    CaptureSource,
    InspectionStatus,
    QualityReason,
    QualityReport,
)
from inspector.domain.views import CaptureView, QualityReasonView
from inspector.storage.errors import (
    Conflict,
    DatabaseBusy,
    DiskFull,
    NotFound,
    StoreError,
    StoreUnreachable,
)
from inspector.storage.photos import write_atomic
from inspector.storage.rows import CaptureDetails, new_capture
from inspector.storage.store import Store

__all__ = [
    "LIVE_BUSY_TIMEOUT",
    "LIVE_STORE_DEADLINE",
    "SPOOL_DIR",
    "FlushResult",
    "LiveWriter",
    "Mirror",
    "Saved",
    "is_busy",
    "reviewed",
    "worth_keeping",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

SPOOL_DIR = "spool"
FAILED_DIR = "failed"
#: Seconds a live write waits for another connection's lock before going to the spool.
LIVE_BUSY_TIMEOUT = 1.0
#: Seconds a live write waits for the store at all (a server that hangs rather than
#: refuses: stopped, or packets dropped) before going to the spool.
LIVE_STORE_DEADLINE = 5.0
#: Store calls past their deadline still running: beyond this many, none is started.
_MAX_STUCK = 4


def worth_keeping(exc: BaseException) -> bool:
    """Whether a live write the store refused is kept in the spool and retried: the store
    is busy or does not answer (:func:`is_busy`), or it is full (a full bucket or photo
    disk is freed by someone; this desk's own disk may still hold the spool)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DiskFull):
            return True
        current = current.__cause__ or current.__context__
    return is_busy(exc)


def is_busy(exc: BaseException) -> bool:
    """Whether a store failure will likely pass by itself (worth keeping and retrying):
    another connection holding the lock, or a database or object store that does not
    answer (down, restarting, the network cut)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DatabaseBusy | StoreUnreachable):
            return True
        if isinstance(current, sqlite3.OperationalError):
            code = getattr(current, "sqlite_errorcode", None)
            if isinstance(code, int):
                return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
            return "locked" in str(current) or "busy" in str(current)
        current = current.__cause__ or current.__context__
    return False


class Mirror(Protocol):
    """The store a desk's live writes must reach before they count (a team server).

    Each call returns once the write is acknowledged; it raises StoreUnreachable when
    the server cannot be reached (kept and retried where that is safe) and another
    StoreError when it refuses (a hash mismatch, a capture it does not know).
    Every call is idempotent: the same write twice is acknowledged twice.
    """

    def put_capture(self, capture: Capture, data: bytes) -> None: ...

    def put_original(
        self,
        inspection_id: str,
        capture_id: str,
        preview_sha256: str,
        data: bytes,
        *,
        width: int,
        height: int,
    ) -> None: ...

    def review(self, capture_id: str, accepted: bool, note: QualityReason | None) -> None: ...

    def transition(
        self, inspection_id: str, to: InspectionStatus, only_from: list[InspectionStatus]
    ) -> bool: ...


@dataclass(frozen=True)
class Saved:
    """A capture that is durable: in the store, or (``spooled``) in the spool."""

    capture: Capture
    spooled: bool


@dataclass(frozen=True)
class FlushResult:
    written: int  # spool entries now in the store
    left: int  # still waiting (the database is still locked)
    failed: tuple[str, ...]  # entries the store refused, moved to spool/failed/


class LiveWriter:
    """Write through to the store, or into the spool when the database is locked.

    Every method but :meth:`pending` does I/O or may wait up to ``busy_timeout``:
    call them from worker threads, never the event loop.
    """

    def __init__(
        self,
        store: Store,
        *,
        busy_timeout: float = LIVE_BUSY_TIMEOUT,
        deadline: float = LIVE_STORE_DEADLINE,
        mirror: Mirror | None = None,
    ) -> None:
        self.store = store
        self.mirror = mirror
        self.busy_timeout = busy_timeout
        self.deadline = deadline
        # Only a store on the network is waited for on a thread of its own: the hand-over
        # costs a few milliseconds on a busy machine, and a local disk does not hang up.
        self._remote_photos = store.photos_dir is None
        self._remote = self._remote_photos or not store.is_sqlite
        self._stuck = 0  # store calls past their deadline, still waiting for the store
        self._stuck_lock = threading.Lock()
        self.dir = store.data_dir / SPOOL_DIR
        self._lock = threading.Lock()
        self._entries: deque[str] = deque()  # JSON file names, oldest first
        self._next = 1
        self.unavailable: str | None = None
        """Why the store refused the last write kept in the spool (None once written)."""
        self._load()

    # -- the writes ----------------------------------------------------------------

    def add_capture(
        self, inspection_id: str, shot_id: str, data: bytes, **details: Unpack[CaptureDetails]
    ) -> Saved:
        """Store a capture, or spool it; raises StoreError if neither could keep it."""
        refused: StoreError | None = None
        try:
            # Outside the lock: in parallel, idempotent.
            sha = self._within(self.store.write_photo, data, bounded=self._remote_photos)
        except StoreError as exc:
            if not worth_keeping(exc):
                raise
            sha, refused = hashlib.sha256(data).hexdigest(), exc  # the spool keeps the bytes
        capture = new_capture(inspection_id, shot_id, sha, len(data), details)
        op = {"op": "capture", "capture": _capture_to_json(capture)}
        self._acknowledged(op, data)
        spooled, _ = self._write(op, data, refused=refused)
        return Saved(capture, spooled)

    def replace_preview(
        self,
        inspection_id: str,
        capture_id: str,
        preview_sha256: str,
        data: bytes,
        *,
        width: int,
        height: int,
    ) -> bool:
        """A capture's original replaces its preview (``Store.replace_preview``), or is
        spooled; True if spooled. Raises StoreError if neither could keep it."""
        sha = hashlib.sha256(data).hexdigest()
        op: dict[str, Any] = {
            "op": "original",
            "inspection_id": inspection_id,
            "capture_id": capture_id,
            "preview_sha256": preview_sha256,
            "sha256": sha,
            "size": len(data),
            "width": width,
            "height": height,
        }
        self._acknowledged(op, data)
        return self._write(op, data)[0]

    def review(self, capture_id: str, accepted: bool, note: QualityReason | None = None) -> bool:
        """Mark a capture accepted or not (with a quality ``note``); True if spooled."""
        op: dict[str, Any] = {"op": "review", "capture_id": capture_id, "accepted": accepted}
        if note is not None:
            op["note"] = QualityReasonView.of(note).to_json()
        return self._write(op)[0]

    def transition(
        self,
        inspection_id: str,
        to: InspectionStatus,
        *,
        allowed_from: Iterable[InspectionStatus],
    ) -> bool:
        """:meth:`Store.transition`, or spooled: True if it moved, or is spooled to move.

        A spooled change is applied when the spool is written, if still legal
        then (an illegal one goes to ``spool/failed/`` like any refused write).
        """
        op = {
            "op": "status",
            "inspection_id": inspection_id,
            "status": to.value,
            "only_from": [s.value for s in allowed_from],
        }
        spooled, moved = self._write(op)
        return spooled or moved is True

    def status(self, inspection_id: str) -> InspectionStatus | None:
        """The inspection's status once the spooled changes are written; None if it is gone."""
        with self._lock:
            try:
                inspection = self.store.get_inspection(inspection_id)
            except NotFound:
                return None
            pending = self._pending_ops(inspection_id)
        status = inspection.status
        for op in pending:
            if op["op"] == "status" and status.value in op["only_from"]:
                status = InspectionStatus(op["status"])
        return status

    # -- the spool -------------------------------------------------------------------

    def pending(self) -> int:
        """How many writes wait in the spool; never blocks (safe on the event loop)."""
        return len(self._entries)  # a deque's length is read atomically: no lock to wait on

    def waiting_for(self, inspection_id: str) -> bool:
        """Whether spooled writes may concern this inspection (any review mark counts:
        its capture is found only when written)."""
        with self._lock:
            return bool(self._pending_ops(inspection_id))

    def flush(self) -> FlushResult:
        """Write the spool to the store, oldest first, until done or the database is locked."""
        written = 0
        failed: list[str] = []
        with self._lock:
            if self._entries and self._stuck:  # order: late calls land first
                return FlushResult(0, len(self._entries), ())
            while self._entries:
                name = self._entries[0]
                try:
                    op, data = self._read(name)
                    self._within(self._apply_now, op, data, bounded=self._remote)
                except Exception as exc:
                    if worth_keeping(exc):
                        self.unavailable = str(exc)
                        break
                    failed.append(f"{name}: {exc}")
                    log.error("spooled write %s refused by the store: %s", name, exc)
                    self._set_aside(name)
                else:
                    self._remove(name)
                    written += 1
                self._entries.popleft()
            if not self._entries:
                self.unavailable = None
            return FlushResult(written, len(self._entries), tuple(failed))

    def overlay(self, inspection_id: str, captures: list[Capture] | None) -> list[Capture]:
        """``captures`` (default: the store's) with the spooled captures and reviews applied."""
        with self._lock:
            ops = self._pending_ops(inspection_id)
            if captures is None:
                captures = self.store.captures(inspection_id)
        result = list(captures)
        for op in ops:
            if op["op"] == "capture":
                capture = _capture_from_json(op["capture"])
                if all(c.id != capture.id for c in result):
                    result.append(capture)
            elif op["op"] == "review":
                for i, c in enumerate(result):
                    if c.id == op["capture_id"]:
                        result[i] = _reviewed(c, op)
            elif op["op"] == "original":
                for i, c in enumerate(result):
                    if c.id == op["capture_id"]:
                        result[i] = replace(
                            c,
                            sha256=op["sha256"],
                            size=int(op["size"]),
                            width=int(op["width"]),
                            height=int(op["height"]),
                            source=CaptureSource.STILL,
                        )
        return result

    # -- plumbing ----------------------------------------------------------------------

    def _write(
        self,
        op: dict[str, Any],
        data: bytes | None = None,
        *,
        refused: StoreError | None = None,
    ) -> tuple[bool, object]:
        """Apply now if nothing waits and the store answers, else spool (``refused``: the
        store already refused part of it, spool it at once).

        Returns (spooled, what the store answered when applied now). When the spool
        cannot keep it either (this desk's disk full too), the store's refusal is raised.
        """
        with self._lock:
            if refused is None and not self._entries:
                try:
                    return False, self._within(self._apply_now, op, data, bounded=self._remote)
                except Exception as exc:
                    if not worth_keeping(exc):
                        raise
                    refused = exc if isinstance(exc, StoreError) else StoreError(str(exc))
            try:
                self._append(op, data)
            except (OSError, StoreError) as exc:
                if refused is None:
                    raise
                log.warning("the spool cannot keep the %s either: %s", op["op"], exc)
                raise refused from exc
            if refused is not None:
                self._kept(refused, op["op"])
            return True, None

    def _within(self, fn: Callable[..., _T], *args: Any, bounded: bool) -> _T:
        """``fn(*args)``; if ``bounded`` (a store on the network), on a thread of its own,
        waited for at most ``deadline`` seconds.

        Past it the call goes on in the background (its result dropped: every spooled
        write may be applied twice) and StoreUnreachable is raised, so the write is
        spooled instead of stalling the call. While ``_MAX_STUCK`` such calls still
        run, no other is started; while any does, the spool is not written (a late
        call landing after a later spooled write would undo it).
        """
        if not bounded:
            return fn(*args)
        with self._stuck_lock:
            if self._stuck >= _MAX_STUCK:
                raise StoreUnreachable(
                    f"the store has not answered for over {self.deadline:g} s, try again later"
                )
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()
        late = threading.Event()  # set (under _stuck_lock) once the caller gave up

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)
            finally:
                with self._stuck_lock:
                    if late.is_set():
                        self._stuck -= 1

        # A daemon: a store that never answers must not keep the process from exiting.
        threading.Thread(target=run, name="live-store-call", daemon=True).start()
        try:
            return future.result(self.deadline)
        except concurrent.futures.TimeoutError:
            with self._stuck_lock:
                if not future.done():
                    late.set()
                    self._stuck += 1
            if future.done():  # answered right at the deadline after all
                return future.result()
            raise StoreUnreachable(
                f"the store did not answer within {self.deadline:g} s, try again later"
            ) from None

    def _acknowledged(self, op: dict[str, Any], data: bytes) -> None:
        """A photo's write sent to the mirror first: it counts only once acknowledged
        there, so a server out of reach is a refusal (the phone retries), not a spool."""
        if self.mirror is None:
            return
        try:
            self._to_mirror(op, data)
        except StoreError:
            raise
        except Exception as exc:  # a client's own failure: said, never a traceback
            raise StoreUnreachable(f"the team server did not acknowledge the photo: {exc}") from exc

    def _to_mirror(self, op: dict[str, Any], data: bytes | None) -> None:
        mirror = self.mirror
        if mirror is None or op.get("mirrored"):
            return
        kind = op["op"]
        if kind == "capture":
            assert data is not None
            mirror.put_capture(_capture_from_json(op["capture"]), data)
        elif kind == "original":
            assert data is not None
            mirror.put_original(
                op["inspection_id"],
                op["capture_id"],
                op["preview_sha256"],
                data,
                width=int(op["width"]),
                height=int(op["height"]),
            )
        elif kind == "review":
            mirror.review(op["capture_id"], bool(op["accepted"]), _note(op))
        elif kind == "status":
            mirror.transition(
                op["inspection_id"],
                InspectionStatus(op["status"]),
                [InspectionStatus(s) for s in op["only_from"]],
            )
        op["mirrored"] = True  # spooled after this, it is not sent twice

    def _apply_now(self, op: dict[str, Any], data: bytes | None) -> object:
        self._to_mirror(op, data)
        with self.store.busy_timeout(self.busy_timeout):
            return self._apply(op, data)

    def _kept(self, exc: BaseException, what: str) -> None:
        self.unavailable = str(exc)
        log.warning("store unavailable (%s): %s kept in the spool", exc, what)

    def _apply(self, op: dict[str, Any], data: bytes | None) -> object:
        store = self.store
        kind = op["op"]
        if kind == "capture":
            c = _capture_from_json(op["capture"])
            if data is None or hashlib.sha256(data).hexdigest() != c.sha256:
                raise StoreError(f"the spooled photo of capture {c.id} is damaged")
            try:
                store.put_capture(c, data)
            except (NotFound, Conflict):
                with contextlib.suppress(NotFound):
                    if store.get_capture(c.id).sha256 == c.sha256:
                        # Written already: before a crash took the spool entry's removal
                        # with it, or by a call that answered after its deadline.
                        return None
                raise
        elif kind == "original":
            if data is None or hashlib.sha256(data).hexdigest() != op["sha256"]:
                raise StoreError(f"the spooled original of capture {op['capture_id']} is damaged")
            store.replace_preview(
                op["capture_id"],
                op["preview_sha256"],
                data,
                width=int(op["width"]),
                height=int(op["height"]),
            )
        elif kind == "review":
            note = _note(op)
            if note is None:
                store.set_capture_accepted(op["capture_id"], bool(op["accepted"]))
            else:
                store.accept_for_review(op["capture_id"], note)
        elif kind == "status":
            try:
                return store.transition(
                    op["inspection_id"],
                    InspectionStatus(op["status"]),
                    allowed_from=[InspectionStatus(s) for s in op["only_from"]],
                )
            except NotFound:  # deleted meanwhile: nothing to mark
                return False
        elif kind == "settle":
            # Written by an older version after an interrupted call. The engine writes
            # the spool when it starts, then restores every inspection still live.
            return None
        else:
            raise StoreError(f"unknown spooled write {kind!r}")
        return None

    def _load(self) -> None:
        """Find what a previous run left (its temporaries and half-written entries go)."""
        if not self.dir.is_dir():
            return
        names = sorted(p.name for p in self.dir.glob("*.json") if p.stem.isdigit())
        for path in self.dir.iterdir():
            if path.name.endswith(TMP_SUFFIX) or (
                path.suffix == ".jpg" and f"{path.stem}.json" not in names
            ):
                with contextlib.suppress(OSError):
                    path.unlink()  # never acknowledged: its JSON was not written
        self._entries.extend(names)
        if names:
            self._next = int(Path(names[-1]).stem) + 1
            log.info("%d write(s) left in the spool by a previous run", len(names))

    def _append(self, op: dict[str, Any], data: bytes | None) -> None:
        stem = f"{self._next:012d}"
        self._next += 1
        if data is not None:
            write_atomic(self.dir / f"{stem}.jpg", data)
            op = {**op, "photo": f"{stem}.jpg"}
        write_atomic(self.dir / f"{stem}.json", json.dumps(op).encode())
        self._entries.append(f"{stem}.json")

    def _read(self, name: str) -> tuple[dict[str, Any], bytes | None]:
        op = json.loads((self.dir / name).read_bytes())
        if not isinstance(op, dict):
            raise StoreError(f"{name} is not a spooled write")
        photo = op.get("photo")
        data = (self.dir / photo).read_bytes() if isinstance(photo, str) else None
        return op, data

    def _pending_ops(self, inspection_id: str) -> list[dict[str, Any]]:
        """The spooled writes that may concern one inspection, oldest first."""
        ops: list[dict[str, Any]] = []
        for name in self._entries:
            try:
                op = json.loads((self.dir / name).read_bytes())
            except (OSError, ValueError):
                continue
            kind = op.get("op") if isinstance(op, dict) else None
            if kind == "capture":
                if op["capture"]["inspection_id"] == inspection_id:
                    ops.append(op)
            elif kind == "review" or op.get("inspection_id") == inspection_id:
                ops.append(op)  # a review may be about any capture: overlay matches by id
        return ops

    def _remove(self, name: str) -> None:
        stem = Path(name).stem
        for path in (self.dir / name, self.dir / f"{stem}.jpg"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _set_aside(self, name: str) -> None:
        failed = self.dir / FAILED_DIR
        with contextlib.suppress(OSError):
            failed.mkdir(exist_ok=True)
            stem = Path(name).stem
            for path in (self.dir / name, self.dir / f"{stem}.jpg"):
                if path.exists():
                    os.replace(path, failed / path.name)


def reviewed(capture: Capture, accepted: bool, note: QualityReason | None = None) -> Capture:
    """The capture as a review leaves it (the store's ``accept_for_review`` rule for notes)."""
    quality = capture.quality
    if note is not None and all(r.code != note.code for r in quality.reasons):
        quality = QualityReport(quality.verdict, (*quality.reasons, note), quality.metrics)
    return replace(capture, accepted=accepted, quality=quality)


def _reviewed(capture: Capture, op: dict[str, Any]) -> Capture:
    return reviewed(capture, bool(op["accepted"]), _note(op))


def _note(op: dict[str, Any]) -> QualityReason | None:
    """The quality note a spooled review adds (:class:`QualityReasonView`'s shape), if any."""
    note = op.get("note")
    return None if note is None else QualityReasonView.model_validate(note).reason()


def _capture_to_json(c: Capture) -> dict[str, Any]:
    return {**CaptureView.of(c).to_json(), "inspection_id": c.inspection_id}


def _capture_from_json(d: dict[str, Any]) -> Capture:
    return CaptureView.model_validate(d).capture(d["inspection_id"])
