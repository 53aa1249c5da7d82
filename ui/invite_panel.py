"""The join link: QR code, copy, e-mail, LAN address, and who has joined."""

from __future__ import annotations

import io
import ipaddress
from datetime import datetime
from urllib.parse import quote, urlsplit

import segno
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.i18n import Message
from inspector.live import events as ev
from ui.crossing import run_task

__all__ = ["InvitePanel", "describe_device", "is_loopback", "mailto_url", "qr_image"]

QR_SIDE = 132


def qr_image(text: str, side: int = QR_SIDE) -> QImage:
    """A QR code of ``text`` as a QImage (safe on a worker thread)."""
    qr = segno.make(text, error="m")
    out = io.BytesIO()
    scale = max(1, side // (qr.symbol_size(border=2)[0]))
    qr.save(out, kind="png", scale=scale, border=2)
    image = QImage.fromData(out.getvalue(), "PNG")
    if image.isNull():
        raise ValueError("could not render the QR code")
    return image


_INVITE_SUBJECT = Message("Inspection of your vehicle {vehicle}")
_INVITE_BODY = Message(
    "Hello,\n\nFor the remote inspection of your vehicle, open this link on your "
    "phone, next to the car:\n{join_url}\n\nThank you!"
)


def mailto_url(email: str, join_url: str, vehicle: str, language: str = "fr") -> QUrl:
    """A mailto: link with the join link in a short message in the seller's language."""
    subject = _INVITE_SUBJECT.get(language).format(vehicle=vehicle).strip()
    body = _INVITE_BODY.get(language).format(join_url=join_url)
    return QUrl(f"mailto:{quote(email, safe='@')}?subject={quote(subject)}&body={quote(body)}")


def is_loopback(url: str) -> bool:
    """True when only this computer can open the link (127.0.0.1, localhost, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_time(iso: str) -> str:
    """An ISO time (UTC in the event) as the operator's local wall-clock time."""
    try:
        return f"{datetime.fromisoformat(iso).astimezone():%Y-%m-%d %H:%M}"
    except ValueError:
        return iso


def describe_device(event: ev.PhoneJoined) -> str:
    """A short name for the phone: browser and OS from the user agent, camera size."""
    ua = event.user_agent
    os_name = next(
        (
            n
            for k, n in (
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Android", "Android"),
                ("Windows", "Windows"),
                ("Mac OS", "Mac"),
                ("Linux", "Linux"),
            )
            if k in ua
        ),
        "",
    )
    browser = next(
        (
            n
            for k, n in (
                ("Edg", "Edge"),
                ("Chrome", "Chrome"),
                ("Firefox", "Firefox"),
                ("Safari", "Safari"),
            )
            if k in ua
        ),
        ua.split("/")[0][:30],
    )
    cam = event.camera or {}
    size = f", camera {cam['width']}×{cam['height']}" if cam.get("width") else ""
    torch = ", torch" if cam.get("torch") else ""
    if not os_name:
        return f"{ua[:60] or 'unknown device'}{size}{torch}"
    return f"{browser} on {os_name}{size}{torch}"


class InvitePanel(QWidget):
    """Shows the join link as text and QR code; tells when the phone has joined."""

    invite_requested = Signal()
    revoke_requested = Signal()
    lan_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.join_url = ""
        self.email = ""
        self.vehicle = ""
        self.language = "fr"
        self.phone_joined = False
        self.qr = QLabel()
        self.qr.setFixedSize(QR_SIDE, QR_SIDE)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setToolTip("The seller scans this code with the phone's camera")
        self.link = QLineEdit()
        self.link.setReadOnly(True)
        self.link.setPlaceholderText("No link yet")
        self.link.setToolTip("The seller opens this link on the phone's browser")
        self.expires = QLabel("")
        self.expires.setToolTip("After this time the link no longer works")
        self.copy_button = QPushButton("Copy link")
        self.copy_button.setToolTip("Copy the join link to the clipboard (to paste in an SMS)")
        self.copy_button.clicked.connect(self.copy_link)
        self.mail_button = QPushButton("Send by e-mail")
        self.mail_button.setToolTip("Open an e-mail to the seller with the link")
        self.mail_button.clicked.connect(self.send_mail)
        self.new_button = QPushButton("New link")
        self.new_button.setToolTip("Make a new join link (the old one stops working)")
        self.new_button.clicked.connect(self.invite_requested)
        self.unreachable = QLabel(
            "This link only opens on this computer: a phone cannot reach it. Use LAN "
            "mode for phones on this network (or start the console behind a public URL)."
        )
        self.unreachable.setWordWrap(True)
        self.unreachable.setStyleSheet("color: #b07800; font-weight: bold;")
        self.lan_button = QPushButton("Use LAN mode")
        self.lan_button.setToolTip(
            "Restart the phone server with HTTPS on the local network and make a new link"
        )
        self.lan_button.clicked.connect(self.lan_requested)
        self.lan = QLabel("")
        self.lan.setToolTip("The console's address on the local network (LAN mode)")
        self.lan.setWordWrap(True)
        self.phone = QLabel("Phone: not joined")
        self.phone.setWordWrap(True)
        self.phone.setToolTip("Whether the seller's phone is connected, and which one")
        for w in (self.copy_button, self.mail_button, self.new_button, self.lan_button):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        buttons = QVBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.mail_button)
        buttons.addWidget(self.new_button)
        top = QHBoxLayout()
        top.addWidget(self.qr)
        top.addLayout(buttons, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.link)
        layout.addWidget(self.expires)
        layout.addWidget(self.unreachable)
        layout.addWidget(self.lan_button)
        layout.addLayout(top)
        layout.addWidget(self.lan)
        layout.addWidget(self.phone)
        self.set_lan_url(None)
        self._show_reach()
        self._update_buttons()

    def set_recipient(self, email: str, vehicle: str, language: str) -> None:
        self.email, self.vehicle, self.language = email, vehicle, language
        self._update_buttons()

    def set_lan_url(self, url: str | None) -> None:
        self.lan.setText(f"LAN address: {url}" if url else "")
        self.lan.setVisible(bool(url))

    def set_invite(self, invite: ev.Invite) -> None:
        self.join_url = invite.join_url
        self.link.setText(invite.join_url)
        self.link.setCursorPosition(0)
        self.expires.setText(f"Valid until {local_time(invite.expires_at)}")
        self._show_reach()
        self.qr.setText("…")
        url = invite.join_url
        run_task(lambda: qr_image(url), lambda img: self._show_qr(url, img))
        self._update_buttons()

    def _show_reach(self) -> None:
        # Once a phone is in (this computer's demo phone), the warning has done its job.
        loopback = bool(self.join_url) and is_loopback(self.join_url) and not self.phone_joined
        self.unreachable.setVisible(loopback)
        self.lan_button.setVisible(loopback)

    def on_phone_joined(self, event: ev.PhoneJoined) -> None:
        self.phone_joined = True
        self._show_reach()
        self.phone.setText(f"Phone joined: {describe_device(event)}")
        self.phone.setStyleSheet("color: #1e8c46; font-weight: bold;")
        self.qr.hide()  # the seller is in: give the room back to the live controls

    def on_phone_left(self, event: ev.PhoneLeft) -> None:
        self.phone_joined = False
        self._show_reach()
        self.phone.setText(f"Phone left ({event.reason})")
        self.phone.setStyleSheet("color: #c83232;")
        self.qr.show()

    def copy_link(self) -> None:
        if self.join_url:
            QGuiApplication.clipboard().setText(self.join_url)

    def send_mail(self) -> None:
        if self.join_url:
            QDesktopServices.openUrl(
                mailto_url(self.email, self.join_url, self.vehicle, self.language)
            )

    def _show_qr(self, url: str, image: QImage) -> None:
        if url == self.join_url:
            self.qr.setPixmap(QPixmap.fromImage(image))

    def _update_buttons(self) -> None:
        has = bool(self.join_url)
        self.copy_button.setEnabled(has)
        self.mail_button.setEnabled(has)
        self.mail_button.setToolTip(
            f"Open an e-mail to {self.email} with the link"
            if self.email
            else "Open an e-mail with the link (no seller e-mail given)"
        )
