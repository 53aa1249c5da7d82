"""The phone-facing server over real HTTP on loopback: pages, headers, devices, signaling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession, CookieJar, WSMsgType

from inspector.live.server import CSP, DEVICE_COOKIE, MAX_SIGNALING_ERRORS, PhoneServer
from inspector.live.server import signaling as signaling_module
from inspector.live.tokens import Invitations
from inspector.storage.store import Store

from ..live_fixtures import make_assets, make_inspection


class Backend:
    """The engine's side of signaling, reduced to what these tests observe."""

    def __init__(self) -> None:
        self.offers: list[str] = []
        self.byes = 0
        self.languages: dict[str, str] = {}
        self.takeovers: list[str] = []

    def mode(self, inspection_id: str) -> str:
        return "operator"

    async def offer(self, inspection_id: str, sdp: str, device: str) -> str:
        self.offers.append(sdp)
        return "v=0 answer"

    async def bye(self, inspection_id: str, device: str) -> None:
        self.byes += 1

    def last_seen(self, inspection_id: str) -> float | None:
        return None

    def language(self, inspection_id: str) -> str | None:
        return self.languages.get(inspection_id)

    def takeover_asked(self, inspection_id: str) -> None:
        self.takeovers.append(inspection_id)


class Env:
    def __init__(self, server: PhoneServer, inv: Invitations, store: Store, backend: Backend):
        self.server, self.inv, self.store, self.backend = server, inv, store, backend
        self.base = f"http://127.0.0.1:{server.port}"

    def token(self) -> str:
        return self.inv.issue(make_inspection(self.store).id)[0]


@pytest.fixture
async def env(store: Store, tmp_path: Path) -> AsyncIterator[Env]:
    inv = Invitations(store, 3600)
    backend = Backend()
    server = PhoneServer(inv, backend, assets=make_assets(tmp_path), grace_seconds=0.5)
    await server.start("127.0.0.1", 0)
    try:
        yield Env(server, inv, store, backend)
    finally:
        await server.close()


def device() -> ClientSession:
    return ClientSession(cookie_jar=CookieJar(unsafe=True))


