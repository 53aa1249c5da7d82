"""The photo viewer: zoom, fit, 100 %, previous / next, metadata, drawing damages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from inspector.domain.models import DamageType, Part, Region, Severity
from inspector.storage.store import Store
from ui.review.photo_viewer import PhotoViewer
from ui.review.review_model import ReviewModel
from ui.review.workspace import ReviewWorkspace

from .conftest import PHOTO_H, PHOTO_W, Sample, settle


@pytest.fixture
def viewer(qtbot: QtBot, store: Store, sample: Sample) -> PhotoViewer:
    model = ReviewModel(store, sample.inspection_id, propose_blur=False)  # not about blur
    widget = PhotoViewer(model)
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    model.load()
    qtbot.waitUntil(lambda: widget.shown_capture_id is not None, timeout=5000)
    return widget


def _wheel(view: QPoint, widget: PhotoViewer, clicks: int) -> None:
    viewport = widget.view.viewport()
    pos = QPointF(view)
    event = QWheelEvent(
        pos,
        viewport.mapToGlobal(pos),
        QPoint(),
        QPoint(0, 120 * clicks),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


def test_zoom_fit_and_actual_size(viewer: PhotoViewer) -> None:
    view = viewer.view
    assert view.fitted and viewer.zoom_label.text().startswith("Fit")
    fit_zoom = view.zoom()
    shown = view.mapFromScene(view.sceneRect()).boundingRect()
    assert view.viewport().rect().adjusted(-2, -2, 2, 2).contains(shown)
    assert (
        max(shown.width(), shown.height())
        >= min(view.viewport().width(), view.viewport().height()) * 0.5
    )

    view.actual_size()
    assert view.zoom() == pytest.approx(1.0)
    assert viewer.zoom_label.text() == "100 %"

    _wheel(view.viewport().rect().center(), viewer, 2)
    assert view.zoom() == pytest.approx(1.25**2)
    _wheel(view.viewport().rect().center(), viewer, -1)
    assert view.zoom() == pytest.approx(1.25)
    assert not view.fitted

    view.fit()
    assert view.zoom() == pytest.approx(fit_zoom)


def test_next_previous_and_metadata(qtbot: QtBot, viewer: PhotoViewer, sample: Sample) -> None:
    model = viewer.model
    ids = sample.capture_ids
    order = [ids[k] for k in ("front", "three_quarter", "side_blurred", "side", "rear")]
    assert [c.id for c in model.captures()] == order  # checklist order, not capture order
    assert viewer.position.text() == "1 / 5"
    front = model.capture(ids["front"])
    assert viewer.meta["sha256"].text() == front.sha256
    assert viewer.meta["resolution"].text().startswith(f"{PHOTO_W} × {PHOTO_H}")
    assert viewer.meta["source"].text() == "Still (full resolution)"
    assert "sharpness 152" in viewer.meta["metrics"].text()
    assert front.captured_at.astimezone().strftime("%H:%M:%S") in viewer.meta["taken"].text()
    assert "Front" in viewer.title.text()

    model.step(-1)  # stays on the first
    assert model.current is not None and model.current.id == ids["front"]
    model.step(1)
    model.step(1)
    qtbot.waitUntil(lambda: viewer.shown_capture_id == ids["side_blurred"], timeout=5000)
    assert viewer.position.text() == "3 / 5"
    assert "blurred" in viewer.meta["quality"].text()
    assert viewer.meta["sha256"].text() == model.capture(ids["side_blurred"]).sha256
    metrics = viewer.meta["metrics"]  # wraps rather than being clipped or widening the page
    full = metrics.fontMetrics().horizontalAdvance(metrics.text())
    assert metrics.wordWrap() and metrics.minimumSizeHint().width() < full
    model.step(5)
    qtbot.waitUntil(lambda: viewer.shown_capture_id == ids["rear"], timeout=5000)
    model.step(-1)
    qtbot.waitUntil(lambda: viewer.shown_capture_id == ids["side"], timeout=5000)


def _press_drag_release(qtbot: QtBot, viewer: PhotoViewer, a: QPointF, b: QPointF) -> None:
    view = viewer.view
    start, end = view.mapFromScene(a), view.mapFromScene(b)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), pos=(start + end) / 2)
    qtbot.mouseMove(view.viewport(), pos=end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)


def test_the_damage_form_opens_beside_the_box_just_drawn(
    qtbot: QtBot, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    workspace = make_workspace(sample.inspection_id)
    workspace.resize(1280, 720)
    viewer = workspace.viewer
    qtbot.waitUntil(lambda: viewer.shown_capture_id is not None, timeout=5000)
    workspace.add_damage_action.trigger()
    _press_drag_release(
        qtbot, viewer, QPointF(0.4 * PHOTO_W, 0.3 * PHOTO_H), QPointF(0.6 * PHOTO_W, 0.6 * PHOTO_H)
    )
    dialog = workspace.damage_dialog
    assert dialog is not None and dialog.isVisible()
    box = viewer.view.region_on_screen(Region(0.4, 0.3, 0.2, 0.3))
    assert box.width() > 20 and box.height() > 20
    assert not dialog.frameGeometry().intersects(box), (dialog.frameGeometry(), box)
    dialog.reject()


def test_drawing_a_box_creates_a_damage(
    qtbot: QtBot, store: Store, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    workspace = make_workspace(sample.inspection_id)
    viewer = workspace.viewer
    workspace.add_damage_action.trigger()
    assert viewer.view.annotating and viewer.hint.text()
    # From (10 %, 20 %) to (60 %, 80 %) of the photo.
    _press_drag_release(
        qtbot, viewer, QPointF(0.1 * PHOTO_W, 0.2 * PHOTO_H), QPointF(0.6 * PHOTO_W, 0.8 * PHOTO_H)
    )
    dialog = workspace.damage_dialog
    assert dialog is not None and dialog.isVisible()
    assert not workspace.add_damage_action.isChecked()  # one mark per D
    assert dialog.fields().part is Part.FRONT_BUMPER  # guessed from the "front" shot
    dialog.type.setCurrentIndex(dialog.type.findData(DamageType.DENT))
    dialog.severity_group.button(2).setChecked(True)
    dialog.accept()

    damages = workspace.model.damages.damages()
    assert len(damages) == 1
    damage = damages[0]
    assert damage.capture_id == sample.capture_ids["front"]
    assert (damage.type, damage.severity) == (DamageType.DENT, Severity.MODERATE)
    region = damage.region
    assert region is not None
    tolerance = 2 / PHOTO_W  # a screen pixel is about half a photo pixel here
    assert region.x == pytest.approx(0.1, abs=tolerance)
    assert region.y == pytest.approx(0.2, abs=tolerance)
    assert region.w == pytest.approx(0.5, abs=tolerance)
    assert region.h == pytest.approx(0.6, abs=tolerance)
    assert len(viewer.view.marks()) == 2  # the box and its number
    settle(qtbot, workspace.model)
    assert store.damages(sample.inspection_id) == damages


def test_clicking_drops_a_point_and_cancel_adds_nothing(
    qtbot: QtBot, store: Store, sample: Sample, make_workspace: Callable[[str], ReviewWorkspace]
) -> None:
    workspace = make_workspace(sample.inspection_id)
    viewer = workspace.viewer
    workspace.add_damage_action.trigger()
    spot = viewer.view.mapFromScene(QPointF(0.75 * PHOTO_W, 0.25 * PHOTO_H))
    qtbot.mouseClick(viewer.view.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    dialog = workspace.damage_dialog
    assert dialog is not None
    dialog.reject()
    assert len(workspace.model.damages) == 0

    workspace.add_damage_action.trigger()
    qtbot.mouseClick(viewer.view.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    assert workspace.damage_dialog is not None
    workspace.damage_dialog.accept()
    (damage,) = workspace.model.damages.damages()
    assert damage.region is not None and damage.region.is_point
    assert damage.region.x == pytest.approx(0.75, abs=2 / PHOTO_W)
    assert damage.region.y == pytest.approx(0.25, abs=2 / PHOTO_H)
    workspace.cancel_mark_action.trigger()
    assert not viewer.view.annotating
