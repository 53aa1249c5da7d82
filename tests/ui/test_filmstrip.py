"""Filmstrip: thumbnails made off the UI thread; a click opens the photo larger.

On both photo stores: the data folder's, and S3 (a real SeaweedFS).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from inspector.domain.models import CaptureSource, QualityReport, Verdict
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection
from tests.data import jpeg_bytes, scene
from tests.ui.live_helpers import ensure_overlays
from ui.filmstrip import Filmstrip


@pytest.fixture
def store(data_dir: Path, photo_store: str | None) -> Iterator[Store]:
    with Store(data_dir, photo_store=photo_store) as s:
        yield s


@pytest.fixture
def captures(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> list[Any]:
    ensure_overlays(tmp_path, monkeypatch)
    inspection, _ = create_inspection(
        store, checklist="quick", vehicle=vehicle_input, seller=seller_input
    )
    return [
        store.add_capture(
            inspection.id,
            shot,
            jpeg_bytes(scene(1280, 720, seed=i)),
            width=1280,
            height=720,
            source=CaptureSource.STILL,
            quality=QualityReport(verdict),
        )
        for i, (shot, verdict) in enumerate(
            [("boot", Verdict.OK), ("odometer", Verdict.REJECT), ("boot", Verdict.WARN)]
        )
    ]


def test_thumbnails_load_and_a_click_opens_the_photo(
    qtbot: QtBot, store: Store, captures: list[Any]
) -> None:
    strip = Filmstrip(store)
    qtbot.addWidget(strip)
    strip.shot_title = lambda shot_id: shot_id.capitalize()
    strip.resize(800, strip.height())
    strip.show()
    strip.set_captures(captures[:2])
    assert strip.capture_ids() == [c.id for c in captures[:2]]
    qtbot.waitUntil(lambda: strip.icons_loaded() == 2, timeout=5000)
    assert strip.item(0).text() == "Boot"
    assert "Quality: poor" in strip.item(1).toolTip()
    strip.add_capture(captures[2])
    qtbot.waitUntil(lambda: strip.icons_loaded() == 3, timeout=5000)
    strip.set_accepted(captures[2].id, False)
    assert "Retake asked" in strip.item(2).toolTip()

    rect = strip.visualItemRect(strip.item(0))
    with qtbot.waitSignal(strip.capture_opened, timeout=1000) as blocker:
        qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [captures[0].id]
    dialog = strip.last_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.image.pixmap().isNull(), timeout=5000)
    assert dialog.image.pixmap().width() > 640
    dialog.close()


def test_a_preview_shows_its_original_arriving_then_the_original(
    qtbot: QtBot, store: Store, captures: list[Any]
) -> None:
    """Issue 15: a capture stored from its preview says so; the original's progress shows
    under its thumbnail; once stored, the capture is the original (its own thumbnail)."""
    preview_bytes = jpeg_bytes(scene(1600, 1200, seed=7))
    original_bytes = jpeg_bytes(scene(3200, 2400, seed=7))
    preview = store.add_capture(
        captures[0].inspection_id,
        "odometer",
        preview_bytes,
        width=1600,
        height=1200,
        source=CaptureSource.PREVIEW,
        quality=QualityReport(Verdict.OK),
    )
    strip = Filmstrip(store)
    qtbot.addWidget(strip)
    strip.shot_title = lambda shot_id: shot_id.capitalize()
    strip.resize(500, strip.height())
    strip.show()
    strip.set_captures([captures[0], preview])
    qtbot.waitUntil(lambda: strip.icons_loaded() == 2, timeout=5000)
    assert "Preview: the full-size original has not arrived" in strip.item(1).toolTip()
    strip.set_original_progress(preview.id, 400_000, 1_000_000)
    assert strip.item(1).text() == "Odometer\n↑ 40 %"
    strip.grab().save("/tmp/filmstrip-original.png")
    stored = store.replace_preview(
        preview.id, preview.sha256, original_bytes, width=3200, height=2400
    )
    icons = strip.icons_set
    strip.original_stored(stored)
    qtbot.waitUntil(lambda: strip.icons_set > icons, timeout=5000)  # the original's own
    assert strip.item(1).text() == "Odometer"
    assert "Preview" not in strip.item(1).toolTip()
    assert store.get_capture(preview.id).source is CaptureSource.STILL
    strip.original_failed(captures[0].id, retrying=False)
    assert strip.item(0).text() == "Boot\npreview only"
