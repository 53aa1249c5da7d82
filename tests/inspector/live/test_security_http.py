"""Hostile HTTP against the real server: routes, traversal, oversized requests, slow clients,
token guessing, and the security headers on every kind of response."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSServerHandshakeError

from inspector.config import ServerSettings
from inspector.live import server as server_module
from inspector.live.engine import Engine
from inspector.live.server import guards
from inspector.live.server.ratelimit import FAILURE_LIMIT, FailureLimiter, RequestRate, address_key
from inspector.live.timings import TOKEN_REFRESH_SECONDS
from inspector.live.tls import ensure_certificate, ssl_context
from inspector.live.tokens import Invitations
from inspector.storage.store import Store

from ..live_fixtures import EventLog, make_inspection, use_live_assets
from ..security_fixtures import (
    Env,
    assert_security_headers,
    client,
    parse_response,
    raw_request,
    serve,
)

# -- the routes: only the phone's doors exist ----------------------------------------------------


async def test_only_the_phone_routes_exist(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path) as env:
        routes = {
            (r.method, r.resource.canonical if r.resource else "")
            for r in env.server.app.router.routes()
        }
    assert routes == {
        (method, path)
        for method in ("GET", "HEAD")
        for path in (
            "/j/{token}",
            "/ws/{token}",
            "/static/overlays/{name}",
            "/static/vendor/{name}",  # third-party page scripts (signature_pad)
            "/static/{name}",
        )
    }
    prefixes = {path.split("/")[1] for _, path in routes}
    assert prefixes == {"j", "ws", "static"}


OPERATOR_LIKE = [
    "/",
    "/api",
    "/api/inspections",
    "/admin",
    "/console",
    "/engine",
    "/capture",
    "/inspections",
    "/export",
    "/report.pdf",
    "/photos/ab/abc.jpg",
    "/data/inspector.db",
    "/inspector.db",
    "/.git/config",
    "/static",
    "/static/",
    "/static/overlays/",
    "/static/vendor/",
    "/static/vendor/signature_pad.LICENSE.txt",
    "/j",
    "/ws",
    "/j/",
    "/ws/",
    "/metrics",
    "/health",
    "/server-status",
]


@pytest.mark.parametrize("path", OPERATOR_LIKE)
async def test_unknown_routes_are_404_without_data(store: Store, tmp_path: Path, path: str) -> None:
    async with serve(store, tmp_path) as env:
        token = env.token()
        async with client() as s, s.get(env.base + path, allow_redirects=False) as r:
            body = await r.text()
        assert r.status == 404, path
        assert_security_headers(r.headers, where=path)
        assert len(body) < 1500 and token not in body and "secret" not in body
        assert r.headers.get("Server") == "inspector"  # no product, no version


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
async def test_other_methods_are_refused_on_every_route(
    store: Store, tmp_path: Path, method: str
) -> None:
    async with serve(store, tmp_path) as env:
        token = env.token()
        paths = [f"/j/{token}", f"/ws/{token}", "/static/app.js", "/static/overlays/front.svg"]
        async with client() as s:
            for path in paths:
                async with s.request(method, env.base + path) as r:
                    body = await r.read()
                assert r.status in (404, 405), (method, path, r.status)
                assert_security_headers(r.headers, where=f"{method} {path}")
                assert b"<svg" not in body and b"console.log" not in body
                assert token.encode() not in body


TRAVERSALS = [
    "../secret.txt",
    "..%2fsecret.txt",
    "..%2F..%2Fsecret.txt",
    "%2e%2e/secret.txt",
    "%2e%2e%2fsecret.txt",
    "%252e%252e%252fsecret.txt",
    "..%5csecret.txt",
    "..\\secret.txt",
    "%c0%ae%c0%ae/secret.txt",
    "..%00/secret.txt",
    "secret.txt%00.js",
    "./../secret.txt",
    "....//secret.txt",
    "%2fetc%2fpasswd",
    "/etc/passwd",
    "..;/secret.txt",
]


@pytest.mark.parametrize(
    "prefix", ["/j/", "/ws/", "/static/", "/static/overlays/", "/static/vendor/"]
)
async def test_path_traversal_on_every_route(store: Store, tmp_path: Path, prefix: str) -> None:
    async with serve(store, tmp_path) as env:
        for tail in TRAVERSALS:
            raw = f"GET {prefix}{tail} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            status, headers, body = parse_response(
                await raw_request(env.port, raw.encode("latin-1"))
            )
            assert status in (400, 404), (prefix, tail, status)
            assert b"do not serve" not in body and b"root:" not in body, (prefix, tail)
            assert_security_headers(headers, where=prefix + tail)


# -- oversized and malformed requests ------------------------------------------------------------


async def test_oversized_headers_are_refused_with_headers(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path) as env:
        token = env.token()
        cases = {
            "long-line": f"GET /j/{token}{'A' * 10_000} HTTP/1.1\r\nHost: x\r\n\r\n",
            "long-header": f"GET /j/{token} HTTP/1.1\r\nHost: x\r\nX-Big: {'b' * 10_000}\r\n\r\n",
            "long-cookie": f"GET /j/{token} HTTP/1.1\r\nHost: x\r\nCookie: d={'c' * 9000}\r\n\r\n",
            "many-headers": f"GET /j/{token} HTTP/1.1\r\nHost: x\r\n"
            + "".join(f"X-H{i}: v\r\n" for i in range(200))
            + "\r\n",
            "garbage": "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + "\x00" * 40,
            "bad-method": f"G\x01T /j/{token} HTTP/1.1\r\nHost: x\r\n\r\n",
            "bad-version": f"GET /j/{token} HTTP/9.9\r\nHost: x\r\n\r\n",
            "bad-header-char": f"GET /j/{token} HTTP/1.1\r\nHost: x\r\nX\x00Y: 1\r\n\r\n",
        }
        for name, raw in cases.items():
            answer = await raw_request(env.port, raw.encode("latin-1"))
            status, headers, body = parse_response(answer)
            assert 400 <= status < 500, (name, status)
            assert_security_headers(headers, where=name)
            assert token.encode() not in body, name  # the parser's message is not echoed
            assert len(body) < 1500  # the styled refusal page, nothing more


@pytest.mark.parametrize(
    ("request_head", "body"),
    [
        ("GET /j/{token} HTTP/1.1\r\nContent-Length: 100000\r\n", b"x" * 100),
        ("GET /static/app.js HTTP/1.1\r\nContent-Length: 5\r\n", b"hello"),
        ("GET /ws/{token} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
        ("POST /j/{token} HTTP/1.1\r\nContent-Length: 99999999\r\n", b"x" * 100),
    ],
    ids=["declared-huge", "small-body", "chunked", "post-huge"],
)
async def test_bodies_are_refused_before_being_read(
    store: Store, tmp_path: Path, request_head: str, body: bytes
) -> None:
    async with serve(store, tmp_path) as env:
        token = env.token()
        head = request_head.format(token=token) + "Host: x\r\n\r\n"
        started = time.monotonic()
        status, headers, _ = parse_response(
            await raw_request(env.port, head.encode() + body, timeout=3)
        )
        assert status in (405, 413), status
        assert time.monotonic() - started < 2  # not waiting for 100 MB that never comes
        assert_security_headers(headers, where=request_head)


# -- slow clients --------------------------------------------------------------------------------


async def _trickle(port: int, source: str, stop: asyncio.Event) -> float | None:
    """A slowloris client: header bytes one at a time. Returns when the server hung up."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    except OSError:
        return 0.0
    try:
        for byte in b"GET /static/app.js HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000:
            if stop.is_set():
                return None
            writer.write(bytes([byte]))
            with contextlib.suppress(TimeoutError):
                if await asyncio.wait_for(reader.read(1), 0.1) == b"":
                    return time.monotonic() - started  # the server closed the connection
            if writer.is_closing() or reader.at_eof():
                return time.monotonic() - started
        return None
    except (ConnectionError, OSError):
        return time.monotonic() - started
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def test_slow_clients_do_not_starve_a_normal_one(store: Store, tmp_path: Path) -> None:
    idle = 1.5
    async with serve(store, tmp_path, idle_timeout=idle, trusted_proxies=()) as env:
        stop = asyncio.Event()
        n = 40  # more than one address may hold: the extra ones are refused at once
        slow = [asyncio.create_task(_trickle(env.port, "127.0.0.2", stop)) for _ in range(n)]
        await asyncio.sleep(0.3)
        assert env.server.gate.open <= server_module.MAX_CONNECTIONS_PER_ADDRESS
        for _ in range(5):  # a normal client, from another address, is served at once
            started = time.monotonic()
            async with client("127.0.0.3") as s, s.get(f"{env.base}/static/app.js") as r:
                assert r.status == 200
                await r.read()
            assert time.monotonic() - started < 0.5
            await asyncio.sleep(0.1)
        durations = await asyncio.wait_for(asyncio.gather(*slow), idle + 5)
        stop.set()
        refused = [d for d in durations if d is not None and d < 0.3]
        cut = [d for d in durations if d is not None and d >= 0.3]
        assert len(refused) == n - server_module.MAX_CONNECTIONS_PER_ADDRESS
        assert len(cut) == server_module.MAX_CONNECTIONS_PER_ADDRESS  # all hung up on ...
        assert max(cut) < idle + 1.5  # ... although they were still sending
        await asyncio.sleep(0.1)
        assert env.server.gate.open == 0


