"""Invite panel: link, QR code (made off the UI thread), mailto, phone joined."""

from __future__ import annotations

from urllib.parse import unquote

import cv2
import numpy as np
from pytestqt.qtbot import QtBot

from inspector.live import events as ev
from ui.invite_panel import InvitePanel, describe_device, mailto_url, qr_image

URL = "http://127.0.0.1:8080/j/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_qr_code_decodes_to_the_link(qtbot: QtBot) -> None:
    image = qr_image(URL).convertToFormat(qr_image(URL).Format.Format_Grayscale8)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(np.ascontiguousarray(data[:, :width]))
    assert text == URL


def test_invite_shows_link_qr_and_phone(qtbot: QtBot) -> None:
    panel = InvitePanel()
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.copy_button.isEnabled()
    panel.set_recipient("elodie@example.fr", "Peugeot 308", "fr")
    panel.set_invite(ev.Invite("insp", URL, "2030-01-01T10:00:00+00:00"))
    assert panel.link.text() == URL and panel.copy_button.isEnabled()
    assert "2030-01-01 10:00" in panel.expires.text()
    qtbot.waitUntil(lambda: not panel.qr.pixmap().isNull(), timeout=3000)
    panel.copy_link()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == URL
    joined = ev.PhoneJoined(
        "insp",
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
        {"width": 1920, "height": 1080, "torch": True},
        "fr",
    )
    panel.on_phone_joined(joined)
    assert panel.phone.text() == "Phone joined: Chrome on Android, camera 1920×1080, torch"
    assert panel.qr.isHidden()
    panel.on_phone_left(ev.PhoneLeft("insp", "bye"))
    assert "left" in panel.phone.text() and not panel.qr.isHidden()
    with qtbot.waitSignal(panel.invite_requested, timeout=1000):
        panel.new_button.click()
    panel.set_lan_url("https://192.168.1.20:8080")
    assert "192.168.1.20" in panel.lan.text()
    for w in (
        panel.qr,
        panel.link,
        panel.copy_button,
        panel.mail_button,
        panel.new_button,
        panel.phone,
        panel.lan,
    ):
        assert w.toolTip()


def test_mailto_carries_the_link_in_the_sellers_language() -> None:
    url = mailto_url("elodie@example.fr", URL, "Peugeot 308", "fr").toString()
    assert url.startswith("mailto:elodie@example.fr?subject=")
    assert URL in unquote(url) and "Bonjour" in unquote(url)
    assert "Hello" in unquote(mailto_url("", URL, "", "en").toString())


def test_describe_device_falls_back_to_the_user_agent() -> None:
    event = ev.PhoneJoined("insp", "SimulatedPhone/1.0", {"width": 1280, "height": 720}, "fr")
    assert describe_device(event) == "SimulatedPhone/1.0, camera 1280×720"
