"""Adding a bundle's inspection to a data directory, defensively.

Bundles arrive from elsewhere and meet the same bar as live input: the whole
zip is checked first (:mod:`inspector.bundle.verify`: entry names, sizes,
compression ratios, the manifest's schema and the rules ``inspector new``
applies, hashes, the photos' image checks), then every shot must be one of the
checklist's. Photos go through :meth:`Store.write_photo`, named by their hash
(which also replaces a damaged local copy), and the rows are inserted in a
single transaction with the photos lock held from the first photo to the
commit (each photo is checked to be still there afterwards: object storage has
no lock); on failure the photos the import added are removed again. An
inspection whose id already exists is refused with a clear error rather than
renamed: the id is printed on every page of the report and in the manifest,
and a renamed copy would no longer match them.
"""

from __future__ import annotations

import functools
import hashlib
import os
import zipfile
from pathlib import Path

from inspector.atomic import atomic_path
from inspector.bundle.layout import PHOTO_RE, BundleError, recording_name
from inspector.bundle.manifest import Manifest
from inspector.bundle.verify import VerifyResult, scan
from inspector.bundle.zipsafety import (
    CHUNK,
    DEFAULT_LIMITS,
    Limits,
    TooBig,
    open_zip,
    read_small,
)
from inspector.domain.audit import AuditAction
from inspector.domain.checklist import Checklist, ChecklistError, load_checklist
from inspector.domain.models import Inspection
from inspector.storage import Conflict, NotFound
from inspector.storage.recordings import file_sha256, recording_path
from inspector.storage.repair import RECOVERED_SHOT_PREFIX
from inspector.storage.store import Store
from inspector.usecases import audit

__all__ = ["import_bundle"]


def _refuse(result: VerifyResult) -> BundleError:
    problems = result.problems()
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return BundleError(f"{result.path.name}: refused, {problems[0]}{more}")


def _shot_of(checklist: Checklist, shot_id: str) -> bool:
    """Whether a capture's shot belongs to the checklist (numbered damage shots do)."""
    try:
        checklist.shot(shot_id)
        return True
    except KeyError:
        pass
    # Photos `inspector repair` kept without their record (see inspector.storage.repair).
    number = shot_id.removeprefix(RECOVERED_SHOT_PREFIX)
    return number != shot_id and number.isdigit()


def _write_recordings(
    store: Store, zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], manifest: Manifest
) -> list[Path]:
    """The recordings' files into ``DATA_DIR/recordings/`` (hash-checked); the new ones."""
    written: list[Path] = []
    for recording in manifest.recordings:
        if recording.sha256 is None or recording.timeline_sha256 is None:
            continue
        for sha, mime in (
            (recording.sha256, recording.mime),
            (recording.timeline_sha256, "application/json"),
        ):
            name = recording_name(sha, mime)
            target = recording_path(store.data_dir, sha, mime)
            if target.is_file() and file_sha256(target)[0] == sha:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            size = manifest.files[name][1]
            digest = hashlib.sha256()
            with atomic_path(target) as tmp, open(tmp, "wb") as out:
                with zf.open(infos[name]) as src:
                    copied = 0
                    while chunk := src.read(CHUNK):
                        copied += len(chunk)
                        if copied > size:
                            raise TooBig(name)
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != sha:
                    raise BundleError(f"{name} changed while importing")
            written.append(target)
    return written


def import_bundle(
    store: Store, zip_path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS
) -> Inspection:
    """Add the inspection of a verified bundle to ``store`` and return it.

    Everything is checked before anything is written; an inspection id that
    already exists is refused (see the module notes). On failure the store is
    left as it was.
    """
    path = Path(zip_path)
    with open_zip(path) as zf:
        found = scan(zf, path, limits)
        result, manifest = found.result, found.manifest
        if not result.ok or manifest is None:
            raise _refuse(result)
        inspection = manifest.inspection
        try:
            checklist = load_checklist(inspection.checklist)
        except ChecklistError as exc:
            raise BundleError(
                f"{path.name}: inspection {inspection.id} uses checklist "
                f"{inspection.checklist!r}, which this installation does not have"
            ) from exc
        for i, capture in enumerate(manifest.captures):
            if not _shot_of(checklist, capture.shot_id):
                raise BundleError(
                    f"{path.name}: refused, captures[{i}]: shot {capture.shot_id!r} is not "
                    f"in checklist {checklist.id!r}"
                )
        try:
            store.get_inspection(inspection.id)
        except NotFound:
            pass
        else:
            raise BundleError(
                f"{path.name}: inspection {inspection.id} already exists in this data "
                f"directory; delete it first (inspector delete {inspection.id}) to replace it"
            )

        added: list[str] = []
        recorded: list[Path] = []  # recording files this import wrote
        photos: dict[str, tuple[str, int]] = {}
        try:
            # Held from the first photo to the commit: a delete elsewhere cannot
            # remove a photo these rows are about to use.
            with store.writing_photos():
                for name, (_, size) in manifest.files.items():
                    match = PHOTO_RE.match(name)
                    if match is None:
                        continue
                    sha = match.group(1)
                    existed = store.photo_state(sha) == "ok"
                    written = store.write_photo(read_small(zf, found.infos[name], size))
                    if not existed:
                        added.append(written)
                    if written != sha:  # the zip changed since it was checked
                        raise BundleError(f"{path.name}: {name} changed while importing")
                    photos[sha] = (name, size)
                recorded += _write_recordings(store, zf, found.infos, manifest)
                store.import_rows(
                    inspection,
                    manifest.captures,
                    manifest.damages,
                    call_recordings=manifest.recordings,
                    blur_boxes=manifest.blur_boxes,
                    blur_scans=manifest.blur_scans,
                    audit_log=manifest.audit,
                )
                recorded.clear()  # the inspection is in: its recordings' files stay
        except BaseException as exc:
            store.remove_unused_photos(added)
            for path in recorded:
                path.unlink(missing_ok=True)
            if isinstance(exc, Conflict):
                raise BundleError(
                    f"{path.name}: cannot import inspection {inspection.id}: an id in the "
                    f"bundle is already used in this data directory ({exc})"
                ) from exc
            if isinstance(exc, (TooBig, zipfile.BadZipFile, EOFError)):
                raise BundleError(f"{path.name}: changed while importing ({exc})") from exc
            raise
        for sha, (name, size) in photos.items():
            info = found.infos[name]
            store.recheck_photo(sha, functools.partial(read_small, zf, info, size))
    audit.record(store, AuditAction.IMPORTED, inspection.id, {"bundle": path.name})
    return store.get_inspection(inspection.id)
