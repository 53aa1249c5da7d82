"""The phone page's words: from the catalogs, written into the page by the server."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession, CookieJar

from inspector.assets import asset_path
from inspector.domain.models import Part
from inspector.domain.vocabulary import part_name
from inspector.live.phone_words import PHONE_STRINGS, phone_strings, phone_strings_json
from inspector.live.server import PhoneServer
from inspector.live.server.app import STRINGS_SLOT
from inspector.live.server.pages import REFUSALS
from inspector.live.tokens import Invitations
from inspector.storage.store import Store

from ..live_fixtures import make_assets, make_inspection
from .test_server import Backend

SENT = re.compile(rb'<script id="phone-strings" type="application/json">(.*?)</script>', re.S)


def _page_sources() -> tuple[str, str]:
    phone = asset_path("phone")
    script = "\n".join(p.read_text() for p in sorted(phone.glob("*.js")))
    return script, (phone / "index.html").read_text()


def test_every_key_the_page_asks_for_has_its_words() -> None:
    script, html = _page_sources()
    asked = set(re.findall(r"\bt\(\s*\"([a-z_]+)\"", script))
    asked |= set(re.findall(r'data-i18n(?:-label)?="([a-z_]+)"', html))
    assert len(asked) > 15
    assert asked - set(PHONE_STRINGS) == set()


def test_every_phone_string_is_used_by_the_page() -> None:
    script, html = _page_sources()
    refusals = {key for r in REFUSALS.values() for key in (r.title, r.text)}  # server-written
    assert refusals <= set(PHONE_STRINGS)
    for key in PHONE_STRINGS:
        dynamic = key.startswith("reason_") and "t(`reason_${" in script
        assert dynamic or key in refusals or f'"{key}"' in script + html, key


def test_the_page_has_a_slot_for_its_words_and_no_copy_of_them() -> None:
    assert STRINGS_SLOT in (asset_path("phone") / "index.html").read_bytes()
    i18n_js = (asset_path("phone") / "i18n.js").read_text()
    assert "Prendre la photo" not in i18n_js and "Take the photo" not in i18n_js


def test_every_language_of_the_catalogs_is_sent_with_the_vocabulary() -> None:
    sent = phone_strings()
    assert sent["languages"] == ["en", "fr"]
    assert sent["strings"]["fr"]["shutter"] == "Prendre la photo"
    assert sent["strings"]["en"]["shutter"] == "Take the photo"
    assert sent["strings"]["fr"]["consent_who_title"] == "Qui voit la vidéo\u00a0?"
    for lang in ("en", "fr"):
        assert sent["words"][lang]["parts"] == {p.value: part_name(p, lang) for p in Part}


def test_the_json_cannot_close_the_script_element() -> None:
    text = phone_strings_json()
    assert "<" not in text and ">" not in text
    assert json.loads(text) == {**phone_strings(), "ask_recording": False}


@pytest.fixture
async def server(store: Store, tmp_path: Path) -> AsyncIterator[tuple[PhoneServer, Invitations]]:
    inv = Invitations(store, 3600)
    server = PhoneServer(inv, Backend(), assets=make_assets(tmp_path))
    await server.start("127.0.0.1", 0)
    try:
        yield server, inv
    finally:
        await server.close()


async def test_the_join_page_carries_the_words(
    server: tuple[PhoneServer, Invitations], store: Store
) -> None:
    phone_server, inv = server
    token = inv.issue(make_inspection(store).id)[0]
    url = f"http://127.0.0.1:{phone_server.port}/j/{token}"
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as s, s.get(url) as r:
        assert r.status == 200
        body = await r.read()
    found = SENT.search(body)
    assert found is not None
    assert json.loads(found.group(1)) == {**phone_strings(), "ask_recording": False}
