"""``manifest.json``: written at export, read back and cross-checked at verify and import.

The manifest holds the bundle format and version, the inspection (vehicle,
seller, operator, grade...), its checklist id, every capture (shot, time,
source, resolution, size, SHA-256, quality verdict), every damage, the
generation time, the software version, and under ``files`` the SHA-256 and size
of every other file in the zip. Its ``seal`` is the SHA-256 of the manifest's
own canonical JSON (sorted keys, no spaces, UTF-8) without the seal.

Reading checks the schema (:mod:`inspector.bundle.schema`), then what ties
records together: files, captures and damages naming each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inspector import __version__
from inspector.bundle.layout import (
    FORMAT,
    FORMAT_VERSION,
    PHOTO_RE,
    RECORDING_RE,
    REPORT,
    photo_name,
)
from inspector.bundle.schema import (
    BlurBoxRecord,
    BlurScanRecord,
    CaptureRecord,
    FileRecord,
    Header,
    ManifestError,
    ManifestRecord,
    validated,
)
from inspector.domain.audit import AuditEntry
from inspector.domain.models import Capture, Damage, Inspection
from inspector.domain.privacy import BlurBox
from inspector.domain.recording import CallRecording
from inspector.domain.views import DamageView
from inspector.storage.blur import BlurScan
from inspector.usecases.inspections import capture_to_dict, inspection_to_dict

__all__ = [
    "Manifest",
    "ManifestError",
    "blur_records",
    "damage_to_dict",
    "manifest_dict",
    "parse_manifest",
    "seal_of",
]


# -- writing ---------------------------------------------------------------------------


def damage_to_dict(d: Damage) -> dict[str, Any]:
    """A damage as the manifest lists it: :class:`DamageView`."""
    return DamageView.of(d).to_json()


def audit_records(entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    """The manifest's ``audit_log``: each entry without its inspection (the bundle's)."""
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "detail": e.detail,
            "request_id": e.request_id,
        }
        for e in entries
    ]


def blur_records(boxes: Sequence[BlurBox], scans: Sequence[BlurScan]) -> dict[str, Any]:
    """The photos' blur boxes and scans as the manifest lists them (restored on import)."""
    return {
        "blur_boxes": [
            {
                "id": b.id,
                "capture_id": b.capture_id,
                "kind": b.kind,
                "origin": b.origin,
                "region": [b.region.x, b.region.y, b.region.w, b.region.h],
                "score": b.score,
                "created_at": b.created_at.isoformat(),
            }
            for b in boxes
        ],
        "blur_scans": [
            {"capture_id": s.capture_id, "at": s.at.isoformat(), "detector": s.detector}
            for s in scans
        ],
    }


