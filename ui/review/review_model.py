"""What the review of one inspection is about: the inspection, its photos, its damages.

``ReviewModel`` loads everything off the UI thread, keeps the photo being
looked at (the *current* capture), and changes captures and the inspection
through the same ordered ``StoreWriter`` as the damages. Views receive the
model and connect to its signals; it never touches a widget.

Several people may review one inspection (a shared database): a save of the
inspection or a damage that someone else changed meanwhile is refused by the
store, and ``changed_elsewhere`` asks the view to offer a reload.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QImageReader, QUndoCommand, QUndoStack

from inspector.domain.audit import AuditAction
from inspector.domain.checklist import (
    Checklist,
    ChecklistError,
    Shot,
    category_title,
    load_checklist,
)
from inspector.domain.models import (
    Capture,
    Damage,
    Inspection,
    InspectionStatus,
    QualityThresholds,
)
from inspector.domain.privacy import BlurBox
from inspector.domain.progress import (
    Progress,
    best_captures,
    damage_photos,
    inspection_shots,
    progress,
)
from inspector.i18n import LocalText, Message
from inspector.storage import NotFound, StoreError
from inspector.storage.store import Store
from inspector.usecases import audit
from inspector.usecases.privacy import scan_candidates, scan_photo
from ui.crossing import run_task
from ui.review._qt import alive
from ui.review.annotations import DamageModel
from ui.review.blur import BlurModel
from ui.review.labels import CONSOLE_LANGUAGE
from ui.review.writer import RowVersions, StoreWriter

__all__ = ["ReviewData", "ReviewModel", "SetAcceptedCommand", "load_review"]

_SCAN_FAILED = Message("Cannot look for plates and faces on a photo: {reason}")

THUMB_SIZE = 160
_PHOTO_CACHE = 4
_INSPECTION = "inspection"  # its key in the row versions


@dataclass
class ReviewData:
    """Everything the review shows, read in one go on a worker thread."""

    inspection: Inspection
    checklist: Checklist | None
    checklist_error: str
    captures: list[Capture]
    damages: list[Damage]
    blur_boxes: list[BlurBox]
    blur_scanned: set[str]
    pull_error: str = ""
    """Why the copy could not be brought in step with its team server ("" if it was)."""


def load_review(
    store: Store, inspection_id: str, pull: Callable[[str], object] | None = None
) -> ReviewData:
    """Read an inspection for review (blocking: call through ``run_task``); ``pull``
    first brings the store's copy in step with where it comes from (a team server)."""
    pull_error = ""
    if pull is not None:
        try:
            pull(inspection_id)
        except StoreError as exc:  # out of reach: the copy as it is, said to be perhaps old
            try:
                store.get_inspection(inspection_id)
            except NotFound:
                raise exc from None
            pull_error = str(exc)
    inspection = store.get_inspection(inspection_id)
    try:
        checklist: Checklist | None = load_checklist(inspection.checklist)
        error = ""
    except ChecklistError as exc:
        checklist, error = None, str(exc)
    captures = store.captures(inspection_id)
    if checklist is not None:
        order = checklist

        def key(capture: Capture) -> int:
            try:
                return order.index(capture.shot_id)
            except KeyError:
                return 1_000_000

        captures.sort(key=key)  # stable: retakes stay in capture order
    return ReviewData(
        inspection,
        checklist,
        error,
        captures,
        store.damages(inspection_id),
        store.blur_boxes(inspection_id),
        {s.capture_id for s in store.blur_scans(inspection_id)},
        pull_error,
    )


