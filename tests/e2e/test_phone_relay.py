"""The phone page on an operator-guided call relayed by a team server (issue 14).

Real Chromium (French) joins an operator link of a real ``inspector server``
(PostgreSQL, S3); the operator's console is a real engine on the test's side,
attached by a :class:`DeskLink`. Before the console attaches the page says the
advisor will join; it goes live when it does; when the console leaves the page says
"Votre conseiller revient dans un instant", and when it comes back the call goes on
at the same shot. ``SCREENSHOTS=folder`` keeps the waiting screen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inspector.config import ServerSettings
from inspector.live.engine import Engine
from inspector.storage.store import Store
from inspector.team.desk_link import DeskLink
from tests.e2e.conftest import EventLog, Phone
from tests.e2e.waits import wait_until
from tests.inspector.team.api_fixtures import Team, team

__all__ = ["team"]  # the module's fixture

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

NEW = {
    "checklist": "quick",
    "operator": "olga",
    "vehicle": {"make": "Peugeot", "model": "308", "plate": "AB-123-CD"},
    "seller": {"name": "Élodie Martin", "language": "fr"},
}


@pytest.fixture
def console(team: Team, tmp_path: Path) -> Iterator[Engine]:
    store = Store(
        tmp_path / "console", database_url=team.database_url, photo_store=team.photo_store
    )
    engine = Engine(store, ServerSettings(port=0), EventLog(), settle_interrupted=False)
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()
        store.close()


def _veil(p: Phone) -> str:
    return str(p.page.locator("#veil-title").text_content())


def _shot(p: Phone) -> str | None:
    shot = p.hooks(".currentShot")
    return None if shot is None else str(shot["id"])


def test_the_page_waits_for_the_advisor_and_resumes_at_the_same_shot(
    team: Team, console: Engine, phone: Any
) -> None:
    token = team.login("olga")
    made = team.call("POST", "inspections", token=token, body=NEW)
    inspection_id = str(made.json()["id"])
    invited = team.call("POST", f"inspections/{inspection_id}/invite", token=token, body={})
    join_url = str(invited.json()["join_url"])

    p: Phone = phone(locale="fr-FR")
    response = p.page.goto(join_url)
    assert response is not None and response.status == 200
    cookies = {c["name"]: c for c in p.context.cookies(join_url.replace("/j/", "/ws/", 1))}
    assert cookies["inspector_call"]["value"] == inspection_id
    assert cookies["inspector_call"]["path"] == "/ws/"
    p.page.locator("#start").click()
    # No console yet: the page waits for the advisor.
    wait_until(lambda: p.hooks(".waiting"), 20, "the page to be told to wait")
    assert p.hooks(".mode") == "operator"
    assert _veil(p) == "Votre conseiller vous rejoint dans un instant"

    links: list[DeskLink] = []
    try:
        links.append(DeskLink(team.url, token, inspection_id, console))
        links[-1].start()
        p.wait_state("live", timeout=30)
        shot = console.next_shot(inspection_id).result(10)
        wait_until(lambda: _shot(p) == shot.id, 10, "the page to show the second shot")

        links[-1].stop()  # the console drops
        wait_until(lambda: p.hooks(".waiting"), 20, "the page to be told to wait again")
        assert p.hooks(".state") == "reconnecting"
        assert _veil(p) == "Votre conseiller revient dans un instant"
        assert p.page.locator("#veil").is_visible()
        folder = os.environ.get("SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            p.page.screenshot(path=str(Path(folder) / "advisor-away-fr-FR.png"), scale="css")

        links.append(DeskLink(team.url, token, inspection_id, console))  # it comes back
        links[-1].start()
        p.wait_state("live", timeout=30)
        assert not p.hooks(".waiting")
        assert _shot(p) == shot.id
        assert console.session_info(inspection_id).result(10)["shot_id"] == shot.id
        p.assert_clean()
    finally:
        for link in links:
            link.stop()
