"""Recording the call with the seller's consent: a real engine, a simulated phone over real
WebRTC on loopback, PyAV reading back what was written; the retention rule."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import numpy as np
import pytest

from inspector.config import ServerSettings
from inspector.domain.recording import CallRecording
from inspector.live import events as ev
from inspector.live import startup
from inspector.live.engine import Engine
from inspector.live.recorder import CallRecorder
from inspector.storage import recordings as files
from inspector.storage.store import Store

from ..live_fixtures import TEST_CHECKLIST, EventLog, make_inspection
from . import test_engine
from .test_engine import Live, call

# The engine and the invited inspection, as the engine's own tests have them.
engine_factory = test_engine.engine_factory
live = test_engine.live

pytestmark = pytest.mark.timeout(90)


def video_duration(path: Path) -> float:
    """Seconds from the first frame to the end of the last, read by PyAV frame by frame."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(f.pts * f.time_base) for f in container.decode(stream)]
    assert len(times) > 10
    return max(times) - min(times) + (times[-1] - times[-2])


async def test_a_call_with_consent_is_recorded_with_its_timeline(live: Live) -> None:
    phone = live.phone(recording=True, fps=15)
    await phone.start()
    try:
        await live.log.wait(ev.PhoneJoined)
        joined = time.monotonic()
        changed = await live.log.wait(ev.RecordingChanged)
        assert changed.consent is True and changed.recording is True
        info = await call(live.engine.session_info(live.inspection_id))
        assert info["recording"] is True  # type: ignore[index]
        await asyncio.sleep(1.5)
        capture_id = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id)
        await call(live.engine.message(live.inspection_id, "Reculez un peu"))
        await asyncio.sleep(2.0)
        await call(live.engine.end_session(live.inspection_id))
        ended = time.monotonic()
    finally:
        await phone.stop()
    await live.log.wait(ev.RecordingChanged, lambda e: not e.recording)
    (row,) = live.store.recordings(live.inspection_id)
    assert row.consent and row.playable and row.mime == "video/mp4"
    assert row.sha256 is not None and row.timeline_sha256 is not None
    path = live.store.recording_file(row.sha256, row.mime)
    assert path.parent.parent.name == "recordings"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256 == path.stem
    assert row.size == path.stat().st_size
    # Playable, and as long as the call (from the phone joining to the end) within 1 s.
    duration = video_duration(path)
    assert abs(duration - (ended - joined)) < 1.0, (duration, ended - joined)
    assert abs(row.duration - duration) < 0.5
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 240)
    # The timeline: the capture and the message, at their time in the video.
    timeline = live.store.recording_file(row.timeline_sha256, "application/json")
    data = timeline.read_bytes()
    assert hashlib.sha256(data).hexdigest() == row.timeline_sha256
    marks = files.read_timeline(data)
    kinds = [m.kind for m in marks]
    assert "capture" in kinds and "message" in kinds
    capture = next(m for m in marks if m.kind == "capture")
    assert capture.capture_id == capture_id and 1.0 < capture.t < duration
    message = next(m for m in marks if m.kind == "message")
    assert message.text == "Reculez un peu" and capture.t <= message.t < duration
    assert json.loads(data)["started_at"] is not None
    assert not list(files.partial_folder(live.store.data_dir).glob("*.mp4"))


