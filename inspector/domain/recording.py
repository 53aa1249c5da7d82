"""A call's recording with the seller's consent: the record, its timeline, the retention rule.

The seller is asked on the phone whether the call may be recorded; each answer is a
:class:`CallRecording` (yes or no, when). For a yes the engine records the incoming
video; once the call ends the row also names the video file and its timeline (the
shots, captures, reviews and messages with their time from the start) by SHA-256.
After the retention period the files are deleted and the row says when; the consent
stays on record. Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "CallRecording",
    "TimelineMark",
    "expired",
    "latest_consent",
]


@dataclass(frozen=True)
class TimelineMark:
    """Something that happened during the call, ``t`` seconds after the recording started.

    ``kind``: "shot" (the seller was asked for ``shot_id``), "capture" (a photo stored:
    ``capture_id``), "accepted" / "retake", "message" (``text`` to the seller),
    "joined" / "left" (the phone), "completed".
    """

    t: float
    kind: str
    shot_id: str = ""
    capture_id: str = ""
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"t": round(self.t, 3), "kind": self.kind}
        for key in ("shot_id", "capture_id", "text"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    @classmethod
    def of(cls, data: dict[str, Any]) -> TimelineMark:
        return cls(
            t=float(data["t"]),
            kind=str(data["kind"]),
            shot_id=str(data.get("shot_id", "")),
            capture_id=str(data.get("capture_id", "")),
            text=str(data.get("text", "")),
        )


@dataclass(frozen=True)
class CallRecording:
    """One answer of the seller, and the recording made after a yes (if any)."""

    id: str
    inspection_id: str
    consent: bool
    consent_at: datetime
    sha256: str | None = None
    timeline_sha256: str | None = None
    mime: str = ""
    size: int = 0
    duration: float = 0.0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def playable(self) -> bool:
        """A video is on record and not yet removed by the retention period."""
        return self.sha256 is not None and self.deleted_at is None

    def deleted(self, at: datetime) -> CallRecording:
        return replace(self, deleted_at=at)


def expired(recording: CallRecording, now: datetime, days: int) -> bool:
    """The video is older than ``days`` (counted from the end of the call) and still kept."""
    if not recording.playable or days < 0:
        return False
    ended = recording.ended_at or recording.started_at or recording.consent_at
    return now - ended >= timedelta(days=days)


def latest_consent(recordings: list[CallRecording]) -> CallRecording | None:
    """The seller's newest answer (what the report states)."""
    return max(recordings, key=lambda r: r.consent_at, default=None)
