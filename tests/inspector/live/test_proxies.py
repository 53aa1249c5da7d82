"""Trusted reverse proxies (addresses and networks) and the WebSocket origin check.

The rules on their own (forwarding chains, ``Forwarded``, origins), then on a real
phone server: X-Forwarded-For believed from a trusted network only, and the
signaling socket refused (403) to a page of another site.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request

from inspector.cli.main import main
from inspector.live.server.proxies import TrustedProxies, forwarded_chain, origin_allowed
from inspector.live.server.ratelimit import FailureLimiter
from inspector.storage.store import Store

from ..security_fixtures import client, serve


def _request(**headers: str) -> aiohttp.web.Request:
    return make_mocked_request("GET", "/ws/x", headers=headers)


def test_trusted_proxies_take_addresses_and_networks() -> None:
    trusted = TrustedProxies(["127.0.0.1", "10.1.0.0/16", "2001:db8::/48"])
    assert trusted.trusts("127.0.0.1")
    assert trusted.trusts("::ffff:127.0.0.1")  # an IPv4 peer on a dual-stack socket
    assert trusted.trusts("10.1.200.3")
    assert not trusted.trusts("10.2.0.1")
    assert trusted.trusts("2001:db8:0:ffff::1")
    assert not trusted.trusts("2001:db8:1::1")
    assert not trusted.trusts(None) and not trusted.trusts("garbage")
    assert not TrustedProxies().trusts("127.0.0.1")  # none: nobody's headers believed
    with pytest.raises(ValueError, match="not an IP address or network"):
        TrustedProxies(["proxy.example"])


def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy() -> None:
    trusted = TrustedProxies(["127.0.0.1", "10.0.0.0/8"])
    chain = "198.51.100.7, 203.0.113.5, 10.0.0.9"  # forged, the client, an inner proxy
    assert trusted.client("127.0.0.1", _request(**{"X-Forwarded-For": chain})) == "203.0.113.5"
    # Not from a trusted proxy: the header is ignored, the peer is the client.
    assert trusted.client("192.0.2.1", _request(**{"X-Forwarded-For": chain})) == "192.0.2.1"
    # Nothing usable: the caller keeps the peer's address.
    assert trusted.client("127.0.0.1", _request()) is None
    assert trusted.client("127.0.0.1", _request(**{"X-Forwarded-For": "unknown"})) is None
    # RFC 7239 Forwarded, quoted IPv6 with a port, several elements.
    forwarded = 'for=198.51.100.7;proto=https, for="[2001:db8::17]:4711"'
    request = _request(Forwarded=forwarded)
    assert forwarded_chain(request) == ["198.51.100.7", '"[2001:db8::17]:4711"']
    assert trusted.client("10.0.0.1", request) == "2001:db8::17"
    both = _request(Forwarded="for=198.51.100.7", **{"X-Forwarded-For": "203.0.113.5"})
    assert trusted.client("10.0.0.1", both) == "203.0.113.5"  # X-Forwarded-For wins


def test_websocket_origins() -> None:
    public = "https://inspect.example.com"
    assert origin_allowed(_request(Origin="https://inspect.example.com"), public, False)
    assert origin_allowed(_request(Origin="https://INSPECT.example.com:443"), public, False)
    assert not origin_allowed(_request(Origin="https://evil.example"), public, False)
    assert not origin_allowed(_request(Origin="http://inspect.example.com"), public, False)
    assert not origin_allowed(_request(Origin="null"), public, False)
    assert origin_allowed(_request(), public, False)  # not a browser page: no cookies
    # No public URL: the origin the request itself names.
    here = {"Host": "127.0.0.1:8080"}
    assert origin_allowed(_request(Origin="http://127.0.0.1:8080", **here), None, False)
    assert not origin_allowed(_request(Origin="http://127.0.0.1:9090", **here), None, False)
    assert origin_allowed(
        _request(Origin="https://10.0.0.5:8443", Host="10.0.0.5:8443"), None, True
    )


async def test_signaling_refuses_another_sites_page(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path, trusted_proxies=()) as env:
        token = env.token()
        url = f"ws://127.0.0.1:{env.port}/ws/{token}"
        async with aiohttp.ClientSession() as s:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await s.ws_connect(url, headers={"Origin": "https://evil.example"})
            assert refused.value.status == 403
            ws = await s.ws_connect(url, headers={"Origin": env.base})
            assert (await ws.receive_json())["type"] == "config"
            await ws.close()


async def test_signaling_wants_the_public_urls_origin(store: Store, tmp_path: Path) -> None:
    public = "https://inspect.example.com"
    async with serve(store, tmp_path, public_url=public) as env:
        token = env.token()
        url = f"ws://127.0.0.1:{env.port}/ws/{token}"
        async with aiohttp.ClientSession() as s:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await s.ws_connect(url, headers={"Origin": env.base})
            assert refused.value.status == 403
            ws = await s.ws_connect(url, headers={"Origin": public})
            assert (await ws.receive_json())["type"] == "config"
            await ws.close()


async def test_a_trusted_network_is_believed_and_nobody_else(store: Store, tmp_path: Path) -> None:
    limiter = FailureLimiter(limit=2, window=60, block=60)
    trusted = ["127.0.0.8/29"]  # 127.0.0.8 - 127.0.0.15
    async with serve(store, tmp_path, limiter=limiter, trusted_proxies=trusted) as env:
        for source in ("127.0.0.9", "127.0.0.14"):  # two proxies of the network, one phone
            async with (
                client(source) as s,
                s.get(f"{env.base}/j/nope", headers={"X-Forwarded-For": "203.0.113.1"}) as r,
            ):
                assert r.status == 404
        async with (
            client("127.0.0.10") as s,
            s.get(f"{env.base}/j/nope", headers={"X-Forwarded-For": "203.0.113.1"}) as r,
        ):
            assert r.status == 429  # that phone, whichever proxy it came through
        async with client("127.0.0.20") as s:  # outside the network: header ignored
            for expected in (404, 404, 429):
                headers = {"X-Forwarded-For": "203.0.113.2"}
                async with s.get(f"{env.base}/j/nope", headers=headers) as r:
                    assert r.status == expected
        async with (
            client("127.0.0.11") as s,
            s.get(f"{env.base}/j/nope", headers={"X-Forwarded-For": "203.0.113.2"}) as r,
        ):
            assert r.status == 404  # the address the outsider claimed was never charged


def test_trusted_proxy_option_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", "--trusted-proxy", "proxy.example"]) == 1
    assert "--trusted-proxy must be an IP address or a network" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["serve"], ()),  # phones come straight here: nobody's headers are believed
        (["serve", "--public-url", "https://i.example"], ("127.0.0.1", "::1")),  # a local proxy
        (
            ["serve", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "::1"],
            ("10.0.0.0/8", "::1"),
        ),
        (["server", "--public-url", "https://i.example"], ("127.0.0.1", "::1")),
        (["server", "--trusted-proxy", "192.0.2.10"], ("192.0.2.10",)),
    ],
)
def test_which_proxies_are_trusted_by_default(argv: list[str], expected: tuple[str, ...]) -> None:
    from inspector.cli.live import _settings
    from inspector.cli.main import build_parser

    assert _settings(build_parser().parse_args(argv)).trusted_proxies == expected
