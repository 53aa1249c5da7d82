"""A damage added during the live call, as the inspector finds it in review."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from inspector.domain.models import DamageType, Part, Severity
from inspector.live.damages import new_live_damage
from inspector.storage.store import Store
from ui.review.workspace import ReviewWorkspace

from .conftest import Sample, add_photo, settle


def test_a_damage_added_live_is_shown_to_complete_and_the_inspector_completes_it(
    qtbot: QtBot, store: Store, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    iid = sample.inspection_id
    add_photo(store, iid, "damage_1_wide", 6)
    closeup = add_photo(store, iid, "damage_1_closeup", 7)
    damage = store.add_damage(new_live_damage(iid, 1, Part.REAR_BUMPER))
    workspace = make_workspace(iid)
    table = workspace.damage_list.table

    assert table.rowCount() == 1
    assert [table.item(0, c).text() for c in range(4)] == ["D1", "Rear bumper?", "To complete", "?"]
    assert "1 to complete" in workspace.damage_list.count.text()
    assert "Added during the live call" in table.item(0, 2).toolTip()

    workspace.show_damage(damage.id)  # not marked on a photo: its pair's close-up opens
    qtbot.waitUntil(lambda: workspace.viewer.shown_capture_id == closeup, timeout=5000)

    dialog = workspace.edit_damage(damage.id)
    assert dialog.windowTitle() == "Complete damage"
    assert dialog.fields().part is Part.REAR_BUMPER
    dialog.type.setCurrentIndex(dialog.type.findData(DamageType.CRACK))
    dialog.severity_group.button(int(Severity.SEVERE)).setChecked(True)
    dialog.accept()
    settle(qtbot, workspace.model)
    (stored,) = store.damages(iid)
    assert not stored.to_complete and stored.pair == 1
    assert (stored.type, stored.severity) == (DamageType.CRACK, Severity.SEVERE)
    assert [table.item(0, c).text() for c in range(4)] == ["D1", "Rear bumper", "Crack", "Severe"]
    assert "to complete" not in workspace.damage_list.count.text()


def test_a_recorded_pair_without_photos_counts_in_the_progress(
    qtbot: QtBot, store: Store, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    workspace = make_workspace(sample.inspection_id)
    model = workspace.model

    def required() -> int:
        return int(model.progress_text().split("/")[1].split()[0])

    before = required()
    store.add_damage(new_live_damage(sample.inspection_id, 1, None))
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.load()
    assert required() == before + 2  # its wide view and close-up are still to take
