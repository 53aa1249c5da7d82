"""Copy every inspection of one store into another (``inspector migrate``).

The way a desk moves its local SQLite + folder into the team's PostgreSQL +
object storage. Each inspection goes over whole or not at all: its photos are
stored in the target first and each is read back and hashed there, then its
rows go in one transaction. So an interrupted run leaves nothing half-copied
(at worst objects no row uses yet, which the next run reuses or the sweep
removes), and running it again copies only what is not there yet.

The seller's signatures (their drawings included) and remarks, the identity read
from the photos, the photos' blur boxes and the seller's answers on recording the call go
with their inspection, and the recordings' files (video and timeline) this desk has go
beside the target's photos, checked. Invitation links are not copied: they point at the
desk that made them.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from inspector.domain.recording import CallRecording
from inspector.domain.signature import SellerRemark, SellerSignature
from inspector.storage.errors import ChecksumMismatch, NotFound, StoreError
from inspector.storage.recordings import files_of
from inspector.storage.store import Store

__all__ = ["MigrationReport", "migrate"]

Progress = Callable[[int, int, str], None]
"""Called as ``(inspections done, inspections in all, what is being done)``."""


@dataclass
class MigrationReport:
    """What a run copied, found already there, or could not copy (and why)."""

    inspections_copied: int = 0
    inspections_present: int = 0
    photos_copied: int = 0
    photos_present: int = 0
    bytes_copied: int = 0
    recording_files_copied: int = 0
    recording_files_elsewhere: int = 0
    not_copied: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.not_copied

    def lines(self) -> list[str]:
        lines = [
            f"inspections: {self.inspections_copied} copied, "
            f"{self.inspections_present} already there",
            f"photos: {self.photos_copied} copied ({self.bytes_copied / 1e6:.1f} MB), "
            f"{self.photos_present} already there; every one read back and its SHA-256 checked",
        ]
        if self.recording_files_copied or self.recording_files_elsewhere:
            lines.append(
                f"call recordings: {self.recording_files_copied} file(s) copied, "
                f"{self.recording_files_elsewhere} not on this desk (recorded elsewhere "
                "or deleted)"
            )
        lines += [f"not copied: {why}" for why in self.not_copied]
        return lines


def migrate(source: Store, target: Store, progress: Progress | None = None) -> MigrationReport:
    """Copy what ``target`` lacks of ``source``; ``source`` is only read."""
    report = MigrationReport()
    inspections = source.list_inspections()
    for done, inspection in enumerate(inspections):
        if progress is not None:
            progress(done, len(inspections), inspection.id)
        try:
            target.get_inspection(inspection.id)
        except NotFound:
            pass
        else:
            report.inspections_present += 1
            continue
        captures = source.captures(inspection.id)
        calls = source.recordings(inspection.id)
        try:
            _copy_recording_files(source, target, calls, report)
            with target.writing_photos():  # no sweep takes them before their rows are in
                for sha in dict.fromkeys(c.sha256 for c in captures):
                    _copy_photo(source, target, sha, report)
                target.import_rows(
                    inspection,
                    captures,
                    source.damages(inspection.id),
                    statements=_statements(source, inspection.id),
                    identity_readings=source.readings(inspection.id),
                    call_recordings=calls,
                    blur_boxes=source.blur_boxes(inspection.id),
                    blur_scans=source.blur_scans(inspection.id),
                )
            for sha in dict.fromkeys(c.sha256 for c in captures):  # no lock on a bucket
                target.recheck_photo(sha, functools.partial(source.read_photo, sha))
        except _SourcePhotoBad as exc:
            report.not_copied.append(f"inspection {inspection.id}: {exc}")
            continue
        report.inspections_copied += 1
    if progress is not None:
        progress(len(inspections), len(inspections), "")
    return report


def _statements(
    source: Store, inspection_id: str
) -> list[tuple[SellerSignature, bytes] | SellerRemark]:
    """The seller's signatures (with their drawings, checked) and remarks."""
    found: list[tuple[SellerSignature, bytes] | SellerRemark] = []
    for signature in source.signatures(inspection_id):
        try:
            found.append((signature, source.signature_png(signature.png_sha256)))
        except StoreError as exc:
            raise _SourcePhotoBad(f"the seller's signature image: {exc}") from exc
    found += source.remarks(inspection_id)
    return found


def _copy_recording_files(
    source: Store, target: Store, calls: list[CallRecording], report: MigrationReport
) -> None:
    """The recordings' files this desk has, beside the target's photos (hash checked)."""
    for recording in calls:
        if recording.deleted_at is not None:
            continue
        for sha, mime in files_of(recording):
            try:
                path = source.recording_file(sha, mime)
            except NotFound:
                report.recording_files_elsewhere += 1
                continue
            try:
                target.shelve_recording_file(sha, mime, path)
            except ChecksumMismatch as exc:
                raise _SourcePhotoBad(f"recording {sha[:12]} of the source is altered") from exc
            report.recording_files_copied += 1


class _SourcePhotoBad(StoreError):
    """A photo of the source is missing or does not match its SHA-256."""


def _copy_photo(source: Store, target: Store, sha: str, report: MigrationReport) -> None:
    """``sha`` stored in ``target``, read back and hashed there."""
    if target.photo_state(sha, deep=True) == "ok":
        report.photos_present += 1
        return
    try:
        data = source.read_photo(sha)
    except NotFound as exc:
        raise _SourcePhotoBad(f"photo {sha[:12]} is missing from the source") from exc
    if hashlib.sha256(data).hexdigest() != sha:
        raise _SourcePhotoBad(f"photo {sha[:12]} of the source is altered (SHA-256 differs)")
    target.write_photo(data)
    if hashlib.sha256(target.read_photo(sha)).hexdigest() != sha:
        raise StoreError(f"photo {sha[:12]} reads back altered from the target store")
    report.photos_copied += 1
    report.bytes_copied += len(data)
