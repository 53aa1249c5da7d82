"""The team deployment with a remote console, end to end (issue 14): PostgreSQL, an S3
bucket, two ``inspector server`` processes, the operator's console connected to one
of them (pytest-qt, offscreen), real Chromium as the seller's phone.

The operator opens the inspection from the team's home and takes the call: the phone
joins the server's link, the server relays the call to the console, whose engine
guides it; four shots are captured and accepted from the console, each photo stored
on the server (hash checked) before the phone hears "saved". An inspector on a second
console, connected to the other process, opens the inspection's review, marks a damage
on one of them (written to the server first) and exports the server's sealed report.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from inspector.domain.models import DamageType, Part, Region
from inspector.seal.check import check_pdf
from inspector.storage.store import Store
from inspector.team.client import Client
from inspector.usecases import accounts
from tests.inspector.team.team_fixtures import TeamProcess
from tests.ui.test_team_console import connect, shown_ids
from ui import settings
from ui.main_window import MainWindow

from .conftest import Phone

pytestmark = pytest.mark.timeout(600)

PASSWORDS = {"olga": "operator-pass-Qm4x", "ines": "inspector-pass-Zr8w"}
SHOTS = 4


def _client(server: TeamProcess, user: str) -> Client:
    client = Client(server.url)
    client.token = client.login(user, PASSWORDS[user])["token"]
    return client


def test_a_remote_console_guides_four_shots_and_an_inspector_reviews_on_another(
    qtbot: QtBot,
    phone: Callable[..., Phone],
    tmp_path: Path,
    pg_url: str,
    s3_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INSPECTOR_CONFIG_DIR", str(tmp_path / "config"))
    with Store(tmp_path / "admin", database_url=pg_url, photo_store=s3_url) as team_store:
        accounts.add_user(team_store, "olga", "operator", PASSWORDS["olga"], actor="test")
        accounts.add_user(team_store, "ines", "inspector", PASSWORDS["ines"], actor="test")
        a, b = (
            TeamProcess(tmp_path / name, database_url=pg_url, photo_store=s3_url)
            for name in ("a", "b")
        )
        desk = Store(tmp_path / "desk")  # the console's own data folder: no team data in it
        console = MainWindow(desk)
        qtbot.addWidget(console)
        try:
            olga = _client(a, "olga")
            inspection_id = olga.create(
                {
                    "checklist": "quick",
                    "operator": "olga",
                    "vehicle": {"make": "Peugeot", "model": "308", "plate": "AB-123-CD"},
                    "seller": {"name": "Élodie Martin", "language": "fr"},
                }
            )["id"]
            console.show()
            connect(qtbot, console, a.url, "olga", PASSWORDS["olga"])
            qtbot.waitUntil(lambda: inspection_id in shown_ids(console), timeout=20000)
            assert console.home.select(inspection_id)
            console.open_selected()  # the operator takes the call
            qtbot.waitUntil(lambda: console.on_team_call, timeout=60000)
            qtbot.waitUntil(lambda: bool(console.live.invite.join_url), timeout=30000)
            join_url = console.live.invite.join_url
            assert join_url.startswith(a.public_url + "/j/")

            seller = phone(locale="fr-FR")
            seller.page.goto(join_url)
            seller.start()  # consent, camera, WebRTC: relayed by the server to the console
            qtbot.waitUntil(lambda: console.live.live, timeout=30000)

            captured: list[str] = []
            for _ in range(SHOTS):
                console.live.capture_now()
                qtbot.waitUntil(lambda: console.live.capture.capture_id is not None, timeout=60000)
                capture_id = console.live.capture.capture_id
                assert capture_id is not None
                # "saved" was said after the server stored it: it is there now.
                assert team_store.get_capture(capture_id).sha256
                console.live.capture.accept_button.click()
                qtbot.waitUntil(lambda: console.live.capture.capture_id is None, timeout=30000)
                captured.append(capture_id)
                qtbot.wait(300)  # the engine moves to the next shot
            seller.assert_clean()

            def accepted() -> set[str]:
                return {c.id for c in team_store.captures(inspection_id) if c.accepted}

            deadline = time.monotonic() + 30
            while accepted() != set(captured):  # the last accept is on its way
                assert time.monotonic() < deadline, accepted()
                qtbot.wait(200)
            for capture in team_store.captures(inspection_id):
                data = team_store.read_photo(capture.sha256)
                assert hashlib.sha256(data).hexdigest() == capture.sha256
            assert len({c.shot_id for c in team_store.captures(inspection_id)}) == SHOTS

            # An inspector on a second console, connected to the other process: the review
            # of the team inspection, every change written to the server first.
            ines_desk = Store(tmp_path / "desk-ines")
            settings.set_value("team/server", "")  # another computer: no session to restore
            second = MainWindow(ines_desk)
            qtbot.addWidget(second)
            try:
                second.show()
                connect(qtbot, second, b.url, "ines", PASSWORDS["ines"])
                qtbot.waitUntil(lambda: second.team.state == "live", timeout=20000)
                assert second.team.session is not None and second.team.session.user == "ines"
                qtbot.waitUntil(lambda: inspection_id in shown_ids(second), timeout=20000)
                assert second.home.select(inspection_id)
                said: list[str] = []
                second.statusBar().messageChanged.connect(said.append)
                second.open_selected()  # an inspector's Open: the review
                try:
                    qtbot.waitUntil(
                        lambda: second.review is not None and second.review.model.is_loaded,
                        timeout=60000,
                    )
                except qtbot.TimeoutError:
                    raise AssertionError(f"the review did not open: {said}") from None
                review = second.review
                assert review is not None and review.team is not None
                assert {c.id for c in review.model.captures()} == set(captured)
                dialog = review.ask_new_damage(captured[0], Region(0.3, 0.3, 0.2, 0.2))
                dialog.part.setCurrentIndex(dialog.part.findData(Part.BONNET))
                dialog.type.setCurrentIndex(dialog.type.findData(DamageType.DENT))
                dialog.severity_group.button(2).setChecked(True)
                dialog.note.setPlainText("Petite bosse")
                dialog.accept()
                qtbot.waitUntil(lambda: not review.model.pending_writes, timeout=30000)
                assert [d.part for d in team_store.damages(inspection_id)] == ["bonnet"]

                pdf = tmp_path / "report.pdf"
                review.export_report(pdf, "fr")  # four shots of eight: the server asks first
                qtbot.waitUntil(lambda: review.exporter.incomplete_box is not None, timeout=120000)
                box = review.exporter.incomplete_box
                assert box is not None
                with qtbot.waitSignal(review.report_exported, timeout=120000):
                    box.button(QMessageBox.StandardButton.Yes).click()
                with concurrent.futures.ThreadPoolExecutor(1) as aside:  # Playwright's loop
                    sealed = aside.submit(check_pdf, pdf.read_bytes()).result(120)
                assert sealed.ok, sealed.problems  # sealed by the server
                assert team_store.get_inspection(inspection_id).status.value == "reported"
            finally:
                second.close()
                ines_desk.close()

            console.go_home()
            seller.page.wait_for_function(
                "() => window.__inspector.waiting === true", timeout=30000
            )
            assert "conseiller" in seller.page.locator("body").inner_text().lower()
        finally:
            console.close()
            desk.close()
            a.close()
            b.close()