def _canonical(manifest: dict[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "seal"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def seal_of(manifest: dict[str, Any]) -> str:
    """The SHA-256 a manifest's ``seal`` must hold."""
    return hashlib.sha256(_canonical(manifest)).hexdigest()


def manifest_dict(
    inspection: Inspection,
    captures: Sequence[Capture],
    damages: Sequence[Damage],
    files: dict[str, dict[str, Any]],
    generated: datetime,
    extras: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The sealed manifest of a bundle holding ``files`` (name: sha256, size).

    ``extras``: records a reader of this format version may ignore (the identity read
    from the photos, the seller's signatures), sealed with the rest.
    """
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": generated.isoformat(),
        "software": {"name": "vehicle-inspector", "version": __version__},
        "checklist": inspection.checklist,
        "inspection": inspection_to_dict(inspection),
        "captures": [{**capture_to_dict(c), "file": photo_name(c.sha256)} for c in captures],
        "damages": [damage_to_dict(d) for d in damages],
        "files": files,
        **(extras or {}),
    }
    manifest["seal"] = seal_of(manifest)
    return manifest


# -- reading ---------------------------------------------------------------------------


@dataclass
class Manifest:
    """A manifest read and checked: the records as domain objects, the files it lists."""

    raw: dict[str, Any]
    inspection: Inspection
    captures: list[Capture]
    damages: list[Damage]
    files: dict[str, tuple[str, int]]
    """Name: (SHA-256, size)."""
    seal_ok: bool
    blur_boxes: list[BlurBox]
    blur_scans: list[BlurScan]
    recordings: list[CallRecording] = field(default_factory=list)
    """The seller's answers on recording the call; a recording's files are in ``files``."""
    audit: list[AuditEntry] = field(default_factory=list)
    """The inspection's audit log up to the export (none in bundles made before it)."""


def parse_manifest(raw: Any) -> Manifest:
    """Check a manifest's JSON value; ManifestError names the first problem."""
    if not isinstance(raw, dict):
        raise ManifestError("the manifest must be a JSON object")
    header: Header = validated(Header, raw)
    if header.format != FORMAT:
        raise ManifestError(f"not an inspection bundle (format {header.format[:40]!r})")
    if header.format_version != FORMAT_VERSION:
        raise ManifestError(
            f"bundle format version {header.format_version} is not supported (this version "
            f"reads {FORMAT_VERSION}); please upgrade"
        )
    record: ManifestRecord = validated(ManifestRecord, raw)
    inspection = record.inspection.inspection()
    if record.checklist != inspection.checklist:
        raise ManifestError("'checklist' does not match the inspection's checklist")
    files = _files(record.files)
    captures = _captures(record.captures, inspection.id, files)
    capture_ids = {c.id for c in captures}
    damages = []
    for i, d in enumerate(record.damages):
        if d.capture_id is not None and d.capture_id not in capture_ids:
            raise ManifestError(
                f"damages[{i}]: 'capture_id' {d.capture_id!r} is not a capture of this bundle"
            )
        damages.append(d.damage(inspection.id))
    if len({d.id for d in damages}) != len(damages):
        raise ManifestError("two damages have the same id")
    pairs = [d.pair for d in damages if d.pair is not None]
    if len(set(pairs)) != len(pairs):
        raise ManifestError("two damages have the same photo pair")
    recordings = _recordings(raw.get("call_recordings", []), inspection.id, files)
    boxes, scans = _blur(record.blur_boxes, record.blur_scans, inspection.id, capture_ids)
    seal_ok = record.seal == seal_of(raw)
    audit = [
        AuditEntry(a.at, a.actor, a.action, inspection.id, dict(a.detail), a.request_id)
        for a in record.audit_log
    ]
    return Manifest(
        raw, inspection, captures, damages, files, seal_ok, boxes, scans, recordings, audit
    )


def _time(value: Any, where: str, *, optional: bool = True) -> datetime | None:
    if value is None and optional:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ManifestError(f"{where}: not a date and time: {str(value)[:40]!r}") from None
    if parsed.tzinfo is None:
        raise ManifestError(f"{where}: a time without its UTC offset")
    return parsed


def _recordings(
    raw: Any, inspection_id: str, files: dict[str, tuple[str, int]]
) -> list[CallRecording]:
    """``call_recordings``: each answer, and its files named under ``files``."""
    if not isinstance(raw, list):
        raise ManifestError("'call_recordings' must be a list")
    found = []
    for i, r in enumerate(raw):
        where = f"call_recordings[{i}]"
        if not isinstance(r, dict) or not isinstance(r.get("consent"), bool):
            raise ManifestError(f"{where}: must be an object with a 'consent' true or false")
        if not isinstance(r.get("id"), str) or not 0 < len(r["id"]) <= 64:
            raise ManifestError(f"{where}: 'id' must be a short text")
        names = {}
        for key, pattern in (("video", ".mp4"), ("timeline", ".json")):
            name = r.get(key)
            if name is None:
                continue
            match = RECORDING_RE.match(name) if isinstance(name, str) else None
            if match is None or not name.endswith(pattern):
                raise ManifestError(f"{where}: {key!r} is not a recording's file name")
            if name not in files:
                raise ManifestError(f"{where}: its {key} {name} is not listed under 'files'")
            names[key] = (match.group(1), files[name][1])
        if ("video" in names) != ("timeline" in names) or (names and not r["consent"]):
            raise ManifestError(f"{where}: a recording has a video and a timeline, after a yes")
        duration = r.get("duration", 0)
        if isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0:
            raise ManifestError(f"{where}: 'duration' must be a number of seconds")
        consent_at = _time(r.get("consent_at"), f"{where}.consent_at", optional=False)
        assert consent_at is not None
        found.append(
            CallRecording(
                id=r["id"],
                inspection_id=inspection_id,
                consent=r["consent"],
                consent_at=consent_at,
                sha256=names["video"][0] if names else None,
                timeline_sha256=names["timeline"][0] if names else None,
                mime="video/mp4" if names else "",
                size=names["video"][1] if names else 0,
                duration=float(duration),
                started_at=_time(r.get("started_at"), f"{where}.started_at"),
                ended_at=_time(r.get("ended_at"), f"{where}.ended_at"),
                deleted_at=_time(r.get("deleted_at"), f"{where}.deleted_at"),
            )
        )
    return found


def _blur(
    box_records: list[BlurBoxRecord],
    scan_records: list[BlurScanRecord],
    inspection_id: str,
    capture_ids: set[str],
) -> tuple[list[BlurBox], list[BlurScan]]:
    boxes = []
    for i, b in enumerate(box_records):
        if b.capture_id not in capture_ids:
            raise ManifestError(
                f"blur_boxes[{i}]: 'capture_id' {b.capture_id!r} is not a capture of this bundle"
            )
        assert b.region is not None  # checked by the record
        try:
            box = BlurBox(
                id=b.id,
                inspection_id=inspection_id,
                capture_id=b.capture_id,
                region=b.region,
                kind=b.kind,
                origin=b.origin,
                score=b.score,
                created_at=b.created_at,
            )
        except ValueError as exc:
            raise ManifestError(f"blur_boxes[{i}]: {exc}") from None
        boxes.append(box)
    if len({b.id for b in boxes}) != len(boxes):
        raise ManifestError("two blur boxes have the same id")
    scans = []
    for i, s in enumerate(scan_records):
        if s.capture_id not in capture_ids:
            raise ManifestError(
                f"blur_scans[{i}]: 'capture_id' {s.capture_id!r} is not a capture of this bundle"
            )
        scans.append(BlurScan(s.capture_id, inspection_id, s.detector, s.at))
    if len({s.capture_id for s in scans}) != len(scans):
        raise ManifestError("a photo is listed twice under 'blur_scans'")
    return boxes, scans


def _files(records: dict[str, FileRecord]) -> dict[str, tuple[str, int]]:
    files = {}
    for name, entry in records.items():
        where = f"files[{name[:80]!r}]"
        match = PHOTO_RE.match(name) or RECORDING_RE.match(name)
        if name != REPORT and not match:
            raise ManifestError(f"{where}: not a file a bundle may hold")
        if match and match.group(1) != entry.sha256:
            raise ManifestError(f"{where}: the name does not match its 'sha256'")
        files[name] = (entry.sha256, entry.size)
    return files


def _captures(
    records: list[CaptureRecord], inspection_id: str, files: dict[str, tuple[str, int]]
) -> list[Capture]:
    captures = []
    for i, record in enumerate(records):
        name = photo_name(record.sha256)
        if record.file != name:
            raise ManifestError(f"captures[{i}]: 'file' must be {name!r}, not {record.file[:80]!r}")
        if name not in files:
            raise ManifestError(f"captures[{i}]: its photo {name} is not listed under 'files'")
        if files[name][1] != record.size:
            raise ManifestError(f"captures[{i}]: 'size' differs from the size of {name}")
        captures.append(record.capture(inspection_id))
    ids = {c.id for c in captures}
    if len(ids) != len(captures):
        raise ManifestError("two captures have the same id")
    for i, c in enumerate(captures):
        if c.retake_of is not None and c.retake_of not in ids:
            raise ManifestError(
                f"captures[{i}]: 'retake_of' {c.retake_of!r} is not a capture of this bundle"
            )
    used = {photo_name(c.sha256) for c in captures}
    unused = sorted(n for n in files if PHOTO_RE.match(n) and n not in used)
    if unused:
        raise ManifestError(f"'files' lists a photo no capture uses: {unused[0]}")
    return captures
