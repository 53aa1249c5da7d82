"""The autopilot walks a real checklist with an in-memory phone that answers captures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import cv2
import numpy as np
import pytest

from inspector.domain.models import InspectionStatus, Verdict
from inspector.live import events
from inspector.live.autopilot import Autopilot
from inspector.live.protocol import TO_PHONE, validate
from inspector.live.session import SessionController
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection
from tests.data import jpeg_bytes, scene

GOOD = jpeg_bytes(scene(seed=1))
BLURRED = jpeg_bytes(cv2.GaussianBlur(scene(seed=1), (0, 0), 6))
HELLO = {"user_agent": "test", "language": "fr", "camera": {}}
FAST = {"steady_seconds": 0.05, "sample_hz": 50.0, "settle_seconds": 0.0}


class AnsweringPhone:
    """An in-memory PhoneLink that answers each capture request with a JPEG.

    ``photo_for(shot_index, attempt)`` picks the bytes, or None to stay silent.
    """

    def __init__(
        self,
        controller: SessionController,
        photo_for: Callable[[int, int], bytes | None] = lambda index, attempt: GOOD,
    ) -> None:
        self.controller = controller
        self.photo_for = photo_for
        self.sent: list[dict[str, Any]] = []
        self.frames = [scene(640, 360, seed=1)]
        self.reads = 0
        self.attempts: dict[int, int] = {}
        self.tasks: set[asyncio.Task[Any]] = set()

    def send(self, text: str) -> None:
        message = validate(json.loads(text), TO_PHONE)
        self.sent.append(message)
        if message["type"] == "capture":
            index = self.controller.index
            attempt = self.attempts.get(index, 0)
            self.attempts[index] = attempt + 1
            data = self.photo_for(index, attempt)
            if data is not None:
                task = asyncio.get_running_loop().create_task(
                    self.controller.on_photo(
                        message["id"], data, width=1280, height=720, phone_time=None
                    )
                )
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    def latest_frame(self) -> np.ndarray | None:
        self.reads += 1
        return self.frames[self.reads % len(self.frames)]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["type"] == kind]


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


@pytest.fixture
def recorded() -> list[events.Event]:
    return []


@pytest.fixture
async def controller(
    store: Store,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
    recorded: list[events.Event],
) -> AsyncIterator[SessionController]:
    inspection, _ = create_inspection(
        store, checklist="quick", vehicle=vehicle_input, seller=seller_input
    )
    c = SessionController(store, inspection.id, mode="self", emit=recorded.append)
    yield c
    await c.close()


async def test_autopilot_completes_the_quick_checklist_with_one_retake(
    controller: SessionController, store: Store, recorded: list[events.Event]
) -> None:
    def photos(index: int, attempt: int) -> bytes:
        return BLURRED if (index, attempt) == (2, 0) else GOOD

    phone = AnsweringPhone(controller, photos)
    controller.attach(phone, HELLO)
    pilot = Autopilot(controller, **FAST)
    await pilot.start()
    assert await asyncio.wait_for(pilot.finished(), 30) is True
    await pilot.stop()

    captures = store.captures(controller.inspection_id)
    assert len(captures) == 9 and pilot.captures == 9
    retaken = [c for c in captures if c.shot_id == controller.shots[2].id]
    assert [c.quality.verdict for c in retaken] == [Verdict.REJECT, Verdict.OK]
    assert [c.accepted for c in retaken] == [False, True]
    assert retaken[1].retake_of == retaken[0].id
    assert all(c.accepted for c in captures if c not in retaken)
    assert phone.of("done") and phone.of("done")[0]["text"] == "Toutes les photos sont prises."
    assert store.get_inspection(controller.inspection_id).status is InspectionStatus.CAPTURED
    assert sum(isinstance(e, events.Completed) for e in recorded) == 1
    assert controller.complete


async def test_the_shutter_captures_even_when_the_picture_moves(
    controller: SessionController,
) -> None:
    phone = AnsweringPhone(controller)
    phone.frames = [scene(640, 360, seed=1), scene(640, 360, seed=2)]  # never steady
    controller.attach(phone, HELLO)
    pilot = Autopilot(controller, **FAST)
    await pilot.start()
    await asyncio.sleep(0.3)
    assert phone.of("capture") == []
    assert any(m["code"] == "moving" for m in phone.of("hint"))

    await controller.handle_message({"v": 1, "type": "shutter"})
    await eventually(lambda: controller.index == 1)
    assert len(phone.of("capture")) == 1
    await pilot.stop()
    assert await pilot.finished() is False


async def test_stop_returns_promptly_while_a_capture_is_in_flight(
    controller: SessionController,
) -> None:
    phone = AnsweringPhone(controller, lambda index, attempt: None)  # never answers
    controller.attach(phone, HELLO)
    pilot = Autopilot(controller, **FAST)
    await pilot.start()
    await eventually(lambda: bool(phone.of("capture")))
    assert controller.capture_in_flight and pilot.running

    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(pilot.stop(), 2)
    assert loop.time() - started < 1.0
    assert not pilot.running
    assert await pilot.finished() is False
    await pilot.stop()  # twice is fine


async def test_the_autopilot_waits_for_a_phone(controller: SessionController) -> None:
    pilot = Autopilot(controller, **FAST)
    await pilot.start()
    await asyncio.sleep(0.2)
    assert pilot.running and pilot.captures == 0
    await pilot.stop()


async def test_the_autopilot_needs_auto_advance(
    store: Store, controller: SessionController
) -> None:
    manual = SessionController(store, controller.inspection_id, auto_advance=False)
    with pytest.raises(ValueError, match="auto_advance"):
        Autopilot(manual)
    with pytest.raises(RuntimeError, match="never started"):
        await Autopilot(controller).finished()


def _ready(controller: SessionController) -> dict[str, Any]:
    return {"v": 1, "type": "ready", "shot_id": controller.current.id}


async def test_the_autopilot_waits_until_the_seller_is_in_position(
    controller: SessionController,
) -> None:
    from tests.inspector.domain.test_framing import drawn_outline

    phone = AnsweringPhone(controller)
    phone.frames = [drawn_outline(controller.current.overlay)]
    controller.attach(phone, HELLO)
    pilot = Autopilot(controller, await_seller=True, **FAST)
    await pilot.start()
    await eventually(lambda: bool(phone.of("pace")))
    first = phone.of("pace")[0]
    assert first["step"] == "position" and first["shot_id"] == controller.current.id
    assert "en place" in first["text"]  # in the seller's language
    await asyncio.sleep(0.3)  # steady, good picture: still nothing until the seller says so
    assert phone.of("capture") == []
    # A tap meant for another shot (the page was behind) does not count.
    await controller.handle_message({"v": 1, "type": "ready", "shot_id": "boot"})
    await asyncio.sleep(0.2)
    assert phone.of("capture") == []

    await controller.handle_message(_ready(controller))
    await eventually(lambda: controller.index == 1)
    assert [m["step"] for m in phone.of("pace")][:2] == ["position", "hold"]
    assert len(phone.of("capture")) == 1
    await eventually(lambda: phone.of("pace")[-1]["shot_id"] == controller.current.id)
    assert phone.of("pace")[-1]["step"] == "position"  # the next shot waits for the seller too
    await pilot.stop()


async def test_a_picture_that_does_not_line_up_is_not_saved(
    controller: SessionController,
) -> None:
    from tests.inspector.domain.test_framing import drawn_outline

    phone = AnsweringPhone(controller)
    phone.frames = [scene(1280, 720, seed=1)]  # steady and sharp, but not the car's outline
    controller.attach(phone, HELLO)
    pilot = Autopilot(controller, await_seller=True, framing=True, **FAST)
    await pilot.start()
    await controller.handle_message(_ready(controller))
    await eventually(lambda: any(m["step"] == "adjust" for m in phone.of("pace")))
    assert "contour" in next(m for m in phone.of("pace") if m["step"] == "adjust")["text"]
    await asyncio.sleep(0.3)
    assert phone.of("capture") == [] and pilot.framing_refusals > 0

    phone.frames = [drawn_outline(controller.current.overlay)]  # the seller steps into place
    await eventually(lambda: controller.index == 1)
    assert len(phone.of("capture")) == 1

    # The shutter keeps the last word: a picture that does not line up is taken on request.
    phone.frames = [scene(1280, 720, seed=1)]
    await controller.handle_message(_ready(controller))
    await controller.handle_message({"v": 1, "type": "shutter"})
    await eventually(lambda: controller.index == 2)
    await pilot.stop()


async def test_a_fresh_live_sample_is_reused_for_the_same_shot_only(
    controller: SessionController,
) -> None:
    """The autopilot asks for a sample no older than its period: the hints' is reused."""
    phone = AnsweringPhone(controller)
    phone.frames = [scene(640, 360, seed=1), scene(640, 360, seed=2)]
    controller.attach(phone, HELLO)
    first = await controller.sample()
    assert first is not None and phone.reads == 1
    assert await controller.sample(fresh=3600) is first  # young enough: no new analysis
    assert phone.reads == 1
    second = await controller.sample()  # fresh=0: always a new look
    assert second is not None and second is not first and phone.reads == 2
    controller.next()  # another shot: judged against its own thresholds, so looked at again
    third = await controller.sample(fresh=3600)
    assert third is not None and third is not second and phone.reads == 3
