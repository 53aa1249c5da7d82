"""TURN credentials minted from a shared secret (coturn's REST API, ``use-auth-secret``):
the algorithm as coturn documents it, and a real coturn accepting them (and refusing
a wrong or expired one)."""

from __future__ import annotations

import asyncio
import base64
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.config import IceServer, ServerSettings, TurnRest, turn_rest_password
from tests.turn_process import running_turnserver

SECRET = "north-wind-7"


def test_password_is_base64_hmac_sha1_of_the_username() -> None:
    # coturn's documented recipe, computed by openssl rather than by our code:
    # echo -n USERNAME | openssl dgst -binary -sha1 -hmac SECRET | base64
    username = "1767225600:phone-0123abcd"
    openssl = subprocess.run(
        ["openssl", "dgst", "-binary", "-sha1", "-hmac", SECRET],
        input=username.encode(),
        capture_output=True,
        check=True,
    ).stdout
    assert turn_rest_password(SECRET, username) == base64.b64encode(openssl).decode()
    assert turn_rest_password(SECRET, username) != turn_rest_password("other", username)


def test_minted_credentials_expire_after_the_ttl() -> None:
    rest = TurnRest(SECRET, ("turn:turn.example.org:3478",), ttl_seconds=600)
    server = rest.mint("engine-0123abcd", now=1_767_225_000.7)
    assert server.urls == ("turn:turn.example.org:3478",)
    assert server.username == "1767225600:engine-0123abcd"
    assert server.credential == turn_rest_password(SECRET, "1767225600:engine-0123abcd")


def test_settings_give_each_peer_static_servers_and_its_own_credentials() -> None:
    stun = IceServer.parse("stun:stun.example.org:3478")
    static = ServerSettings(ice_servers=(stun,))
    assert static.ice_servers_for("phone-x") == (stun,)
    rest = ServerSettings(
        ice_servers=(stun,), turn_rest=TurnRest(SECRET, ("turns:turn.example.org:5349",))
    )
    first, minted = rest.ice_servers_for("phone-0123abcd")
    assert first == stun
    assert minted.username is not None and minted.username.endswith(":phone-0123abcd")
    assert minted.to_dict()["urls"] == ["turns:turn.example.org:5349"]


@pytest.mark.parametrize(
    "urls",
    [(), ("stun:turn.example.org:3478",), ("turn:u:p@turn.example.org:3478",), ("http://x",)],
)
def test_turn_urls_are_checked(urls: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="TURN"):
        TurnRest(SECRET, urls)


def test_an_empty_secret_or_lifetime_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        TurnRest("", ("turn:turn.example.org:3478",))
    with pytest.raises(ValueError, match="lifetime"):
        TurnRest(SECRET, ("turn:turn.example.org:3478",), ttl_seconds=0)


# -- a real coturn -------------------------------------------------------------------------


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_stun(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Until coturn answers a STUN binding request on ``port``."""
    from aioice import stun

    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        for _ in range(50):
            assert proc.poll() is None, "turnserver exited"
            s.sendto(bytes(request), ("127.0.0.1", port))
            try:
                s.recvfrom(2048)
                return
            except TimeoutError:
                continue
    raise AssertionError("turnserver did not answer STUN within 10 s")


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[int]:
    """Our own coturn on loopback with use-auth-secret (not the Debian service)."""
    port = _free_udp_port()
    conf = tmp_path / "turnserver.conf"
    conf.write_text(
        f"listening-ip=127.0.0.1\nrelay-ip=127.0.0.1\nlistening-port={port}\n"
        "min-port=49210\nmax-port=49250\n"
        f"use-auth-secret\nstatic-auth-secret={SECRET}\nrealm=test.example\n"
        "no-tls\nno-dtls\nno-tcp\nno-cli\nallow-loopback-peers\nno-stdout-log\n"
        f"log-file={tmp_path / 'turn.log'}\nsimple-log\n"
        f"pidfile={tmp_path / 'turn.pid'}\nuserdb={tmp_path / 'turndb'}\n"
    )
    with running_turnserver(["-c", str(conf)]) as proc:
        _wait_for_stun(port, proc)
        yield port


def _allocate(port: int, username: str, password: str) -> tuple[str, int]:
    from aioice import turn

    async def run() -> tuple[str, int]:
        transport, _ = await turn.create_turn_endpoint(
            asyncio.DatagramProtocol, ("127.0.0.1", port), username, password
        )
        try:
            relayed: tuple[str, int] = transport.get_extra_info("sockname")
            return relayed
        finally:
            transport.close()

    return asyncio.run(asyncio.wait_for(run(), 10))


@pytest.mark.timeout(40)
def test_coturn_accepts_minted_credentials_and_refuses_others(coturn: int) -> None:
    good = TurnRest(SECRET, (f"turn:127.0.0.1:{coturn}",), ttl_seconds=60).mint("test-a")
    assert good.username is not None and good.credential is not None
    host, _port = _allocate(coturn, good.username, good.credential)
    assert host == "127.0.0.1"

    wrong = TurnRest("not-the-secret", (f"turn:127.0.0.1:{coturn}",)).mint("test-b")
    assert wrong.username is not None and wrong.credential is not None
    with pytest.raises(Exception, match="401"):
        _allocate(coturn, wrong.username, wrong.credential)

    expired = TurnRest(SECRET, (f"turn:127.0.0.1:{coturn}",), ttl_seconds=60).mint(
        "test-c", now=time.time() - 120
    )
    assert expired.username is not None and expired.credential is not None
    with pytest.raises(Exception, match="401"):
        _allocate(coturn, expired.username, expired.credential)
