"""The publishable photo set: blur boxes proposed, the listing written.

**When boxes are proposed.** When a review opens (the console runs
:func:`propose_boxes` on a worker thread) and, for any photo still not scanned, when
the listing is written (:func:`export_listing`): never during the live call. The
detectors cost about a second of CPU per photo (docs/PERFORMANCE.md), which the call's
two-core desk needs for the video and the quality checks; the boxes are needed only
once someone looks at them or publishes; and a photo retaken or rejected during the
call is never scanned for nothing. Each photo is scanned once (``blur_scans``), so a box
the inspector removed is not proposed again.

Photos are read through the store (:meth:`Store.read_photo`: a folder or object
storage); the originals are never written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from inspector.atomic import folder_problem, fsync_dir, write_atomic
from inspector.domain.audit import AuditAction
from inspector.domain.checklist import Checklist, ChecklistError, load_checklist
from inspector.domain.models import Capture
from inspector.domain.privacy import BlurBox, ListingPhoto, listing_photos, listing_shots
from inspector.domain.progress import usable
from inspector.privacy import DETECTOR, find_boxes, listing_jpeg
from inspector.privacy.render import DEFAULT_LONG_SIDE, RenderError, decode
from inspector.storage.blur import new_scan
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from inspector.usecases import audit

__all__ = [
    "ListingError",
    "ListingResult",
    "export_listing",
    "propose_boxes",
    "scan_candidates",
    "scan_photo",
]

MIN_LONG_SIDE = 64
MAX_LONG_SIDE = 8192


class ListingError(Exception):
    """The listing cannot be written; ``str()`` says why, in one line."""


def scan_candidates(
    checklist: Checklist,
    captures: list[Capture],
    scanned: set[str],
    *,
    include_withheld: bool = False,
) -> list[Capture]:
    """The photos the detectors should look at: every photo of a listing shot not
    rejected (a later decision may make it the one published) and not scanned yet."""
    shots = {s.id for s in listing_shots(checklist, include_withheld=include_withheld)}
    return [c for c in captures if c.shot_id in shots and usable(c) and c.id not in scanned]


def scan_photo(store: Store, capture: Capture, overlay: str | None) -> list[BlurBox] | None:
    """Detect plates and faces on one photo and keep the boxes (with the record of the
    scan); None if the photo was scanned meanwhile (by another window or process)."""
    image = decode(store.read_photo(capture.sha256))
    boxes = [
        BlurBox(
            id=new_id(),
            inspection_id=capture.inspection_id,
            capture_id=capture.id,
            region=found.region,
            kind=found.kind,
            origin="detected",
            score=round(found.score, 3),
        )
        for found in find_boxes(image, overlay)
    ]
    scan = new_scan(capture.id, capture.inspection_id, DETECTOR)
    return boxes if store.add_blur_scan(scan, boxes) else None


def propose_boxes(
    store: Store,
    inspection_id: str,
    *,
    include_withheld: bool = False,
    only: set[str] | None = None,
    on_photo: Callable[[Capture, list[BlurBox]], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """Scan every photo of the inspection's listing not scanned yet (or only the captures
    in ``only``); returns how many were scanned. ``on_photo(capture, boxes)`` after each."""
    inspection = store.get_inspection(inspection_id)
    checklist = load_checklist(inspection.checklist)
    scanned = {s.capture_id for s in store.blur_scans(inspection_id)}
    todo = scan_candidates(
        checklist, store.captures(inspection_id), scanned, include_withheld=include_withheld
    )
    count = 0
    for capture in todo:
        if only is not None and capture.id not in only:
            continue
        if cancelled is not None and cancelled():
            break
        try:
            boxes = scan_photo(store, capture, checklist.shot(capture.shot_id).overlay)
        except RenderError:
            continue  # not a photo the detectors can read: the export says so if it is used
        count += 1
        if boxes is not None and on_photo is not None:
            on_photo(capture, boxes)
    return count


# -- the listing ------------------------------------------------------------------------


@dataclass
class ListingResult:
    folder: Path
    files: list[Path] = field(default_factory=list)
    blurred: int = 0
    """How many boxes were blurred in all."""
    scanned: int = 0
    """How many photos the detectors looked at first (never scanned before)."""


def _check_folder(folder: Path) -> None:
    problem = folder_problem(folder, "the listing")
    if problem is not None:
        raise ListingError(problem)


def export_listing(
    store: Store,
    inspection_id: str,
    folder: str | os.PathLike[str],
    *,
    long_side: int = DEFAULT_LONG_SIDE,
    include_withheld: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ListingResult:
    """Write the publishable set of an inspection (id or unambiguous prefix) to
    ``folder`` (new, or empty): the photo of each listing shot in checklist order,
    upright, at most ``long_side`` pixels long, blurred in its boxes, without EXIF or GPS,
    named ``NN-shot.jpg``. Photos never scanned are scanned first.

    The files are written in a temporary folder beside ``folder`` and moved there at
    the end: a failure leaves no half-written listing. ListingError says what is wrong
    (NotFound from the store for an unknown inspection).
    """
    if not MIN_LONG_SIDE <= long_side <= MAX_LONG_SIDE:
        raise ListingError(
            f"the size must be between {MIN_LONG_SIDE} and {MAX_LONG_SIDE} pixels, not {long_side}"
        )
    out = Path(folder).expanduser()
    inspection = store.find_inspection(inspection_id)
    try:
        checklist = load_checklist(inspection.checklist)
    except ChecklistError as exc:
        raise ListingError(
            f"inspection {inspection.id}: its checklist {inspection.checklist!r} cannot be "
            f"read ({exc})"
        ) from exc
    photos = listing_photos(
        checklist, store.captures(inspection.id), include_withheld=include_withheld
    )
    if not photos:
        raise ListingError(
            f"inspection {inspection.id} has no accepted photo of a listing shot: "
            "nothing to publish"
        )
    _check_folder(out)
    result = ListingResult(out)
    wanted = {p.capture.id for p in photos}
    result.scanned = propose_boxes(
        store, inspection.id, include_withheld=include_withheld, only=wanted
    )
    boxes: dict[str, list[BlurBox]] = {}
    for box in store.blur_boxes(inspection.id):
        boxes.setdefault(box.capture_id, []).append(box)
    _write(store, photos, boxes, out, long_side, result, progress)
    audit.record(
        store, AuditAction.EXPORTED, inspection.id, {"listing": out.name, "photos": len(photos)}
    )
    return result


def _write(
    store: Store,
    photos: list[ListingPhoto],
    boxes: dict[str, list[BlurBox]],
    out: Path,
    long_side: int,
    result: ListingResult,
    progress: Callable[[int, int], None] | None,
) -> None:
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    except OSError as exc:
        raise ListingError(f"cannot write in {out.parent}: {exc.strerror or exc}") from exc
    try:
        for done, photo in enumerate(photos, start=1):
            regions = [b.region for b in boxes.get(photo.capture.id, [])]
            try:
                data = listing_jpeg(store.read_photo(photo.capture.sha256), regions, long_side)
            except RenderError as exc:
                raise ListingError(f"the photo of {photo.shot.id}: {exc}") from exc
            write_atomic(work / photo.file_name, data)
            result.blurred += len(regions)
            if progress is not None:
                progress(done, len(photos))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(work, 0o777 & ~umask)
        if out.is_dir():
            out.rmdir()  # checked empty
        os.replace(work, out)
        fsync_dir(out.parent)
    except OSError as exc:
        raise ListingError(f"cannot write the listing in {out}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            if work.exists():
                shutil.rmtree(work)
    result.files = [out / p.file_name for p in photos]
