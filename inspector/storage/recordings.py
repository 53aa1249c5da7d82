"""The call recordings: the seller's consent (table ``call_recordings``) and the files.

A recording is a video file and its timeline (JSON), each named by its SHA-256 under
``DATA_DIR/recordings/ab/<sha256>.<ext>``, and beside the photos once the call ends
(:mod:`inspector.storage.sidefiles`: other desks fetch them from there). The
live engine writes the video to ``recordings/partial/`` during the call; once it is
closed it is hashed and moved to its name, then the row that points at it is
committed, as photos are. The retention sweep deletes the files of recordings older
than N days and notes when on their row; the consent stays.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from inspector.atomic import fsync_dir, write_atomic
from inspector.domain.recording import CallRecording, TimelineMark
from inspector.storage.rows import iso
from inspector.storage.sql.tables import call_recordings as table

__all__ = [
    "EXTENSIONS",
    "FOLDER",
    "file_sha256",
    "files_of",
    "insert",
    "mark_deleted",
    "partial_folder",
    "read_timeline",
    "recording_path",
    "recordings",
    "store_video",
    "sweep_partial",
    "timeline_bytes",
    "update",
    "write_timeline",
]

FOLDER = "recordings"
EXTENSIONS = {"video/mp4": ".mp4", "video/webm": ".webm", "application/json": ".json"}
Query = Callable[[sa.Executable], list[RowMapping]]


def recording_path(data_dir: Path, sha256: str, mime: str) -> Path:
    return Path(data_dir) / FOLDER / sha256[:2] / f"{sha256}{EXTENSIONS[mime]}"


def partial_folder(data_dir: Path) -> Path:
    """Where the videos being recorded are written (a killed call leaves its file here)."""
    return Path(data_dir) / FOLDER / "partial"


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def store_video(data_dir: Path, partial: Path, mime: str) -> tuple[str, int]:
    """Move a finished video to its content name (fsynced first); its SHA-256 and size."""
    with open(partial, "rb+") as f:
        os.fsync(f.fileno())
    sha, size = file_sha256(partial)
    path = recording_path(data_dir, sha, mime)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, path)
    fsync_dir(path.parent)
    return sha, size


def timeline_bytes(marks: Iterable[TimelineMark], started_at: datetime | None) -> bytes:
    data: dict[str, Any] = {
        "format": 1,
        "started_at": iso(started_at),
        "marks": [m.to_dict() for m in marks],
    }
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def write_timeline(data_dir: Path, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    write_atomic(recording_path(data_dir, sha, "application/json"), data)
    return sha


def read_timeline(data: bytes) -> list[TimelineMark]:
    """The marks of a timeline file (ValueError if it is not one)."""
    try:
        parsed = json.loads(data)
        return [TimelineMark.of(m) for m in parsed["marks"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a recording timeline: {exc}") from None


def _values(r: CallRecording) -> dict[str, Any]:
    return {
        "consent": r.consent,
        "consent_at": iso(r.consent_at),
        "sha256": r.sha256,
        "timeline_sha256": r.timeline_sha256,
        "mime": r.mime,
        "size": r.size,
        "duration": r.duration,
        "started_at": iso(r.started_at),
        "ended_at": iso(r.ended_at),
        "deleted_at": iso(r.deleted_at),
    }


def update(db: sa.Connection, r: CallRecording) -> None:
    db.execute(table.update().where(table.c.id == r.id).values(**_values(r)))


def insert(db: sa.Connection, r: CallRecording) -> None:
    db.execute(table.insert().values(id=r.id, inspection_id=r.inspection_id, **_values(r)))


def mark_deleted(db: sa.Connection, recording_id: str, at: datetime) -> None:
    db.execute(table.update().where(table.c.id == recording_id).values(deleted_at=iso(at)))


def _time(text: str | None) -> Any:
    return datetime.fromisoformat(text) if text else None


def from_row(r: Mapping[Any, Any]) -> CallRecording:
    return CallRecording(
        id=r["id"],
        inspection_id=r["inspection_id"],
        consent=bool(r["consent"]),
        consent_at=_time(r["consent_at"]),
        sha256=r["sha256"],
        timeline_sha256=r["timeline_sha256"],
        mime=r["mime"],
        size=int(r["size"]),
        duration=float(r["duration"]),
        started_at=_time(r["started_at"]),
        ended_at=_time(r["ended_at"]),
        deleted_at=_time(r["deleted_at"]),
    )


def recordings(query: Query, inspection_id: str | None = None) -> list[CallRecording]:
    """The answers and recordings of one inspection (or all), oldest first."""
    statement = sa.select(table).order_by(table.c.consent_at, table.c.id)
    if inspection_id is not None:
        statement = statement.where(table.c.inspection_id == inspection_id)
    return [from_row(r) for r in query(statement)]


def files_of(recording: CallRecording) -> list[tuple[str, str]]:
    """A recording's files as (SHA-256, MIME type): its video and timeline, if made."""
    found = []
    if recording.sha256:
        found.append((recording.sha256, recording.mime))
    if recording.timeline_sha256:
        found.append((recording.timeline_sha256, "application/json"))
    return found


def sweep_partial(data_dir: Path, now: datetime, days: int) -> int:
    """Videos a killed call left in ``partial/``, older than ``days``: deleted; how many."""
    folder = partial_folder(data_dir)
    gone = 0
    limit = now.timestamp() - days * 86400
    for path in folder.glob("*.mp4") if folder.is_dir() else ():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime <= limit:
                path.unlink()
                gone += 1
    return gone
