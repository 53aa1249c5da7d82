"""A bounded slow-reader flood, run as its own process (``python -m tests.inspector.slow_readers``).

Each of ``connections`` attackers, spread over ``addresses`` loopback source
addresses (``127.0.0.2`` …), connects with a tiny receive buffer, pipelines GETs
and never reads an answer; when the server hangs up it comes back. It stops after
``seconds`` and prints one JSON line of counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket


def request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


async def connect(port: int, source: str) -> socket.socket:
    """A socket with a tiny receive buffer: the kernel stops taking answers at once."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    try:
        sock.bind((source, 0))
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    except BaseException:  # refused, or cancelled
        sock.close()
        raise
    return sock


async def slow_reader(port: int, source: str, path: str, stats: dict[str, int]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        try:
            sock = await connect(port, source)
        except OSError:
            stats["refused"] += 1
            await asyncio.sleep(0.2)
            continue
        stats["connections"] += 1
        try:
            while True:
                await loop.sock_sendall(sock, request(path) * 3)
                await asyncio.sleep(0.3)
        except OSError:
            stats["cut"] += 1
        finally:
            sock.close()
        await asyncio.sleep(0.2)


async def flood(port: int, path: str, connections: int, addresses: int, seconds: float) -> None:
    stats = {"connections": 0, "cut": 0, "refused": 0}
    sources = [f"127.0.0.{2 + i}" for i in range(addresses)]
    tasks = [
        asyncio.create_task(slow_reader(port, sources[i % len(sources)], path, stats))
        for i in range(connections)
    ]
    print(json.dumps({"started": True}), flush=True)
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps(stats), flush=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--path", default="/static/phone.js")
    p.add_argument("--connections", type=int, default=520)
    p.add_argument("--addresses", type=int, default=17)
    p.add_argument("--seconds", type=float, default=12.0)
    a = p.parse_args()
    asyncio.run(flood(a.port, a.path, a.connections, a.addresses, a.seconds))


if __name__ == "__main__":
    main()
