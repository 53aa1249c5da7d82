"""What the engine tells the outside world (the console, the CLI, tests).

Events are small frozen dataclasses delivered to one callback from the
engine's thread; the console's bridge turns them into Qt signals, the CLI
prints them as JSON lines (``to_dict``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from inspector.domain.coverage import Coverage
from inspector.domain.models import Capture


@dataclass(frozen=True)
class Event:
    """Base of every engine event; ``name`` is the JSON ``event`` field."""

    name = "event"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event": self.name}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Capture):
                continue  # too rich for a line; subclasses add what matters
            data[f.name] = value
        return data


@dataclass(frozen=True)
class Listening(Event):
    name = "listening"
    url: str  # what join links start with (the public URL when there is one)
    lan_url: str | None = None
    #: Where this process itself listens (a proxy's upstream, the metrics scraper).
    local_url: str | None = None


@dataclass(frozen=True)
class Invite(Event):
    name = "invite"
    inspection_id: str
    join_url: str
    expires_at: str


@dataclass(frozen=True)
class PhoneJoined(Event):
    name = "phone_joined"
    inspection_id: str
    user_agent: str
    camera: dict[str, Any]
    language: str


@dataclass(frozen=True)
class PhoneLeft(Event):
    name = "phone_left"
    inspection_id: str
    reason: str


@dataclass(frozen=True)
class TakeoverAsked(Event):
    """Another device opened the link while a phone holds it, and asks for it:
    the operator answers with ``Engine.answer_takeover``."""

    name = "takeover_asked"
    inspection_id: str


@dataclass(frozen=True)
class ConnectionChanged(Event):
    name = "connection"
    inspection_id: str
    state: str  # "connecting", "connected", "reconnecting", "closed"


@dataclass(frozen=True)
class LinkStats(Event):
    name = "stats"
    inspection_id: str
    fps: float
    width: int
    height: int
    rtt_ms: float | None
    bitrate_kbps: float
    path: str | None = None  # media path: "direct", "relay" (TURN) or None (not known yet)


@dataclass(frozen=True)
class FrameAvailable(Event):
    """Coalesced: at most one is pending per session; read the frame slot for the pixels."""

    name = "frame"
    inspection_id: str
    seq: int


@dataclass(frozen=True)
class ShotChanged(Event):
    name = "shot"
    inspection_id: str
    index: int
    shot_id: str
    total: int


@dataclass(frozen=True)
class CaptureRequested(Event):
    name = "capture_requested"
    inspection_id: str
    capture_id: str
    shot_id: str


@dataclass(frozen=True)
class OriginalProgress(Event):
    """Bytes of a capture's full-resolution original received so far (its preview is
    the capture's photo meanwhile); ``pending`` originals in all, ``pending_bytes`` of
    them still to come. Emitted at most every few hundred milliseconds per session."""

    name = "original_progress"
    inspection_id: str
    capture_id: str
    received: int
    size: int
    pending: int
    pending_bytes: int


@dataclass(frozen=True)
class OriginalStored(Event):
    """A capture's original arrived whole and replaced its preview (store and row)."""

    name = "original_stored"
    inspection_id: str
    capture: Capture
    path: str
    pending: int
    spooled: bool = False

    def to_dict(self) -> dict[str, Any]:
        c = self.capture
        return {
            "event": self.name,
            "inspection_id": self.inspection_id,
            "capture_id": c.id,
            "shot_id": c.shot_id,
            "width": c.width,
            "height": c.height,
            "sha256": c.sha256,
            "path": self.path,
            "pending": self.pending,
            "spooled": self.spooled,
        }


@dataclass(frozen=True)
class OriginalFailed(Event):
    """An original did not arrive as it should: ``retrying`` (its bytes did not match
    their SHA-256, it is asked again) or given up on (the preview stays the photo)."""

    name = "original_failed"
    inspection_id: str
    capture_id: str
    reason: str
    retrying: bool
    pending: int


