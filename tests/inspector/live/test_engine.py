"""The engine with a simulated phone over real WebRTC on loopback, real server, real store."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from inspector.config import ServerSettings
from inspector.domain.models import CaptureSource, InspectionStatus
from inspector.live import events as ev
from inspector.live import protocol
from inspector.live.autopilot import VIDEO_FPS, VIDEO_MAX_SIDE
from inspector.live.contrib.simphone import SimulatedPhone, read_stamp
from inspector.live.engine import Engine, EngineNotRunning, EngineStartError
from inspector.storage.store import Store

from ..live_fixtures import TEST_CHECKLIST, EventLog, make_inspection, use_live_assets


@dataclass
class Live:
    engine: Engine
    log: EventLog
    store: Store
    inspection_id: str
    join_url: str

    def phone(self, **kw: object) -> SimulatedPhone:
        options: dict[str, object] = {
            "width": 320,
            "height": 240,
            "fps": 15,
            "still_size": (800, 600),
        }
        options.update(kw)
        return SimulatedPhone(self.join_url, **options)  # type: ignore[arg-type]


@pytest.fixture
def engine_factory(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[type[Engine]]:
    root = use_live_assets(tmp_path, monkeypatch)
    started: list[Engine] = []

    class TestEngine(Engine):
        def __init__(self, *args: object, **kw: object) -> None:
            kw.setdefault("assets", root)
            super().__init__(*args, **kw)  # type: ignore[arg-type]
            started.append(self)

    yield TestEngine
    for engine in started:
        engine.stop(timeout=5)


@pytest.fixture
async def live(store: Store, engine_factory: type[Engine]) -> AsyncIterator[Live]:
    log = EventLog()
    engine = engine_factory(
        store, ServerSettings(port=0), log, still_timeout=1.0, heartbeat_timeout=1.5
    )
    engine.start()
    inspection = make_inspection(store, TEST_CHECKLIST)
    invite = await asyncio.wrap_future(engine.invite(inspection.id))
    yield Live(engine, log, store, inspection.id, invite.join_url)


async def call(future: object) -> object:
    return await asyncio.wrap_future(future)  # type: ignore[arg-type]


async def test_connect_frames_events_and_stop(live: Live) -> None:
    assert live.store.get_inspection(live.inspection_id).status is InspectionStatus.INVITED
    phone = live.phone()
    await phone.start()
    try:
        joined = await live.log.wait(ev.PhoneJoined)
        assert joined.user_agent == "SimulatedPhone/1.0" and joined.language == "fr"
        await live.log.wait(ev.ConnectionChanged, lambda e: e.state == "connected")
        await live.log.wait(ev.FrameAvailable)
        stats = await live.log.wait(ev.LinkStats, lambda e: e.fps > 0, timeout=5)
        assert (stats.width, stats.height) == (320, 240)
        await live.log.wait(ev.LinkStats, lambda e: e.rtt_ms is not None, timeout=5)
        # Loopback, no TURN configured: the nominated ICE pair is host to host.
        path = await live.log.wait(ev.LinkStats, lambda e: e.path is not None, timeout=5)
        assert path.path == "direct"
        frame = live.engine.latest_frame(live.inspection_id)
        assert frame is not None and frame.width == 320
        assert frame.bgra().shape == (240, 320, 4) and frame.bgr().shape == (240, 320, 3)
        number = read_stamp(frame.bgr())
        assert number is not None and 0 <= phone.frames_sent - number < 15  # under a second
        welcome = await phone.wait_for("welcome")
        assert welcome["mode"] == "operator"
        shot = await phone.wait_for("shot")
        assert shot["id"] == "front" and shot["total"] == 3
        await phone.wait_for("heartbeat")
        assert live.store.get_inspection(live.inspection_id).status is InspectionStatus.LIVE
        # Coalesced: nobody read the slot, so frames were not announced one by one.
        assert len(live.log.of(ev.FrameAvailable)) < phone.frames_sent / 3
        started = time.monotonic()
        live.engine.stop(timeout=5)
        assert time.monotonic() - started < 3
        await live.log.wait(ev.ConnectionChanged, lambda e: e.state == "closed")
    finally:
        await phone.stop()


async def test_still_capture_is_hash_checked_and_stored(live: Live) -> None:
    phone = live.phone()
    await phone.start()
    try:
        capture_id = await call(live.engine.capture(live.inspection_id))
        stored = await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id)
        c = stored.capture
        assert (c.source, c.shot_id, c.width, c.height) == (CaptureSource.STILL, "front", 800, 600)
        data = Path(stored.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == c.sha256
        assert data == phone.still_bytes(str(capture_id))
        assert [x.id for x in live.store.captures(live.inspection_id)] == [capture_id]
        result = await phone.wait_for("capture_result")
        assert result["id"] == capture_id and result["stored"] is True
        assert live.log.of(ev.CaptureRequested)[0].capture_id == capture_id
    finally:
        await phone.stop()


async def test_fallback_to_the_video_frame_when_no_still_arrives(live: Live) -> None:
    phone = live.phone(capture_behaviour="ignore")
    await phone.start()
    try:
        await live.log.wait(ev.FrameAvailable)
        capture_id = await call(live.engine.capture(live.inspection_id))
        stored = await live.log.wait(ev.CaptureStored, timeout=5)
        assert stored.capture.id == capture_id
        assert stored.capture.source is CaptureSource.FRAME
        assert (stored.capture.width, stored.capture.height) == (320, 240)
    finally:
        await phone.stop()


async def test_a_still_still_arriving_at_the_timeout_is_waited_for(live: Live) -> None:
    # A busy server or a slow uplink: the still takes three times still_timeout (1 s) to
    # arrive, its bytes coming all along. It is stored, not a video frame in its place.
    phone = live.phone(capture_behaviour="slow")
    phone.slow_seconds = 3.0
    await phone.start()
    try:
        await live.log.wait(ev.FrameAvailable)
        capture_id = await call(live.engine.capture(live.inspection_id))
        stored = await live.log.wait(ev.CaptureStored, timeout=15)
        assert stored.capture.id == capture_id
        assert stored.capture.source is CaptureSource.STILL
        assert Path(stored.path).read_bytes() == phone.still_bytes(str(capture_id))
        assert len(live.store.captures(live.inspection_id)) == 1
    finally:
        await phone.stop()


async def test_a_graceful_shutdown_stores_the_frame_of_a_still_too_slow_to_wait_for(
    live: Live,
) -> None:
    # The still would take 30 s: the drain (4 s here) does not wait for it, and stores
    # the video frame before its deadline rather than nothing.
    phone = live.phone(capture_behaviour="slow")
    phone.slow_seconds = 30.0
    await phone.start()
    try:
        await live.log.wait(ev.FrameAvailable)
        capture_id = await call(live.engine.capture(live.inspection_id))
        await asyncio.sleep(1.5)  # past still_timeout: on its way, waited for
        started = time.monotonic()
        waited = await asyncio.to_thread(live.engine.drain, 4.0)
        assert waited == 1 and time.monotonic() - started < 6
        [capture] = live.store.captures(live.inspection_id)
        assert capture.id == capture_id and capture.source is CaptureSource.FRAME
    finally:
        await phone.stop()


async def test_refused_transfers_fail_the_capture_and_store_nothing(live: Live) -> None:
    phone = live.phone(capture_behaviour="bad_sha")
    await phone.start()
    try:
        capture_id = await call(live.engine.capture(live.inspection_id))
        failed = await live.log.wait(ev.CaptureFailed)
        assert failed.capture_id == capture_id and "sha_mismatch" in failed.reason
        error = await phone.wait_for("error")
        assert error["code"] == "sha_mismatch"
        phone.capture_behaviour = "fail"
        second = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.CaptureFailed, lambda e: e.capture_id == second)
        await asyncio.sleep(1.2)  # past still_timeout: a failed request never falls back
        assert live.store.captures(live.inspection_id) == []
    finally:
        await phone.stop()


async def test_drop_and_reconnect_resumes_at_the_same_shot(live: Live) -> None:
    phone = live.phone()
    await phone.start()
    try:
        await call(live.engine.select_shot(live.inspection_id, "side"))
        await phone.wait_for("shot", where=lambda m: m["id"] == "side")
        first = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == first)
        await phone.drop()
        await live.log.wait(ev.ConnectionChanged, lambda e: e.state == "reconnecting", timeout=5)
        seen = len(phone.messages)
        await phone.reconnect()
        assert phone.shot_id == "side"
        await live.log.wait(ev.ConnectionChanged, lambda e: e.state == "connected" and True)
        resumed = await phone.wait_for("shot", after=seen)
        assert resumed["id"] == "side"
        second = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == second)
        ids = [c.id for c in live.store.captures(live.inspection_id)]
        assert ids == [first, second]
        assert len(live.log.of(ev.PhoneJoined)) == 2
        await live.log.wait(ev.FrameAvailable, timeout=5)  # video may lag on a busy machine
        frame = live.engine.latest_frame(live.inspection_id)
        assert frame is not None
    finally:
        await phone.stop()


async def test_a_simulated_phone_recovers_from_a_dead_link_as_the_page_does(live: Live) -> None:
    # The benches' phones must come back as real ones do, or one dead link under load
    # reads as a lost session. Its heartbeats stop: the engine declares the link dead
    # and closes it; the phone sees that and joins again at the same shot, by itself.
    phone = live.phone(auto_reconnect=True)
    await phone.start()
    try:
        await call(live.engine.select_shot(live.inspection_id, "side"))
        await phone.wait_for("shot", where=lambda m: m["id"] == "side")
        phone.heartbeat = lambda *_, **__: None  # type: ignore[method-assign]
        await live.log.wait(ev.ConnectionChanged, lambda e: e.state == "reconnecting", timeout=8)
        del phone.heartbeat  # a working phone again
        seen = len(phone.messages)
        await live.log.wait(ev.PhoneJoined, lambda e: len(live.log.of(ev.PhoneJoined)) == 2, 20)
        assert phone.link_losses and phone.connected
        resumed = await phone.wait_for("shot", after=seen, timeout=10)
        assert resumed["id"] == "side"
        capture_id = await call(live.engine.capture(live.inspection_id))
        stored = await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id)
        assert stored.capture.shot_id == "side"
    finally:
        await phone.stop()


async def test_every_message_to_the_phone_arrives(live: Live) -> None:
    phone = live.phone()
    await phone.start()
    try:
        e, iid = live.engine, live.inspection_id
        await call(e.pointer(iid, 0.25, 0.75))
        await call(e.torch(iid, True))
        await call(e.message(iid, "Reculez un peu, s'il vous plaît"))
        await call(e.next_shot(iid))
        await call(e.previous_shot(iid))
        pair = await call(e.add_damage_pair(iid))
        assert pair.wide.id.startswith("damage_1")
        pointer = await phone.wait_for("pointer")
        assert (pointer["x"], pointer["y"]) == (0.25, 0.75)
        await phone.wait_for("torch")
        assert phone.torch is True
        assert (await phone.wait_for("message"))["text"].startswith("Reculez")
        phone.set_mode("blurred")
        hint = await phone.wait_for("hint", where=lambda m: m["code"] is not None, timeout=5)
        assert hint["text"]
        await live.log.wait(ev.LiveHint)
        phone.set_mode("normal")
        for _ in range(5):  # three shots and the damage pair
            capture_id = await call(e.capture(iid))
            await live.log.wait(ev.CaptureStored, lambda x, c=capture_id: x.capture.id == c)
            await call(e.accept(iid, str(capture_id)))
        await phone.wait_for("done", timeout=5)
        await live.log.wait(ev.Completed)
        # The walk done, the seller is shown the summary; the simulated phone signs it.
        summary = await phone.wait_for("summary", timeout=5)
        phone.sign(summary["sha256"])
        assert (await phone.wait_for("signed", timeout=5))["ok"] is True
        await live.log.wait(ev.SellerSigned)
        kinds = {m["type"] for m in phone.messages}
        # Errors: see the next test; pace is for self-inspection (tests/…/test_autopilot.py),
        # and so is video: an operator watches this call, it keeps the camera's quality;
        # original_status for phones that send previews (test_originals.py).
        assert set(protocol.TO_PHONE) - kinds == {"error", "pace", "video", "original_status"}
        assert phone.video_profile == (320, 240, 15)
    finally:
        await phone.stop()


async def test_malformed_and_oversized_messages_get_errors_and_the_session_stays(
    live: Live,
) -> None:
    phone = live.phone()
    await phone.start()
    try:
        bad: list[str | bytes] = [
            "not json",
            '{"v": 1, "type": "launch_rockets"}',
            '{"v": 7, "type": "hello"}',
            '{"v": 1, "type": "heartbeat", "ts": "soon"}',
            '{"v":1,"type":"photo_failed","id":"x","reason":"' + "r" * 100_000 + '"}',
            b"\x00" * 1000,  # binary outside a transfer
        ]
        for data in bad:
            phone.send_raw(data)
        deadline = time.monotonic() + 5
        while len(phone.errors) < len(bad) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        codes = [m["code"] for m in phone.errors]
        assert codes == [
            "bad_json",
            "unknown_type",
            "bad_version",
            "bad_field",
            "too_large",
            "no_header",
        ]
        capture_id = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id)
        assert live.log.of(ev.ConnectionChanged)[-1].state == "connected"
    finally:
        await phone.stop()


async def test_second_phone_is_refused(live: Live) -> None:
    from inspector.live.contrib.simphone import JoinRefused

    phone = live.phone()
    await phone.start()
    other = live.phone()
    try:
        with pytest.raises(JoinRefused) as err:
            await other.start()
        assert err.value.status == 409
    finally:
        await other.stop()
        await phone.stop()


async def test_port_taken_and_not_running(store: Store, engine_factory: type[Engine]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        engine = engine_factory(store, ServerSettings(port=port), EventLog())
        with pytest.raises(EngineStartError, match="already in use"):
            engine.start()
    assert not engine.running
    with pytest.raises(EngineNotRunning):
        engine.capture("x").result(1)


async def test_errors_in_the_loop_become_events_and_the_engine_lives(live: Live) -> None:
    loop = live.engine.thread.loop
    assert loop is not None

    def boom() -> None:
        raise RuntimeError("kaboom")

    loop.call_soon_threadsafe(boom)
    error = await live.log.wait(ev.EngineError)
    assert "kaboom" in error.message
    with pytest.raises(Exception, match="no inspection"):
        await call(live.engine.invite("does-not-exist"))
    again = await call(live.engine.invite(live.inspection_id))
    assert isinstance(again, ev.Invite)


def test_no_ice_servers_means_no_outside_stun() -> None:
    from inspector.config import IceServer
    from inspector.live.peer import rtc_configuration

    assert rtc_configuration(()).iceServers == []  # aiortc's default would be Google's STUN
    turn = IceServer(("turn:turn.example:3478",), "u", "p")
    (server,) = rtc_configuration((turn,)).iceServers
    assert server.urls == ["turn:turn.example:3478"]
    assert (server.username, server.credential) == ("u", "p")


async def test_the_seller_language_is_known_before_the_phone_joins(live: Live) -> None:
    """The pages refusing a second device speak the seller's language from the first
    request on, not only once the call has started (a French seller saw English)."""
    from inspector.domain.models import Inspection, Language, Seller
    from inspector.storage.rows import new_id

    assert live.engine.language(live.inspection_id) == "fr"  # the default seller's
    english = live.store.create_inspection(
        Inspection(id=new_id(), checklist=TEST_CHECKLIST, seller=Seller(language=Language.EN))
    )
    assert live.engine.language(english.id) is None  # not invited: nothing to go by
    await call(live.engine.invite(english.id))
    assert live.engine.language(english.id) == "en"


async def test_a_still_of_the_session_is_stored_in_s3(
    data_dir: Path, s3_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The photo goes to the bucket; the console's preview is a local copy of it."""
    root = use_live_assets(tmp_path, monkeypatch)
    log = EventLog()
    with Store(data_dir, photo_store=s3_url) as store:
        engine = Engine(
            store,
            ServerSettings(port=0),
            log,
            assets=root,
            still_timeout=1.0,
            heartbeat_timeout=1.5,
        )
        engine.start()
        try:
            inspection = make_inspection(store, TEST_CHECKLIST)
            invite = await asyncio.wrap_future(engine.invite(inspection.id))
            phone = SimulatedPhone(
                invite.join_url, width=320, height=240, fps=15, still_size=(800, 600)
            )
            await phone.start()
            try:
                capture_id = await call(engine.capture(inspection.id))
                stored = await log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id)
                sent = phone.still_bytes(str(capture_id))
                assert Path(stored.path).read_bytes() == sent
                assert Path(stored.path).is_relative_to(data_dir / "cache")
                sha = stored.capture.sha256
                assert [p.sha256 for p in store.list_photos()] == [sha]
                assert store.read_photo(sha) == sent
                assert not list((data_dir / "photos").rglob("*.jpg"))
                result = await phone.wait_for("capture_result")
                assert result["id"] == capture_id and result["stored"] is True
            finally:
                await phone.stop()
        finally:
            engine.stop(timeout=5)


