"""Slow readers: clients that ask for answers and never read them, and floods of them.

The flood is real and bounded: hundreds of loopback connections from 17 source
addresses (``127.0.0.2`` …, each a different "address" to the server), against a
real ``inspector serve`` process, for eight seconds, while a genuine client from
another address keeps asking for the phone page's script. The guards themselves
(write deadline, pipelining, lifetime, requests per address, the reserve of slots)
are checked one by one against an in-process server with short limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.live import server as server_module
from inspector.live.server.files import allow_list
from inspector.live.server.ratelimit import ConnectionGate, RequestRate
from inspector.live.timings import WRITE_TIMEOUT
from inspector.storage.store import Store

from ..security_fixtures import client, serve

ROOT = Path(__file__).resolve().parents[3]
FLOOD_ADDRESSES = [f"127.0.0.{i}" for i in range(2, 19)]  # 17 addresses
FLOOD_CONNECTIONS = 520
FLOOD_SECONDS = 8.0
GENUINE = "127.0.0.200"
WORST = 2.5
"""The slowest a genuine request may be under the flood. Starved, it waits for a stuck
attacker to be cut (``WRITE_TIMEOUT``, 10 s) or is refused (the code before the guards:
1 request of 3 answered in 8 s, after 2.9 s); scheduling alone, on a loaded 2-core
machine running the three processes of this test, reached 1.3 s (the goal, 1 s, is
measured idle: the FIGURE line)."""
SAMPLES = 5
"""Genuine requests over the flood at the least (12-36 idle, 7 under heavy load, 3 starved)."""
assert WORST < WRITE_TIMEOUT / 2


def _request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


async def _connect(port: int, source: str) -> socket.socket:
    """A socket with a tiny receive buffer: the kernel stops taking answers at once."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    try:
        sock.bind((source, 0))
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    except BaseException:  # refused, or the test cancelled it
        sock.close()
        raise
    return sock


async def _genuine(base: str, path: str, until: float) -> list[float | None]:
    """A phone's browser: one GET every quarter second; the time each took (None: failed)."""
    times: list[float | None] = []
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            async with client(GENUINE) as s, s.get(base + path) as r:
                body = await r.read()
                ok = r.status == 200 and len(body) > 1000
        except Exception:
            ok = False
        times.append(time.monotonic() - started if ok else None)
        await asyncio.sleep(0.25)
    return times


@pytest.mark.timeout(90)
async def test_a_slow_reader_flood_does_not_starve_a_genuine_client(data_dir: Path) -> None:
    env = {**os.environ, "INSPECTOR_DATA_DIR": str(data_dir)}
    server = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--port", "0", "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert server.stdout is not None and server.stderr is not None
    flood = None
    try:
        listening = json.loads(await asyncio.to_thread(server.stdout.readline))
        base = listening["url"]
        flood = subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.inspector.slow_readers", base.rsplit(":", 1)[1]),
                *("--connections", str(FLOOD_CONNECTIONS)),
                *("--addresses", str(len(FLOOD_ADDRESSES))),
                *("--seconds", str(FLOOD_SECONDS + 2)),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert flood.stdout is not None
        assert json.loads(await asyncio.to_thread(flood.stdout.readline)) == {"started": True}
        await asyncio.sleep(1.0)  # the flood is in place
        times = await _genuine(base, "/static/phone.js", time.monotonic() + FLOOD_SECONDS)
        stats = json.loads(await asyncio.to_thread(flood.stdout.readline))
        served = [t for t in times if t is not None]
        print(
            f"\nFIGURE slow-reader flood ({FLOOD_CONNECTIONS} connections from "
            f"{len(FLOOD_ADDRESSES)} addresses, {FLOOD_SECONDS:g} s): genuine client "
            f"{len(served)}/{len(times)} served, median {statistics.median(served) * 1000:.0f} ms, "
            f"max {max(served) * 1000:.0f} ms; attacker connections {stats}"
        )
        assert len(times) >= SAMPLES
        assert len(served) == len(times), f"{len(times) - len(served)} genuine requests failed"
        assert max(served) < WORST
        assert stats["cut"] > 0  # the server did hang up on stuck attackers
    finally:
        for proc in (flood, server):
            if proc is None:
                continue
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        stderr = server.stderr.read()
        server.stderr.close()
    assert "Traceback" not in stderr


# -- the guards one by one -------------------------------------------------------------------


