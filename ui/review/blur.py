"""The blur boxes of one inspection's photos, and the undoable commands that change them.

``BlurModel`` holds the boxes (proposed by the detectors, drawn by the inspector) and
announces every change with a signal; the photo viewer subscribes. Adding, moving and
removing a box are ``QUndoCommand``s on the review's ``QUndoStack``, written to the
store through the review's ``StoreWriter`` (in order, off the UI thread), as damages
are. The boxes the detectors propose while the review is open (:meth:`ReviewModel.
propose_blur`) arrive through :meth:`BlurModel.found`: they are already stored, and are
not an undo step of the inspector's.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from inspector.domain.models import Region
from inspector.domain.privacy import BLUR_KIND_NAMES, BlurBox
from inspector.i18n import Message
from inspector.storage.store import Store
from ui.review.labels import CONSOLE_LANGUAGE
from ui.review.writer import StoreWriter

__all__ = [
    "AddBlurBoxCommand",
    "BlurModel",
    "MoveBlurBoxCommand",
    "RemoveBlurBoxCommand",
    "kind_label",
]

_ADD = Message("add a blur box")
_MOVE = Message("move a blur box")
_REMOVE = Message("remove a blur box")
# What a failed write names ("… was not saved: why").
_SAVING_ADD = Message("the new blur box")
_SAVING_MOVE = Message("the blur box's move")
_SAVING_REMOVE = Message("the blur box's removal")


def kind_label(kind: str) -> str:
    """ "plate" -> "Number plate", in the console's language."""
    return BLUR_KIND_NAMES[kind].get(CONSOLE_LANGUAGE)


class BlurModel(QObject):
    """The blur boxes of one inspection; views connect to its signals."""

    reset = Signal()
    added = Signal(object)  # BlurBox
    changed = Signal(object)  # BlurBox
    removed = Signal(str)  # box id
    selection_changed = Signal(object)  # box id or None
    visibility_changed = Signal(bool)

    def __init__(
        self,
        store: Store,
        writer: StoreWriter,
        undo_stack: QUndoStack,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._writer = writer
        self.undo_stack = undo_stack
        self._boxes: dict[str, BlurBox] = {}
        self._selected: str | None = None
        self._visible = True

    # -- reading ----------------------------------------------------------

    def boxes(self) -> list[BlurBox]:
        return sorted(self._boxes.values(), key=lambda b: (b.created_at, b.id))

    def on_capture(self, capture_id: str) -> list[BlurBox]:
        return [b for b in self.boxes() if b.capture_id == capture_id]

    def get(self, box_id: str) -> BlurBox:
        return self._boxes[box_id]

    def __len__(self) -> int:
        return len(self._boxes)

    @property
    def selected_id(self) -> str | None:
        return self._selected

    @property
    def visible(self) -> bool:
        return self._visible

    # -- changing (views call these; each is one undo step) -------------

    def load(self, boxes: list[BlurBox]) -> None:
        """Replace the content with what the store holds (no write, no undo step)."""
        self._boxes = {b.id: b for b in boxes}
        self._selected = None
        self.reset.emit()
        self.selection_changed.emit(None)

    def found(self, boxes: list[BlurBox]) -> None:
        """Boxes the detectors proposed and stored meanwhile (no write, no undo step)."""
        for box in boxes:
            if box.id not in self._boxes:
                self._boxes[box.id] = box
                self.added.emit(box)

    def set_visible(self, on: bool) -> None:
        if on != self._visible:
            self._visible = on
            if not on:
                self.select(None)
            self.visibility_changed.emit(on)

    def select(self, box_id: str | None) -> None:
        if box_id is not None and box_id not in self._boxes:
            box_id = None
        if box_id != self._selected:
            self._selected = box_id
            self.selection_changed.emit(box_id)

    def add(self, box: BlurBox) -> None:
        self.set_visible(True)
        self.undo_stack.push(AddBlurBoxCommand(self, box))

    def move(self, box_id: str, region: Region) -> None:
        before = self.get(box_id)
        if before.region != region:
            after = dataclasses.replace(before, region=region)
            self.undo_stack.push(MoveBlurBoxCommand(self, before, after))

    def remove(self, box_id: str) -> None:
        self.undo_stack.push(RemoveBlurBoxCommand(self, self.get(box_id)))

    # -- applied by the commands ----------------------------------------

    def _insert(self, box: BlurBox) -> None:
        self._boxes[box.id] = box
        store = self._store
        self._writer.submit(lambda: store.add_blur_box(box), _SAVING_ADD.get(CONSOLE_LANGUAGE))
        self.added.emit(box)
        self.select(box.id)

    def _replace(self, box: BlurBox) -> None:
        self._boxes[box.id] = box
        store = self._store
        self._writer.submit(lambda: store.update_blur_box(box), _SAVING_MOVE.get(CONSOLE_LANGUAGE))
        self.changed.emit(box)
        self.select(box.id)

    def _remove(self, box_id: str) -> None:
        del self._boxes[box_id]
        store = self._store
        self._writer.submit(
            lambda: store.delete_blur_box(box_id), _SAVING_REMOVE.get(CONSOLE_LANGUAGE)
        )
        if self._selected == box_id:
            self.select(None)
        self.removed.emit(box_id)


class AddBlurBoxCommand(QUndoCommand):
    def __init__(self, model: BlurModel, box: BlurBox) -> None:
        super().__init__(_ADD.get(CONSOLE_LANGUAGE))
        self._model = model
        self._box = box

    def redo(self) -> None:
        self._model._insert(self._box)

    def undo(self) -> None:
        self._model._remove(self._box.id)


class MoveBlurBoxCommand(QUndoCommand):
    def __init__(self, model: BlurModel, before: BlurBox, after: BlurBox) -> None:
        super().__init__(_MOVE.get(CONSOLE_LANGUAGE))
        self._model = model
        self._before = before
        self._after = after

    def redo(self) -> None:
        self._model._replace(self._after)

    def undo(self) -> None:
        self._model._replace(self._before)


class RemoveBlurBoxCommand(QUndoCommand):
    def __init__(self, model: BlurModel, box: BlurBox) -> None:
        super().__init__(_REMOVE.get(CONSOLE_LANGUAGE))
        self._model = model
        self._box = box

    def redo(self) -> None:
        self._model._remove(self._box.id)

    def undo(self) -> None:
        self._model._insert(self._box)
