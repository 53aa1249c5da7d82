"""The damage model and its undo stack, against a real store."""

from __future__ import annotations

import dataclasses

from PySide6.QtGui import QUndoStack
from pytestqt.qtbot import QtBot

from inspector.domain.models import Damage, DamageType, Part, Region, Severity
from inspector.storage.store import Store
from ui.review.annotations import DamageModel
from ui.review.writer import StoreWriter

from .conftest import Sample


def _damage(sample: Sample, part: Part = Part.BONNET, **changes: object) -> Damage:
    damage = Damage(
        id=f"d-{part.value}",
        inspection_id=sample.inspection_id,
        capture_id=sample.capture_ids["front"],
        part=part,
        type=DamageType.SCRATCH,
        severity=Severity.MINOR,
        region=Region(0.1, 0.2, 0.3, 0.4),
        note="long scratch",
    )
    return dataclasses.replace(damage, **changes)


def _model(store: Store) -> tuple[DamageModel, StoreWriter, QUndoStack]:
    writer = StoreWriter()
    stack = QUndoStack()
    return DamageModel(store, writer, stack), writer, stack


def _stored(qtbot: QtBot, writer: StoreWriter, store: Store, sample: Sample) -> list[Damage]:
    qtbot.waitUntil(lambda: not writer.busy, timeout=5000)
    return store.damages(sample.inspection_id)


def test_add_edit_delete_with_undo_and_redo(qtbot: QtBot, store: Store, sample: Sample) -> None:
    model, writer, stack = _model(store)
    events: list[tuple[str, object]] = []
    model.added.connect(lambda d, i: events.append(("added", d.id)))
    model.changed.connect(lambda d: events.append(("changed", d.id)))
    model.removed.connect(lambda damage_id, i: events.append(("removed", damage_id)))

    first = _damage(sample)
    model.add(first)
    assert model.damages() == [first]
    assert model.selected_id == first.id
    assert _stored(qtbot, writer, store, sample) == [first]

    edited = dataclasses.replace(first, severity=Severity.SEVERE, note="deep", part=Part.ROOF)
    model.edit(edited)
    assert model.get(first.id) == edited
    assert _stored(qtbot, writer, store, sample) == [edited]

    stack.undo()
    assert model.get(first.id) == first
    assert _stored(qtbot, writer, store, sample) == [first]
    stack.redo()
    assert _stored(qtbot, writer, store, sample) == [edited]

    model.delete(first.id)
    assert len(model) == 0
    assert model.selected_id is None
    assert _stored(qtbot, writer, store, sample) == []

    stack.undo()  # the damage comes back exactly: same id, same creation time
    assert model.damages() == [edited]
    assert _stored(qtbot, writer, store, sample) == [edited]

    stack.undo()
    stack.undo()  # back before the add
    assert model.damages() == []
    assert _stored(qtbot, writer, store, sample) == []

    for _ in range(3):
        stack.redo()
    assert _stored(qtbot, writer, store, sample) == []
    assert events[:3] == [("added", first.id), ("changed", first.id), ("changed", first.id)]
    assert events[-1] == ("removed", first.id)


def test_deleted_damage_returns_to_its_place(qtbot: QtBot, store: Store, sample: Sample) -> None:
    model, writer, stack = _model(store)
    damages = [_damage(sample, part) for part in (Part.BONNET, Part.ROOF, Part.BOOT_LID)]
    for damage in damages:
        model.add(damage)
    model.delete(damages[1].id)
    assert [d.id for d in model.damages()] == [damages[0].id, damages[2].id]
    stack.undo()
    assert model.number(damages[1].id) == 2
    assert [d.id for d in _stored(qtbot, writer, store, sample)] == [d.id for d in damages]


def test_load_select_and_point_regions(qtbot: QtBot, store: Store, sample: Sample) -> None:
    model, _writer, stack = _model(store)
    point = _damage(sample, Part.MIRROR_LEFT, region=Region(0.5, 0.5))
    store.add_damage(point)
    model.load(store.damages(sample.inspection_id))
    assert stack.count() == 0
    assert model.get(point.id).region == Region(0.5, 0.5)
    assert model.on_capture(sample.capture_ids["front"]) == [(1, point)]
    selections: list[object] = []
    model.selection_changed.connect(selections.append)
    model.select(point.id)
    model.select("no such damage")
    assert selections == [point.id, None]
    model.edit(model.get(point.id))  # no change: no undo step
    assert stack.count() == 0
