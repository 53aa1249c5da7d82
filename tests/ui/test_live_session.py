"""The live page end to end: real engine, real simulated phone over loopback WebRTC."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from inspector.domain.models import DamageType, Part, Severity
from inspector.domain.progress import damage_photos
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection
from tests.ui.live_helpers import ensure_overlays
from ui.main_window import MainWindow

pytestmark = pytest.mark.slow


@pytest.fixture
def live_window(
    qtbot: QtBot,
    store: Store,
    make_main_window: Callable[[], MainWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> MainWindow:
    """The main window on the live page of a quick inspection, the demo phone connected."""
    ensure_overlays(tmp_path, monkeypatch)
    inspection, _ = create_inspection(
        store, checklist="quick", vehicle=vehicle_input, seller=seller_input
    )
    window = make_main_window()
    window.resize(1366, 768)
    # waitActive is a context manager: called bare it waits for nothing.
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    qtbot.waitUntil(lambda: window.server_url is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.home.model.rowCount() == 1, timeout=5000)
    window.home.table.selectRow(0)
    window.home.table.setFocus()
    qtbot.keyClick(window.home.table, Qt.Key.Key_Return)  # Enter opens
    qtbot.waitUntil(lambda: window.live.inspection is not None, timeout=5000)
    assert window.live.inspection.id == inspection.id  # type: ignore[union-attr]
    window.demo_action.trigger()
    qtbot.waitUntil(lambda: window.live.live, timeout=20000)
    phone = window.live.demo_phone
    assert phone is not None
    # Just after joining, the phone turns to the first shot's view, which looks like motion
    # to the next live hint (sampled every 0.25 s): begin once it films that shot and the
    # hints have had time to see the picture steady again.
    qtbot.waitUntil(lambda: phone.filming, timeout=20000)
    qtbot.wait(1500)
    qtbot.waitUntil(window.live.live_view.quality_ok, timeout=20000)
    with qtbot.waitActive(window):
        window.activateWindow()
    return window


def phone_messages(window: MainWindow, kind: str) -> list[dict[str, Any]]:
    phone = window.live.demo_phone
    assert phone is not None
    return [m for m in list(phone.messages) if m.get("type") == kind]


def key(qtbot: QtBot, window: MainWindow, k: Qt.Key) -> None:
    qtbot.keyClick(window.live.live_view, k)


def test_demo_phone_paints_frames_and_the_capture_flow(
    qtbot: QtBot, live_window: MainWindow
) -> None:
    w = live_window
    view, board = w.live.live_view, w.live.board
    assert board is not None
    qtbot.waitUntil(lambda: view.painted_frames >= 30, timeout=10000)
    assert view.connection_text().startswith("Connected")
    qtbot.waitUntil(lambda: "fps" in view.connection_text(), timeout=5000)
    first = board.current
    assert first == board.shots[0].id

    key(qtbot, w, Qt.Key.Key_Space)  # capture
    qtbot.waitUntil(lambda: w.live.filmstrip.count() == 1, timeout=15000)
    assert w.live.capture.capture_id is not None
    assert board.state(first) in ("ok", "warn")
    assert w.live.checklist.progress.value() == 1
    qtbot.waitUntil(lambda: w.live.filmstrip.icons_loaded() == 1, timeout=5000)

    key(qtbot, w, Qt.Key.Key_Return)  # accept: the controller moves on
    qtbot.waitUntil(lambda: board.current == board.shots[1].id, timeout=5000)
    assert board.state(first) == "ok"
    # The coverage map follows: the accepted 3/4 view's parts are photographed; a click on
    # one of them goes back to that shot (the engine moves the walk, the board follows).
    cmap = w.live.coverage
    covers = board.checklist.shot(first).covers
    qtbot.waitUntil(lambda: cmap.coverage is not None and cmap.coverage.covered > 0, timeout=5000)
    assert cmap.coverage is not None and cmap.coverage.covered == len(covers)
    assert (
        cmap.drawing.fill_of(Part.WING_FRONT_LEFT) == cmap.coverage.of(Part.WING_FRONT_LEFT).colour
    )
    w.grab().save("/tmp/console-coverage.png")
    centre = cmap.drawing.part_centre(Part.WING_FRONT_LEFT)
    assert centre is not None
    qtbot.mouseClick(cmap.drawing, Qt.MouseButton.LeftButton, pos=centre.toPoint())
    qtbot.waitUntil(lambda: board.current == first, timeout=5000)
    w.live.select_shot(board.shots[1].id)
    qtbot.waitUntil(lambda: board.current == board.shots[1].id, timeout=5000)
    qtbot.waitUntil(lambda: w.live.demo_phone.shot_id == board.shots[1].id, timeout=5000)  # type: ignore[union-attr]

    key(qtbot, w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.live.filmstrip.count() == 2, timeout=15000)
    second = board.shots[1].id
    key(qtbot, w, Qt.Key.Key_R)  # retake
    qtbot.waitUntil(lambda: board.state(second) == "rejected", timeout=5000)
    assert board.current == second
    qtbot.waitUntil(lambda: phone_messages(w, "capture_result")[-1]["retake"] is True, timeout=5000)
    assert w.live.checklist.progress.value() == 1


def test_click_on_video_points_on_the_phone_and_tools_reach_it(
    qtbot: QtBot, live_window: MainWindow
) -> None:
    w = live_window
    view = w.live.live_view
    qtbot.waitUntil(lambda: view.painted_frames >= 2, timeout=10000)
    rect = view.video_rect()
    target = QPoint(int(rect.x() + rect.width() * 0.25), int(rect.y() + rect.height() * 0.5))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=target)
    qtbot.waitUntil(lambda: bool(phone_messages(w, "pointer")), timeout=5000)
    pointer = phone_messages(w, "pointer")[-1]
    assert abs(pointer["x"] - 0.25) < 0.02 and abs(pointer["y"] - 0.5) < 0.02

    key(qtbot, w, Qt.Key.Key_T)  # torch
    qtbot.waitUntil(lambda: w.live.demo_phone.torch is True, timeout=5000)  # type: ignore[union-attr]
    w.live.capture.phrases.activated.emit(1)
    qtbot.waitUntil(lambda: bool(phone_messages(w, "message")), timeout=5000)
    # Typing a message: Space and Enter belong to the text field, not to Capture / Accept.
    w.live.capture.message.setFocus()
    qtbot.keyClicks(w.live.capture.message, "Merci beaucoup")
    qtbot.keyClick(w.live.capture.message, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: phone_messages(w, "message")[-1]["text"] == "Merci beaucoup", timeout=5000
    )
    qtbot.wait(200)
    assert w.live.filmstrip.count() == 0
    view.setFocus()

    key(qtbot, w, Qt.Key.Key_F)  # freeze
    assert view.frozen
    qtbot.wait(50)  # a paint already scheduled shows the frame that is now frozen
    painted = view.painted_frames
    qtbot.wait(300)
    assert view.painted_frames == painted
    key(qtbot, w, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: view.painted_frames > painted, timeout=5000)
    key(qtbot, w, Qt.Key.Key_O)
    assert not view.overlay_visible


def test_jump_between_shots(qtbot: QtBot, live_window: MainWindow) -> None:
    w = live_window
    board, phone = w.live.board, w.live.demo_phone
    assert board is not None and phone is not None
    target = board.shots[5].id
    item = w.live.checklist.item_for(target)
    assert item is not None
    tree = w.live.checklist.tree
    tree.scrollToItem(item)
    qtbot.mouseClick(
        tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(item).center()
    )
    qtbot.waitUntil(lambda: board.current == target and phone.shot_id == target, timeout=5000)
    assert w.live.shot_title.text().startswith("Shot 6 of 8")
    key(qtbot, w, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: board.current == board.shots[6].id, timeout=5000)
    key(qtbot, w, Qt.Key.Key_PageUp)
    key(qtbot, w, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: phone.shot_id == board.shots[4].id, timeout=5000)
    w.damage_action.trigger()
    qtbot.waitUntil(lambda: board.current == "damage_1_wide", timeout=5000)
    assert w.live.checklist.item_for("damage_1_closeup") is not None
    assert phone.shot_id == "damage_1_wide"


def test_quality_badge_follows_dark_frames(qtbot: QtBot, live_window: MainWindow) -> None:
    w = live_window
    view, phone = w.live.live_view, w.live.demo_phone
    assert phone is not None
    qtbot.waitUntil(lambda: view.painted_frames >= 2, timeout=10000)
    assert view.quality_text() == "Quality: good"
    phone.set_mode("dark")
    qtbot.waitUntil(lambda: not view.quality_ok(), timeout=10000)
    assert view.quality_text() == "Too dark"
    phone.set_mode("normal")
    qtbot.waitUntil(view.quality_ok, timeout=10000)


def test_quality_badge_follows_blurred_frames(qtbot: QtBot, live_window: MainWindow) -> None:
    w = live_window
    view, phone = w.live.live_view, w.live.demo_phone
    assert phone is not None
    qtbot.waitUntil(lambda: view.painted_frames >= 2, timeout=10000)
    phone.set_mode("blurred")
    # The switch itself looks like motion for a moment; then the blur is named.
    qtbot.waitUntil(lambda: "Blurry" in view.quality_text(), timeout=8000)
    assert not view.quality_ok()


def test_closing_with_a_live_call_does_not_hang(qtbot: QtBot, live_window: MainWindow) -> None:
    w = live_window
    qtbot.waitUntil(lambda: w.live.live_view.painted_frames >= 2, timeout=10000)
    started = time.monotonic()
    w.close()
    assert time.monotonic() - started < 5.0
    assert not w.engine.running


def test_add_damage_records_the_damage_linked_to_both_photos(
    qtbot: QtBot, live_window: MainWindow, store: Store
) -> None:
    w = live_window
    board, view = w.live.board, w.live.live_view
    assert board is not None and w.live.inspection is not None
    iid = w.live.inspection.id
    assert board.current == "three_quarter_front_left"
    qtbot.waitUntil(lambda: view.painted_frames >= 2, timeout=10000)

    qtbot.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # Add damage
    qtbot.waitUntil(lambda: w.live.damage_dialog is not None, timeout=5000)
    qtbot.waitUntil(lambda: board.current == "damage_1_wide", timeout=5000)
    (damage,) = store.damages(iid)  # recorded at once, before any answer or photo
    assert damage.pair == 1 and damage.to_complete and damage.part is Part.WING_FRONT_LEFT

    dialog = w.live.damage_dialog
    assert dialog is not None and not dialog.isModal()
    assert dialog.fields().part is Part.WING_FRONT_LEFT  # the guess, preselected
    dialog.type.setCurrentIndex(dialog.type.findData(DamageType.DENT))
    dialog.severity_group.button(int(Severity.MODERATE)).setChecked(True)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not store.damages(iid)[0].to_complete, timeout=5000)
    (damage,) = store.damages(iid)
    assert (damage.part, damage.type, damage.severity) == (
        Part.WING_FRONT_LEFT,
        DamageType.DENT,
        Severity.MODERATE,
    )

    with qtbot.waitActive(w):  # the form took the focus: shortcuts need the window active
        w.activateWindow()
    key(qtbot, w, Qt.Key.Key_Space)  # the wide view
    qtbot.waitUntil(lambda: w.live.filmstrip.count() == 1, timeout=15000)
    key(qtbot, w, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: board.current == "damage_1_closeup", timeout=5000)
    key(qtbot, w, Qt.Key.Key_Space)  # the close-up
    qtbot.waitUntil(lambda: w.live.filmstrip.count() == 2, timeout=15000)
    captures = {c.shot_id: c for c in store.captures(iid)}
    closeup = captures["damage_1_closeup"]
    qtbot.waitUntil(lambda: store.damages(iid)[0].capture_id == closeup.id, timeout=5000)

    (damage,) = store.damages(iid)
    photos = damage_photos(damage, store.captures(iid), board.checklist)
    assert photos.wide is not None and photos.wide.id == captures["damage_1_wide"].id
    assert photos.closeup is not None and photos.closeup.id == closeup.id


def test_add_damage_answered_later_stays_to_complete(
    qtbot: QtBot, live_window: MainWindow, store: Store
) -> None:
    w = live_window
    assert w.live.inspection is not None
    iid = w.live.inspection.id
    w.live.select_shot("vin_windscreen")
    qtbot.waitUntil(lambda: w.live.board.current == "vin_windscreen", timeout=5000)  # type: ignore[union-attr]
    w.damage_action.trigger()
    qtbot.waitUntil(lambda: w.live.damage_dialog is not None, timeout=5000)
    dialog = w.live.damage_dialog
    assert dialog is not None
    later = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert later.text().replace("&", "") == "Later"
    qtbot.mouseClick(later, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.live.damage_dialog is None, timeout=5000)
    (damage,) = store.damages(iid)
    assert damage.to_complete and damage.pair == 1 and damage.part is Part.WINDSCREEN


def open_link(opener: Any, url: str) -> tuple[int, str]:
    """GET ``url`` as a browser with its own cookies would: (status, body)."""
    import urllib.error

    try:
        with opener.open(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_another_device_asks_to_take_over_and_the_operator_agrees(
    qtbot: QtBot, live_window: MainWindow
) -> None:
    import http.cookiejar
    import urllib.request

    w = live_window
    phone = w.live.demo_phone
    assert phone is not None
    other = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    status, body = open_link(other, phone.join_url)
    assert status == 409 and 'data-refusal="in_use"' in body
    assert w.live.takeover_prompt is None
    status, body = open_link(other, phone.join_url + "?takeover=1")
    assert status == 409 and 'data-refusal="takeover_asked"' in body
    qtbot.waitUntil(lambda: w.live.takeover_prompt is not None, timeout=5000)
    prompt = w.live.takeover_prompt
    assert prompt is not None and prompt.isVisible()
    assert "take over" in prompt.text()
    qtbot.mouseClick(prompt.button(prompt.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.live.takeover_prompt is None, timeout=5000)

    def let_in() -> bool:
        return open_link(other, phone.join_url + "?takeover=1")[0] == 200

    qtbot.waitUntil(let_in, timeout=5000)


def test_the_seller_signs_or_remarks_and_the_console_says_so(
    qtbot: QtBot, live_window: MainWindow, store: Store
) -> None:
    live = live_window.live
    assert live.ask_signature.isEnabled() and live.signature.isHidden()
    qtbot.mouseClick(live.ask_signature, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(phone_messages(live_window, "summary")), timeout=10000)
    qtbot.waitUntil(lambda: "Waiting for the seller's signature" in live.signature.text())
    assert live.signature.isVisible()
    summary = phone_messages(live_window, "summary")[-1]
    phone = live.demo_phone
    assert phone is not None

    async def remark() -> None:  # the demo phone lives on the engine's loop
        phone.send("remark", sha256=summary["sha256"], text="Le pare-choc est neuf.")

    async def sign() -> None:
        phone.sign(summary["sha256"])

    live.engine.call(remark()).result(5)
    qtbot.waitUntil(
        lambda: live.signature.text() == "Remark from the seller: Le pare-choc est neuf.",
        timeout=10000,
    )
    phone.signer_name = "Chloé Dubois"
    live.engine.call(sign()).result(5)
    qtbot.waitUntil(lambda: live.signature.text().startswith("Signed at "), timeout=10000)
    assert live.signature.text().endswith(" by Chloé Dubois")
    assert len(store.signatures(live.inspection_id or "")) == 1


def test_identity_readings_show_beside_the_entry(qtbot: QtBot, live_window: MainWindow) -> None:
    from inspector.live import events as ev

    live = live_window.live
    iid = live.inspection_id or ""
    live.on_identity_read(
        ev.IdentityRead(
            iid,
            "c1",
            "vin",
            "WVWA7JVU7C3HZUGUE",
            0.99,
            "VF3LBYHZPKS123456",
            True,
            details="Volkswagen, Germany, 2012",
        )
    )
    live.on_identity_read(
        ev.IdentityRead(iid, "c2", "plate", "AB-123-CD", 0.97, "AB-123-CD", False)
    )
    text = live.identity.text()
    assert live.identity.isVisible()
    assert (
        "⚠ VIN read from photo: WVWA7JVU7C3HZUGUE" in text and "≠ entered VF3LBYHZPKS123456" in text
    )
    assert "Plate read from photo: AB-123-CD (97%) · matches the entry" in text


def test_the_console_shows_whether_the_call_is_recorded(
    qtbot: QtBot, live_window: MainWindow, store: Store
) -> None:
    w = live_window
    assert w.live.recording.isHidden()  # the demo phone was not asked
    w.live.end_call()
    qtbot.waitUntil(lambda: w.live.connection == "closed", timeout=10000)
    w.live.start_demo_phone(recording=True)  # the seller ticks "I agree"
    qtbot.waitUntil(lambda: w.live.recording.text() == "● Recording", timeout=20000)
    assert w.live.recording.isVisible()
    qtbot.wait(1500)
    w.grab().save("/tmp/console-recording.png")
    iid = w.live.inspection_id
    w.live.end_call()
    qtbot.waitUntil(lambda: w.live.recording.text() == "Recording stopped", timeout=20000)
    (row,) = store.recordings(iid)
    assert row.consent and row.playable and row.duration > 1
