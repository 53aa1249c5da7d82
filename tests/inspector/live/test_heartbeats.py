"""Heartbeats: on their own channel, never judged by time the engine itself lost.

Real engine, server and store; a simulated phone over real WebRTC on loopback (the
Chromium page is checked in tests/e2e/test_phone.py).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from inspector.live import events as ev
from inspector.live.contrib.simphone import SimulatedPhone

from .test_faults_live import Live, call, start_live

__all__ = ["start_live"]  # the fixture, used by name

pytestmark = pytest.mark.timeout(90)


async def joined(live: Live, **kw: object) -> SimulatedPhone:
    phone = live.phone(**kw)
    await phone.start()
    await live.log.wait(ev.PhoneJoined, timeout=15)
    return phone


def lost(live: Live) -> list[ev.ConnectionChanged]:
    return [e for e in live.log.of(ev.ConnectionChanged) if e.state == "reconnecting"]


async def rtt_measured(live: Live, after: int = 0) -> float:
    """The next link statistics that carry a round trip (heartbeat echoes reach the engine)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for stats in live.log.of(ev.LinkStats)[after:]:
            if stats.rtt_ms is not None:
                return stats.rtt_ms
        await asyncio.sleep(0.2)
    raise AssertionError("no round-trip time measured")


async def test_heartbeats_go_both_ways_on_the_control_channel(
    start_live,  # type: ignore[no-untyped-def]
) -> None:
    live: Live = await start_live()
    phone = await joined(live)
    try:
        await rtt_measured(live)
        await asyncio.sleep(2.5)  # a few of the engine's heartbeats
        assert phone.control_messages >= 2  # the engine's heartbeats, on the control channel
        in_line = [m for m in phone.messages if m.get("type") == "heartbeat"]
        # Every one came that way but perhaps the first, sent as the ordered channel opened.
        assert len(in_line) - phone.control_messages <= 1
    finally:
        await phone.stop()


async def test_an_older_page_without_the_control_channel_keeps_its_heartbeats_in_line(
    start_live,  # type: ignore[no-untyped-def]
) -> None:
    live: Live = await start_live()
    phone = await joined(live, control_channel=False)
    try:
        await rtt_measured(live)
        await asyncio.sleep(3 * 1.5)  # twice the heartbeat timeout of these tests
        assert not lost(live)
        assert phone.control_messages == 0
        assert [m for m in phone.messages if m.get("type") == "heartbeat"]
    finally:
        await phone.stop()


async def test_an_engine_held_up_longer_than_the_timeout_does_not_drop_a_live_phone(
    start_live,  # type: ignore[no-untyped-def]
) -> None:
    """A loaded machine: the engine's loop does not run for 3 s (twice the heartbeat
    timeout). The phone's heartbeats waited in the socket meanwhile; the link lives on."""
    live: Live = await start_live()
    phone = await joined(live)
    try:
        await rtt_measured(live)
        loop = live.engine.thread.loop
        assert loop is not None
        loop.call_soon_threadsafe(time.sleep, 3.0)  # the engine's whole loop held up
        await asyncio.sleep(3.0 + 3 * 1.5)
        assert not lost(live)
        seen = len(live.log.of(ev.LinkStats))
        await rtt_measured(live, after=seen)  # still the same link, still measured
        capture_id = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id, timeout=20)
    finally:
        await phone.stop()


async def test_a_phone_silent_longer_than_the_timeout_is_still_declared_lost(
    start_live,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The other side of it: when the phone, not the engine, goes quiet, it is noticed."""
    live: Live = await start_live()
    phone = await joined(live)
    try:
        await rtt_measured(live)
        phone.heartbeat = lambda *args, **fields: None  # type: ignore[method-assign]
        with caplog.at_level("INFO", logger="inspector.live.phone_session"):
            await live.log.wait(
                ev.ConnectionChanged, lambda e: e.state == "reconnecting", timeout=10
            )
        assert "link lost (no heartbeat)" in caplog.text
    finally:
        await phone.stop()


async def test_a_link_with_a_still_arriving_gets_twice_the_time(
    start_live,  # type: ignore[no-untyped-def]
) -> None:
    """A still began, then nothing for 5 s (SCTP retransmitting after a CPU burst) with a
    heartbeat timeout of 3 s: still alive. Silent past twice the timeout: lost all the same."""
    live: Live = await start_live(heartbeat_timeout=3.0)
    phone = await joined(live)
    try:
        await rtt_measured(live)
        phone.heartbeat = lambda *args, **fields: None  # type: ignore[method-assign]
        phone.send(
            "photo_begin",
            id="slow",
            size=4 * 65536,
            sha256="0" * 64,
            width=4000,
            height=3000,
            mime="image/jpeg",
        )
        phone.send_raw(bytes(65536))  # one chunk, then silence
        await asyncio.sleep(5.0)  # past the timeout and its next check, within twice it
        assert not lost(live)
        await live.log.wait(ev.ConnectionChanged, lambda e: e.state == "reconnecting", timeout=8)
    finally:
        await phone.stop()
