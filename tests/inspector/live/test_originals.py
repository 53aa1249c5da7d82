"""A preview first, the full-resolution original after, resumable (issue 15).

Real engine, real server, real store, a simulated phone over real WebRTC on loopback:
the phone sends a downscaled preview whose header names the original; the verdict comes
from the preview, the capture is stored with it (source "preview"); the original follows
on the originals channel and replaces the preview. The walk is complete only when every
original is in. Old phones sending only full stills are covered by the other live tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from inspector.config import ServerSettings
from inspector.domain.models import CaptureSource, InspectionStatus
from inspector.live import events as ev
from inspector.live.contrib.simphone import PREVIEW_SIDE, SimulatedPhone
from inspector.live.engine import Engine
from inspector.live.session.originals import ORIGINALS_DIR
from inspector.storage.store import Store

from ..live_fixtures import TEST_CHECKLIST, EventLog, make_inspection, use_live_assets

STILL = (3200, 2400)


@dataclass
class Live:
    engine: Engine
    log: EventLog
    store: Store
    inspection_id: str
    join_url: str

    def phone(self, **kw: Any) -> SimulatedPhone:
        options: dict[str, Any] = {
            "width": 320,
            "height": 240,
            "fps": 15,
            "still_size": STILL,
            "previews": True,
        }
        options.update(kw)
        return SimulatedPhone(self.join_url, **options)


@pytest.fixture
def start_live(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Any]]:
    root = use_live_assets(tmp_path, monkeypatch)
    started: list[Engine] = []

    async def make(**kw: Any) -> Live:
        log = EventLog()
        kw.setdefault("still_timeout", 20.0)
        kw.setdefault("heartbeat_timeout", 1.5)
        engine = Engine(store, ServerSettings(port=0), log, assets=root, **kw)
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


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        return im.size


def _originals_left(store: Store) -> list[str]:
    folder = store.data_dir / ORIGINALS_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.timeout(90)
async def test_preview_verdict_then_original_replaces_it(start_live: Callable[..., Any]) -> None:
    """The verdict comes from the preview; the capture is stored as a preview, then the
    original replaces it (file and row); the walk completes only after the last original."""
    live = await start_live()
    phone = live.phone()
    await phone.start()
    try:
        results = []
        for shot in ("front", "side", "rear"):
            await phone.wait_for("shot", where=lambda m, s=shot: m["id"] == s)
            capture_id = await call(live.engine.capture(live.inspection_id))
            stored = await live.log.wait(
                ev.CaptureStored, lambda e, c=capture_id: e.capture.id == c, timeout=20
            )
            # The verdict's photo is the preview, judged at the original's size.
            assert stored.capture.source is CaptureSource.PREVIEW
            assert max(stored.capture.width, stored.capture.height) == PREVIEW_SIDE
            assert stored.capture.quality.metrics["width"] == STILL[0]
            assert "low_resolution" not in [r.code for r in stored.capture.quality.reasons]
            result = await phone.wait_for(
                "capture_result", where=lambda m, c=capture_id: m["id"] == c
            )
            assert result["stored"] is True
            results.append(capture_id)
            if shot != "rear":
                await call(live.engine.accept(live.inspection_id, capture_id))
        # The last accept ends the walk: "done" is said, "completed" waits for originals.
        await call(live.engine.accept(live.inspection_id, results[-1]))
        await phone.wait_for("done", timeout=10)
        await live.log.wait(ev.Completed, timeout=60)
        stored_events = live.log.of(ev.OriginalStored)
        assert sorted(e.capture.id for e in stored_events) == sorted(results)
        # Completion came after the last original.
        names = [type(e).__name__ for e in live.log.events]
        assert names.index("Completed") > max(
            i for i, n in enumerate(names) if n == "OriginalStored"
        )
        assert live.log.of(ev.OriginalProgress)
        for capture in live.store.captures(live.inspection_id):
            original = phone.originals_made[capture.id]
            assert capture.source is CaptureSource.STILL
            assert capture.sha256 == hashlib.sha256(original).hexdigest()
            assert (capture.width, capture.height) == STILL
            assert live.store.read_photo(capture.sha256) == original
        # The phone hears "done" for each after the engine stored it: on a busy machine
        # the last of those messages may still be on its way when "completed" is emitted.
        deadline = time.monotonic() + 15
        while sorted(phone.originals_done) != sorted(results) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert sorted(phone.originals_done) == sorted(results)
        assert live.store.get_inspection(live.inspection_id).status is InspectionStatus.CAPTURED
        assert _originals_left(live.store) == []
        info = await call(live.engine.session_info(live.inspection_id))
        assert info["originals_pending"] == 0
    finally:
        await phone.stop()


@pytest.mark.timeout(90)
async def test_a_dropped_link_mid_original_resumes_without_resending(
    start_live: Callable[..., Any],
) -> None:
    """The link dies half way through an original: after the reconnection the engine
    says how many bytes it has and the phone sends only the rest."""
    live = await start_live()
    phone = live.phone()
    phone.original_behaviour = "drop_midway"
    await phone.start()
    try:
        capture_id = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id, timeout=20)
        await live.log.wait(ev.ConnectionChanged, lambda e: e.state == "reconnecting", timeout=20)
        assert phone.photos_cut == [capture_id]
        sent_before = phone.original_bytes_sent
        original = phone.originals_made[capture_id]
        assert 0 < sent_before < len(original)
        seen = len(phone.messages)
        await phone.reconnect()
        status = await phone.wait_for(
            "original_status", after=seen, where=lambda m: m["id"] == capture_id
        )
        assert status["state"] == "wanted" and status["have"] > 0
        assert status["have"] <= sent_before
        await live.log.wait(ev.OriginalStored, lambda e: e.capture.id == capture_id, timeout=30)
        # Every byte crossed once, but for what was in flight when the link died.
        assert phone.original_bytes_sent == sent_before + len(original) - status["have"]
        assert phone.original_bytes_sent < len(original) + (sent_before - status["have"]) + 1
        capture = live.store.get_capture(capture_id)
        assert capture.source is CaptureSource.STILL
        assert capture.sha256 == hashlib.sha256(original).hexdigest()
    finally:
        await phone.stop()


@pytest.mark.timeout(90)
async def test_an_original_that_does_not_match_is_refused_kept_as_preview_and_retried(
    start_live: Callable[..., Any],
) -> None:
    """Bytes that do not match the original's SHA-256: a clear error to the phone and the
    console, the preview stays the photo meanwhile, the original is asked again from 0."""
    live = await start_live()
    phone = live.phone()
    phone.original_behaviour = "corrupt_once"
    await phone.start()
    try:
        capture_id = await call(live.engine.capture(live.inspection_id))
        failed = await live.log.wait(
            ev.OriginalFailed, lambda e: e.capture_id == capture_id, timeout=30
        )
        assert failed.retrying and "SHA-256" in failed.reason
        error = await phone.wait_for("error", where=lambda m: m["code"] == "original_mismatch")
        assert "SHA-256" in error["message"]
        stored = await live.log.wait(
            ev.OriginalStored, lambda e: e.capture.id == capture_id, timeout=30
        )
        original = phone.originals_made[capture_id]
        assert stored.capture.sha256 == hashlib.sha256(original).hexdigest()
        assert live.store.get_capture(capture_id).source is CaptureSource.STILL
        assert phone.original_bytes_sent == 2 * len(original)  # once bad, once good
    finally:
        await phone.stop()


@pytest.mark.timeout(90)
async def test_an_original_the_phone_lost_leaves_the_preview_marked(
    start_live: Callable[..., Any],
) -> None:
    """The page was reloaded (the phone no longer has the original): the capture stays a
    preview, said so in its source, and the walk is not held up for it."""
    live = await start_live()
    phone = live.phone()
    phone.original_behaviour = "drop_midway"
    await phone.start()
    try:
        capture_id = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.ConnectionChanged, lambda e: e.state == "reconnecting", timeout=20)
        phone.originals.clear()  # a reloaded page: its memory is gone
        await phone.reconnect()
        failed = await live.log.wait(
            ev.OriginalFailed, lambda e: e.capture_id == capture_id, timeout=20
        )
        assert not failed.retrying and failed.pending == 0
        capture = live.store.get_capture(capture_id)
        assert capture.source is CaptureSource.PREVIEW
        assert max(_size(live.store.read_photo(capture.sha256))) == PREVIEW_SIDE
        assert _originals_left(live.store) == []
    finally:
        await phone.stop()


@pytest.mark.timeout(90)
async def test_a_retaken_preview_wants_no_original(start_live: Callable[..., Any]) -> None:
    live = await start_live()
    phone = live.phone()
    await phone.start()
    try:
        await call(live.engine.set_auto_advance(live.inspection_id, False))
        capture_id = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id, timeout=20)
        await call(live.engine.retake(live.inspection_id, capture_id))
        status = await phone.wait_for(
            "original_status",
            where=lambda m: m["id"] == capture_id and m["state"] in ("unwanted", "done"),
            timeout=20,
        )
        if status["state"] == "unwanted":  # (a fast link may have delivered it already)
            assert live.store.get_capture(capture_id).source is CaptureSource.PREVIEW
        info = await call(live.engine.session_info(live.inspection_id))
        assert info["originals_pending"] == 0
    finally:
        await phone.stop()


@pytest.mark.timeout(90)
async def test_bad_originals_get_clear_answers_and_lose_nothing(
    start_live: Callable[..., Any],
) -> None:
    """Every malformed piece of an original's transfer gets an answer saying what to do,
    and the capture keeps its preview until a good original comes."""
    live = await start_live()
    phone = live.phone()
    await phone.start()
    try:
        phone.original_behaviour = "hold"  # nothing sent by itself: the test sends
        capture_id = await call(live.engine.capture(live.inspection_id))
        await live.log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id, timeout=20)
        await phone.wait_for("original_status", where=lambda m: m["id"] == capture_id)
        original = phone.originals_made[capture_id]
        channel = phone._originals_channel

        def begin(capture: str, offset: int) -> None:
            channel.send(
                json.dumps({"v": 1, "type": "original_begin", "id": capture, "offset": offset})
            )

        async def status(after: int, capture: str = capture_id) -> dict[str, Any]:
            return await phone.wait_for(
                "original_status", after=after, where=lambda m: m["id"] == capture
            )

        # An unknown capture: not wanted.
        seen = len(phone.messages)
        begin("nope", 0)
        assert (await status(seen, "nope"))["state"] == "unwanted"
        # A wrong offset: "send from here", and the chunks until the next begin are dropped.
        seen = len(phone.messages)
        begin(capture_id, 1000)
        channel.send(original[:1000])
        answer = await status(seen)
        assert (answer["state"], answer["have"]) == ("wanted", 0)
        # Anything but original_begin and chunks on this channel; a chunk over 64 KiB.
        seen = len(phone.messages)
        channel.send(json.dumps({"v": 1, "type": "shutter"}))
        assert (await phone.wait_for("error", after=seen))["code"] == "wrong_channel"
        seen = len(phone.messages)
        channel.send(b"x" * (64 * 1024 + 1))
        assert (await phone.wait_for("error", after=seen))["code"] == "chunk_too_large"
        # More bytes than the original's size: refused, asked again from 0.
        seen = len(phone.messages)
        begin(capture_id, 0)
        for start in range(0, len(original) - 100, 65536):
            channel.send(original[start : min(start + 65536, len(original) - 100)])
        channel.send(b"x" * 200)  # 100 bytes too many
        error = await phone.wait_for(
            "error", after=seen, where=lambda m: m["code"] == "original_mismatch"
        )
        assert "declared size" in error["message"]
        answer = await phone.wait_for(
            "original_status",
            after=seen,
            where=lambda m: m["id"] == capture_id and m["state"] == "wanted" and m["have"] == 0,
        )
        assert answer["size"] == len(original)
        assert live.store.get_capture(capture_id).source is CaptureSource.PREVIEW
        # A good original after all that replaces the preview.
        begin(capture_id, 0)
        for start in range(0, len(original), 65536):
            channel.send(original[start : start + 65536])
        await live.log.wait(ev.OriginalStored, lambda e: e.capture.id == capture_id, 30)
        assert live.store.get_capture(capture_id).sha256 == hashlib.sha256(original).hexdigest()
    finally:
        await phone.stop()


@pytest.mark.timeout(60)
async def test_a_preview_header_naming_part_of_its_original_is_refused(
    start_live: Callable[..., Any],
) -> None:
    live = await start_live()
    phone = live.phone(previews=False)
    await phone.start()
    try:
        phone.capture_behaviour = "ignore"  # the test answers the capture itself
        capture_id = await call(live.engine.capture(live.inspection_id))
        await phone.wait_for("capture", where=lambda m: m["id"] == capture_id)
        data = phone.still_bytes(capture_id)
        phone.send(
            "photo_begin",
            id=capture_id,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            width=STILL[0],
            height=STILL[1],
            mime="image/jpeg",
            original_size=10_000_000,  # and nothing else of the original
        )
        error = await phone.wait_for("error", where=lambda m: m["code"] == "bad_preview")
        assert "original" in error["message"]
        failed = await live.log.wait(ev.CaptureFailed, lambda e: e.capture_id == capture_id)
        assert failed.reason.startswith("bad_preview")
        assert live.store.captures(live.inspection_id) == []
    finally:
        await phone.stop()