async def test_connection_caps(store: Store, tmp_path: Path) -> None:
    async with serve(
        store, tmp_path, max_connections_per_address=3, max_connections=5, trusted_proxies=()
    ) as env:
        held = []
        for source in ["127.0.0.2"] * 4 + ["127.0.0.3"] * 3:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", env.port, local_addr=(source, 0)
            )
            held.append((reader, writer))
        await asyncio.sleep(0.1)
        assert env.server.gate.open == 5  # 3 from .2, 2 from .3; the others were refused
        closed = [r.at_eof() or await _closed(r) for r, _ in held]
        assert closed == [False, False, False, True, False, False, True]
        for _, writer in held:
            writer.close()
        await asyncio.sleep(0.1)
        assert env.server.gate.open == 0
        async with client("127.0.0.2") as s, s.get(f"{env.base}/static/app.js") as r:
            assert r.status == 200


async def test_sellers_behind_one_address_are_not_refused_for_each_others_calls(
    store: Store, tmp_path: Path
) -> None:
    # Carrier-grade NAT: many sellers share one public address. A signaling socket opened
    # with a valid link leaves the address's count (it is bounded per inspection), so the
    # address's slots stay for page loads; the total still counts it.
    async with serve(
        store, tmp_path, max_connections_per_address=3, max_connections=8, trusted_proxies=()
    ) as env:
        ws_base = env.base.replace("http", "ws")
        async with contextlib.AsyncExitStack() as stack:
            sockets = []
            for _ in range(5):  # more sellers in a call than the address may hold
                s = await stack.enter_async_context(client("127.0.0.2"))
                ws = await s.ws_connect(f"{ws_base}/ws/{env.token()}")
                assert (await ws.receive_json())["type"] == "config"
                sockets.append(ws)
            assert env.server.gate.open == 5
            # The address's own slots are all free for the next seller's page load.
            held = [
                await asyncio.open_connection("127.0.0.1", env.port, local_addr=("127.0.0.2", 0))
                for _ in range(4)
            ]
            await asyncio.sleep(0.1)
            closed = [r.at_eof() or await _closed(r) for r, _ in held]
            assert closed == [False, False, False, True]  # 3 per address, as before
            assert env.server.gate.open == 8
            async with client("127.0.0.3") as s:  # the total is full: others wait their turn
                with pytest.raises(aiohttp.ClientConnectionError):
                    async with s.get(f"{env.base}/static/app.js") as r:
                        await r.read()
            for _, writer in held:
                writer.close()
            for ws in sockets:
                await ws.close()
        await asyncio.sleep(0.1)
        assert env.server.gate.open == 0
        async with client("127.0.0.2") as s, s.get(f"{env.base}/static/app.js") as r:
            assert r.status == 200