async def test_a_refusal_records_nothing_and_changes_nothing_else(live: Live) -> None:
    phone = live.phone(recording=False)
    await phone.start()
    try:
        await live.log.wait(ev.PhoneJoined)
        changed = await live.log.wait(ev.RecordingChanged)
        assert changed.consent is False and changed.recording is False
        capture_id = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id)
        await call(live.engine.end_session(live.inspection_id))
    finally:
        await phone.stop()
    (row,) = live.store.recordings(live.inspection_id)
    assert row.consent is False and row.sha256 is None and not row.playable
    assert row.consent_at <= datetime.now(UTC)
    folder = live.store.data_dir / files.FOLDER
    assert not [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else True


async def test_not_asked_keeps_no_answer(live: Live) -> None:
    phone = live.phone()  # an older page: hello without "recording"
    await phone.start()
    try:
        await live.log.wait(ev.PhoneJoined)
        await call(live.engine.end_session(live.inspection_id))
    finally:
        await phone.stop()
    assert live.store.recordings(live.inspection_id) == []
    assert not live.log.of(ev.RecordingChanged)


def old_recording(store: Store, inspection_id: str, age_days: float) -> CallRecording:
    """A recording whose call ended ``age_days`` ago, with its two files."""
    data_dir = store.data_dir
    video = f"fake video {age_days}".encode()
    sha = hashlib.sha256(video).hexdigest()
    path = files.recording_path(data_dir, sha, "video/mp4")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(video)
    timeline = files.write_timeline(
        data_dir, files.timeline_bytes([], None) + str(age_days).encode()
    )
    ended = datetime.now(UTC) - timedelta(days=age_days)
    row = CallRecording(
        id=f"rec{age_days}",
        inspection_id=inspection_id,
        consent=True,
        consent_at=ended - timedelta(minutes=10),
        sha256=sha,
        timeline_sha256=timeline,
        mime="video/mp4",
        size=len(video),
        duration=600,
        started_at=ended - timedelta(minutes=10),
        ended_at=ended,
    )
    return store.add_recording(row)


def test_retention_deletes_old_recordings_and_keeps_the_consent(store: Store) -> None:
    inspection = make_inspection(store, TEST_CHECKLIST)
    old = old_recording(store, inspection.id, 31)
    fresh = old_recording(store, inspection.id, 2)
    assert old.sha256 and old.timeline_sha256 and fresh.sha256
    assert store.delete_expired_recordings(30) == 1
    rows = {r.id: r for r in store.recordings(inspection.id)}
    assert rows[old.id].deleted_at is not None and not rows[old.id].playable
    assert rows[old.id].consent  # the answer stays on record
    assert not files.recording_path(store.data_dir, old.sha256, "video/mp4").exists()
    assert not files.recording_path(
        store.data_dir, old.timeline_sha256, "application/json"
    ).exists()
    assert rows[fresh.id].playable
    assert store.recording_file(fresh.sha256, "video/mp4").is_file()
    assert store.delete_expired_recordings(30) == 0  # once


async def test_the_engine_applies_the_retention_when_it_starts(
    store: Store,
    engine_factory: type[Engine],
) -> None:
    inspection = make_inspection(store, TEST_CHECKLIST)
    old = old_recording(store, inspection.id, 8)
    engine = engine_factory(store, ServerSettings(port=0, recording_retention_days=7), EventLog())
    await asyncio.get_running_loop().run_in_executor(None, engine.start)
    (row,) = store.recordings(inspection.id)
    assert row.id == old.id and row.deleted_at is not None


async def test_a_running_engine_applies_the_retention_again_as_days_pass(
    store: Store,
    engine_factory: type[Engine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A team server runs for weeks: a recording that comes due meanwhile goes too."""
    monkeypatch.setattr(startup, "RETENTION_INTERVAL", 0.2)
    inspection = make_inspection(store, TEST_CHECKLIST)
    engine = engine_factory(store, ServerSettings(port=0, recording_retention_days=7), EventLog())
    await asyncio.get_running_loop().run_in_executor(None, engine.start)
    due = old_recording(store, inspection.id, 8)  # came due after the start's sweep
    kept = old_recording(store, inspection.id, 6)
    deadline = time.monotonic() + 20
    while not store.recordings(inspection.id)[0].deleted_at and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    rows = {r.id: r for r in store.recordings(inspection.id)}
    assert rows[due.id].deleted_at is not None
    assert rows[kept.id].deleted_at is None and rows[kept.id].playable


def square_frame(width: int, height: int) -> np.ndarray:
    """A black picture with a white 100x100 square at its centre (BGR)."""
    picture = np.zeros((height, width, 3), np.uint8)
    top, left = height // 2 - 50, width // 2 - 50
    picture[top : top + 100, left : left + 100] = 255
    return picture


def white_extent(picture: np.ndarray) -> tuple[int, int]:
    ys, xs = np.nonzero(picture[:, :, 1] > 128)
    return int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def test_a_phone_turned_mid_call_is_recorded_whole_not_stretched(tmp_path: Path) -> None:
    """Landscape first (the video's shape), then portrait: the portrait picture is shown
    whole between black bars, its square still square."""
    recorder = CallRecorder(tmp_path / "call.mp4")
    recorder.start()
    start = time.monotonic()
    for i in range(20):
        recorder.push(square_frame(1280, 720), start + i / 30)
    for i in range(20, 40):
        recorder.push(square_frame(720, 1280), start + i / 30)
    recorder.close()
    assert recorder.error is None and recorder.frames == 40
    with av.open(str(tmp_path / "call.mp4")) as container:
        pictures = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert len(pictures) == 40
    assert {p.shape for p in pictures} == {(720, 1280, 3)}
    landscape, portrait = pictures[10], pictures[-5]
    w, h = white_extent(landscape)
    assert abs(w - h) <= 4 and w >= 95  # the first shape: as it came
    w, h = white_extent(portrait)
    assert abs(w - h) <= 4, (w, h)  # a square, not a 100 x 56 bar
    assert 50 <= w <= 62  # scaled by 720 / 1280 to fit the height
    assert portrait[:, :400].max() < 40 and portrait[:, -400:].max() < 40  # black bars
