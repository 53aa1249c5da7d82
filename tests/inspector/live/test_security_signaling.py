"""Hostile signaling over a real WebSocket: every frame gets an error reply, an answer or a
closed socket, the server never crashes, and a revoked link's socket is closed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.live.server import MAX_SOCKETS_PER_DEVICE, MAX_WS_MESSAGE
from inspector.storage.store import Store

from ..security_fixtures import Env, client, serve

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
signaling_frames = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200),
    st.builds(
        lambda kind, sdp, extra: json.dumps({"type": kind, "sdp": sdp, **extra}),
        st.sampled_from(["offer", "answer", "config", "error", "dance", "", "OFFER"]),
        json_values,
        st.dictionaries(st.text(max_size=5), json_values, max_size=2),
    ),
    st.sampled_from(
        [
            "null",
            "[]",
            '{"type": null}',
            '{"type": "offer"}',
            '{"type": "offer", "sdp": ""}',
        ]
    ),
    # Big ones are built, not listed: Hypothesis may print a strategy's repr.
    st.integers(100_001, 110_000).map(lambda n: '{"type": "offer", "sdp": "' + "a" * n + '"}'),
    st.integers(20_000, 50_000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 1000).map(lambda n: "x" * (MAX_WS_MESSAGE + n)),
)


async def _exchange(ws: Any, frame: str | bytes) -> str:
    """Send one frame; what came back: 'error', 'answer' or 'closed'."""
    if isinstance(frame, bytes):
        await ws.send_bytes(frame)
    else:
        await ws.send_str(frame)
    msg = await asyncio.wait_for(ws.receive(), 5)
    if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
        return "closed"
    assert msg.type == WSMsgType.TEXT
    reply = json.loads(msg.data)
    assert reply["type"] in ("error", "answer"), reply
    if reply["type"] == "error":
        assert isinstance(reply["message"], str) and len(reply["message"]) <= 200
    return str(reply["type"])


@pytest.fixture
async def env(store: Store, tmp_path: Path) -> AsyncIterator[Env]:
    async with serve(store, tmp_path) as e:
        yield e


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frames=st.lists(signaling_frames, min_size=1, max_size=4))
async def test_fuzzed_signaling_frames(env: Env, frames: list[str | bytes]) -> None:
    token = env.token()
    ws_url = f"{env.base.replace('http', 'ws')}/ws/{token}"
    async with client() as s:
        async with s.get(f"{env.base}/j/{token}"):
            pass  # the device cookie: the second socket below is the same phone
        ws = await s.ws_connect(ws_url)
        assert (await ws.receive_json())["type"] == "config"
        outcomes = []
        for frame in frames:
            outcome = await _exchange(ws, frame)
            outcomes.append(outcome)
            if outcome == "closed":
                break
        assert outcomes.count("error") <= 3  # the third error closes the socket
        await ws.close()
        # The server is unharmed: a fresh socket negotiates normally.
        ws = await s.ws_connect(ws_url)
        assert (await ws.receive_json())["type"] == "config"
        await ws.send_json({"type": "offer", "sdp": "v=0 fine"})
        assert (await ws.receive_json())["type"] == "answer"
        await ws.close()


async def test_huge_frame_closes_the_socket(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path) as env, client() as s:
        ws = await s.ws_connect(f"{env.base.replace('http', 'ws')}/ws/{env.token()}")
        await ws.receive_json()
        assert await _exchange(ws, "y" * (MAX_WS_MESSAGE + 1)) == "closed"
        assert ws.close_code == 1009  # message too big


async def test_one_device_cannot_pile_up_sockets(store: Store, tmp_path: Path) -> None:
    async with serve(store, tmp_path) as env:
        token = env.token()
        url = f"{env.base.replace('http', 'ws')}/ws/{token}"
        async with client() as s:
            async with s.get(f"{env.base}/j/{token}"):
                pass  # the device cookie
            sockets = []
            for _ in range(MAX_SOCKETS_PER_DEVICE * 3):
                ws = await s.ws_connect(url)
                await ws.receive_json()
                sockets.append(ws)
            await asyncio.sleep(0.2)
            holder = next(iter(env.server.signaling._holders.values()))
            assert len(holder.sockets) == MAX_SOCKETS_PER_DEVICE
            first = await asyncio.wait_for(sockets[0].receive_json(), 2)
            assert first == {"type": "bye"}  # the oldest were closed to make room
            assert (await asyncio.wait_for(sockets[0].receive(), 2)).type == WSMsgType.CLOSE
            for ws in sockets:
                await ws.close()