async def _closed(reader: asyncio.StreamReader) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1), 0.2) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


# -- guessing tokens -----------------------------------------------------------------------------


async def test_failed_tokens_are_rate_limited_per_address(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path, trusted_proxies=()) as env:
        good = env.token()
        statuses = []
        async with client("127.0.0.2") as s:
            for i in range(FAILURE_LIMIT + 5):
                path = f"/j/guess{i}" if i % 2 else f"/ws/guess{i}"
                async with s.get(env.base + path) as r:
                    statuses.append(r.status)
                    assert_security_headers(r.headers, where=path)
                    if r.status == 429:
                        assert int(r.headers["Retry-After"]) > 0
                        assert "Too many attempts" in await r.text()
            assert statuses[:FAILURE_LIMIT] == [404] * FAILURE_LIMIT
            assert statuses[FAILURE_LIMIT:] == [429] * 5
            async with s.get(f"{env.base}/j/another-guess") as r:
                assert r.status == 429  # blocked: every unknown token, without a lookup
            async with s.get(f"{env.base}/j/{good}") as r:
                assert r.status == 200  # a valid link is admitted (NAT: someone else failed)
            async with s.get(f"{env.base}/static/app.js") as r:
                assert r.status == 200  # static files are not behind tokens
        async with client("127.0.0.3") as s:
            async with s.get(f"{env.base}/j/{good}") as r:
                assert r.status == 200  # another address is not affected
            ws = await s.ws_connect(f"{env.base.replace('http', 'ws')}/ws/{good}")
            assert (await ws.receive_json())["type"] == "config"
            await ws.close()


