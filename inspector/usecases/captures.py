"""Captures made elsewhere and stored here: a remote console's stills, their originals,
and the review decisions on them, each in the audit log.

A remote console runs the live call itself and sends each still to the team server,
which stores it before it answers (the phone hears "saved" only then). Sending the same
capture again (an answer lost on the way, a retry) is harmless: a capture already
stored with the same photo is left as it is (``created`` False); the same id with
another photo is a :class:`~inspector.storage.Conflict`, never an overwrite.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
from dataclasses import dataclass, replace
from enum import StrEnum

from inspector.domain.audit import AuditAction
from inspector.domain.models import Capture, CaptureSource, QualityReason
from inspector.domain.photo_check import decode_jpeg_size
from inspector.storage import Conflict, NotFound
from inspector.storage.store import Store
from inspector.usecases import audit

__all__ = [
    "Decision",
    "HashMismatch",
    "Received",
    "receive_capture",
    "receive_original",
    "review_capture",
]


class HashMismatch(ValueError):
    """The bytes received are not the ones announced: nothing was stored."""


@dataclass(frozen=True)
class Received:
    """A capture as stored, and whether this call stored it (False: it already was)."""

    capture: Capture
    created: bool


def check_hash(data: bytes, announced: str) -> str:
    """The SHA-256 of ``data`` if it is ``announced`` (lowercase hex); HashMismatch if not."""
    sha = hashlib.sha256(data).hexdigest()
    if sha != announced.strip().lower():
        raise HashMismatch(
            f"the photo received has SHA-256 {sha[:16]}…, not the {announced[:16]}… announced: "
            "it was damaged on the way; nothing was stored, send it again"
        )
    return sha


def _same(existing: Capture, capture: Capture) -> Received:
    if existing.inspection_id != capture.inspection_id:
        raise Conflict(
            f"capture {capture.id!r} belongs to another inspection ({existing.inspection_id})"
        )
    if existing.sha256 != capture.sha256:
        raise Conflict(
            f"capture {capture.id!r} is stored already with another photo "
            f"({existing.sha256[:16]}…); a capture is never overwritten"
        )
    return Received(existing, False)


def receive_capture(store: Store, capture: Capture, data: bytes) -> Received:
    """Store a capture made elsewhere (its photo's SHA-256 checked already): the photo,
    then its row, then the audit entry. Idempotent; Conflict for the same id with
    another photo or inspection; NotFound when the inspection is gone; BadPhoto for
    bytes that are not a whole JPEG; ValueError for a size (0x0: the photo's) that is
    not the photo's."""
    with contextlib.suppress(NotFound):
        return _same(store.get_capture(capture.id), capture)
    # The JPEG is checked (about 80 ms for 12 MP) while its object is stored; a photo
    # that fails leaves no row, and its object to the orphan sweep. ``put_capture``
    # then stores it again: skipped on object storage (put just now), re-checked under
    # the photos lock in a folder.
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="jpeg-check") as pool:
        checking = pool.submit(decode_jpeg_size, data)
        try:
            store.write_photo(data)
        except BaseException:
            checking.cancel()
            raise
        width, height = checking.result()
    if not capture.width and not capture.height:  # not said: the photo's own
        capture = replace(capture, width=width, height=height)
    elif (capture.width, capture.height) != (width, height):
        raise ValueError(
            f"the record says {capture.width}x{capture.height} pixels, "
            f"the photo has {width}x{height}"
        )
    capture = replace(capture, size=len(data))
    try:
        store.put_capture(capture, data)
    except NotFound:
        # Another request stored the same id meanwhile (the row's key refused this one)?
        with contextlib.suppress(NotFound):
            return _same(store.get_capture(capture.id), capture)
        raise
    audit.record(store, AuditAction.CAPTURED, capture.inspection_id, audit.capture_detail(capture))
    return Received(capture, True)


def receive_original(store: Store, inspection_id: str, capture_id: str, data: bytes) -> Received:
    """The full-resolution original of a capture stored as a preview: it replaces the
    preview (file first, then the row). Idempotent; Conflict when the capture is not a
    preview (or belongs to another inspection); NotFound; BadPhoto."""
    capture = store.get_capture(capture_id)
    if capture.inspection_id != inspection_id:
        raise NotFound(f"no capture {capture_id!r} in inspection {inspection_id}")
    sha = hashlib.sha256(data).hexdigest()
    if capture.sha256 == sha:
        return Received(capture, False)
    if capture.source is not CaptureSource.PREVIEW:
        raise Conflict(
            f"capture {capture_id!r} is not a preview (its photo is a {capture.source.value}): "
            "no original replaces it"
        )
    width, height = decode_jpeg_size(data)
    stored = store.replace_preview(capture_id, capture.sha256, data, width=width, height=height)
    detail = {**audit.capture_detail(stored), "preview": capture.sha256}
    audit.record(store, AuditAction.ORIGINAL_STORED, inspection_id, detail)
    return Received(stored, True)


class Decision(StrEnum):
    """What is decided of a capture: kept, asked again during the call, turned down at
    the review, or undecided again."""

    ACCEPT = "accept"
    RETAKE = "retake"
    REJECT = "reject"
    UNDECIDED = "undecided"


_ACTIONS = {
    Decision.ACCEPT: AuditAction.ACCEPTED,
    Decision.RETAKE: AuditAction.RETAKE,
    Decision.REJECT: AuditAction.REJECTED,
}


def review_capture(
    store: Store,
    inspection_id: str,
    capture_id: str,
    decision: Decision,
    note: QualityReason | None = None,
) -> Capture:
    """Record a decision on a capture (``note``, with accept only: why it is kept
    although its verdict says otherwise); in the audit log unless undecided."""
    capture = store.get_capture(capture_id)
    if capture.inspection_id != inspection_id:
        raise NotFound(f"no capture {capture_id!r} in inspection {inspection_id}")
    if note is not None and decision is not Decision.ACCEPT:
        raise ValueError("a note goes with accept only")
    if note is not None:
        capture = store.accept_for_review(capture_id, note)
    else:
        accepted = {Decision.ACCEPT: True, Decision.UNDECIDED: None}.get(decision, False)
        store.set_capture_accepted(capture_id, accepted)
        capture = store.get_capture(capture_id)
    action = _ACTIONS.get(decision)
    if action is not None:
        audit.record(store, action, inspection_id, {"capture": capture_id, "shot": capture.shot_id})
    return capture
