"""The first reachable TURN URL goes first (aiortc uses only one): real sockets, and a
real coturn on loopback for the UDP probe (its Allocate answered with 401)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.config import IceServer
from inspector.live.turn_reach import TurnUrl, _reachable, parse_turn_url, reachable_turn_first
from tests.turn_process import running_turnserver


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("turn:turn.example.com", ("turn.example.com", 3478, "udp", False)),
        ("turn:192.0.2.1:3479?transport=tcp", ("192.0.2.1", 3479, "tcp", False)),
        ("turns:turn.example.com:443?transport=tcp", ("turn.example.com", 443, "tcp", True)),
        ("turns:turn.example.com", ("turn.example.com", 5349, "tcp", True)),
        ("turn:[2001:db8::1]:3478", ("2001:db8::1", 3478, "udp", False)),
    ],
)
def test_turn_urls_as_aioice_reads_them(url: str, expected: tuple[object, ...]) -> None:
    assert parse_turn_url(url) == TurnUrl(url, *expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    ["stun:stun.example.com:3478", "turns:t.example.com?transport=udp", "turn:t:port", "turn:"],
)
def test_what_aioice_does_not_use_is_not_probed(url: str) -> None:
    assert parse_turn_url(url) is None


@pytest.fixture
def tcp_listener() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield int(server.getsockname()[1])


def test_the_first_reachable_goes_first(tcp_listener: int) -> None:
    closed_udp = _free_port(socket.SOCK_DGRAM)
    stun = IceServer(("stun:127.0.0.1:3478",))
    udp = IceServer((f"turn:127.0.0.1:{closed_udp}",), "u", "p")
    tcp = IceServer((f"turn:127.0.0.1:{tcp_listener}?transport=tcp",), "u", "p")
    started = time.monotonic()
    chosen = asyncio.run(reachable_turn_first([stun, udp, tcp], timeout=0.6))
    assert chosen == (tcp, stun, udp)
    assert time.monotonic() - started < 5  # bounded by the timeout (generous: a busy box)


def test_urls_of_one_server_are_reordered_and_a_reachable_first_changes_nothing(
    tcp_listener: int,
) -> None:
    closed_tcp = _free_port(socket.SOCK_STREAM)
    urls = (f"turns:127.0.0.1:{closed_tcp}", f"turn:127.0.0.1:{tcp_listener}?transport=tcp")
    server = IceServer(urls, "u", "p")
    (chosen,) = asyncio.run(reachable_turn_first([server], timeout=0.6))
    assert chosen.urls == (urls[1], urls[0])
    assert (chosen.username, chosen.credential) == ("u", "p")
    first = IceServer((urls[1], urls[0]), "u", "p")
    assert asyncio.run(reachable_turn_first([first], timeout=0.6)) == (first,)


def test_none_reachable_or_only_one_leaves_the_order_alone() -> None:
    closed = [_free_port(socket.SOCK_STREAM) for _ in range(2)]
    servers = [IceServer((f"turn:127.0.0.1:{p}?transport=tcp",), "u", "p") for p in closed]
    assert asyncio.run(reachable_turn_first(servers, timeout=0.3)) == tuple(servers)
    assert asyncio.run(reachable_turn_first(servers[:1], timeout=0.3)) == (servers[0],)


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[int]:
    """coturn on 127.0.0.1 (UDP and TCP on one port), REST-API credentials."""
    port = _free_port(socket.SOCK_DGRAM)
    args = [
        "-n", "--listening-ip=127.0.0.1", f"--listening-port={port}",
        "--use-auth-secret", "--static-auth-secret=probe-secret", "--realm=probe.test",
        "--no-tls", "--no-dtls", "--no-cli", "--no-stun", f"--log-file={tmp_path / 'turn.log'}",
        f"--pidfile={tmp_path / 'turn.pid'}", f"--userdb={tmp_path / 'turndb'}",
    ]  # fmt: skip
    with running_turnserver(args) as proc:
        # Its UDP listeners (a thread per core) may come after its TCP one: wait for both.
        turn = parse_turn_url(f"turn:127.0.0.1:{port}")
        assert turn is not None
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                if asyncio.run(_reachable(turn, 0.5)):
                    break
            except OSError:
                pass
            assert proc.poll() is None, "turnserver exited"
            assert time.monotonic() < deadline, "turnserver did not listen"
            time.sleep(0.1)
        yield port


def test_a_turn_server_answering_over_udp_is_reachable(coturn: int) -> None:
    """coturn answers an Allocate without credentials (401), even with STUN off."""
    closed_tcp = _free_port(socket.SOCK_STREAM)
    tcp = IceServer((f"turn:127.0.0.1:{closed_tcp}?transport=tcp",), "u", "p")
    udp = IceServer((f"turn:127.0.0.1:{coturn}",), "u", "p")
    assert asyncio.run(reachable_turn_first([tcp, udp], timeout=2)) == (udp, tcp)
