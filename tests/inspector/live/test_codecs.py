"""The engine takes the codec the phone offers: VP8 (Chrome, aiortc) or H264 only (an iPhone).

Real engine and server; a simulated phone (aiortc) over real WebRTC on loopback,
offering only H264 as an iPhone's Safari leads with it (its encoder is hardware
H264), encoded by PyAV's libx264. Independent of the browser: the same with
Chromium's OpenH264 is tests/e2e/test_phone_safari.py.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from inspector.live import events as ev

from .test_faults_live import Live, start_live

__all__ = ["start_live"]  # the fixture, used by name

pytestmark = pytest.mark.timeout(90)


async def video_codec(live: Live) -> str | None:
    """What the engine's peer answered (read on the engine's loop, where the peer lives)."""
    loop = live.engine.thread.loop
    assert loop is not None

    async def read() -> str | None:
        peer = live.engine._sessions[live.inspection_id].peer
        assert peer is not None
        return peer.video_codec

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(read(), loop))


async def decoded_frames(live: Live, count: int) -> tuple[int, int]:
    """Wait for ``count`` new decoded frames at the engine; the newest one's size."""
    deadline = time.monotonic() + 20
    first = live.engine.latest_frame(live.inspection_id)
    start = 0 if first is None else first.seq
    while time.monotonic() < deadline:
        frame = live.engine.latest_frame(live.inspection_id)
        if frame is not None and frame.seq >= start + count:
            height, width = frame.bgr().shape[:2]
            return width, height
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} frames decoded")


@pytest.mark.parametrize(
    ("offered", "answered"), [(None, "video/VP8"), ("video/H264", "video/H264")], ids=str
)
async def test_the_engine_decodes_the_codec_the_phone_offers(
    start_live,  # type: ignore[no-untyped-def]
    offered: str | None,
    answered: str,
) -> None:
    live: Live = await start_live()
    phone = live.phone(codec=offered)
    try:
        await phone.start()
        await live.log.wait(ev.PhoneJoined, timeout=15)
        assert await video_codec(live) == answered
        assert await decoded_frames(live, 10) == (320, 240)
    finally:
        await phone.stop()
