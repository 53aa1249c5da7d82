"""The damages of one inspection, and the undoable commands that change them.

``DamageModel`` holds the inspection's damages in report order (creation
time) and announces every change with a signal; the damage list, the photo
viewer and the vehicle diagram subscribe to it. Changes go through
``QUndoCommand``s on the review's ``QUndoStack``; each command writes the
same change to the store through the ``StoreWriter``, so undo and redo
restore the store exactly (a deleted damage comes back with its id and
creation time, hence at its old place), through :mod:`inspector.usecases.damages` (the
team server's API applies the same rules and audit entries). Each update names the damage's row
version (:class:`RowVersions`): one changed elsewhere meanwhile is refused, not
overwritten.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from inspector.domain.models import Damage
from inspector.storage.store import Store
from inspector.usecases import damages as marking
from ui.review.labels import part_label
from ui.review.writer import RowVersions, StoreWriter

__all__ = [
    "AddDamageCommand",
    "DamageModel",
    "DeleteDamageCommand",
    "EditDamageCommand",
]


def _copy(damage: Damage) -> Damage:
    return dataclasses.replace(damage)


def _key(damage_id: str) -> tuple[str, str]:
    return ("damage", damage_id)


class DamageModel(QObject):
    """Damages of one inspection; views connect to its signals.

    Damage numbers (as on the diagram and in the report) are positions in
    this list, from 1.
    """

    reset = Signal()
    added = Signal(object, int)  # Damage, index
    changed = Signal(object)  # Damage
    removed = Signal(str, int)  # damage id, former index
    selection_changed = Signal(object)  # damage id or None

    def __init__(
        self,
        store: Store,
        writer: StoreWriter,
        undo_stack: QUndoStack,
        parent: QObject | None = None,
        *,
        versions: RowVersions | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._writer = writer
        self._versions = versions if versions is not None else RowVersions()
        self.undo_stack = undo_stack
        self._damages: list[Damage] = []
        self._selected: str | None = None

    # -- reading ----------------------------------------------------------

    def damages(self) -> list[Damage]:
        return [_copy(d) for d in self._damages]

    def __len__(self) -> int:
        return len(self._damages)

    def get(self, damage_id: str) -> Damage:
        return _copy(self._damages[self.index(damage_id)])

    def index(self, damage_id: str) -> int:
        for i, damage in enumerate(self._damages):
            if damage.id == damage_id:
                return i
        raise KeyError(damage_id)

    def number(self, damage_id: str) -> int:
        return self.index(damage_id) + 1

    def on_capture(self, capture_id: str) -> list[tuple[int, Damage]]:
        """(number, damage) of the damages marked on one capture."""
        return [
            (i + 1, _copy(d)) for i, d in enumerate(self._damages) if d.capture_id == capture_id
        ]

    @property
    def selected_id(self) -> str | None:
        return self._selected

    # -- changing (views call these; each is one undo step) -------------

    def load(self, damages: list[Damage]) -> None:
        """Replace the content with what the store holds (no write, no undo step)."""
        self._damages = sorted((_copy(d) for d in damages), key=lambda d: d.created_at)
        for damage in self._damages:
            self._versions.set(_key(damage.id), damage.version)
        self._selected = None
        self.reset.emit()
        self.selection_changed.emit(None)

    def select(self, damage_id: str | None) -> None:
        if damage_id is not None and all(d.id != damage_id for d in self._damages):
            damage_id = None
        if damage_id != self._selected:
            self._selected = damage_id
            self.selection_changed.emit(damage_id)

    def add(self, damage: Damage) -> None:
        self.undo_stack.push(AddDamageCommand(self, damage))

    def edit(self, damage: Damage) -> None:
        before = self.get(damage.id)
        if before != damage:
            self.undo_stack.push(EditDamageCommand(self, before, damage))

    def delete(self, damage_id: str) -> None:
        self.undo_stack.push(DeleteDamageCommand(self, self.get(damage_id)))

    # -- applied by the commands ----------------------------------------

    def _insert(self, damage: Damage) -> None:
        damage = _copy(damage)
        index = len(self._damages)
        for i, other in enumerate(self._damages):
            if damage.created_at < other.created_at:
                index = i
                break
        self._damages.insert(index, damage)
        stored = _copy(damage)
        store, versions = self._store, self._versions

        def add() -> None:
            marking.add_damage(store, stored)  # with its audit entry, as the team API does
            versions.set(_key(stored.id), stored.version)

        self._writer.submit(add, "the new damage")
        self.added.emit(_copy(damage), index)
        self.select(damage.id)

    def _replace(self, damage: Damage) -> None:
        index = self.index(damage.id)
        self._damages[index] = _copy(damage)
        stored = _copy(damage)
        store, versions = self._store, self._versions

        def update() -> None:
            stored.version = versions.get(_key(stored.id), stored.version)
            versions.set(_key(stored.id), marking.change_damage(store, stored).version)

        self._writer.submit(update, "the damage change")
        self.changed.emit(_copy(damage))
        self.select(damage.id)

    def _remove(self, damage_id: str) -> None:
        index = self.index(damage_id)
        gone = self._damages[index]
        read_at = gone.version
        del self._damages[index]
        store, versions = self._store, self._versions

        def delete() -> None:
            # Like an edit: refused (ChangedElsewhere) if someone else changed it since.
            version = versions.get(_key(damage_id), read_at)
            marking.delete_damage(store, gone.inspection_id, damage_id, version=version)
            versions.forget(_key(damage_id))

        self._writer.submit(delete, "the deletion")
        if self._selected == damage_id:
            self.select(None)
        self.removed.emit(damage_id, index)


class AddDamageCommand(QUndoCommand):
    def __init__(self, model: DamageModel, damage: Damage) -> None:
        super().__init__(f"add {part_label(damage.part).lower()} damage")
        self._model = model
        self._damage = _copy(damage)

    def redo(self) -> None:
        self._model._insert(self._damage)

    def undo(self) -> None:
        self._model._remove(self._damage.id)


class EditDamageCommand(QUndoCommand):
    def __init__(self, model: DamageModel, before: Damage, after: Damage) -> None:
        super().__init__(f"edit {part_label(after.part).lower()} damage")
        self._model = model
        self._before = _copy(before)
        self._after = _copy(after)

    def redo(self) -> None:
        self._model._replace(self._after)

    def undo(self) -> None:
        self._model._replace(self._before)


class DeleteDamageCommand(QUndoCommand):
    def __init__(self, model: DamageModel, damage: Damage) -> None:
        super().__init__(f"delete {part_label(damage.part).lower()} damage")
        self._model = model
        self._damage = _copy(damage)

    def redo(self) -> None:
        self._model._remove(self._damage.id)

    def undo(self) -> None:
        self._model._insert(self._damage)
