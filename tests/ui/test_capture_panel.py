"""Capture panel: shows capture events at once; buttons and phrases emit requests."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from inspector.domain.models import Verdict
from inspector.live import events as ev
from tests.data import jpeg_bytes, scene
from tests.ui.live_helpers import make_capture
from ui.capture_panel import PHRASES, CapturePanel


def make_panel(qtbot: QtBot) -> CapturePanel:
    panel = CapturePanel(phrase_language="fr")
    qtbot.addWidget(panel)
    panel.show()
    panel.set_live(True)
    return panel


def test_verdict_and_reasons_show_at_once_then_the_thumbnail(qtbot: QtBot, tmp_path: Path) -> None:
    panel = make_panel(qtbot)
    assert not panel.accept_button.isEnabled()
    panel.on_capture_requested(ev.CaptureRequested("insp", "c1", "front"))
    assert panel.verdict.text() == "Capturing…"
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg_bytes(scene(640, 360)))
    capture = make_capture("c1", "front", Verdict.WARN)
    panel.on_capture_stored(ev.CaptureStored("insp", capture, str(photo)))
    assert panel.verdict.text().startswith("Usable, with warnings")
    assert "The photo is blurry" in panel.reasons.text()
    assert panel.accept_button.isEnabled() and panel.retake_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.thumbnail.pixmap().isNull(), timeout=3000)
    assert panel.thumbnail.pixmap().width() <= panel.thumbnail.width()


def test_accept_and_retake_emit_the_capture_id(qtbot: QtBot, tmp_path: Path) -> None:
    panel = make_panel(qtbot)
    panel.on_capture_stored(ev.CaptureStored("insp", make_capture("c7", "rear"), "/missing.jpg"))
    with qtbot.waitSignal(panel.accept_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel.accept_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["c7"]
    with qtbot.waitSignal(panel.retake_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel.retake_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["c7"]
    panel.on_capture_reviewed(ev.CaptureReviewed("insp", "c7", False))
    assert not panel.accept_button.isEnabled()
    assert panel.reasons.text().startswith("Retake asked")
    qtbot.waitUntil(lambda: panel.thumbnail.text() == "(no preview)", timeout=3000)


def test_capture_failed_is_shown(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.on_capture_failed(ev.CaptureFailed("insp", "c1", "camera busy"))
    assert panel.verdict.text() == "Capture failed"
    assert panel.reasons.text() == "camera busy"


def test_capture_torch_and_messages(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    with qtbot.waitSignal(panel.capture_requested, timeout=1000):
        qtbot.mouseClick(panel.capture_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.torch_toggled, timeout=1000) as blocker:
        qtbot.mouseClick(panel.torch_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [True]
    # A quick phrase in French, then in English.
    with qtbot.waitSignal(panel.message_requested, timeout=1000) as blocker:
        panel.phrases.activated.emit(1)
    assert blocker.args == [PHRASES[0].get("fr")]
    with qtbot.waitSignal(panel.phrase_language_changed, timeout=1000):
        panel.phrase_language.setCurrentIndex(panel.phrase_language.findData("en"))
    assert panel.phrases.itemText(1) == PHRASES[0].get("en")
    # Free text: Enter in the field sends it and clears it.
    panel.message.setFocus()
    qtbot.keyClicks(panel.message, "Merci !")
    with qtbot.waitSignal(panel.message_requested, timeout=1000) as blocker:
        qtbot.keyClick(panel.message, Qt.Key.Key_Return)
    assert blocker.args == ["Merci !"] and panel.message.text() == ""


def test_controls_need_a_live_phone_and_have_tooltips(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.set_live(False)
    assert not panel.capture_button.isEnabled() and not panel.message.isEnabled()
    for w in (
        panel.capture_button,
        panel.accept_button,
        panel.retake_button,
        panel.torch_button,
        panel.phrases,
        panel.phrase_language,
        panel.message,
        panel.send_button,
        panel.thumbnail,
        panel.verdict,
        panel.reasons,
    ):
        assert w.toolTip(), w


def test_originals_on_their_way_are_shown_until_the_last_one(qtbot: QtBot, tmp_path: Path) -> None:
    panel = make_panel(qtbot)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg_bytes(scene(640, 360)))
    panel.on_capture_stored(ev.CaptureStored("insp", make_capture("c1", "front"), str(photo)))
    assert panel.originals.isHidden()
    panel.set_originals(2, 3_400_000)
    assert panel.originals.isVisible()
    assert panel.originals.text() == "Full-size originals on the way: 2, 3.4 MB to come"
    qtbot.waitUntil(lambda: not panel.thumbnail.pixmap().isNull(), timeout=3000)
    panel.grab().save("/tmp/capture-panel-originals.png")
    panel.set_originals(1, None)
    assert panel.originals.text() == "Full-size original on the way: 1"
    panel.set_originals(0, None)
    assert panel.originals.isHidden()
