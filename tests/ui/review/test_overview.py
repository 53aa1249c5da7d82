"""The overview lists every shot with its captures and drives accept / reject."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from inspector.domain.checklist import load_checklist
from inspector.storage.store import Store
from ui.review.overview import OverviewView
from ui.review.review_model import ReviewModel

from .conftest import Sample, add_photo, settle

TAKEN = {"front", "three_quarter_front_left", "side_left", "rear"}


def _loaded_model(qtbot: QtBot, store: Store, sample: Sample) -> ReviewModel:
    model = ReviewModel(store, sample.inspection_id, propose_blur=False)  # not about blur
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.load()
    return model


def test_every_shot_is_shown_with_its_captures(qtbot: QtBot, store: Store, sample: Sample) -> None:
    model = _loaded_model(qtbot, store, sample)
    view = OverviewView(model)
    qtbot.addWidget(view)
    checklist = load_checklist("standard")
    assert sorted(view.shot_tiles) == sorted(s.id for s in checklist.shots)
    # Grouped by category in checklist order; the headers name the categories.
    grouped = [s.id for c in checklist.categories() for s in checklist.shots if s.category == c]
    assert list(view.shot_tiles) == grouped
    headers = [w.text() for w in view.findChildren(QLabel, "category")]
    assert headers[:2] == ["Exterior", "Wheels"] and "Damage" not in headers
    ids = sample.capture_ids
    side = view.shot_tiles["side_left"]
    assert [t.capture.id for t in side.tiles] == [ids["side_blurred"], ids["side"]]
    assert [t.capture.id for t in view.shot_tiles["rear"].tiles] == [ids["rear"]]
    assert view.shot_tiles["odometer"].tiles == []
    qtbot.waitUntil(
        lambda: all(not t.thumb.icon().isNull() for t in view.capture_tiles.values()),
        timeout=5000,
    )


def test_missing_required_shots_are_marked(qtbot: QtBot, store: Store, sample: Sample) -> None:
    model = _loaded_model(qtbot, store, sample)
    view = OverviewView(model)
    qtbot.addWidget(view)
    checklist = load_checklist("standard")
    required = {s.id for s in checklist.shots if s.required}
    missing = {shot_id for shot_id, tile in view.shot_tiles.items() if tile.missing}
    assert missing == required - TAKEN
    assert view.shot_tiles["odometer"].status.text() == "Missing"
    assert view.shot_tiles["odometer"].property("missing") is True
    assert view.shot_tiles["spare_wheel"].status.text() == "Optional, not taken"
    assert not view.shot_tiles["spare_wheel"].missing
    assert f"{len(missing)} missing" in view.summary.text()
    assert "Required shots 4/" in view.summary.text()


def test_accept_and_reject_update_store_and_view(
    qtbot: QtBot, store: Store, sample: Sample
) -> None:
    model = _loaded_model(qtbot, store, sample)
    view = OverviewView(model)
    qtbot.addWidget(view)
    front_id = sample.capture_ids["front"]
    tile = view.capture_tiles[front_id]

    qtbot.mouseClick(tile.reject_button, Qt.MouseButton.LeftButton)
    assert model.capture(front_id).accepted is False
    assert tile.reject_button.isChecked() and not tile.accept_button.isChecked()
    assert tile.property("decision") == "rejected"
    assert view.shot_tiles["front"].missing  # its only photo is rejected
    assert view.shot_tiles["front"].status.text() == "No usable photo"
    settle(qtbot, model)
    assert store.get_capture(front_id).accepted is False

    qtbot.mouseClick(tile.accept_button, Qt.MouseButton.LeftButton)
    assert tile.property("decision") == "accepted"
    assert not view.shot_tiles["front"].missing
    settle(qtbot, model)
    assert store.get_capture(front_id).accepted is True

    qtbot.mouseClick(tile.accept_button, Qt.MouseButton.LeftButton)  # again: undecided
    settle(qtbot, model)
    assert store.get_capture(front_id).accepted is None

    model.undo_stack.undo()  # the model drives the view too
    assert tile.accept_button.isChecked()
    settle(qtbot, model)
    assert store.get_capture(front_id).accepted is True


def test_clicking_a_thumbnail_opens_that_photo(qtbot: QtBot, store: Store, sample: Sample) -> None:
    model = _loaded_model(qtbot, store, sample)
    view = OverviewView(model)
    qtbot.addWidget(view)
    assert model.current is not None and model.current.id == sample.capture_ids["front"]
    rear = view.capture_tiles[sample.capture_ids["rear"]]
    qtbot.mouseClick(rear.thumb, Qt.MouseButton.LeftButton)
    assert model.current is not None and model.current.id == sample.capture_ids["rear"]
    assert rear.property("current") is True
    assert view.capture_tiles[sample.capture_ids["front"]].property("current") is False


def test_missing_damage_photos_count_like_the_report(
    qtbot: QtBot, store: Store, sample: Sample
) -> None:
    """A damage pair without its close-up: "4/25 · 21 missing", the close-up tile in red."""
    add_photo(store, sample.inspection_id, "damage_1_wide", 9)
    model = _loaded_model(qtbot, store, sample)
    view = OverviewView(model)
    qtbot.addWidget(view)
    completion = model.completion()
    assert completion is not None and completion.required == 25
    missing = {shot_id for shot_id, tile in view.shot_tiles.items() if tile.missing}
    assert missing == {s.id for s in completion.missing}
    assert "damage_1_closeup" in missing
    assert len(missing) == completion.required - completion.done
    text = view.summary.text()
    assert f"Required shots {completion.done}/25" in text and f"{len(missing)} missing" in text