def read_image(path: Path) -> QImage:
    """Decode a photo as displayed (EXIF rotation applied); worker threads only."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    image = reader.read()
    if image.isNull():
        raise OSError(f"cannot decode {path.name}: {reader.errorString()}")
    return image


class SetAcceptedCommand(QUndoCommand):
    def __init__(self, model: ReviewModel, capture_id: str, accepted: bool | None) -> None:
        verb = {True: "accept", False: "reject", None: "clear the decision on"}[accepted]
        super().__init__(f"{verb} photo")
        self._model = model
        self._capture_id = capture_id
        self._before = model.capture(capture_id).accepted
        self._after = accepted

    def redo(self) -> None:
        self._model._apply_accepted(self._capture_id, self._after)

    def undo(self) -> None:
        self._model._apply_accepted(self._capture_id, self._before)


class ReviewModel(QObject):
    """The state of one inspection's review, shared by every view of the workspace."""

    loaded = Signal()
    load_failed = Signal(str)
    inspection_changed = Signal(object)  # Inspection
    capture_changed = Signal(object)  # Capture (its accepted flag changed)
    current_changed = Signal(object)  # Capture or None
    error = Signal(str)
    changed_elsewhere = Signal(str)  # a save refused: someone else changed the record
    blur_progress = Signal(int, int)  # photos scanned for plates and faces, of how many

    def __init__(
        self,
        store: Store,
        inspection_id: str,
        parent: QObject | None = None,
        *,
        propose_blur: bool = True,
        pull: Callable[[str], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.pull = pull
        """Run before each load (a worker thread): the copy brought in step with the
        team server it is a copy of (:meth:`inspector.team.review.TeamCopy.pull`)."""
        self.inspection_id = inspection_id
        self.undo_stack = QUndoStack(self)
        self.writer = StoreWriter()
        self.writer.on_failed.append(self._write_failed)
        self.writer.on_changed_elsewhere.append(self.changed_elsewhere.emit)
        self.writer.on_idle.append(self._writes_done)
        self._reload_when_idle = False
        self.versions = RowVersions()
        self.damages = DamageModel(
            store, self.writer, self.undo_stack, self, versions=self.versions
        )
        self.blur = BlurModel(store, self.writer, self.undo_stack, self)
        self._propose_blur = propose_blur
        self.blur_scanning = False
        self.inspection: Inspection | None = None
        self.checklist: Checklist | None = None
        self.checklist_error = ""
        self._captures: list[Capture] = []
        self._current: str | None = None
        self._photos: OrderedDict[str, QImage] = OrderedDict()

    # -- loading ----------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        return self.inspection is not None

    def load(self) -> None:
        """(Re)read the inspection from the store; ``loaded`` or ``load_failed`` follows."""
        if self.writer.busy:  # read what the store will hold, not a half-written state
            self._reload_when_idle = True
            return
        store, inspection_id, pull = self.store, self.inspection_id, self.pull
        started = self.writer.submitted
        run_task(
            lambda: load_review(store, inspection_id, pull),
            lambda data: self._on_loaded(data, started),
            self._on_load_error,
        )

    def _on_loaded(self, data: ReviewData, started: int) -> None:
        if self.writer.submitted != started:  # an edit was made while reading: read again
            self.load()
            return
        current = self._current
        self.versions.set(_INSPECTION, data.inspection.version)
        self.inspection = data.inspection
        self.checklist = data.checklist
        self.checklist_error = data.checklist_error
        self._captures = data.captures
        self.undo_stack.clear()
        self.damages.load(data.damages)
        self.blur.load(data.blur_boxes)
        ids = [c.id for c in self._captures]
        self._current = current if current in ids else (ids[0] if ids else None)
        self.loaded.emit()
        self.inspection_changed.emit(self.inspection)
        self.current_changed.emit(self.current)
        if self._propose_blur and not self.blur_scanning:
            self.propose_blur(data.blur_scanned)
        if data.pull_error:
            self.error.emit(
                f"Not read again from the team server ({data.pull_error}): what is shown "
                "may be out of date"
            )

    def _on_load_error(self, exc: BaseException) -> None:
        if self.is_loaded and self.pull is not None:
            # Reading a team server's copy again failed (the server out of reach): what
            # is shown stays, said to be perhaps out of date.
            self.error.emit(f"Cannot read inspection {self.inspection_id} again: {exc}")
            return
        self.load_failed.emit(f"Cannot open inspection {self.inspection_id}: {exc}")

    def _write_failed(self, message: str) -> None:
        # The model may now differ from the store: show the store's truth again.
        self.error.emit(message)
        self.load()

    def _writes_done(self) -> None:
        if self._reload_when_idle:
            self._reload_when_idle = False
            self.load()

    @property
    def pending_writes(self) -> bool:
        return self.writer.busy

    def when_saved(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the edits made so far are in the store (now if none is pending)."""
        if not self.writer.busy:
            fn()
            return
        writer = self.writer

        def once() -> None:
            writer.on_idle.remove(once)
            fn()

        writer.on_idle.append(once)

    # -- blur boxes proposed ----------------------------------------------

    def propose_blur(self, scanned: set[str]) -> None:
        """Look for plates and faces on the listing's photos not scanned yet, one photo at a
        time on a worker thread; each photo's boxes reach :attr:`blur` as they are found
        (see :mod:`inspector.usecases.privacy` for why it happens here)."""
        if self.checklist is None:
            return
        todo = scan_candidates(self.checklist, self._captures, scanned)
        if not todo:
            return
        self.blur_scanning = True
        store, checklist, total = self.store, self.checklist, len(todo)

        def next_photo(done: int) -> None:
            if not alive(self):
                return
            self.blur_progress.emit(done, total)
            if done == total:
                self.blur_scanning = False
                return
            capture = todo[done]
            overlay = checklist.shot(capture.shot_id).overlay

            def found(boxes: list[BlurBox] | None) -> None:
                if alive(self):
                    self.blur.found(boxes or [])
                    next_photo(done + 1)

            def failed(exc: BaseException) -> None:
                if alive(self):
                    self.error.emit(_SCAN_FAILED.bind(reason=exc).get(CONSOLE_LANGUAGE))
                    next_photo(done + 1)

            run_task(lambda: scan_photo(store, capture, overlay), found, failed)

        next_photo(0)

    # -- captures ---------------------------------------------------------

    def captures(self) -> list[Capture]:
        """Every capture, in checklist order then capture order."""
        return list(self._captures)

    def capture(self, capture_id: str) -> Capture:
        for capture in self._captures:
            if capture.id == capture_id:
                return capture
        raise KeyError(capture_id)

    def shot(self, shot_id: str) -> Shot:
        """The checklist shot a capture was taken for (a stand-in if unknown)."""
        if self.checklist is not None:
            try:
                return self.checklist.shot(shot_id)
            except KeyError:
                pass
        title = shot_id.replace("_", " ").capitalize()
        return Shot(
            shot_id,
            "other",
            LocalText.of({"en": title}),
            LocalText.of({"en": ""}),
            "",
            False,
            QualityThresholds(),
        )

    def shot_title(self, shot_id: str) -> str:
        return self.shot(shot_id).title.get("en")

    def category_title(self, category: str) -> str:
        return category_title(category).get("en")

    def shots(self) -> list[Shot]:
        """The checklist's shots, the damage pairs photographed, then any unknown shot."""
        shots = (
            inspection_shots(self.checklist, self._captures, self.damages.damages())
            if self.checklist
            else []
        )
        known = {s.id for s in shots}
        for capture in self._captures:
            if capture.shot_id not in known:
                known.add(capture.shot_id)
                shots.append(self.shot(capture.shot_id))
        return shots

    def completion(self) -> Progress | None:
        """What the report will count: :func:`inspector.domain.progress.progress`."""
        return (
            progress(self.checklist, self._captures, self.damages.damages())
            if self.checklist
            else None
        )

    def progress_text(self) -> str:
        p = self.completion()
        if p is None:
            return f"{len(self._captures)} photos"
        return f"Required shots {p.done}/{p.required} · {len(self._captures)} photos"

    def best_captures(self) -> dict[str, Capture]:
        return best_captures(self._captures)

    def damage_photo(self, damage: Damage) -> Capture | None:
        """The photo to open for a damage: the one it is marked on, else its pair's photos."""
        if damage.capture_id is not None:
            try:
                return self.capture(damage.capture_id)
            except KeyError:
                pass
        if self.checklist is None:
            return None
        photos = damage_photos(damage, self._captures, self.checklist)
        return photos.closeup or photos.wide

    @property
    def current(self) -> Capture | None:
        return self.capture(self._current) if self._current is not None else None

    def set_current(self, capture_id: str | None) -> None:
        if capture_id is not None:
            self.capture(capture_id)  # KeyError for a stranger
        if capture_id != self._current:
            self._current = capture_id
            self.current_changed.emit(self.current)

    def step(self, delta: int) -> None:
        """Move to the next (+1) or previous (-1) photo; stays at the ends."""
        if not self._captures:
            return
        ids = [c.id for c in self._captures]
        index = ids.index(self._current) if self._current in ids else -delta
        self.set_current(ids[max(0, min(len(ids) - 1, index + delta))])

    def position(self) -> tuple[int, int]:
        """(1-based position of the current photo, number of photos)."""
        ids = [c.id for c in self._captures]
        return (ids.index(self._current) + 1 if self._current in ids else 0), len(ids)

    def set_accepted(self, capture_id: str, accepted: bool | None) -> None:
        """Accept, reject or clear a capture: one undo step."""
        if self.capture(capture_id).accepted != accepted:
            self.undo_stack.push(SetAcceptedCommand(self, capture_id, accepted))

    def _apply_accepted(self, capture_id: str, accepted: bool | None) -> None:
        for i, capture in enumerate(self._captures):
            if capture.id == capture_id:
                self._captures[i] = dataclasses.replace(capture, accepted=accepted)
                self._write_accepted(capture_id, accepted)
                self.capture_changed.emit(self._captures[i])
                return
        raise KeyError(capture_id)

    def _write_accepted(self, capture_id: str, accepted: bool | None) -> None:
        store, inspection_id = self.store, self.inspection_id
        detail = {"capture": capture_id}
        for capture in self._captures:
            if capture.id == capture_id:
                detail["shot"] = capture.shot_id

        def decide() -> None:
            store.set_capture_accepted(capture_id, accepted)
            if accepted is not None:
                action = AuditAction.ACCEPTED if accepted else AuditAction.REJECTED
                audit.record(store, action, inspection_id, detail)

        self.writer.submit(decide, "the photo decision")

    # -- inspection -------------------------------------------------------

    def update_inspection(self, **changes: Any) -> None:
        """Change fields of the inspection (vehicle, notes, grade) and save them."""
        if self.inspection is None:
            raise RuntimeError("the inspection is not loaded yet")
        self.inspection = dataclasses.replace(self.inspection, **changes)
        saved = dataclasses.replace(self.inspection)
        store, versions = self.store, self.versions

        def save() -> None:
            saved.version = versions.get(_INSPECTION, saved.version)
            versions.set(_INSPECTION, store.update_inspection(saved).version)

        self.writer.submit(save, "the inspection change")
        self.inspection_changed.emit(self.inspection)

    def status_changed(self, status: InspectionStatus) -> None:
        """The store moved the inspection's status: keep this copy in step, so that a later
        edit (written whole by ``update_inspection``) does not write the old one back."""
        if self.inspection is not None and self.inspection.status is not status:
            self.inspection = dataclasses.replace(self.inspection, status=status)
            self.inspection_changed.emit(self.inspection)

    # -- images (decoded on worker threads) ------------------------------

    def request_thumbnail(
        self, sha256: str, on_done: Callable[[QImage], None], on_error: Callable[[Any], None]
    ) -> None:
        store = self.store
        run_task(lambda: read_image(store.thumbnail(sha256, THUMB_SIZE)), on_done, on_error)

    def request_photo(
        self, sha256: str, on_done: Callable[[QImage], None], on_error: Callable[[Any], None]
    ) -> None:
        """The full photo, from a small cache or decoded on a worker thread."""
        if sha256 in self._photos:
            self._photos.move_to_end(sha256)
            on_done(self._photos[sha256])
            return

        def remember(image: QImage) -> None:
            self._photos[sha256] = image
            while len(self._photos) > _PHOTO_CACHE:
                self._photos.popitem(last=False)
            on_done(image)

        store = self.store  # a local file: the photo's own, or a copy of one in object storage
        run_task(lambda: read_image(store.photo_file(sha256)), remember, on_error)