class CountingStore(Store):
    """A real store that counts the token queries made of it."""

    lookups = 0
    reloads = 0

    def token_record(self, token_hash: str) -> tuple[str, datetime, bool, str] | None:
        self.lookups += 1
        return super().token_record(token_hash)

    def valid_tokens(self) -> list[tuple[str, str, datetime, str]]:
        self.reloads += 1
        return super().valid_tokens()


async def test_a_valid_link_is_always_admitted_and_a_blocked_guess_costs_no_lookup(
    data_dir: Path, tmp_path: Path
) -> None:
    store = CountingStore(data_dir)
    many = RequestRate(rate=1000, burst=1000)  # this test asks fast on purpose
    try:
        async with serve(store, tmp_path, requests=many, trusted_proxies=()) as env:
            good = env.token()
            async with client("127.0.0.2") as s:  # a stranger behind the seller's NAT
                for i in range(FAILURE_LIMIT):
                    async with s.get(f"{env.base}/j/guess{i}") as r:
                        assert r.status == 404
                lookups, reloads = store.lookups, store.reloads
                started = time.monotonic()
                for i in range(100):
                    async with s.get(f"{env.base}/j/more{i}") as r:
                        assert r.status == 429
                elapsed = time.monotonic() - started
                assert store.lookups == lookups  # no database for a blocked guess ...
                periodic = elapsed / TOKEN_REFRESH_SECONDS + 1
                assert store.reloads - reloads <= periodic  # ... nor any extra reload
                async with s.get(f"{env.base}/j/{good}") as r:
                    assert r.status == 200  # the seller's valid link, same address
                ws = await s.ws_connect(f"{env.base.replace('http', 'ws')}/ws/{good}")
                assert (await ws.receive_json())["type"] == "config"
                await ws.close()
                # A link made elsewhere (the CLI's own connection) is known at the next reload.
                with Store(data_dir) as other:
                    late = Invitations(other, 3600).issue(make_inspection(other).id)[0]
                deadline = time.monotonic() + TOKEN_REFRESH_SECONDS + 2
                while True:
                    async with s.get(f"{env.base}/j/{late}") as r:
                        if r.status == 200:
                            break
                        assert r.status == 429 and time.monotonic() < deadline
                    await asyncio.sleep(0.1)
    finally:
        store.close()


