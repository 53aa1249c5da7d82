"""Faults on a live session: network drops, cut transfers, a full disk, failing code.

Real engine, real server, real store, a simulated phone over real WebRTC on
loopback. Each test states the promise it guards; the figures printed (run with
``-s``) are the ones quoted in docs/RELIABILITY.md ("Faults").
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from inspector.atomic import TMP_SUFFIX
from inspector.config import ServerSettings
from inspector.domain.models import CaptureSource
from inspector.live import events as ev
from inspector.live import peer as peer_module
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.live.engine import Engine, EngineNotRunning
from inspector.live.peer import PhonePeer
from inspector.live.session import SessionController
from inspector.storage.store import Store

from ..live_fixtures import TEST_CHECKLIST, EventLog, make_inspection, use_live_assets


@dataclass
class Live:
    engine: Engine
    log: EventLog
    store: Store
    inspection_id: str
    join_url: str

    def phone(self, **kw: Any) -> SimulatedPhone:
        options: dict[str, Any] = {"width": 320, "height": 240, "fps": 15, "still_size": (800, 600)}
        options.update(kw)
        return SimulatedPhone(self.join_url, **options)


@pytest.fixture
def start_live(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Any]]:
    """``await start_live(on_event=None, **engine_kwargs)`` → a running engine and an invite."""
    root = use_live_assets(tmp_path, monkeypatch)
    started: list[Engine] = []

    async def make(on_event: Any = None, **kw: Any) -> Live:
        log = EventLog()
        kw.setdefault("still_timeout", 4.0)
        kw.setdefault("heartbeat_timeout", 1.5)
        engine = Engine(store, ServerSettings(port=0), on_event or log, assets=root, **kw)
        started.append(engine)
        engine.start()
        inspection = make_inspection(store, TEST_CHECKLIST)
        invite = await asyncio.wrap_future(engine.invite(inspection.id))
        return Live(engine, log, store, inspection.id, invite.join_url)

    yield make
    for engine in started:
        engine.stop(timeout=5)


async def call(future: Any) -> Any:
    return await asyncio.wrap_future(future)


def photo_files(store: Store) -> list[Path]:
    return sorted(p for p in store.photos_dir.rglob("*") if p.is_file())


def assert_photos_intact(store: Store, inspection_id: str) -> None:
    """Every row points at a whole file whose SHA-256 is its name; no stray file."""
    captures = store.captures(inspection_id)
    for c in captures:
        data = store.photo_path(c.sha256).read_bytes()
        assert hashlib.sha256(data).hexdigest() == c.sha256 and len(data) == c.size
    assert {p.name for p in photo_files(store)} == {f"{c.sha256}.jpg" for c in captures}


async def wait_new(log: EventLog, kind: type[Any], after: int, check: Any, timeout: float) -> Any:
    """The first ``kind`` event past the ``after`` first ones that passes ``check``."""
    deadline = time.monotonic() + timeout
    while True:
        for event in log.of(kind)[after:]:
            if check(event):
                return event
        assert time.monotonic() < deadline, f"no new {kind.__name__} within {timeout} s"
        await asyncio.sleep(0.01)


async def wait_seq_above(engine: Engine, inspection_id: str, seq: int, timeout: float) -> float:
    """Poll the frame slot until a frame newer than ``seq`` is there; returns when (monotonic)."""
    deadline = time.monotonic() + timeout
    while True:
        frame = engine.latest_frame(inspection_id)
        if frame is not None and frame.seq > seq:
            return time.monotonic()
        assert time.monotonic() < deadline, "no video after the reconnection"
        await asyncio.sleep(0.005)


# -- network drops ------------------------------------------------------------------------


@pytest.mark.timeout(90)
async def test_network_drop_while_streaming_resumes_the_shot_and_video_fast(
    start_live: Callable[..., Any],
) -> None:
    """Down for 2 s, then back: same shot, video within 5 s of the network returning."""
    live = await start_live()
    phone = live.phone()
    await phone.start()
    delays: list[float] = []
    try:
        await call(live.engine.select_shot(live.inspection_id, "side"))
        await phone.wait_for("shot", where=lambda m: m["id"] == "side")
        for _round in range(3):
            before = await wait_seq_above(live.engine, live.inspection_id, 0, 5)
            del before
            states_before = len(live.log.of(ev.ConnectionChanged))
            await phone.drop()
            await wait_new(
                live.log,
                ev.ConnectionChanged,
                states_before,
                lambda e: e.state == "reconnecting",
                5,
            )
            await asyncio.sleep(2.0)  # the network is down
            frame = live.engine.latest_frame(live.inspection_id)
            seq = 0 if frame is None else frame.seq
            seen = len(phone.messages)
            back = time.monotonic()  # the network is back: the phone renegotiates
            await phone.reconnect()
            video = await wait_seq_above(live.engine, live.inspection_id, seq, 10)
            delays.append(video - back)
            resumed = await phone.wait_for("shot", after=seen)
            assert resumed["id"] == "side"
            info = await call(live.engine.session_info(live.inspection_id))
            assert info["shot_id"] == "side" and info["connection"] == "connected"
        capture_id = await call(live.engine.capture(live.inspection_id))
        stored = await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id)
        assert stored.capture.shot_id == "side" and stored.capture.source is CaptureSource.STILL
    finally:
        await phone.stop()
    print(
        f"\nFIGURE simulated phone, network back -> video back: "
        f"{', '.join(f'{d:.2f}' for d in delays)} s (median {statistics.median(delays):.2f} s)"
    )
    assert max(delays) <= 5.0


@pytest.mark.timeout(60)
async def test_drop_midway_through_a_still_stores_nothing_partial(
    start_live: Callable[..., Any],
) -> None:
    """The phone dies half way through a transfer: capture failed (link_lost) at once,
    no row, no file, no temporary, no stale-frame fallback; after the reconnection the
    same shot is there and the next capture arrives whole."""
    live = await start_live(still_timeout=4.0)
    phone = live.phone(still_size=(2400, 1800), capture_behaviour="drop_midway")
    await phone.start()
    try:
        await call(live.engine.select_shot(live.inspection_id, "side"))
        await phone.wait_for("shot", where=lambda m: m["id"] == "side")
        requested = time.monotonic()
        cut = await call(live.engine.capture(live.inspection_id))
        failed = await live.log.wait(ev.CaptureFailed, lambda e: e.capture_id == cut, timeout=5)
        assert failed.reason.startswith("link_lost"), failed.reason
        assert phone.photos_cut == [cut] and phone.photos_sent == []
        assert len(phone.still_bytes(cut)) > 2 * 65536  # several chunks: cut in the middle
        await live.log.wait(ev.ConnectionChanged, lambda e: e.state == "reconnecting")
        # Past the still timeout: a failed request never falls back to a stale frame.
        await asyncio.sleep(max(0.0, requested + 4.5 - time.monotonic()))
        assert live.store.captures(live.inspection_id) == []
        assert photo_files(live.store) == []
        assert not list(live.store.photos_dir.rglob(f"*{TMP_SUFFIX}"))

        seen = len(phone.messages)
        await phone.reconnect()
        assert (await phone.wait_for("shot", after=seen))["id"] == "side"
        again = await call(live.engine.capture(live.inspection_id))
        stored = await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == again)
        assert stored.capture.source is CaptureSource.STILL
        assert (stored.capture.width, stored.capture.height) == (2400, 1800)
        assert Path(stored.path).read_bytes() == phone.still_bytes(str(again))
        assert_photos_intact(live.store, live.inspection_id)
        assert [c.id for c in live.store.captures(live.inspection_id)] == [again]
    finally:
        await phone.stop()


class _Handler:
    """A PeerHandler that records what the peer reports."""

    def __init__(self, photo_delay: float = 0.0) -> None:
        self.failed: list[tuple[str, str]] = []
        self.photos: list[str] = []
        self.dead: list[str] = []
        self.photo_delay = photo_delay

    def on_channel_open(self, peer: PhonePeer) -> None:
        pass

    async def on_message(self, peer: PhonePeer, message: dict[str, Any]) -> None:
        pass

    async def on_photo(self, peer: PhonePeer, photo: Any) -> None:
        await asyncio.sleep(self.photo_delay)
        self.photos.append(photo.id)

    def on_photo_failed(self, peer: PhonePeer, capture_id: str, reason: str) -> None:
        self.failed.append((capture_id, reason))

    def on_original_begin(self, peer: PhonePeer, capture_id: str, offset: int) -> None:
        pass

    def on_original_chunk(self, peer: PhonePeer, data: bytes) -> None:
        pass

    def on_frame(self, peer: PhonePeer, frame: Any) -> None:
        pass

    def on_dead(self, peer: PhonePeer, reason: str) -> None:
        self.dead.append(reason)


def _begin(capture_id: str, data: bytes) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "photo_begin",
        "id": capture_id,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "width": 800,
        "height": 600,
        "mime": "image/jpeg",
    }


@pytest.mark.parametrize("how", ["replaced", "heartbeat"])
async def test_a_transfer_cut_by_the_peer_ending_is_failed_once(how: str) -> None:
    """A reconnecting phone replaces the peer (close) or the heartbeat declares it dead:
    either way the half-received photo is dropped and its capture failed, once."""
    from inspector.live.frames import FrameSlot

    data = SimulatedPhone("http://x/j/t", still_size=(800, 600)).still_bytes("c1")
    handler = _Handler()
    peer = PhonePeer(handler, FrameSlot(), name="peer-test")
    try:
        peer.receiver.begin(_begin("c1", data))
        peer.receiver.chunk(data[:1000])
        if how == "heartbeat":
            peer._die("no heartbeat")
            assert handler.dead == ["no heartbeat"]
        await peer.close()
        assert len(handler.failed) == 1
        capture_id, reason = handler.failed[0]
        assert capture_id == "c1" and reason.startswith("link_lost")
        assert peer.receiver.active_id is None and peer.receiver.received == 0
    finally:
        await peer.close()


async def test_a_photo_received_whole_is_finished_even_if_the_peer_closes() -> None:
    """The last chunk arrived, then the link dropped while it was being checked: kept."""
    import json

    from inspector.live.frames import FrameSlot

    data = SimulatedPhone("http://x/j/t", still_size=(800, 600)).still_bytes("c2")
    handler = _Handler(photo_delay=0.3)
    peer = PhonePeer(handler, FrameSlot(), name="peer-test")
    try:
        peer.receiver.begin(_begin("c2", data))
        for start in range(0, len(data), 65536):
            peer.receiver.chunk(data[start : start + 65536])
        route = asyncio.get_running_loop().create_task(
            peer._route(json.dumps({"v": 1, "type": "photo_end", "id": "c2"}))
        )
        await asyncio.sleep(0.1)
        route.cancel()  # what close() does to the consumer task
        await asyncio.wait({route})
        await peer.close()
        for _ in range(100):
            if handler.photos:
                break
            await asyncio.sleep(0.02)
        assert handler.photos == ["c2"] and handler.failed == []
    finally:
        await peer.close()


# -- the disk -----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["disk_full", "photos_dir_unwritable"])
@pytest.mark.timeout(60)
async def test_disk_full_fails_the_capture_clearly_and_the_session_goes_on(
    start_live: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    live = await start_live()
    store = live.store
    phone = live.phone(language="fr")
    await phone.start()
    real_fsync = os.fsync
    full = {"on": True}
    moved = store.photos_dir.with_name("photos.moved")

    def fsync(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        # The data folder's disk: its photos and its spool alike (the spool cannot keep it).
        if full["on"] and path.endswith(TMP_SUFFIX) and str(store.data_dir) in path:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    try:
        if fault == "disk_full":  # the bytes reach a temporary file, then the disk is full
            monkeypatch.setattr(os, "fsync", fsync)
        else:  # the photos folder is gone and a file sits in its place
            store.photos_dir.rename(moved)
            store.photos_dir.write_text("not a folder")
        cut = await call(live.engine.capture(live.inspection_id))
        failed = await live.log.wait(ev.CaptureFailed, lambda e: e.capture_id == cut, timeout=10)
        expected = "the disk is full" if fault == "disk_full" else "photo not saved: cannot write"
        assert expected in failed.reason, failed.reason
        result = await phone.wait_for("capture_result", where=lambda m: m["id"] == cut)
        assert result["stored"] is False and result["retake"] is True
        assert result["reasons"] == ["Photo non enregistrée, réessayez"]
        assert store.captures(live.inspection_id) == []

        full["on"] = False
        if fault == "photos_dir_unwritable":
            store.photos_dir.unlink()
            moved.rename(store.photos_dir)
        assert photo_files(store) == []  # no temporary, no orphan: nothing half-written
        spool = store.data_dir / "spool"
        assert not spool.exists() or not [p for p in spool.iterdir() if p.is_file()]
        assert live.log.of(ev.ConnectionChanged)[-1].state == "connected"
        again = await call(live.engine.capture(live.inspection_id))
        stored = await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == again)
        assert stored.capture.shot_id == "front"
        assert_photos_intact(store, live.inspection_id)
        assert all(e.state == "connected" for e in live.log.of(ev.ConnectionChanged)[-1:])
        assert not [e for e in live.log.of(ev.ConnectionChanged) if e.state == "reconnecting"]
    finally:
        full["on"] = False
        await phone.stop()


# -- failing code -------------------------------------------------------------------------


async def _capture_works(live: Live) -> None:
    capture_id = await call(live.engine.capture(live.inspection_id))
    await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id, timeout=10)


@pytest.mark.timeout(60)
async def test_a_failing_session_task_is_an_error_event_and_the_engine_serves_on(
    start_live: Callable[..., Any],
) -> None:
    live = await start_live()
    phone = live.phone()
    await phone.start()
    try:

        async def boom() -> None:
            raise RuntimeError("session task exploded")

        async def spawn() -> None:
            live.engine.thread.spawn(boom(), "doomed-task")

        loop = live.engine.thread.loop
        assert loop is not None
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(spawn(), loop))
        error = await live.log.wait(ev.EngineError, lambda e: "session task exploded" in e.message)
        assert "doomed-task" in error.message
        await _capture_works(live)
    finally:
        await phone.stop()


@pytest.mark.timeout(60)
async def test_a_failing_controller_callback_is_an_error_event_and_the_link_stays(
    start_live: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    live = await start_live()
    phone = live.phone()
    await phone.start()
    original_message = SessionController.handle_message
    original_frame = SessionController.on_frame

    async def bad_message(self: SessionController, msg: dict[str, Any]) -> None:
        if msg.get("type") == "shutter":
            raise RuntimeError("controller broke on shutter")
        await original_message(self, msg)

    def bad_frame(self: SessionController, frame: Any) -> None:
        raise RuntimeError("controller broke on a frame")

    try:
        monkeypatch.setattr(SessionController, "handle_message", bad_message)
        monkeypatch.setattr(SessionController, "on_frame", bad_frame)
        phone.press_shutter()
        await live.log.wait(ev.EngineError, lambda e: "controller broke on shutter" in e.message)
        error = await phone.wait_for("error", where=lambda m: m["code"] == "internal")
        assert error["message"]
        await live.log.wait(ev.EngineError, lambda e: "controller broke on a frame" in e.message)
        # The video keeps flowing past the failing handler, and it is not reported per frame.
        frame = live.engine.latest_frame(live.inspection_id)
        assert frame is not None
        await wait_seq_above(live.engine, live.inspection_id, frame.seq + 10, 5)
        frame_errors = [e for e in live.log.of(ev.EngineError) if "a frame" in e.message]
        assert len(frame_errors) <= 2
        await _capture_works(live)
        monkeypatch.setattr(SessionController, "on_frame", original_frame)
        assert [e.state for e in live.log.of(ev.ConnectionChanged)][-1] == "connected"
    finally:
        await phone.stop()


@pytest.mark.timeout(60)
async def test_a_failing_stats_round_is_reported_and_stats_go_on(
    start_live: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    live = await start_live()
    phone = live.phone()
    await phone.start()
    original = peer_module.PhonePeer.stats
    failures = {"left": 2}

    async def flaky(self: PhonePeer) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("stats unavailable")
        return await original(self)

    try:
        monkeypatch.setattr(peer_module.PhonePeer, "stats", flaky)
        await live.log.wait(ev.EngineError, lambda e: "stats unavailable" in e.message, timeout=5)
        count = len(live.log.of(ev.LinkStats))
        await wait_new(live.log, ev.LinkStats, count, lambda e: True, 5)
        await _capture_works(live)
    finally:
        await phone.stop()


@pytest.mark.timeout(60)
async def test_a_listener_that_raises_is_logged_and_the_engine_serves_on(
    start_live: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    log = EventLog()

    def listener(event: ev.Event) -> None:
        log(event)
        raise RuntimeError(f"listener broke on {event.name}")

    live = await start_live(on_event=listener)
    live.log = log
    phone = live.phone()
    with caplog.at_level(logging.ERROR):
        await phone.start()
        try:
            await _capture_works(live)  # events still delivered (and each one raised)
            assert live.store.captures(live.inspection_id)
            assert live.engine.running
        finally:
            await phone.stop()
    failures = [r for r in caplog.records if "event listener failed" in r.getMessage()]
    assert failures and any(r.exc_info for r in failures)


@pytest.mark.parametrize("how", ["system_exit", "loop_stopped"])
@pytest.mark.timeout(60)
async def test_a_dead_engine_loop_is_reported_never_silent(
    start_live: Callable[..., Any], how: str
) -> None:
    live = await start_live()
    loop = live.engine.thread.loop
    assert loop is not None and live.engine.running

    def die() -> None:
        raise SystemExit("the loop was shot")

    loop.call_soon_threadsafe(die if how == "system_exit" else loop.stop)
    error = await live.log.wait(ev.EngineError, lambda e: "stopped unexpectedly" in e.message)
    assert ("SystemExit" in error.message) == (how == "system_exit")
    deadline = time.monotonic() + 10
    while live.engine.running or live.engine.thread.alive:
        assert time.monotonic() < deadline, "the dead engine still looks alive"
        await asyncio.sleep(0.05)
    assert live.engine.died is not None
    with pytest.raises(EngineNotRunning):
        await call(live.engine.capture(live.inspection_id))
    phone = live.phone()
    with pytest.raises(OSError):  # nobody is listening any more: a phone cannot join
        await phone.start(timeout=3)
    live.engine.stop(timeout=2)  # still safe after the death