def assert_security_headers(headers: object) -> None:
    h = headers  # CIMultiDictProxy
    assert h["Content-Security-Policy"] == CSP  # type: ignore[index]
    assert h["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert h["Referrer-Policy"] == "no-referrer"  # type: ignore[index]
    assert h["X-Frame-Options"] == "DENY"  # type: ignore[index]
    assert h["Permissions-Policy"] == "camera=(self)"  # type: ignore[index]
    assert h["Cache-Control"] == "no-store"  # type: ignore[index]
    assert "Strict-Transport-Security" not in h  # type: ignore[operator]


async def test_join_page_sets_a_device_cookie(env: Env) -> None:
    async with device() as s, s.get(f"{env.base}/j/{env.token()}") as r:
        assert r.status == 200
        assert r.content_type == "text/html"
        assert_security_headers(r.headers)
        cookie = r.cookies[DEVICE_COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
        assert not cookie["secure"]  # plain HTTP on loopback


@pytest.mark.parametrize("path", ["/j/nope", "/j/" + "A" * 43, "/j/" + "x" * 300])
async def test_invalid_link_page_gives_no_hint(env: Env, path: str) -> None:
    for accept, words in [("fr-FR,fr;q=0.9", "n'est pas valide"), ("en-GB", "not valid")]:
        async with device() as s, s.get(env.base + path, headers={"Accept-Language": accept}) as r:
            assert r.status == 404
            text = await r.text()
            assert words in text
            assert '<link rel="stylesheet" href="/static/phone.css">' in text  # styled as the page
            assert path[3:] not in text  # the token is never echoed
            assert 'id="retry"' not in text  # nothing to retry: a new link is needed
            assert_security_headers(r.headers)
            assert DEVICE_COOKIE not in r.cookies


@pytest.mark.parametrize(
    ("accept", "lang"),
    [("de-DE, fr;q=0.8, en;q=0.5", "fr"), ("en-US,en;q=0.9", "en"), ("", "en"), ("x;q=z", "en")],
)
async def test_refusals_speak_the_browser_language(env: Env, accept: str, lang: str) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    async with device() as s, s.get(f"{env.base}/j/nope", headers=headers) as r:
        assert r.status == 404
        assert r.headers["Content-Language"] == lang
        assert f'<html lang="{lang}">' in await r.text()


async def test_expired_and_revoked_links_look_the_same(env: Env, store: Store) -> None:
    short = Invitations(store, 0.05)
    expired, _ = short.issue(make_inspection(store).id)
    inspection = make_inspection(store)
    revoked, _ = env.inv.issue(inspection.id)
    env.inv.revoke(inspection.id)
    await asyncio.sleep(0.1)
    bodies = []
    async with device() as s:
        for token in (expired, revoked, "unknown"):
            async with s.get(f"{env.base}/j/{token}") as r:
                assert r.status == 404
                bodies.append(await r.text())
            async with s.get(f"{env.base}/ws/{token}") as r:
                assert r.status == 404
    assert bodies[0] == bodies[1] == bodies[2]


async def test_second_device_is_refused_while_the_first_holds_it(env: Env) -> None:
    token = env.token()
    async with device() as a, device() as b:
        async with a.get(f"{env.base}/j/{token}") as r:
            assert r.status == 200
        ws = await a.ws_connect(f"{env.base}/ws/{token}")
        assert (await ws.receive_json())["type"] == "config"
        async with b.get(f"{env.base}/j/{token}", headers={"Accept-Language": "en"}) as r:
            assert r.status == 409
            text = await r.text()
            assert "Inspection already open" in text
            assert 'id="retry" class="big" href="?"' in text
            assert 'id="takeover" class="big secondary" href="?takeover=1"' in text
            assert token not in text
            assert_security_headers(r.headers)
        async with b.get(f"{env.base}/ws/{token}") as r:
            assert r.status == 409
        # A reload on the first device takes over its own session.
        async with a.get(f"{env.base}/j/{token}") as r:
            assert r.status == 200
        ws2 = await a.ws_connect(f"{env.base}/ws/{token}")
        assert (await ws2.receive_json())["type"] == "config"
        await ws.close()
        await ws2.close()
        # Gone for less than the grace period: still held; after it, free.
        async with b.get(f"{env.base}/j/{token}") as r:
            assert r.status == 409
        await asyncio.sleep(0.6)
        async with b.get(f"{env.base}/j/{token}") as r:
            assert r.status == 200
        ws3 = await b.ws_connect(f"{env.base}/ws/{token}")
        assert (await ws3.receive_json())["type"] == "config"
        async with a.get(f"{env.base}/j/{token}") as r:
            assert r.status == 409  # now the first device is the other one
        await ws3.close()


async def test_in_use_page_speaks_the_inspection_language(env: Env) -> None:
    token = env.token()
    iid = env.inv.known(token)
    assert iid is not None
    env.backend.languages[iid] = "fr"  # the session speaks French; this browser English
    async with device() as a, device() as b:
        ws = await a.ws_connect(f"{env.base}/ws/{token}")
        assert (await ws.receive_json())["type"] == "config"
        async with b.get(f"{env.base}/j/{token}", headers={"Accept-Language": "en"}) as r:
            assert r.status == 409
            assert "Inspection déjà ouverte" in await r.text()
        await ws.close()


async def test_another_device_asks_to_take_over_and_the_operator_agrees(env: Env) -> None:
    token = env.token()
    iid = env.inv.known(token)
    assert iid is not None
    async with device() as a, device() as b:
        holder = await a.ws_connect(f"{env.base}/ws/{token}")
        assert (await holder.receive_json())["type"] == "config"
        async with b.get(f"{env.base}/j/{token}") as r:
            assert r.status == 409
            assert DEVICE_COOKIE in r.cookies  # known from now on: it may ask to take over
        for _ in range(3):  # the waiting page reloads itself: still one question
            async with b.get(f"{env.base}/j/{token}?takeover=1") as r:
                assert r.status == 409
                text = await r.text()
                assert 'data-refusal="takeover_asked"' in text
                assert '<meta http-equiv="refresh" content="3">' in text
        assert env.backend.takeovers == [iid]
        async with device() as c, c.get(f"{env.base}/j/{token}?takeover=1") as r:
            assert r.status == 409  # without a device cookie nobody can ask
            assert 'data-refusal="in_use"' in await r.text()
        assert env.server.signaling.answer_takeover(iid, True)
        assert not env.server.signaling.answer_takeover(iid, True)  # answered already
        async with b.get(f"{env.base}/j/{token}?takeover=1") as r:
            assert r.status == 200
        ws = await b.ws_connect(f"{env.base}/ws/{token}")
        assert (await ws.receive_json())["type"] == "config"
        assert (await holder.receive_json())["type"] == "bye"  # the old phone is let go
        async with a.get(f"{env.base}/j/{token}") as r:
            assert r.status == 409  # and is now the other device
        await ws.close()
        await holder.close()


async def test_a_declined_take_over_says_so_then_may_ask_again(env: Env) -> None:
    token = env.token()
    iid = env.inv.known(token)
    assert iid is not None
    async with device() as a, device() as b:
        holder = await a.ws_connect(f"{env.base}/ws/{token}")
        assert (await holder.receive_json())["type"] == "config"
        async with b.get(f"{env.base}/j/{token}?takeover=1") as r:
            assert r.status == 409  # no cookie yet: the plain refusal, with a cookie
        async with b.get(f"{env.base}/j/{token}?takeover=1") as r:
            assert 'data-refusal="takeover_asked"' in await r.text()
        assert env.server.signaling.answer_takeover(iid, False)
        async with b.get(f"{env.base}/j/{token}?takeover=1") as r:
            assert r.status == 409
            assert 'data-refusal="takeover_declined"' in await r.text()
        async with b.get(f"{env.base}/j/{token}") as r:  # "Try again"
            assert 'data-refusal="in_use"' in await r.text()
        async with b.get(f"{env.base}/j/{token}?takeover=1") as r:
            assert 'data-refusal="takeover_asked"' in await r.text()
        assert env.backend.takeovers == [iid, iid]
        await holder.close()


async def test_an_agreement_to_take_over_not_used_in_time_lapses(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signaling_module, "TAKEOVER_WAIT", 0.3)
    token = env.token()
    iid = env.inv.known(token)
    assert iid is not None
    async with device() as a, device() as b:
        holder = await a.ws_connect(f"{env.base}/ws/{token}")
        assert (await holder.receive_json())["type"] == "config"
        async with b.get(f"{env.base}/j/{token}"):
            pass
        async with b.get(f"{env.base}/j/{token}?takeover=1") as r:
            assert 'data-refusal="takeover_asked"' in await r.text()
        assert env.server.signaling.answer_takeover(iid, True)
        await asyncio.sleep(0.4)
        async with b.get(f"{env.base}/j/{token}?takeover=1") as r:
            assert r.status == 409  # too late: asked anew
            assert 'data-refusal="takeover_asked"' in await r.text()
        assert env.backend.takeovers == [iid, iid]
        await holder.close()


async def test_signaling_config_offer_answer_bye(env: Env) -> None:
    token = env.token()
    async with device() as s:
        async with s.get(f"{env.base}/j/{token}"):
            pass
        ws = await s.ws_connect(f"{env.base}/ws/{token}")
        config = await ws.receive_json()
        assert config == {"type": "config", "ice_servers": [], "mode": "operator"}
        await ws.send_json({"type": "offer", "sdp": "v=0 offer"})
        assert await ws.receive_json() == {"type": "answer", "sdp": "v=0 answer"}
        await ws.send_json({"type": "offer", "sdp": "v=0 again"})  # a renegotiation
        assert (await ws.receive_json())["type"] == "answer"
        assert env.backend.offers == ["v=0 offer", "v=0 again"]
        await ws.send_json({"type": "bye"})
        msg = await ws.receive()
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert env.backend.byes == 1


@pytest.mark.parametrize(
    "bad",
    [
        "not json",
        '{"type": "dance"}',
        '["offer"]',
        '{"type": "offer", "sdp": 5}',
        '{"type": "offer", "sdp": "' + "a" * 100_001 + '"}',
        b"\x00binary",
    ],
    ids=["not-json", "unknown-type", "not-object", "sdp-not-str", "sdp-too-big", "binary"],
)
async def test_malformed_signaling_gets_errors_then_close(env: Env, bad: str | bytes) -> None:
    token = env.token()
    async with device() as s:
        ws = await s.ws_connect(f"{env.base}/ws/{token}")
        await ws.receive_json()
        for i in range(MAX_SIGNALING_ERRORS):
            if isinstance(bad, bytes):
                await ws.send_bytes(bad)
            else:
                await ws.send_str(bad)
            reply = await ws.receive_json()
            assert reply["type"] == "error" and reply["message"]
            assert i < MAX_SIGNALING_ERRORS
        msg = await ws.receive()
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert env.backend.offers == []


async def test_static_allow_list(env: Env) -> None:
    async with device() as s:
        async with s.get(f"{env.base}/static/app.js") as r:
            assert r.status == 200
            assert r.content_type == "text/javascript"
            assert_security_headers(r.headers)
        async with s.get(f"{env.base}/static/overlays/front.svg") as r:
            assert r.status == 200 and r.content_type == "image/svg+xml"


async def test_every_phone_module_is_served_as_javascript(env: Env) -> None:
    """The page's ES modules load only as text/javascript, under script-src 'self'."""
    modules = sorted(p for p in env.server.phone_dir.glob("*.js") if p.name != "app.js")
    assert len(modules) > 3  # the real page, split into modules
    async with device() as s:
        for path in modules:
            async with s.get(f"{env.base}/static/{path.name}") as r:
                assert r.status == 200, path.name
                assert r.content_type == "text/javascript", path.name
                assert await r.read() == path.read_bytes()
                assert "script-src 'self'" in r.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/static/notes.txt",  # in the folder but not an allowed type
        "/static/../secret.txt",
        "/static/..%2f..%2fsecret.txt",
        "/static/%2e%2e/%2e%2e/secret.txt",
        "/static/..%5csecret.txt",
        "/static/overlays/../../secret.txt",
        "/static/overlays/..%2f..%2fsecret.txt",
        "/static/overlays/front.txt",
        "/static/overlays/FRONT.svg",
        "/static/nothing.js",
        "/static/",
        "/",
        "/admin",
        "/j/",
        "/ws/",
    ],
)
async def test_everything_else_is_404(env: Env, path: str) -> None:
    async with device() as s, s.get(env.base + path, allow_redirects=False) as r:
        assert r.status == 404, path
        text = await r.text()
        assert "do not serve" not in text
        assert_security_headers(r.headers)


