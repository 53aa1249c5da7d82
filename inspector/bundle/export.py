"""Writing a bundle: the photos as they were captured, the report, the sealed manifest.

The zip is written through :func:`inspector.atomic.atomic_path`, so a failure
or a cancel never leaves a partial bundle. Photos are re-hashed on the way: a
photo damaged in the data directory stops the export instead of producing a
bundle whose manifest lies.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from inspector.atomic import atomic_path
from inspector.bundle.layout import MANIFEST, REPORT, BundleError, photo_name, recording_name
from inspector.bundle.manifest import audit_records, blur_records, manifest_dict
from inspector.bundle.zipsafety import CHUNK
from inspector.domain.audit import AuditAction
from inspector.domain.models import utcnow
from inspector.domain.recording import CallRecording
from inspector.report.document import ReportCancelled, build_report
from inspector.seal import Sealer
from inspector.storage import ChecksumMismatch, NotFound
from inspector.storage.store import Store
from inspector.usecases import audit
from inspector.usecases import status as lifecycle

__all__ = ["export_bundle"]


def _zip_info(name: str, when: datetime, compress: int) -> zipfile.ZipInfo:
    local = when.astimezone()
    info = zipfile.ZipInfo(name, date_time=local.timetuple()[:6])
    info.compress_type = compress
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _recording_record(r: CallRecording, exported: bool) -> dict[str, Any]:
    """The seller's answer and, when its files are in the bundle, their names."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": r.id,
        "consent": r.consent,
        "consent_at": r.consent_at.isoformat(),
        "video": recording_name(r.sha256, r.mime) if exported and r.sha256 else None,
        "timeline": (
            recording_name(r.timeline_sha256, "application/json")
            if exported and r.timeline_sha256
            else None
        ),
        "duration": r.duration,
        "started_at": iso(r.started_at),
        "ended_at": iso(r.ended_at),
        "deleted_at": iso(r.deleted_at),
    }


def _copy_recording(
    zf: zipfile.ZipFile, store: Store, sha: str, mime: str, when: datetime
) -> dict[str, Any]:
    """One recording file into the zip, hashed on the way (a damaged file stops the export)."""
    try:
        path = store.recording_file(sha, mime)
    except NotFound as exc:
        raise BundleError(f"cannot export: {exc}") from exc
    name = recording_name(sha, mime)
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as src, zf.open(_zip_info(name, when, zipfile.ZIP_STORED), "w") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    if digest.hexdigest() != sha:
        raise BundleError(
            f"cannot export: recording {sha[:12]} no longer matches its fingerprint (damaged file)"
        )
    return {"sha256": sha, "size": size}


def _extras(store: Store, inspection_id: str, recordings: list[dict[str, Any]]) -> dict[str, Any]:
    """The identity read from the photos and the seller's signatures (not imported back),
    the seller's answers on recording the call (imported back, with the recordings), the
    photos' blur boxes and scans (imported back)."""
    return {
        "call_recordings": recordings,
        **blur_records(store.blur_boxes(inspection_id), store.blur_scans(inspection_id)),
        "audit_log": audit_records(store.audit.history(inspection_id)),
        "identity_readings": [r.to_dict() for r in store.readings(inspection_id)],
        "seller_signatures": [
            {
                "name": s.name,
                "signed_at": s.signed_at.isoformat(),
                "phone_time": s.phone_time.isoformat() if s.phone_time else None,
                "user_agent": s.user_agent,
                "language": s.language,
                "summary_text": s.summary_text,
                "summary_sha256": s.summary_sha256,
                "png_sha256": s.png_sha256,
            }
            for s in store.signatures(inspection_id)
        ],
    }


def export_bundle(
    store: Store,
    inspection_id: str,
    out_zip: str | os.PathLike[str],
    *,
    report: bool = True,
    lang: str = "fr",
    inspector_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    sealer: Sealer | None = None,
    audited: bool = True,
) -> Path:
    """Write the bundle of one inspection (id or unambiguous prefix) to ``out_zip``.

    ``audited``: the export is written in the audit log (not for the working copy a
    console takes to run a call: nothing leaves the team).

    ``progress(done, total)`` is called after each photo, the report and the
    manifest; when ``cancelled()`` turns true :class:`ReportCancelled` is raised
    and nothing is left at ``out_zip``.
    """
    out = Path(out_zip)
    inspection = store.find_inspection(inspection_id)
    captures = store.captures(inspection.id)
    damages = store.damages(inspection.id)
    shas = list(dict.fromkeys(c.sha256 for c in captures))
    steps = len(shas) + 2
    done = 0

    def step() -> None:
        nonlocal done
        if cancelled is not None and cancelled():
            raise ReportCancelled("export cancelled")
        done += 1
        if progress is not None:
            progress(done, steps)

    generated = utcnow()
    out.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="inspector-bundle-") as work,
            atomic_path(out, hidden=True) as tmp,
            zipfile.ZipFile(tmp, "w", allowZip64=True) as zf,
        ):
            for sha in shas:
                try:
                    data = store.read_photo(sha)
                except (NotFound, ChecksumMismatch) as exc:
                    raise BundleError(f"cannot export {inspection.id}: {exc}") from exc
                if hashlib.sha256(data).hexdigest() != sha:
                    raise BundleError(
                        f"cannot export {inspection.id}: photo {sha[:12]} in the data "
                        "directory no longer matches its fingerprint (damaged file)"
                    )
                name = photo_name(sha)
                zf.writestr(_zip_info(name, generated, zipfile.ZIP_STORED), data)
                files[name] = {"sha256": sha, "size": len(data)}
                step()
            if report:
                pdf = build_report(
                    store,
                    inspection.id,
                    Path(work) / REPORT,
                    lang=lang,
                    inspector_name=inspector_name,
                    cancelled=cancelled,
                    sealer=sealer,
                )
                digest = hashlib.sha256()
                with (
                    open(pdf, "rb") as src,
                    zf.open(_zip_info(REPORT, generated, zipfile.ZIP_STORED), "w") as dst,
                ):
                    while chunk := src.read(CHUNK):
                        digest.update(chunk)
                        dst.write(chunk)
                files[REPORT] = {"sha256": digest.hexdigest(), "size": pdf.stat().st_size}
                # A report was issued with the bundle: the manifest says "reported".
                lifecycle.reported(store, inspection.id)
                inspection = store.get_inspection(inspection.id)
            step()
            answers = []
            for r in store.recordings(inspection.id):
                if r.playable and r.sha256 and r.timeline_sha256:
                    for sha, mime in ((r.sha256, r.mime), (r.timeline_sha256, "application/json")):
                        files[recording_name(sha, mime)] = _copy_recording(
                            zf, store, sha, mime, generated
                        )
                answers.append(_recording_record(r, r.playable))
            extras = _extras(store, inspection.id, answers)
            manifest = manifest_dict(inspection, captures, damages, files, generated, extras)
            text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
            zf.writestr(_zip_info(MANIFEST, generated, zipfile.ZIP_DEFLATED), text)
            step()
    except OSError as exc:
        raise BundleError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if audited:
        audit.record(
            store, AuditAction.EXPORTED, inspection.id, {"file": out.name, "report": report}
        )
    return out