async def test_a_self_inspecting_phone_is_asked_for_the_video_the_autopilot_uses(
    store: Store, engine_factory: type[Engine]
) -> None:
    """Only the autopilot watches: the phone sends 640 pixels wide at 5 fps, and keeps to it."""
    log = EventLog()
    engine = engine_factory(store, ServerSettings(port=0), log, autopilot=True, still_timeout=1.0)
    engine.start()
    inspection = make_inspection(store, TEST_CHECKLIST)
    invite = await call(engine.invite(inspection.id, "self"))
    phone = SimulatedPhone(
        invite.join_url,  # type: ignore[attr-defined]
        width=960,
        height=540,
        fps=15,
        still_size=(1280, 720),
    )
    await phone.start()
    try:
        asked = await phone.wait_for("video", timeout=10)
        assert (asked["max_side"], asked["fps"]) == (VIDEO_MAX_SIDE, VIDEO_FPS) == (640, 5.0)
        assert phone.video_profile == (640, 360, 5.0)

        def engine_frame_width() -> int:
            frame = engine.latest_frame(inspection.id)
            return 0 if frame is None else frame.width

        for _ in range(200):  # the scaled frames reach the engine (bounded by the timeout)
            if engine_frame_width() == 640:
                break
            await asyncio.sleep(0.05)
        assert engine_frame_width() == 640
        # A new connection (the same page) is asked again, and keeps to it meanwhile.
        seen = len(phone.messages)
        await phone.reconnect()
        assert phone.video_profile == (640, 360, 5.0)
        await phone.wait_for("video", after=seen, timeout=10)
    finally:
        await phone.stop()