async def test_the_block_ends(store: Store, tmp_path: Path) -> None:
    limiter = FailureLimiter(limit=3, window=60, block=0.5)
    async with serve(store, tmp_path, limiter=limiter, trusted_proxies=()) as env:
        good = env.token()
        async with client("127.0.0.2") as s:
            for _ in range(3):
                async with s.get(f"{env.base}/j/nope") as r:
                    assert r.status == 404
            async with s.get(f"{env.base}/j/nope") as r:
                assert r.status == 429
            await asyncio.sleep(0.6)
            async with s.get(f"{env.base}/j/nope") as r:
                assert r.status == 404  # looked at again
            async with s.get(f"{env.base}/j/{good}") as r:
                assert r.status == 200


async def test_many_websockets_with_bad_tokens(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path, trusted_proxies=()) as env:
        good = env.token()
        ws_base = env.base.replace("http", "ws")

        async def attempt(i: int) -> int:
            async with client("127.0.0.2") as s:
                try:
                    ws = await s.ws_connect(f"{ws_base}/ws/bad{i}")
                except WSServerHandshakeError as exc:
                    return exc.status
                except aiohttp.ClientConnectionError:
                    return 0  # over the per-address connection cap: hung up on
                await ws.close()
                return 101

        statuses = await asyncio.gather(*(attempt(i) for i in range(60)))
        assert set(statuses) <= {0, 404, 429}
        # Never more failures answered than the budget, however many arrive at once (those
        # over the per-address connection cap are hung up on while the others are looked up).
        assert 0 < statuses.count(404) <= FAILURE_LIMIT
        assert env.backend.offers == []
        started = time.monotonic()
        async with client("127.0.0.4") as s:
            ws = await s.ws_connect(f"{ws_base}/ws/{good}")
            assert (await ws.receive_json())["type"] == "config"
            await ws.close()
        assert time.monotonic() - started < 1


async def test_forwarded_for_is_believed_from_the_local_proxy_only(
    store: Store, tmp_path: Path
) -> None:
    limiter = FailureLimiter(limit=2, window=60, block=60)
    async with serve(store, tmp_path, limiter=limiter) as env:
        good = env.token()
        attacker = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
        async with client("127.0.0.1") as s:  # the "reverse proxy" on this host
            for _ in range(2):
                async with s.get(f"{env.base}/j/nope", headers=attacker) as r:
                    assert r.status == 404
            async with s.get(f"{env.base}/j/nope", headers=attacker) as r:
                assert r.status == 429
            other = {"X-Forwarded-For": "203.0.113.10"}
            async with s.get(f"{env.base}/j/nope", headers=other) as r:
                assert r.status == 404  # another phone behind the same proxy
            async with s.get(f"{env.base}/j/nope") as r:
                assert r.status == 404  # the proxy itself is not blocked
        async with client("127.0.0.2") as s:  # not a trusted proxy: its header is ignored
            spoof = {"X-Forwarded-For": "203.0.113.10"}
            for _ in range(2):
                async with s.get(f"{env.base}/j/nope", headers=spoof) as r:
                    assert r.status == 404
            async with s.get(f"{env.base}/j/nope", headers=spoof) as r:
                assert r.status == 429
            async with s.get(f"{env.base}/j/{good}", headers=spoof) as r:
                assert r.status == 200  # a valid link, blocked address or not
        async with (
            client("127.0.0.1") as s,
            s.get(f"{env.base}/j/nope", headers={"X-Forwarded-For": "203.0.113.10"}) as r,
        ):
            assert r.status == 404  # the spoofed address was never charged


def test_limiter_memory_is_bounded_and_ipv6_counts_by_network() -> None:
    limiter = FailureLimiter(limit=5, window=60, block=60, max_tracked=100)
    for i in range(10_000):
        limiter.failure(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) <= 200
    a = address_key("2001:db8:1:2:aaaa::1")
    assert a == address_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != a
    assert address_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert address_key(None) == "unknown"


# -- security headers on every kind of response --------------------------------------------------