async def test_no_uploads_and_other_methods(env: Env) -> None:
    token = env.token()
    async with device() as s:
        async with s.post(f"{env.base}/j/{token}", data=b"x" * 10_000) as r:
            assert r.status in (404, 405, 413)
            assert_security_headers(r.headers)
        async with s.get(f"{env.base}/j/{token}", data=b"x" * 10_000) as r:
            assert r.status in (200, 413)
            assert_security_headers(r.headers)


async def test_hsts_under_https(store: Store, tmp_path: Path) -> None:
    import ssl

    from inspector.live.tls import ensure_certificate, ssl_context

    ctx = ssl_context(tmp_path / "data2", [])
    cert, _ = ensure_certificate(tmp_path / "data2", [])
    server = PhoneServer(
        Invitations(store, 60), Backend(), ssl_context=ctx, assets=make_assets(tmp_path)
    )
    port = await server.start("127.0.0.1", 0)
    try:
        client = ssl.create_default_context(cafile=str(cert))
        token, _ = Invitations(store, 60).issue(make_inspection(store).id)
        async with device() as s, s.get(f"https://127.0.0.1:{port}/j/{token}", ssl=client) as r:
            assert r.status == 200
            assert r.headers["Strict-Transport-Security"].startswith("max-age=")
            assert r.cookies[DEVICE_COOKIE]["secure"]
    finally:
        await server.close()
