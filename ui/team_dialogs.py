"""The dialogs of the team server: **Connect to a team server…** and one team
inspection shown read-only (until a live call against the server is opened from it)."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ConnectDialog", "SelfInviteDialog", "TeamInspectionDialog"]

Login = Callable[
    [str, str, str, Callable[[], None], Callable[[str], None], Callable[[], bool]], None
]


class ConnectDialog(QDialog):
    """URL, user, password; Connect logs in through ``login`` (off the UI thread) and
    closes on success, or says what went wrong and stays open. The password is
    handed to ``login`` only, and cleared from the field after each attempt."""

    def __init__(
        self,
        login: Login,
        parent: QWidget | None = None,
        *,
        server: str = "",
        user: str = "",
        message: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to a team server")
        self.setMinimumWidth(460)
        self._login = login
        self.server = QLineEdit(server, placeholderText="https://inspect.example.com")
        self.server.setToolTip("The team server's address, as your administrator gave it")
        self.user = QLineEdit(user, placeholderText="your user name")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setToolTip("Sent to the server only; never kept on this computer")
        self.message = QLabel(message)
        self.message.setObjectName("connect_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setStyleSheet("color: #b3261e")
        self.message.setVisible(bool(message))
        form = QFormLayout()
        form.addRow("&Server:", self.server)
        form.addRow("&User:", self.user)
        form.addRow("&Password:", self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = QPushButton("&Connect")
        self.connect_button.setDefault(True)
        self.buttons.addButton(self.connect_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.try_connect)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        for field in (self.server, self.user, self.password):
            field.textChanged.connect(self._update)
        self._busy = False
        self.cancelled = False  # closed: a login still on its way is undone
        self.finished.connect(self._finished)
        self._update()
        (self.password if server and user else self.server if not server else self.user).setFocus()

    def _update(self) -> None:
        ready = all(f.text().strip() for f in (self.server, self.user)) and bool(
            self.password.text()
        )
        self.connect_button.setEnabled(ready and not self._busy)

    def try_connect(self) -> None:
        if self._busy or not self.connect_button.isEnabled():
            return
        self._busy = True
        self._update()
        self.message.setStyleSheet("color: palette(text)")
        self.message.setText("Connecting…")
        self.message.show()
        password = self.password.text()
        self.password.clear()
        self._login(
            self.server.text().strip(),
            self.user.text().strip(),
            password,
            self._done,
            self._failed,
            lambda: not self.cancelled,
        )

    def _finished(self, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            self.cancelled = True

    def _done(self) -> None:
        self._busy = False
        self.accept()

    def _failed(self, text: str) -> None:
        self._busy = False
        self.message.setStyleSheet("color: #b3261e")
        self.message.setText(text)
        self.message.show()
        self._update()
        self.password.setFocus()


def _when(text: Any) -> str:
    try:
        return datetime.fromisoformat(str(text)).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(text or "—")


def details_html(data: dict[str, Any]) -> str:
    """One inspection (the show route's JSON) as the read-only page shows it."""
    e = html.escape
    vehicle = data.get("vehicle") or {}
    seller = data.get("seller") or {}
    progress = data.get("progress") or {}
    title = " ".join(
        str(p) for p in (vehicle.get("make"), vehicle.get("model"), vehicle.get("year")) if p
    )
    rows = [
        ("Status", data.get("status")),
        ("Plate", vehicle.get("plate")),
        ("VIN", vehicle.get("vin")),
        ("Mileage", vehicle.get("mileage_km")),
        ("Seller", seller.get("name")),
        ("Seller's language", seller.get("language")),
        ("Operator", data.get("operator")),
        ("Inspector", data.get("inspector")),
        ("Checklist", data.get("checklist")),
        ("Progress", f"{progress.get('done', '?')}/{progress.get('required', '?')} shots"),
        ("Created", _when(data.get("created_at"))),
        ("Changed", _when(data.get("updated_at"))),
        ("Notes", data.get("notes")),
    ]
    table = "".join(
        f"<tr><td><b>{e(k)}</b>&nbsp;&nbsp;</td><td>{e(str(v)) if v not in (None, '') else '—'}"
        "</td></tr>"
        for k, v in rows
    )
    captures = data.get("captures") or []
    shots = ", ".join(e(str(c.get("shot_id", c.get("shot", "")))) for c in captures) or "none yet"
    damages = data.get("damages") or []
    damage_lines = "".join(
        f"<li>{e(str(d.get('part')))}: {e(str(d.get('type')))}, severity "
        f"{e(str(d.get('severity')))}</li>"
        for d in damages
    )
    history = data.get("audit") or data.get("history") or []
    audit_lines = "".join(
        f"<li>{e(_when(a.get('at')))} — {e(str(a.get('actor') or '?'))}: "
        f"{e(str(a.get('action') or a.get('what') or ''))}</li>"
        for a in history[-15:]
        if isinstance(a, dict)
    )
    return (
        f"<h2>{e(title or 'Inspection')}</h2><table>{table}</table>"
        f"<h3>Photos ({len(captures)})</h3><p>{shots}</p>"
        + (f"<h3>Damages ({len(damages)})</h3><ul>{damage_lines}</ul>" if damages else "")
        + (f"<h3>History</h3><ul>{audit_lines}</ul>" if audit_lines else "")
    )


class TeamInspectionDialog(QDialog):
    """A team inspection, read-only: what the server's show route says of it."""

    def __init__(self, data: dict[str, Any], server: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspection_id = str(data.get("id", ""))
        self.setWindowTitle(f"Inspection {self.inspection_id} on {server} (read-only)")
        self.resize(560, 620)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setHtml(details_html(data))
        note = QLabel(
            "Read-only. An operator opens a team inspection to take its call; its review "
            "and report go through the team server (inspector --server … report, export)."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(note)
        layout.addWidget(buttons)


class SelfInviteDialog(QDialog):
    """A self-inspection's join link and its QR code, to send to the seller."""

    def __init__(self, join_url: str, expires_at: str, parent: QWidget | None = None) -> None:
        from PySide6.QtGui import QGuiApplication, QPixmap

        from ui.invite_panel import local_time, qr_image

        super().__init__(parent)
        self.join_url = join_url
        self.setWindowTitle("Self-inspection link")
        intro = QLabel(
            "The seller opens this link on their phone and photographs the car alone, "
            "guided by the team server. Send it, or let them scan the code."
        )
        intro.setWordWrap(True)
        code = QLabel()
        code.setPixmap(QPixmap.fromImage(qr_image(join_url)))
        code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.link = QLabel(join_url)
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.link.setWordWrap(True)
        until = QLabel(f"Valid until {local_time(expires_at)}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy link", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(join_url))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, code, self.link, until, buttons):
            layout.addWidget(widget)