async def _statuses_and_headers(env: Env, https: bool, ssl_arg: object = True) -> set[int]:
    scheme = "https" if https else "http"
    base = f"{scheme}://127.0.0.1:{env.port}"
    token = env.token()
    seen: set[int] = set()
    async with client() as a, client() as b:
        requests = [
            (a, "GET", f"/j/{token}"),
            (a, "GET", "/static/app.js"),
            (a, "GET", "/static/phone.css"),
            (a, "GET", "/static/overlays/front.svg"),
            (a, "GET", "/nothing"),
            (a, "DELETE", f"/j/{token}"),
            (a, "HEAD", f"/j/{token}"),
        ]
        for session, method, path in requests:
            async with session.request(method, base + path, ssl=ssl_arg) as r:
                assert_security_headers(r.headers, https, where=f"{method} {path}")
                seen.add(r.status)
        ws = await a.ws_connect(f"{base.replace('http', 'ws')}/ws/{token}", ssl=ssl_arg)
        await ws.receive_json()
        async with b.get(f"{base}/j/{token}", ssl=ssl_arg) as r:  # held by the first device
            assert_security_headers(r.headers, https, where="409")
            seen.add(r.status)
        await ws.close()
        async with a.get(f"{base}/j/{token}", data=b"x" * 10, ssl=ssl_arg) as r:
            assert_security_headers(r.headers, https, where="413")
            seen.add(r.status)
        for i in range(FAILURE_LIMIT + 1):
            async with b.get(f"{base}/j/bad{i}", ssl=ssl_arg) as r:
                assert_security_headers(r.headers, https, where=f"bad token {i}")
                seen.add(r.status)
    return seen


async def test_security_headers_on_every_response(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path) as env:
        seen = await _statuses_and_headers(env, https=False)
    assert {200, 404, 405, 409, 413, 429} <= seen


async def test_security_headers_on_every_response_under_https(store: Store, tmp_path: Path) -> None:
    ctx = ssl_context(tmp_path / "tls", [])
    cert, _ = ensure_certificate(tmp_path / "tls", [])
    client_ctx = ssl.create_default_context(cafile=str(cert))
    async with serve(store, tmp_path, ssl_context=ctx) as env:
        seen = await _statuses_and_headers(env, https=True, ssl_arg=client_ctx)
    assert {200, 404, 405, 409, 413, 429} <= seen


# -- LAN mode serves HTTPS only ------------------------------------------------------------------


async def test_lan_mode_serves_only_https(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = use_live_assets(tmp_path, monkeypatch)
    engine = Engine(store, ServerSettings(port=0, lan=True), EventLog(), assets=root)
    engine.start()
    try:
        assert engine.base_url is not None and engine.base_url.startswith("https://")
        assert engine.lan_url is None or engine.lan_url.startswith("https://")
        port = engine.port
        assert port is not None
        # Plain HTTP to the LAN port: no HTTP answer, the connection just ends.
        answer = await raw_request(
            port, b"GET /static/app.js HTTP/1.1\r\nHost: x\r\n\r\n", timeout=3
        )
        assert not answer.startswith(b"HTTP/"), answer[:60]
        async with client() as s:
            with pytest.raises(Exception):  # noqa: B017 - any failure: nothing is served
                async with s.get(f"http://127.0.0.1:{port}/static/app.js") as r:
                    await r.read()
        cert, _ = ensure_certificate(store.data_dir)
        ctx = ssl.create_default_context(cafile=str(cert))
        async with client() as s, s.get(f"https://127.0.0.1:{port}/static/app.js", ssl=ctx) as r:
            assert r.status == 200
            assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        engine.stop(timeout=5)


async def test_tls_handshake_has_a_deadline(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guards, "TLS_HANDSHAKE_TIMEOUT", 0.5)  # read when listening
    ctx = ssl_context(tmp_path / "tls", [])
    async with serve(store, tmp_path, ssl_context=ctx) as env:
        reader, writer = await asyncio.open_connection("127.0.0.1", env.port)
        started = time.monotonic()
        with contextlib.suppress(ConnectionError):
            assert await asyncio.wait_for(reader.read(100), 5) == b""
        assert time.monotonic() - started < 3
        writer.close()