@dataclass(frozen=True)
class CaptureStored(Event):
    """The capture is durable: in the store, or (``spooled``) in the engine's spool
    while another process holds the database's lock (it reaches the store later).

    ``path``: a local file of the photo, to show it (its file in a folder store, a
    cached copy when the photos are in object storage; "" if none could be kept)."""

    name = "capture"
    inspection_id: str
    capture: Capture
    path: str
    spooled: bool = False
    #: How long making it durable took (the store's or the spool's write), for metrics.
    store_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        c = self.capture
        return {
            "event": self.name,
            "inspection_id": self.inspection_id,
            "capture_id": c.id,
            "shot_id": c.shot_id,
            "verdict": c.quality.verdict.value,
            "reasons": [r.code for r in c.quality.reasons],
            "source": c.source.value,
            "width": c.width,
            "height": c.height,
            "sha256": c.sha256,
            "path": self.path,
            "spooled": self.spooled,
        }


@dataclass(frozen=True)
class CaptureFailed(Event):
    name = "capture_failed"
    inspection_id: str
    capture_id: str
    reason: str


@dataclass(frozen=True)
class CaptureReviewed(Event):
    name = "capture_reviewed"
    inspection_id: str
    capture_id: str
    accepted: bool


@dataclass(frozen=True)
class CoverageChanged(Event):
    """The coverage map changed: a shot accepted or retaken, a damage recorded or completed."""

    name = "coverage"
    inspection_id: str
    coverage: Coverage

    def to_dict(self) -> dict[str, Any]:
        c = self.coverage
        return {
            "event": self.name,
            "inspection_id": self.inspection_id,
            "covered": c.covered,
            "listed": c.listed,
            **c.to_dict(),
        }


@dataclass(frozen=True)
class RecordingChanged(Event):
    """The seller answered whether the call may be recorded, or the recording stopped.

    ``consent``: the seller's answer (None: not asked or no answer yet); ``recording``:
    the incoming video is being recorded now."""

    name = "recording"
    inspection_id: str
    consent: bool | None
    recording: bool


@dataclass(frozen=True)
class LiveHint(Event):
    name = "hint"
    inspection_id: str
    code: str | None
    metrics: dict[str, float]


@dataclass(frozen=True)
class Completed(Event):
    name = "completed"
    inspection_id: str


@dataclass(frozen=True)
class IdentityRead(Event):
    """The OCR read a VIN, mileage or plate in an accepted photo, beside what was typed.

    ``mismatch``: the VIN or plate differs, or the mileage by more than 1 %; the
    operator can ask for a retake or correct the entry while the seller is there.
    ``filled``: the mileage was empty and now holds this reading ("read from photo").
    """

    name = "identity_read"
    inspection_id: str
    capture_id: str
    kind: str
    text: str | None
    confidence: float
    entered: str
    mismatch: bool
    filled: bool = False
    details: str = ""
    """For a VIN: maker, country, model years (vininfo); for a plate: its format."""


@dataclass(frozen=True)
class SignatureRequested(Event):
    """The summary is on the seller's phone: waiting for the seller's signature."""

    name = "signature_requested"
    inspection_id: str
    summary_sha256: str


@dataclass(frozen=True)
class SellerSigned(Event):
    name = "seller_signed"
    inspection_id: str
    signed_at: str
    """ISO 8601, the server's time."""
    seller_name: str
    summary_sha256: str


@dataclass(frozen=True)
class SellerRemarked(Event):
    """ "This is not right": the seller's remark on the summary."""

    name = "seller_remark"
    inspection_id: str
    text: str


@dataclass(frozen=True)
class CallInterrupted(Event):
    """At start: the inspection was still "live" from a call no process holds any more
    (a crash, a kill); it went back to ``status`` (what its photos say)."""

    name = "call_interrupted"
    inspection_id: str
    status: str
    vehicle: str = ""  # make, model, year and plate, to recognise it by


@dataclass(frozen=True)
class DeskLinkChanged(Event):
    """A console's link to a team server's call (:mod:`inspector.team.desk_link`):
    ``state`` "connecting", "attached", "retrying" or "stopped" (``reason`` then:
    "replaced" when another console took the call over, "session_ended", …)."""

    name = "desk_link"
    inspection_id: str
    state: str
    reason: str | None = None


@dataclass(frozen=True)
class StoreState(Event):
    """Whether the store takes the live writes now. While it does not (its database or
    object store does not answer, or another process holds the lock), captures and
    marks wait in this desk's spool, are saved for the phone, and are retried."""

    name = "store_state"
    available: bool
    pending: int  # writes waiting in the spool
    reason: str = ""


@dataclass(frozen=True)
class EngineError(Event):
    name = "error"
    message: str
    inspection_id: str | None = None
