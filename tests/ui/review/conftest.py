"""A real store holding one inspection with a few small photos, and a workspace factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from inspector.domain.models import (
    CaptureSource,
    Inspection,
    QualityReason,
    QualityReport,
    Verdict,
)
from inspector.domain.validation import check_seller, check_vehicle
from inspector.i18n import LocalText
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene
from ui.crossing import wait_for_tasks
from ui.review._qt import alive
from ui.review.review_model import ReviewModel
from ui.review.workspace import ReviewWorkspace

PHOTO_W, PHOTO_H = 320, 180

METRICS = {
    "width": PHOTO_W,
    "height": PHOTO_H,
    "sharpness": 152.0,
    "brightness": 118.0,
    "glare": 0.003,
    "dark_clipped": 0.001,
    "bright_clipped": 0.02,
}


@dataclass
class Sample:
    """The inspection the review tests work on; captures listed in checklist order."""

    inspection_id: str
    capture_ids: dict[str, str]  # name -> capture id


def add_photo(
    store: Store, inspection_id: str, shot_id: str, seed: int, *, verdict: Verdict = Verdict.OK
) -> str:
    reasons = ()
    if verdict is not Verdict.OK:
        reasons = (
            QualityReason(
                "blur", LocalText.of({"fr": "Photo floue", "en": "The photo is blurred"})
            ),
        )
    capture = store.add_capture(
        inspection_id,
        shot_id,
        jpeg_bytes(scene(PHOTO_W, PHOTO_H, seed=seed)),
        width=PHOTO_W,
        height=PHOTO_H,
        source=CaptureSource.STILL,
        quality=QualityReport(verdict, reasons, dict(METRICS)),
    )
    return capture.id


@pytest.fixture
def sample(store: Store, vehicle_input: dict[str, Any], seller_input: dict[str, Any]) -> Sample:
    """Standard checklist: front, front-left 3/4, left side twice (a blurred one), rear."""
    inspection = Inspection(
        id=new_id(),
        checklist="standard",
        vehicle=check_vehicle(**vehicle_input).value,
        seller=check_seller(**seller_input),
    )
    store.create_inspection(inspection)
    ids = {
        # Taken out of order: the review sorts them by checklist order.
        "rear": add_photo(store, inspection.id, "rear", 4),
        "front": add_photo(store, inspection.id, "front", 1),
        "three_quarter": add_photo(store, inspection.id, "three_quarter_front_left", 2),
        "side_blurred": add_photo(store, inspection.id, "side_left", 3, verdict=Verdict.REJECT),
        "side": add_photo(store, inspection.id, "side_left", 5),
    }
    return Sample(inspection.id, ids)


def settle(qtbot: QtBot, model: ReviewModel) -> None:
    """Wait until every change made so far has reached the store."""
    qtbot.waitUntil(lambda: not model.pending_writes, timeout=5000)


@pytest.fixture
def make_workspace(qtbot: QtBot, store: Store) -> Iterator[Callable[..., ReviewWorkspace]]:
    """Build a workspace, show it at laptop size and wait for its first photo.

    The detectors propose blur boxes only when asked (``propose_blur=True``): the other
    tests count the workspace's writes and messages without them.
    """
    made: list[ReviewWorkspace] = []

    def factory(inspection_id: str, *, propose_blur: bool = False) -> ReviewWorkspace:
        workspace = ReviewWorkspace(
            store, inspection_id, open_reports=False, propose_blur=propose_blur
        )
        qtbot.addWidget(workspace)
        made.append(workspace)
        workspace.resize(1366, 768)
        workspace.show()
        qtbot.waitUntil(lambda: workspace.model.is_loaded, timeout=5000)
        qtbot.waitUntil(lambda: workspace.viewer.shown_capture_id is not None, timeout=5000)
        return workspace

    yield factory
    for workspace in made:
        qtbot.waitUntil(lambda w=workspace: not w.model.pending_writes, timeout=5000)
        # qtbot has closed it and asked for its deletion already; waiting above may run that.
        if alive(workspace):
            workspace.close()
    wait_for_tasks()
