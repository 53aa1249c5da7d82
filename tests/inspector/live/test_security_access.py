"""Access: tokens are unguessable, expire, can be revoked (also from another process, the
CLI), never reach a log, and open exactly one inspection."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from pathlib import Path

import pytest
from aiohttp import WSMsgType

from inspector.cli.main import main as cli_main
from inspector.live import events as ev
from inspector.live.contrib.simphone import JoinRefused
from inspector.live.tokens import Invitations, hash_token, token_tag
from inspector.storage.store import Store

from ..live_fixtures import make_inspection
from ..security_fixtures import client, live_engine, raw_request, serve


def test_tokens_are_256_bit_and_unique(store: Store) -> None:
    inv = Invitations(store, 60)
    inspection = make_inspection(store)
    tokens = [inv.issue(inspection.id)[0] for _ in range(300)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) == 32  # 256 bits from secrets.token_urlsafe(32)
    # The bits are spread: every base64url symbol shows up across 300 tokens.
    assert len(set("".join(tokens))) == 64


async def test_expired_and_revoked_links_are_refused_everywhere(
    store: Store, tmp_path: Path
) -> None:
    async with serve(store, tmp_path, token_recheck_seconds=0.2) as env:
        short = Invitations(store, 0.2)
        expired, _ = short.issue(make_inspection(store).id)
        inspection = make_inspection(store)
        revoked, _ = env.inv.issue(inspection.id)
        env.inv.revoke(inspection.id)
        await asyncio.sleep(0.3)
        async with client() as s:
            for token in (expired, revoked):
                for path in (f"/j/{token}", f"/ws/{token}"):
                    async with s.get(env.base + path) as r:
                        assert r.status == 404


async def test_revocation_closes_an_open_socket_and_its_session(
    store: Store, tmp_path: Path
) -> None:
    """Revoked behind the server's back (another process, e.g. the CLI): noticed anyway."""
    async with serve(store, tmp_path, token_recheck_seconds=0.2) as env:
        inspection = make_inspection(store)
        token, _ = env.inv.issue(inspection.id)
        async with client() as s:
            ws = await s.ws_connect(f"{env.base.replace('http', 'ws')}/ws/{token}")
            await ws.receive_json()
            await ws.send_json({"type": "offer", "sdp": "v=0"})
            assert (await ws.receive_json())["type"] == "answer"
            other = Invitations(Store(store.data_dir), 60)  # another process's view
            assert other.revoke(inspection.id) == 1
            started = time.monotonic()
            reply = await asyncio.wait_for(ws.receive_json(), 3)
            assert reply == {"type": "error", "message": "this link is not valid"}
            assert (await asyncio.wait_for(ws.receive(), 3)).type == WSMsgType.CLOSE
            assert time.monotonic() - started < 2
            assert env.backend.byes == [inspection.id]  # the engine drops the phone


async def test_offer_on_a_socket_whose_link_was_revoked(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path) as env:  # default recheck: the offer check comes first
        inspection = make_inspection(store)
        token, _ = env.inv.issue(inspection.id)
        async with client() as s:
            ws = await s.ws_connect(f"{env.base.replace('http', 'ws')}/ws/{token}")
            await ws.receive_json()
            env.inv.revoke(inspection.id)
            await ws.send_json({"type": "offer", "sdp": "v=0"})
            assert (await ws.receive_json())["type"] == "error"
            assert (await ws.receive()).type == WSMsgType.CLOSE
            assert env.backend.offers == []


async def test_cli_revoke_ends_a_live_session(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("inspector.live.server.app.TOKEN_RECHECK_SECONDS", 0.3)
    async with live_engine(store, tmp_path, monkeypatch) as live:
        phone = live.phone()
        await phone.start()
        try:
            await live.log.wait(ev.PhoneJoined)
            code = await asyncio.to_thread(
                cli_main, ["revoke", live.inspection_id, "--data-dir", str(store.data_dir)]
            )
            assert code == 0 and "Revoked 1" in capsys.readouterr().out
            await live.log.wait(ev.PhoneLeft, timeout=5)
            with pytest.raises(JoinRefused) as err:
                await live.phone().start()
            assert err.value.status == 404
        finally:
            await phone.stop()


async def test_a_token_opens_one_inspection_only(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with live_engine(store, tmp_path, monkeypatch) as live:
        b_id, b_url = await live.invite()
        a = live.phone()
        b = live.phone(url=b_url)
        await a.start()
        await b.start()
        try:
            wa = await a.wait_for("welcome")
            wb = await b.wait_for("welcome")
            assert wa["inspection"]["id"] == live.inspection_id
            assert wb["inspection"]["id"] == b_id
            # Drive B: A must hear nothing of it.
            await asyncio.wrap_future(live.engine.message(b_id, "pour B seulement"))
            await asyncio.wrap_future(live.engine.torch(b_id, True))
            capture_b = await asyncio.wrap_future(live.engine.capture(b_id))
            await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_b, timeout=10)
            await b.wait_for("message")
            await asyncio.sleep(0.3)
            assert not a.received("message") and not a.received("torch")
            assert not a.received("capture") and not a.received("capture_result")
            assert all(b_id not in str(m) for m in a.messages)
            assert all(b_id not in str(m) for m in a.signaling)
            stored = live.store.captures(live.inspection_id)
            assert stored == []  # B's photo went to B
        finally:
            await a.stop()
            await b.stop()


async def test_tokens_never_reach_a_log(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole session at DEBUG, access logger included, plus every way to fumble a link."""
    caplog.set_level(logging.DEBUG)
    for name in ("aiohttp.access", "aiohttp.server", "aiohttp.web", "aiohttp.websocket"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    async with live_engine(store, tmp_path, monkeypatch) as live:
        token = live.join_url.rsplit("/", 1)[1]
        phone = live.phone()
        await phone.start()
        try:
            capture_id = await asyncio.wrap_future(live.engine.capture(live.inspection_id))
            await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id)
            phone.send_raw("not json")  # protocol errors are logged too
            await phone.wait_for("error")
            port = live.engine.port
            assert port is not None
            # Requests that make aiohttp's parser complain while quoting the request line.
            for raw in (
                f"GET /j/{token}\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
                f"GET /j/{token} HTTP/1.1\r\nHost: x\r\nBad\x01Header: {token}\r\n\r\n",
                f"GET /j/{token}{'A' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n",
                f"POST /j/{token} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                f"GET /ws/{token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
            ):
                await raw_request(port, raw.encode("latin-1"), timeout=2)
            async with client() as s:
                async with s.get(f"http://127.0.0.1:{port}/j/{token}x"):
                    pass
                async with s.get(f"http://127.0.0.1:{port}/j/{token}"):
                    pass  # held by the phone: 409
            await asyncio.wrap_future(live.engine.revoke(live.inspection_id))
            await live.log.wait(ev.PhoneLeft, timeout=5)
        finally:
            await phone.stop()
    text = "\n".join(r.getMessage() + str(r.exc_text or "") for r in caplog.records)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert any(r.name.startswith("inspector") for r in caplog.records)
    assert token not in text and token not in caplog.text
    assert token[:20] not in caplog.text
    assert hash_token(token) not in caplog.text  # the full hash is a bearer of nothing, still
    assert token_tag(token) in caplog.text  # what is logged instead
