"""Behind a real nginx (deploy/nginx/inspector.conf) terminating TLS: who the phones are.

Every phone arrives from nginx's address; the per-address limits must count the
client nginx names in ``X-Forwarded-For``, believed only because nginx is a
configured trusted proxy (``--trusted-proxy 127.0.0.1``). A forged
``X-Forwarded-For`` changes nothing, sent through nginx (which replaces it) or
straight to the server (whose peer is not a trusted proxy). Clients come from
distinct loopback addresses (127.0.0.2…), nginx from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl
from pathlib import Path

import aiohttp
import pytest

from inspector.live.server.ratelimit import FAILURE_LIMIT
from inspector.storage.store import Store

from .nginx_fixtures import free_port, nginx_or_skip, nginx_proxy
from .team_fixtures import TeamProcess, invited_inspection, wait_for

_UNVERIFIED = ssl._create_unverified_context()  # the test's own self-signed certificate


def _get(
    port: int, path: str, source: str, *, tls: bool, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    connection: http.client.HTTPConnection
    if tls:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=15, source_address=(source, 0), context=_UNVERIFIED
        )
    else:
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=15, source_address=(source, 0)
        )
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


async def _ws_status(url: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as session, asyncio.timeout(15):
        try:
            ws = await session.ws_connect(url, headers=headers, ssl=False)
        except aiohttp.WSServerHandshakeError as exc:
            status = exc.status
        else:
            await ws.close()
            status = 101
    # The TLS connection finishes closing before asyncio.run closes the loop (aiohttp's
    # advice): else its socket is left to the garbage collector, unclosed.
    await asyncio.sleep(0.25)
    return status


@pytest.mark.timeout(300)
def test_limits_follow_the_trusted_nginx_and_ignore_forged_headers(tmp_path: Path) -> None:
    nginx_or_skip()
    public_port = free_port()
    public = f"https://127.0.0.1:{public_port}"
    server = TeamProcess(tmp_path / "a", "--public-url", public, "--trusted-proxy", "127.0.0.1")
    try:
        with nginx_proxy(tmp_path / "nginx", [server.port], public_port) as proxy:
            with Store(tmp_path / "a") as store:
                _, join = invited_inspection(store, public)
            token = join.rsplit("/", 1)[1]

            def via_nginx(path: str, source: str, **headers: str) -> int:
                return _get(proxy.https_port, path, source, tls=True, headers=headers)[0]

            def direct(path: str, source: str, **headers: str) -> int:
                return _get(server.port, path, source, tls=False, headers=headers)[0]

            # Through nginx: a phone that guesses is blocked, whatever it claims to be ...
            for i in range(FAILURE_LIMIT):
                forged = {"X-Forwarded-For": f"203.0.113.{i}"}
                assert via_nginx(f"/j/guess{i}", "127.0.0.2", **forged) == 404
            assert via_nginx("/j/guess", "127.0.0.2", **{"X-Forwarded-For": "198.51.100.9"}) == 429
            # ... and only that phone: another one behind the same proxy is not.
            assert via_nginx("/j/guess", "127.0.0.3") == 404
            # A valid link is always admitted, even from the blocked phone (once the server
            # knows it: tokens issued elsewhere are reloaded every second).
            wait_for(
                lambda: via_nginx(f"/j/{token}", "127.0.0.2") == 200, 30, "the valid link admitted"
            )

            # Straight to the server (not a trusted proxy): its header is ignored.
            for i in range(FAILURE_LIMIT):
                forged = {"X-Forwarded-For": f"192.0.2.{i}"}
                assert direct(f"/j/guess{i}", "127.0.0.4", **forged) == 404
            assert direct("/j/guess", "127.0.0.4", **{"X-Forwarded-For": "192.0.2.200"}) == 429
            # Claiming to be the blocked phone (or anyone) changes nothing either way.
            assert direct("/j/guess", "127.0.0.5", **{"X-Forwarded-For": "127.0.0.4"}) == 404
            assert via_nginx("/j/guess", "127.0.0.6", **{"X-Forwarded-For": "127.0.0.2"}) == 404

            # WebSocket upgrades through nginx: our origin only.
            ws = f"wss://127.0.0.1:{public_port}/ws/{token}"
            assert asyncio.run(_ws_status(ws, "https://evil.example")) == 403
            assert asyncio.run(_ws_status(ws, public)) == 101
            # /metrics is for the scraper on the server's own port, not the internet.
            assert via_nginx("/metrics", "127.0.0.2") == 404
            assert direct("/metrics", "127.0.0.1") == 200
            status, headers = _get(proxy.https_port, "/healthz", "127.0.0.2", tls=True)
            assert status == 200
            assert "strict-transport-security" in headers
            assert len(headers["x-request-id"]) == 32  # nginx's $request_id, passed on
            access = proxy.access_log()
        assert server.terminate() == 0
    finally:
        server.close()
    assert token not in access and "/j/<token>" in access
    requests = [e for e in server.log_events() if e.get("event") == "request"]
    clients = {e["client"] for e in requests}
    assert {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"} <= clients
    assert not any(c.startswith(("203.0.113.", "192.0.2.", "198.51.100.")) for c in clients)
    assert token not in server.log_text()