async def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Read (and drop) what comes until the server closes; when it did, or None."""
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                try:
                    if not await loop.sock_recv(sock, 65536):
                        return time.monotonic() - started
                except OSError:
                    return time.monotonic() - started
    return None


async def test_an_answer_never_read_is_cut_after_the_write_timeout(
    store: Store, tmp_path: Path
) -> None:
    async with serve(store, tmp_path, write_timeout=1.0, trusted_proxies=()) as env:
        (env.server.phone_dir / "big.js").write_bytes(b"/*" + b"x" * 8_000_000 + b"*/")
        env.server.static_names = allow_list(env.server.phone_dir)
        sock = await _connect(env.port, "127.0.0.2")
        try:
            await asyncio.get_running_loop().sock_sendall(sock, _request("/static/big.js"))
            await asyncio.sleep(0.5)
            assert env.server.gate.open == 1  # answering, stuck on a reader who never reads
            await asyncio.sleep(1.7)  # the write timeout (1 s) and a watch round (0.5 s)
            assert env.server.gate.open == 0, "a stuck answer held its slot"
            assert await _closed_within(sock, 1.0) is not None  # what was sent, then the end
        finally:
            sock.close()
        async with client("127.0.0.2") as s, s.get(f"{env.base}/static/app.js") as r:
            assert r.status == 200  # the address is not held against anyone


async def test_a_slow_but_steady_reader_is_not_cut(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path, write_timeout=1.0, trusted_proxies=()) as env:
        (env.server.phone_dir / "big.js").write_bytes(b"/*" + b"x" * 100_000 + b"*/")
        env.server.static_names = allow_list(env.server.phone_dir)
        sock = await _connect(env.port, "127.0.0.2")
        loop = asyncio.get_running_loop()
        try:
            await loop.sock_sendall(sock, _request("/static/big.js"))
            received = 0
            started = time.monotonic()
            while received < 100_000:  # a few kB every 0.1 s: a poor mobile link
                chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), 2.0)
                assert chunk, f"cut after {received} bytes"
                received += len(chunk)
                await asyncio.sleep(0.1)
            assert time.monotonic() - started > 1.5  # longer than the write timeout
        finally:
            sock.close()


async def test_too_many_pipelined_requests_cut_the_connection(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path, trusted_proxies=()) as env:
        sock = await _connect(env.port, "127.0.0.2")
        try:
            await asyncio.get_running_loop().sock_sendall(
                sock, _request("/static/app.js") * (server_module.MAX_PIPELINED + 10)
            )
            took = await _closed_within(sock, 2.0)
            assert took is not None and took < 1.0
        finally:
            sock.close()
        await asyncio.sleep(0.1)
        assert env.server.gate.open == 0
        sock = await _connect(env.port, "127.0.0.2")  # a few at once are still answered
        try:
            await asyncio.get_running_loop().sock_sendall(sock, _request("/static/app.js") * 3)
            answers = b""
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    while answers.count(b"HTTP/1.1 200") < 3:
                        answers += await asyncio.get_running_loop().sock_recv(sock, 65536)
            assert answers.count(b"HTTP/1.1 200") == 3
        finally:
            sock.close()


async def test_a_connection_lives_at_most_its_lifetime_but_a_phone_socket_stays(
    store: Store, tmp_path: Path
) -> None:
    async with serve(store, tmp_path, connection_lifetime=1.0, trusted_proxies=()) as env:
        token = env.token()
        async with client("127.0.0.3") as phone:
            ws = await phone.ws_connect(f"{env.base.replace('http', 'ws')}/ws/{token}")
            assert (await ws.receive_json())["type"] == "config"
            sock = await _connect(env.port, "127.0.0.2")
            loop = asyncio.get_running_loop()
            started = time.monotonic()
            cut_after = None
            try:
                while time.monotonic() - started < 3.0:  # busy, never idle: keep-alive GETs
                    try:
                        await loop.sock_sendall(sock, _request("/static/app.js"))
                        if not await asyncio.wait_for(loop.sock_recv(sock, 65536), 1.0):
                            cut_after = time.monotonic() - started
                            break
                    except OSError:
                        cut_after = time.monotonic() - started
                        break
                    await asyncio.sleep(0.1)
            finally:
                sock.close()
            assert cut_after is not None and 1.0 <= cut_after < 2.5
            assert not ws.closed  # the phone's signaling socket (valid token) is exempt
            await ws.send_json({"type": "bye"})
            await ws.close()


async def test_an_address_asking_too_fast_is_cut_and_others_are_not(
    store: Store, tmp_path: Path
) -> None:
    rate = RequestRate(rate=1.0, burst=5)
    async with serve(store, tmp_path, requests=rate, trusted_proxies=()) as env:
        sock = await _connect(env.port, "127.0.0.2")
        loop = asyncio.get_running_loop()
        answered = 0
        try:
            for _ in range(8):  # one at a time, reading each answer: no pipelining
                await loop.sock_sendall(sock, _request("/static/app.js"))
                answer = await asyncio.wait_for(loop.sock_recv(sock, 65536), 2.0)
                if not answer.startswith(b"HTTP/1.1 200"):
                    break
                answered += 1
        except OSError:
            pass
        finally:
            sock.close()
        assert answered == 5  # the burst, then cut
        async with client("127.0.0.3") as s, s.get(f"{env.base}/static/app.js") as r:
            assert r.status == 200  # another address is not affected


def test_the_last_slots_are_kept_for_addresses_holding_few() -> None:
    gate = ConnectionGate(per_address=16, total=64, reserve=16, few=4)
    for i in range(48):  # 3 flooding addresses at their cap use up the open slots
        assert gate.acquire(f"10.0.0.{i % 3}")
    assert not gate.acquire("10.0.0.0")  # at its cap anyway
    for _ in range(4):
        assert gate.acquire("10.0.0.9")  # a fourth address: a few more, then...
    assert not gate.acquire("10.0.0.9")  # ... not beyond "few" in the reserve
    phones = [f"192.0.2.{i}" for i in range(12)]
    assert all(gate.acquire(p) for p in phones)  # new addresses still find room
    assert gate.open == 64 and not gate.acquire("192.0.2.200")  # the total holds
    gate.release("10.0.0.1")
    assert gate.acquire("192.0.2.200")
