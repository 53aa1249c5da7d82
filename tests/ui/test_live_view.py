"""The live view against a bare frame slot: painting, pointer, freeze, states."""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, QRectF, Qt
from pytestqt.qtbot import QtBot

from tests.ui.live_helpers import PLACEHOLDER_SVG, FakeSource
from ui.live_view import EMPTY_TEXT, LiveView, fit_rect


def make_view(qtbot: QtBot, width: int = 640, height: int = 480) -> LiveView:
    view = LiveView()
    qtbot.addWidget(view)
    view.resize(width, height)
    with qtbot.waitExposed(view):
        view.show()
    return view


def test_fit_rect_keeps_the_aspect_ratio() -> None:
    r = fit_rect(1280, 720, QRectF(0, 0, 640, 480))
    assert (r.x(), r.y(), r.width(), r.height()) == (0, 60, 640, 360)
    r = fit_rect(720, 1280, QRectF(0, 0, 640, 480))
    assert r.height() == 480 and abs(r.width() - 270) < 0.01 and abs(r.x() - 185) < 0.01


def test_empty_state_then_frames_are_painted(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    assert view.status_text() == EMPTY_TEXT
    source = FakeSource()
    view.set_source(source)
    assert "Waiting" in view.status_text()
    for _ in range(5):
        seq = source.put()
        view.on_frame_available(seq)
        qtbot.waitUntil(lambda seq=seq: view.painted_frames >= seq, timeout=2000)
    assert view.painted_frames == 5
    assert view.status_text() == ""
    image = view.grab().toImage()
    # 320x180 in 640x480: letterboxed, left half red, right half grey.
    assert image.pixelColor(100, 240).red() > 200
    assert image.pixelColor(540, 240).red() < 120
    assert image.pixelColor(320, 20).red() < 40  # black band above the picture


def test_the_same_frame_is_not_repainted_as_new(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    source = FakeSource()
    view.set_source(source)
    source.put()
    view.on_frame_available()
    qtbot.waitUntil(lambda: view.painted_frames == 1, timeout=2000)
    paints = view.paints
    view.on_frame_available()
    view.on_frame_available()
    qtbot.wait(50)
    assert view.painted_frames == 1
    assert view.paints == paints


def test_click_sends_a_normalized_pointer_and_shows_a_marker(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    source = FakeSource()
    view.set_source(source)
    source.put()
    view.on_frame_available()
    qtbot.waitUntil(lambda: view.painted_frames == 1, timeout=2000)
    with qtbot.waitSignal(view.pointer_requested, timeout=1000) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(480, 330))
    x, y = blocker.args
    assert abs(x - 0.75) < 0.01 and abs(y - 0.75) < 0.01
    image = view.grab().toImage()
    marker = image.pixelColor(480 + 18, 330)
    assert marker.red() > 200 and marker.green() < 120  # the red ring
    # Clicks on the black bands point nowhere.
    with qtbot.assertNotEmitted(view.pointer_requested):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(320, 20))


def test_freeze_keeps_the_picture(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    source = FakeSource()
    view.set_source(source)
    source.put()
    view.on_frame_available()
    view.set_frozen(True)
    qtbot.waitUntil(lambda: view.painted_frames == 1, timeout=2000)
    source.put()
    view.on_frame_available()
    qtbot.wait(50)
    assert view.painted_frames == 1
    view.set_frozen(False)
    qtbot.waitUntil(lambda: view.painted_frames == 2, timeout=2000)


def test_no_video_state_when_frames_stop(qtbot: QtBot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    view = make_view(qtbot)
    source = FakeSource()
    view.set_source(source)
    source.put()
    view.on_frame_available()
    later = time.monotonic() + 5.2
    monkeypatch.setattr("ui.live_view.time.monotonic", lambda: later)
    assert view.status_text() == "No video for 5 s"


def test_badges_follow_connection_stats_and_hints(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    source = FakeSource()
    view.set_source(source)
    view.set_connection("connected")
    view.set_stats(29.6, 1280, 720, 12.4)
    assert view.connection_text() == "Connected · 30 fps · 1280×720 · RTT 12 ms"
    view.set_stats(29.6, 1280, 720, 12.4, "relay")  # the operator sees why latency is higher
    assert view.connection_text().endswith("RTT 12 ms · via TURN relay")
    view.set_stats(29.6, 1280, 720, 12.4, "direct")
    assert view.connection_text() == "Connected · 30 fps · 1280×720 · RTT 12 ms"
    source.put()
    view.on_frame_available()
    assert view.quality_text() == "Quality: good"
    view.set_hint("blurry")
    assert view.quality_text() == "Blurry: hold steady" and not view.quality_ok()
    view.set_hint("something_new")
    assert view.quality_text() == "Something new"
    view.set_connection("reconnecting")
    assert view.connection_text().startswith("Reconnecting")
    # Before the seller joins, or after the phone left: what the operator waits for.
    view.set_connection("closed")
    assert view.connection_text() == "Waiting for the seller's phone"
    view.set_connection("failed")
    assert "waiting for the phone" in view.connection_text()


def test_overlay_is_drawn_and_toggles(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    source = FakeSource()
    view.set_source(source)
    source.put()
    view.on_frame_available()
    view.set_overlay_svg(PLACEHOLDER_SVG.encode())

    # The overlay's white outline: the picture itself has no white at all.
    def white_pixels() -> int:
        img = view.grab().toImage()
        return sum(
            1
            for x in range(0, 640, 2)
            for y in range(60, 420, 2)
            if img.pixelColor(x, y).lightness() > 200
        )

    assert white_pixels() > 100
    view.set_overlay_visible(False)
    assert not view.overlay_visible
    assert white_pixels() == 0
