"""A self-inspection is never stuck on one shot: bounded attempts, then keep for review.

A phone that can only deliver photos the quality check rejects (here: too small)
used to be asked for the same shot forever. Now, after ``max_attempts`` rejected
photos of a shot, the autopilot keeps the sharpest one (accepted, verdict still
"reject", reason ``kept_after_attempts`` added for the inspector) and moves on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from inspector.config import ServerSettings
from inspector.domain.models import CaptureSource, InspectionStatus, QualityReport, Verdict
from inspector.live import events
from inspector.live.autopilot import KEPT_AFTER_ATTEMPTS, Autopilot
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.live.engine import Engine
from inspector.live.protocol import TO_PHONE, validate
from inspector.live.session import SessionController
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection
from tests.data import jpeg_bytes, scene

from ..live_fixtures import TEST_CHECKLIST, EventLog, make_inspection, use_live_assets

HELLO = {"user_agent": "test", "language": "fr", "camera": {}}
FAST = {"steady_seconds": 0.02, "sample_hz": 50.0, "settle_seconds": 0.0}
# Too small for the quick checklist (1280x720): always rejected. Attempt 1 is the sharpest.
SMALL = [
    jpeg_bytes(cv2.GaussianBlur(scene(640, 360, seed=1), (0, 0), sigma))
    for sigma in (1.5, 0.1, 3.0)
]


class SmallPhotoPhone:
    """An in-memory PhoneLink answering every capture with a too-small photo."""

    def __init__(self, controller: SessionController) -> None:
        self.controller = controller
        self.sent: list[dict[str, Any]] = []
        self.frame = scene(640, 360, seed=1)
        self.attempts: dict[str, int] = {}
        self.tasks: set[asyncio.Task[Any]] = set()

    def send(self, text: str) -> None:
        message = validate(json.loads(text), TO_PHONE)
        self.sent.append(message)
        if message["type"] == "capture":
            shot = self.controller.current.id
            attempt = self.attempts.get(shot, 0)
            self.attempts[shot] = attempt + 1
            task = asyncio.get_running_loop().create_task(
                self.controller.on_photo(
                    message["id"], SMALL[attempt % 3], width=640, height=360, phone_time=None
                )
            )
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def latest_frame(self) -> np.ndarray:
        return self.frame


@pytest.fixture
async def controller(
    store: Store, vehicle_input: dict[str, Any], seller_input: dict[str, Any]
) -> AsyncIterator[SessionController]:
    inspection, _ = create_inspection(
        store, checklist="quick", vehicle=vehicle_input, seller=seller_input
    )
    recorded: list[events.Event] = []
    c = SessionController(store, inspection.id, mode="self", emit=recorded.append)
    c.recorded = recorded  # type: ignore[attr-defined]
    yield c
    await c.close()


@pytest.mark.timeout(60)
async def test_always_rejected_photos_end_in_the_sharpest_kept_for_review(
    controller: SessionController, store: Store
) -> None:
    phone = SmallPhotoPhone(controller)
    controller.attach(phone, HELLO)
    pilot = Autopilot(controller, **FAST)
    await pilot.start()
    assert await asyncio.wait_for(pilot.finished(), 45) is True  # never stuck
    await pilot.stop()

    shots = [s.id for s in controller.shots if s.required]
    captures = store.captures(controller.inspection_id)
    assert len(captures) == 3 * len(shots) and pilot.captures == 3 * len(shots)
    assert len(pilot.kept_for_review) == len(shots)
    for shot_id in shots:
        tried = [c for c in captures if c.shot_id == shot_id]
        assert [c.quality.verdict for c in tried] == [Verdict.REJECT] * 3
        kept = [c for c in tried if c.accepted]
        assert len(kept) == 1
        sharpness = [c.quality.metrics["sharpness"] for c in tried]
        assert kept[0] is tried[sharpness.index(max(sharpness))]  # the sharpest
        assert kept[0] is tried[1]
        codes = [r.code for r in kept[0].quality.reasons]
        assert codes[-1] == KEPT_AFTER_ATTEMPTS and len(codes) >= 2  # the measured reasons stay
        reason = next(r for r in kept[0].quality.reasons if r.code == KEPT_AFTER_ATTEMPTS)
        assert "3" in reason.message.get("fr") and "check" in reason.message.get("en")
        # The in-memory view and the store agree (the console sees what the report shows).
        assert any(
            r.code == KEPT_AFTER_ATTEMPTS
            for c in controller.captures_of(shot_id)
            if c.accepted
            for r in c.quality.reasons
        )
    assert store.get_inspection(controller.inspection_id).status is InspectionStatus.CAPTURED
    recorded: list[events.Event] = controller.recorded  # type: ignore[attr-defined]
    assert sum(isinstance(e, events.Completed) for e in recorded) == 1
    assert any(m["type"] == "done" for m in phone.sent)


async def test_the_attempt_count_survives_a_restart(
    controller: SessionController, store: Store
) -> None:
    """Two rejected photos from before a crash count: the next rejection moves on."""
    first = controller.current.id
    report = QualityReport(Verdict.REJECT, (), {"sharpness": 1.0})
    for _ in range(2):
        c = store.add_capture(
            controller.inspection_id,
            first,
            SMALL[2],
            width=640,
            height=360,
            source=CaptureSource.STILL,
            quality=report,
        )
        store.set_capture_accepted(c.id, False)
    resumed = SessionController(store, controller.inspection_id, mode="self")
    assert resumed.current.id == first
    phone = SmallPhotoPhone(resumed)
    resumed.attach(phone, HELLO)
    pilot = Autopilot(resumed, **FAST)
    await pilot.start()
    try:
        for _ in range(500):
            if resumed.current.id != first:
                break
            await asyncio.sleep(0.01)
        assert resumed.current.id != first and pilot.captures == 1
        kept = [c for c in store.captures(controller.inspection_id) if c.accepted]
        assert len(kept) == 1 and kept[0].shot_id == first
    finally:
        await pilot.stop()
        await resumed.close()


def test_max_attempts_must_be_positive(store: Store) -> None:
    inspection = make_inspection(store, "quick")
    with pytest.raises(ValueError, match="max_attempts"):
        Autopilot(SessionController(store, inspection.id, mode="self"), max_attempts=0)


@pytest.mark.timeout(60)
async def test_a_real_phone_with_a_tiny_camera_finishes_its_self_inspection(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Engine, server, WebRTC: a phone whose stills are all too small still finishes."""
    root = use_live_assets(tmp_path, monkeypatch)
    log = EventLog()
    engine = Engine(
        store,
        ServerSettings(port=0),
        log,
        autopilot=True,
        steady_seconds=0.05,
        settle_seconds=0.0,
        still_timeout=4.0,
        assets=root,
    )
    engine.start()
    phone: SimulatedPhone | None = None
    try:
        inspection = make_inspection(store, TEST_CHECKLIST)
        invite = await asyncio.wrap_future(engine.invite(inspection.id, "self"))
        phone = SimulatedPhone(
            invite.join_url, width=320, height=240, fps=15, still_size=(200, 150)
        )
        await phone.start()
        await log.wait(events.Completed, timeout=40)
        captures = store.captures(inspection.id)
        assert len(captures) == 9  # three shots, three attempts each
        kept = [c for c in captures if c.accepted]
        assert len(kept) == 3 and all(
            KEPT_AFTER_ATTEMPTS in [r.code for r in c.quality.reasons] for c in kept
        )
        await phone.wait_for("done", timeout=5)
    finally:
        if phone is not None:
            await phone.stop()
        engine.stop(timeout=5)
