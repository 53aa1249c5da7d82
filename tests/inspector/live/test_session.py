"""The session controller against a real store, real checklists and real quality analysis.

The phone is an in-memory PhoneLink that records what it is sent and shows a
frame the test chooses; everything else is the production code.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import io
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from inspector.domain.models import (
    CaptureSource,
    Damage,
    DamageType,
    InspectionStatus,
    Part,
    QualityReport,
    Severity,
    Verdict,
)
from inspector.domain.progress import damage_photos
from inspector.domain.signature import make_summary
from inspector.live import events
from inspector.live.damages import FALLBACK_PART
from inspector.live.photo_receiver import Transfer
from inspector.live.protocol import TO_PHONE, validate
from inspector.live.session import SessionController, ShotState
from inspector.storage import DiskFull, StoreError
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection
from tests.data import jpeg_bytes, scene

GOOD = jpeg_bytes(scene(seed=1))
BLURRED = jpeg_bytes(cv2.GaussianBlur(scene(seed=1), (0, 0), 6))
HELLO_FR = {"user_agent": "test", "language": "fr-FR", "camera": {}}
HELLO_EN = {"user_agent": "test", "language": "en-GB", "camera": {}}


class FakeLink:
    """The in-memory phone: records sent messages (checked against TO_PHONE)."""

    def __init__(self, frame: np.ndarray | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.frame = frame

    def send(self, text: str) -> None:
        self.sent.append(validate(json.loads(text), TO_PHONE))

    def latest_frame(self) -> np.ndarray | None:
        return self.frame

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["type"] == kind]

    def last(self, kind: str) -> dict[str, Any]:
        found = self.of(kind)
        assert found, f"no {kind!r} message in {[m['type'] for m in self.sent]}"
        return found[-1]


class Recorder:
    def __init__(self) -> None:
        self.events: list[events.Event] = []

    def __call__(self, event: events.Event) -> None:
        self.events.append(event)

    def of(self, kind: type[events.Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


Make = Callable[..., Awaitable[tuple[SessionController, FakeLink, Recorder]]]


@pytest.fixture
def new_inspection(
    store: Store, vehicle_input: dict[str, Any], seller_input: dict[str, Any]
) -> Callable[[str], str]:
    def make(checklist: str = "quick") -> str:
        inspection, _ = create_inspection(
            store, checklist=checklist, vehicle=vehicle_input, seller=seller_input
        )
        return inspection.id

    return make


@pytest.fixture
async def make(store: Store, new_inspection: Callable[[str], str]) -> AsyncIterator[Make]:
    """Build a controller (attached unless told not to); all are closed afterwards."""
    made: list[SessionController] = []

    async def build(
        inspection_id: str | None = None,
        *,
        checklist: str = "quick",
        attach: bool = True,
        hello: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[SessionController, FakeLink, Recorder]:
        recorder = Recorder()
        controller = SessionController(
            store, inspection_id or new_inspection(checklist), emit=recorder, **kwargs
        )
        made.append(controller)
        link = FakeLink()
        if attach:
            controller.attach(link, hello or HELLO_FR)
        return controller, link, recorder

    yield build
    for controller in made:
        await controller.close()


async def take(controller: SessionController, data: bytes = GOOD) -> str:
    """Capture the current shot and deliver ``data`` as its still; returns the capture id."""
    capture_id = await controller.capture()
    capture = await controller.on_photo(capture_id, data, width=1280, height=720, phone_time=None)
    assert capture is not None
    return capture_id


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


# -- navigation -----------------------------------------------------------------------


async def test_new_session_starts_at_the_first_shot(make: Make) -> None:
    controller, _, _ = await make()
    assert len(controller.shots) == 8
    assert controller.index == 0
    assert controller.current.id == controller.shots[0].id
    assert set(controller.states.values()) == {ShotState.PENDING}
    assert (controller.progress.done, controller.progress.required) == (0, 8)
    assert not controller.complete


async def test_navigation_sends_the_shot_and_emits_shot_changed(make: Make) -> None:
    controller, link, rec = await make()
    ids = [s.id for s in controller.shots]

    assert controller.next().id == ids[1]
    controller.select(ids[5])
    assert controller.previous().id == ids[4]
    assert [(e.index, e.shot_id, e.total) for e in rec.of(events.ShotChanged)] == [
        (1, ids[1], 8),
        (5, ids[5], 8),
        (4, ids[4], 8),
    ]
    assert [m["id"] for m in link.of("shot")] == [ids[0], ids[1], ids[5], ids[4]]
    shot = link.last("shot")
    assert shot["index"] == 4 and shot["total"] == 8
    assert shot["title"] == controller.current.title.get("fr")
    assert shot["state"] == "pending"


async def test_navigation_stops_at_the_ends_without_events(make: Make) -> None:
    controller, _, rec = await make()
    controller.previous()
    controller.select(controller.shots[-1].id)
    controller.next()
    assert controller.index == len(controller.shots) - 1
    assert len(rec.of(events.ShotChanged)) == 1


async def test_unknown_shot_is_a_clear_value_error(make: Make) -> None:
    controller, _, _ = await make()
    with pytest.raises(ValueError, match=r"no shot 'bonnet_top'.*quick"):
        controller.select("bonnet_top")


# -- the phone joining --------------------------------------------------------------


async def test_attach_sends_welcome_then_the_shot_in_the_phone_language(make: Make) -> None:
    controller, link, _ = await make(hello=HELLO_EN)
    assert controller.language == "en"
    assert controller.linked
    assert [m["type"] for m in link.sent] == ["welcome", "shot", "coverage"]
    welcome = link.sent[0]
    assert welcome["mode"] == "operator" and welcome["language"] == "en"
    assert welcome["inspection"]["vehicle"] == "Peugeot 308 2019"
    assert welcome["inspection"]["total"] == 8
    assert link.sent[1]["title"] == controller.current.title.get("en")
    assert link.sent[1]["instruction"] == controller.current.instruction.get("en")


async def test_other_phone_languages_fall_back_to_the_sellers(make: Make) -> None:
    controller, link, _ = await make(hello={**HELLO_EN, "language": "de-DE"})
    assert controller.language == "fr"  # the seller fixture speaks French
    assert link.last("shot")["title"] == controller.current.title.get("fr")


async def test_messages_before_attach_are_dropped_and_the_shot_is_sent_on_attach(
    make: Make,
) -> None:
    controller, link, rec = await make(attach=False)
    assert not controller.linked
    controller.torch(True)
    controller.message("Bonjour")
    controller.next()  # still emitted for the console
    assert len(rec.of(events.ShotChanged)) == 1
    assert link.sent == []

    controller.attach(link, HELLO_FR)
    assert [m["type"] for m in link.sent] == ["welcome", "shot", "coverage"]
    assert link.last("shot")["index"] == 1


async def test_controller_shot_wins_over_resume_shot(make: Make) -> None:
    controller, link, _ = await make(attach=False)
    controller.attach(link, {**HELLO_FR, "resume_shot": controller.shots[3].id})
    assert controller.index == 0
    assert link.last("shot")["id"] == controller.shots[0].id


async def test_detach_keeps_state_and_a_second_hello_resyncs(make: Make) -> None:
    controller, link, _ = await make()
    controller.next()
    controller.detach()
    assert not controller.linked
    controller.next()
    assert link.last("shot")["index"] == 1  # nothing sent while detached

    again = FakeLink()
    controller.attach(again, HELLO_FR)
    assert again.last("shot")["index"] == 2
    await controller.handle_message({"v": 1, "type": "hello", **HELLO_EN})
    assert [m["type"] for m in again.sent] == ["welcome", "shot", "coverage"] * 2
    assert again.last("shot")["title"] == controller.current.title.get("en")


# -- capture and quality --------------------------------------------------------------


async def test_capture_stores_the_still_with_its_verdict(make: Make, store: Store) -> None:
    controller, link, rec = await make()
    shot = controller.current

    capture_id = await controller.capture()
    assert link.last("capture") == {"v": 1, "type": "capture", "id": capture_id}
    [requested] = rec.of(events.CaptureRequested)
    assert (requested.capture_id, requested.shot_id) == (capture_id, shot.id)

    capture = await controller.on_photo(
        capture_id, GOOD, width=1280, height=720, phone_time=1_700_000_000_000
    )
    assert capture is not None
    assert capture.id == capture_id and capture.shot_id == shot.id
    assert capture.source is CaptureSource.STILL
    assert capture.quality.verdict is Verdict.OK
    assert capture.phone_time is not None and capture.phone_time.year == 2023
    assert store.get_capture(capture_id).sha256 == capture.sha256

    result = link.last("capture_result")
    assert result == {
        "v": 1,
        "type": "capture_result",
        "id": capture_id,
        "verdict": "ok",
        "reasons": [],
        "stored": True,
        "retake": False,
    }
    [stored] = rec.of(events.CaptureStored)
    assert stored.capture.id == capture_id
    assert stored.path == str(store.photo_path(capture.sha256))
    assert store.photo_path(capture.sha256).read_bytes() == GOOD
    assert controller.states[shot.id] is ShotState.OK
    assert controller.index == 0  # nothing moves until the capture is reviewed
    assert await controller.wait_result(capture_id) == capture


async def test_quality_uses_the_requested_shots_thresholds(make: Make) -> None:
    controller, _, _ = await make()
    controller.select("vin_windscreen")  # stricter sharpness: this scene only warns
    capture_id = await controller.capture()
    controller.select("boot")  # moving on while the still travels changes nothing
    capture = await controller.on_photo(capture_id, GOOD, width=1280, height=720, phone_time=None)
    assert capture is not None
    assert capture.shot_id == "vin_windscreen"
    assert capture.quality.verdict is Verdict.WARN
    assert controller.states["vin_windscreen"] is ShotState.WARN


async def test_blurred_photo_is_rejected_and_retaken(make: Make, store: Store) -> None:
    controller, link, rec = await make()
    shot = controller.current

    first = await take(controller, BLURRED)
    result = link.last("capture_result")
    assert result["verdict"] == "reject" and result["retake"] is True and result["stored"]
    assert any("floue" in reason for reason in result["reasons"])
    assert controller.states[shot.id] is ShotState.REJECTED

    await controller.retake(first)
    assert store.get_capture(first).accepted is False
    assert controller.current.id == shot.id
    assert link.last("capture_result")["retake"] is True
    assert rec.of(events.CaptureReviewed)[-1] == events.CaptureReviewed(
        controller.inspection_id, first, False
    )

    second = await take(controller, GOOD)
    assert store.get_capture(second).retake_of == first
    assert controller.states[shot.id] is ShotState.OK


async def test_operator_retake_of_a_good_photo_says_why(make: Make) -> None:
    controller, link, _ = await make()
    first = await take(controller)
    controller.next()
    await controller.retake(first)
    assert controller.index == 0  # back to the shot to take again
    assert link.last("capture_result")["reasons"] == ["Merci de reprendre cette photo"]
    assert controller.states[controller.current.id] is ShotState.REJECTED


async def test_accept_moves_to_the_next_shot_that_needs_a_photo(make: Make) -> None:
    controller, link, rec = await make()
    ids = [s.id for s in controller.shots]
    controller.select(ids[1])
    await controller.accept(await take(controller))
    controller.select(ids[0])
    changes = len(rec.of(events.ShotChanged))

    await controller.accept(await take(controller))
    assert controller.current.id == ids[2]  # shot 1 is already done
    assert len(rec.of(events.ShotChanged)) == changes + 1
    assert link.last("shot")["id"] == ids[2]
    assert rec.of(events.CaptureReviewed)[-1].accepted is True
    assert controller.progress.done == 2


async def test_accept_without_auto_advance_stays(make: Make) -> None:
    controller, _, _ = await make(auto_advance=False)
    await controller.accept(await take(controller))
    assert controller.index == 0
    assert controller.states[controller.current.id] is ShotState.OK


async def test_accepting_every_required_shot_completes_the_inspection(
    make: Make, store: Store
) -> None:
    controller, link, rec = await make()
    for _ in controller.shots:
        assert not controller.complete
        await controller.accept(await take(controller))

    assert controller.complete
    assert link.last("done")["text"] == "Toutes les photos sont prises."  # the page thanks
    assert rec.of(events.Completed) == [events.Completed(controller.inspection_id)]
    assert store.get_inspection(controller.inspection_id).status is InspectionStatus.CAPTURED
    assert set(controller.states.values()) == {ShotState.OK}
    assert (controller.progress.done, controller.progress.captured) == (8, 8)

    rejoined = FakeLink()
    controller.attach(rejoined, HELLO_EN)  # a phone coming back learns it is done
    assert rejoined.last("done")["text"] == "All the photos are taken."


async def test_optional_shots_passed_over_are_skipped(
    make: Make, store: Store, new_inspection: Callable[[str], str]
) -> None:
    inspection_id = new_inspection("standard")
    controller, _, _ = await make(inspection_id)
    ids = [s.id for s in controller.shots]
    assert len(ids) >= 24
    report = QualityReport(Verdict.OK)
    for shot in controller.shots:  # the photos of an earlier session, straight to the store
        if shot.required and shot.id not in ("boot", "engine_bay"):
            store.add_capture(
                inspection_id,
                shot.id,
                GOOD,
                width=1280,
                height=720,
                source=CaptureSource.STILL,
                quality=report,
            )
    await controller.close()

    controller, _, rec = await make(inspection_id)
    assert controller.current.id == "boot"
    await controller.accept(await take(controller))
    assert controller.current.id == "engine_bay"
    assert controller.states["spare_wheel"] is ShotState.SKIPPED
    assert controller.states["service_book"] is ShotState.PENDING
    await controller.accept(await take(controller))
    assert controller.complete and rec.of(events.Completed)
    assert controller.states["service_book"] is ShotState.SKIPPED


# -- damages and resuming -----------------------------------------------------------------


async def test_damage_pairs_are_numbered_and_not_shown_until_selected(make: Make) -> None:
    controller, link, rec = await make()
    sent = len(link.of("shot"))
    pair = await controller.add_damage_pair()
    assert (pair.wide.id, pair.closeup.id) == ("damage_1_wide", "damage_1_closeup")
    assert (await controller.add_damage_pair()).wide.id == "damage_2_wide"
    assert len(controller.shots) == 12
    assert controller.progress.required == 12
    assert len(link.of("shot")) == sent and not rec.of(events.ShotChanged)
    # The map shows the damage at once (on the part guessed from the current shot).
    guessed = next(p for p in link.last("coverage")["parts"] if p["part"] == pair.guess)
    assert guessed["state"] == "damaged"

    controller.select("damage_2_wide")
    assert link.last("shot")["title"] == "Dommage 2 – vue d'ensemble"


async def test_a_new_controller_resumes_at_the_first_missing_shot(make: Make, store: Store) -> None:
    controller, _, _ = await make()
    inspection_id = controller.inspection_id
    ids = [s.id for s in controller.shots]
    await controller.accept(await take(controller))
    await controller.retake(await take(controller, BLURRED))  # shot 1 still needs a photo
    controller.select(ids[2])
    await controller.accept(await take(controller))
    await controller.add_damage_pair()
    await controller.add_damage_pair()
    controller.select("damage_2_wide")
    await take(controller)  # unreviewed but good: it counts
    await controller.close()

    resumed, link, _ = await make(inspection_id)
    assert resumed.current.id == ids[1]
    assert link.last("shot")["id"] == ids[1]
    assert [s.id for s in resumed.shots][8:] == [
        "damage_1_wide",
        "damage_1_closeup",
        "damage_2_wide",
        "damage_2_closeup",
    ]
    states = resumed.states
    assert states[ids[0]] is ShotState.OK
    assert states[ids[1]] is ShotState.REJECTED
    assert states["damage_2_wide"] is ShotState.OK
    assert states["damage_1_wide"] is ShotState.PENDING
    assert resumed.progress.done == 3 and resumed.progress.required == 12
    assert (await resumed.add_damage_pair()).wide.id == "damage_3_wide"


async def test_adding_a_damage_after_completion_reopens_the_walk(make: Make) -> None:
    controller, link, _ = await make()
    for _ in controller.shots:
        await controller.accept(await take(controller))
    pair = await controller.add_damage_pair()
    wide, closeup = pair.wide, pair.closeup
    assert not controller.complete
    assert controller.current.id == wide.id
    assert link.last("shot")["id"] == wide.id
    await controller.accept(await take(controller))
    assert controller.current.id == closeup.id


# -- damages added live ("Add damage") ------------------------------------------------------


async def test_add_damage_records_a_damage_to_complete_on_the_current_shots_part(
    make: Make, store: Store
) -> None:
    controller, _, _ = await make()
    assert controller.current.id == "three_quarter_front_left"
    pair = await controller.add_damage_pair()
    (damage,) = store.damages(controller.inspection_id)
    assert damage == pair.damage
    assert damage.pair == 1 and damage.to_complete
    assert damage.part is Part.WING_FRONT_LEFT
    assert damage.capture_id is None  # no photo yet: the pair number finds them later
    assert controller.damages == {1: damage}


async def test_a_shot_without_an_obvious_part_gives_no_guess(make: Make, store: Store) -> None:
    controller, _, _ = await make(checklist="standard")
    controller.select("keys")
    pair = await controller.add_damage_pair()
    first = pair.damage
    assert pair.guess is None
    assert first.part is FALLBACK_PART and first.to_complete
    # On a damage's own shot, the guess is that damage's part once someone confirmed it.
    controller.select("damage_1_closeup")
    assert (await controller.add_damage_pair()).guess is None
    await controller.complete_damage(
        first.id, part=Part.DOOR_REAR_RIGHT, type=DamageType.DENT, severity=Severity.MODERATE
    )
    pair = await controller.add_damage_pair()
    assert pair.guess is pair.damage.part is Part.DOOR_REAR_RIGHT
    assert [d.pair for d in store.damages(controller.inspection_id)] == [1, 2, 3]


async def test_the_closeup_is_linked_when_it_arrives_and_both_photos_are_found(
    make: Make, store: Store
) -> None:
    controller, _, _ = await make()
    pair = await controller.add_damage_pair()
    controller.select(pair.wide.id)
    wide_id = await take(controller)
    await controller.accept(wide_id)
    assert controller.current.id == pair.closeup.id
    blurred_id = await take(controller, BLURRED)  # rejected by quality: not linked

    def stored() -> Damage:
        (damage,) = store.damages(controller.inspection_id)
        return damage

    await asyncio.sleep(0.2)
    assert stored().capture_id is None
    closeup_id = await take(controller)
    await eventually(lambda: stored().capture_id == closeup_id)
    assert stored().to_complete  # linking a photo completes nothing

    photos = damage_photos(stored(), store.captures(controller.inspection_id), controller.checklist)
    assert photos.number == 1
    assert photos.wide is not None and photos.wide.id == wide_id
    assert photos.closeup is not None and photos.closeup.id == closeup_id
    assert blurred_id not in (photos.wide.id, photos.closeup.id)


async def test_a_closeup_taken_after_a_restart_is_still_linked(make: Make, store: Store) -> None:
    controller, _, _ = await make()
    pair = await controller.add_damage_pair()
    inspection_id = controller.inspection_id
    await controller.close()  # the console died before the photos were taken

    resumed, _, _ = await make(inspection_id)
    assert [s.id for s in resumed.shots][-2:] == [pair.wide.id, pair.closeup.id]
    assert resumed.progress.required == 10  # the recorded pair still needs its photos
    resumed.select(pair.closeup.id)
    closeup_id = await take(resumed)
    await resumed.close()  # waits for the link to land
    (damage,) = store.damages(inspection_id)
    assert damage.capture_id == closeup_id
    assert (await resumed.add_damage_pair()).number == 2  # never a second damage 1


async def test_complete_damage_says_what_it_is(make: Make, store: Store) -> None:
    controller, _, _ = await make()
    damage = (await controller.add_damage_pair()).damage
    done = await controller.complete_damage(
        damage.id,
        part=Part.BONNET,
        type=DamageType.SCRATCH,
        severity=Severity.SEVERE,
        note="20 cm",
    )
    (stored,) = store.damages(controller.inspection_id)
    assert stored == done
    assert (stored.part, stored.type, stored.severity, stored.note) == (
        Part.BONNET,
        DamageType.SCRATCH,
        Severity.SEVERE,
        "20 cm",
    )
    assert not stored.to_complete and stored.pair == 1


async def test_the_coverage_map_follows_accepted_shots_and_damages(
    make: Make, store: Store
) -> None:
    controller, link, recorder = await make()
    first = controller.current  # quick: the 3/4 front left view
    assert first.covers
    joined = link.last("coverage")
    assert joined["covered"] == 0 and joined["listed"] == 31
    assert {p["state"] for p in joined["parts"]} == {"not_yet"}
    capture_id = await take(controller)
    assert len(link.of("coverage")) == 1  # stored, not yet accepted: nothing changes
    await controller.accept(capture_id)
    after = link.last("coverage")
    covered = {p["part"] for p in after["parts"] if p["state"] == "covered"}
    assert covered == {p.value for p in first.covers}
    assert after["covered"] == len(first.covers)
    (changed,) = recorder.of(events.CoverageChanged)
    assert changed.coverage.covered == len(first.covers)
    assert changed.to_dict()["covered"] == len(first.covers)
    # A damage recorded live on the bonnet (guessed from the 3/4 view's part? no: the
    # quick walk's current shot is now another): completed as severe, in its colour.
    damage = (await controller.add_damage_pair()).damage
    await controller.complete_damage(
        damage.id, part=Part.BONNET, type=DamageType.DENT, severity=Severity.SEVERE
    )
    bonnet = next(p for p in link.last("coverage")["parts"] if p["part"] == "bonnet")
    assert bonnet["state"] == "damaged" and bonnet["severity"] == 3
    assert recorder.of(events.CoverageChanged)[-1].coverage.of(Part.BONNET).severity == 3
    # Turned down again: its parts are no longer covered (the damage stays).
    await controller.retake(capture_id)
    assert link.last("coverage")["covered"] == 0
    # A new controller on the same inspection starts from the store.
    again, link2, _ = await make(controller.inspection_id)
    assert again.coverage.of(Part.BONNET).severity == 3
    assert link2.last("coverage") == link.last("coverage")


async def test_add_damage_that_cannot_be_recorded_changes_nothing(make: Make, store: Store) -> None:
    controller, _, _ = await make()
    shots = len(controller.shots)
    store.delete_inspection(controller.inspection_id)  # the record cannot be written now
    with pytest.raises((StoreError, sqlite3.Error)):
        await controller.add_damage_pair()
    assert len(controller.shots) == shots and controller.damages == {}


# -- failures and the frame fallback ------------------------------------------------------


async def test_no_still_in_time_stores_the_newest_frame(make: Make, store: Store) -> None:
    controller, link, rec = await make(still_timeout=0.2)
    link.frame = scene(seed=3)
    capture_id = await controller.capture()

    capture = await asyncio.wait_for(controller.wait_result(capture_id), 5)
    assert capture is not None
    assert capture.id == capture_id
    assert capture.source is CaptureSource.FRAME
    assert (capture.width, capture.height) == (1280, 720)
    assert capture.quality.verdict is Verdict.OK
    assert link.last("capture_result")["stored"] is True
    assert rec.of(events.CaptureStored)[0].capture.source is CaptureSource.FRAME

    late = await controller.on_photo(capture_id, GOOD, width=1280, height=720, phone_time=None)
    assert late is None
    assert [c.id for c in store.captures(controller.inspection_id)] == [capture_id]
    assert len(rec.of(events.CaptureStored)) == 1


class Arriving:
    """A still's transfer as the phone's link sees it: bytes growing, or stuck."""

    def __init__(self, step: int = 4096) -> None:
        self.step = step
        self.received = 0
        self.whole = False
        self.asked: list[str] = []

    def __call__(self, capture_id: str) -> Transfer | None:
        self.asked.append(capture_id)
        self.received += self.step
        return Transfer(self.received, self.whole)


async def test_a_still_on_its_way_at_the_timeout_is_waited_for(make: Make, store: Store) -> None:
    controller, link, _ = await make(still_timeout=0.2)
    link.frame = scene(seed=3)
    arriving = Arriving()
    controller.watch_transfers(arriving, interval=0.05, limit=10)
    capture_id = await controller.capture()
    await asyncio.sleep(0.6)  # three times still_timeout, the bytes coming all along
    assert arriving.asked and set(arriving.asked) == {capture_id}
    capture = await controller.on_photo(capture_id, GOOD, width=1280, height=720)
    assert capture is not None and capture.source is CaptureSource.STILL
    assert [c.source for c in store.captures(controller.inspection_id)] == [CaptureSource.STILL]


async def test_a_still_received_whole_is_waited_for_while_it_is_handed_on(make: Make) -> None:
    controller, link, _ = await make(still_timeout=0.2)
    link.frame = scene(seed=3)
    arriving = Arriving(step=0)  # no more bytes: all of them are in
    arriving.whole = True
    controller.watch_transfers(arriving, interval=0.05, limit=10)
    capture_id = await controller.capture()
    await asyncio.sleep(0.5)
    capture = await controller.on_photo(capture_id, GOOD, width=1280, height=720)
    assert capture is not None and capture.source is CaptureSource.STILL


async def test_a_stalled_transfer_falls_back_to_the_frame(make: Make) -> None:
    controller, link, _ = await make(still_timeout=0.2)
    link.frame = scene(seed=3)
    stalled = Arriving(step=0)  # begun, then nothing more
    controller.watch_transfers(stalled, interval=0.1, stall=0.3, limit=10)
    started = time.monotonic()
    capture_id = await controller.capture()
    capture = await asyncio.wait_for(controller.wait_result(capture_id), 5)
    assert capture is not None and capture.source is CaptureSource.FRAME
    assert time.monotonic() - started < 2  # one look saw no progress: no long wait
    assert await controller.on_photo(capture_id, GOOD, width=1280, height=720) is None


async def test_a_pause_in_a_transfer_shorter_than_the_stall_limit_is_forgiven(
    make: Make,
) -> None:
    # SCTP may hold a young association's chunks for seconds: the link forgives it, so
    # does the wait. Here the bytes stop for four looks, then come again.
    controller, link, _ = await make(still_timeout=0.2)
    link.frame = scene(seed=3)
    sizes = iter([4096, 4096, 4096, 4096, 4096, 8192, 12288] + [16384] * 100)
    controller.watch_transfers(
        lambda _: Transfer(next(sizes), whole=False), interval=0.05, stall=0.5, limit=10
    )
    capture_id = await controller.capture()
    await asyncio.sleep(0.7)
    capture = await controller.on_photo(capture_id, GOOD, width=1280, height=720)
    assert capture is not None and capture.source is CaptureSource.STILL


async def test_shutting_down_does_not_wait_for_a_still_on_its_way(make: Make) -> None:
    controller, link, _ = await make(still_timeout=0.2)
    link.frame = scene(seed=3)
    controller.watch_transfers(Arriving(), interval=5.0, limit=30)
    capture_id = await controller.capture()
    await asyncio.sleep(0.4)  # waiting for it now
    started = time.monotonic()
    controller.hurry_captures()
    capture = await asyncio.wait_for(controller.wait_result(capture_id), 8)
    assert capture is not None and capture.source is CaptureSource.FRAME
    assert time.monotonic() - started < 3  # not at the next look, five seconds later


async def test_a_still_arriving_for_ever_is_not_waited_for_past_the_limit(make: Make) -> None:
    controller, link, _ = await make(still_timeout=0.2)
    link.frame = scene(seed=3)
    controller.watch_transfers(Arriving(), interval=0.05, limit=0.6)
    started = time.monotonic()
    capture_id = await controller.capture()
    capture = await asyncio.wait_for(controller.wait_result(capture_id), 5)
    assert capture is not None and capture.source is CaptureSource.FRAME
    assert 0.55 < time.monotonic() - started < 3


async def test_fallback_uses_the_last_frame_seen_when_the_link_is_gone(make: Make) -> None:
    controller, link, _ = await make(still_timeout=0.2, hint_interval=100)
    controller.on_frame(scene(seed=2))
    controller.detach()
    capture_id = await controller.capture()
    assert link.of("capture") == []  # not linked: the request could not even be sent
    capture = await asyncio.wait_for(controller.wait_result(capture_id), 5)
    assert capture is not None and capture.source is CaptureSource.FRAME


async def test_no_still_and_no_frame_fails_the_capture(make: Make, store: Store) -> None:
    controller, link, rec = await make(still_timeout=0.2)
    capture_id = await controller.capture()
    assert await asyncio.wait_for(controller.wait_result(capture_id), 5) is None

    [failed] = rec.of(events.CaptureFailed)
    assert failed.capture_id == capture_id
    result = link.last("capture_result")
    assert result["id"] == capture_id and result["stored"] is False and result["retake"]
    assert store.captures(controller.inspection_id) == []
    assert controller.states[controller.current.id] is ShotState.PENDING


async def test_unknown_capture_ids_are_ignored(make: Make, store: Store) -> None:
    controller, _, rec = await make()
    assert (
        await controller.on_photo("feedfacecafe", GOOD, width=1280, height=720, phone_time=None)
        is None
    )
    controller.on_photo_failed("feedfacecafe", "whatever")
    assert store.captures(controller.inspection_id) == []
    assert rec.events == []
    with pytest.raises(ValueError, match="not a capture of this session"):
        await controller.accept("feedfacecafe")


async def test_disk_full_replies_not_stored_and_the_session_goes_on(
    make: Make, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller, link, rec = await make()

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise DiskFull("photo not saved: the disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(store, "put_capture", disk_full)  # how the live writer stores one
        # The spool is on the same disk: it cannot keep the photo either.
        patch.setattr("inspector.storage.spool.write_atomic", disk_full)
        capture_id = await controller.capture()
        assert (
            await controller.on_photo(capture_id, GOOD, width=1280, height=720, phone_time=None)
            is None
        )
    result = link.last("capture_result")
    assert result["stored"] is False and result["retake"] is True
    assert result["reasons"] == ["Photo non enregistrée, réessayez"]
    [failed] = rec.of(events.CaptureFailed)
    assert failed.capture_id == capture_id and "disk is full" in failed.reason
    assert await controller.wait_result(capture_id) is None

    await controller.accept(await take(controller))  # the next try works
    assert controller.index == 1


async def test_photo_failed_on_the_phone_asks_for_a_retry(make: Make) -> None:
    controller, link, rec = await make(hello=HELLO_EN)
    capture_id = await controller.capture()
    controller.on_photo_failed(capture_id, "sha256 mismatch")
    assert rec.of(events.CaptureFailed)[0].reason == "sha256 mismatch"
    assert link.last("capture_result")["reasons"] == ["Photo not saved, retry"]
    assert not controller.capture_in_flight
    assert await controller.wait_result(capture_id) is None


# -- live hints ------------------------------------------------------------------------


async def test_hints_are_sent_only_when_they_change(make: Make) -> None:
    controller, link, rec = await make()
    dark = np.full((360, 640, 3), 12, np.uint8)
    sharp, other = scene(640, 360, seed=1), scene(640, 360, seed=2)

    for frame in (dark, dark, sharp, sharp, sharp, other):
        await controller.sample(frame)

    assert [(m["code"], bool(m["text"])) for m in link.of("hint")] == [
        ("too_dark", True),
        ("moving", True),
        (None, False),
        ("moving", True),
    ]
    assert link.of("hint")[0]["text"] == "Trop sombre : allumez la lampe"
    assert [e.code for e in rec.of(events.LiveHint)] == ["too_dark", "moving", None, "moving"]
    live = controller.live
    assert live is not None and not live.steady and live.verdict is Verdict.OK


async def test_on_frame_is_rate_limited_and_keeps_the_newest_frame(make: Make) -> None:
    controller, link, _ = await make(hint_interval=60)
    link.frame = None
    dark = np.full((360, 640, 3), 12, np.uint8)
    controller.on_frame(dark)
    for seed in range(5):
        controller.on_frame(scene(640, 360, seed=seed))  # within the interval: not analysed
    await eventually(lambda: controller.live is not None)
    await asyncio.sleep(0.05)
    assert [m["code"] for m in link.of("hint")] == ["too_dark"]
    newest = controller.latest_frame()
    assert newest is not None and newest.mean() > 50  # the last frame is kept, not the dark


# -- self mode and operator tools -----------------------------------------------------


async def test_shutter_captures_in_self_mode_only(make: Make) -> None:
    operator, link, _ = await make()
    await operator.handle_message({"v": 1, "type": "shutter"})
    assert link.of("capture") == []

    seller, link, rec = await make(mode="self")
    assert link.sent[0]["mode"] == "self"
    await seller.handle_message({"v": 1, "type": "shutter"})
    await seller.handle_message({"v": 1, "type": "shutter"})  # one at a time
    assert len(link.of("capture")) == 1
    assert len(rec.of(events.CaptureRequested)) == 1


async def test_operator_tools_send_validated_messages(make: Make) -> None:
    controller, link, _ = await make()
    controller.torch(True)
    controller.pointer(0.25, 0.75)
    controller.pointer(None, None)
    controller.message("  Reculez un peu  ")
    assert link.sent[3:] == [
        {"v": 1, "type": "torch", "on": True},
        {"v": 1, "type": "pointer", "x": 0.25, "y": 0.75},
        {"v": 1, "type": "pointer", "x": None, "y": None},
        {"v": 1, "type": "message", "text": "Reculez un peu"},
    ]
    with pytest.raises(ValueError, match="both x and y"):
        controller.pointer(0.5, None)
    with pytest.raises(ValueError, match="within 0-1"):
        controller.pointer(1.5, 0.5)
    with pytest.raises(ValueError, match="too long"):
        controller.message("x" * 501)
    with pytest.raises(ValueError, match="empty"):
        controller.message("   ")


async def test_a_failing_link_does_not_break_the_session(make: Make) -> None:
    class BrokenLink(FakeLink):
        def send(self, text: str) -> None:
            raise ConnectionError("channel closed")

    controller, _, rec = await make(attach=False)
    controller.attach(BrokenLink(), HELLO_FR)
    await controller.accept(await take(controller))
    assert controller.index == 1 and rec.of(events.CaptureStored)


async def test_open_builds_the_controller_off_the_loop(
    store: Store, new_inspection: Callable[[str], str]
) -> None:
    controller = await SessionController.open(store, new_inspection("quick"), mode="self")
    assert controller.mode == "self" and controller.index == 0
    with pytest.raises(ValueError, match="mode"):
        SessionController(store, controller.inspection_id, mode="robot")  # type: ignore[arg-type]


# -- the seller's confirmation: summary, signature, remark, superseded -------------


def signature_png(w: int = 300, h: int = 120) -> str:
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    ImageDraw.Draw(img).line([(10, 100), (80, 20), (150, 90), (290, 30)], fill="black", width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


STROKES = [{"points": [{"x": 10, "y": 100, "time": 1}, {"x": 80.04, "y": 20, "time": 9}]}]


async def finish(controller) -> None:  # type: ignore[no-untyped-def]
    for _ in controller.shots:
        await controller.accept(await take(controller))


@pytest.mark.timeout(120)
async def test_the_walk_done_the_seller_signs_the_summary(make: Make, store: Store) -> None:
    controller, link, rec = await make()
    await finish(controller)
    summary = link.last("summary")
    assert summary["text"].startswith("Récapitulatif de l'inspection")  # the seller's language
    assert "8 photos" in summary["text"] and "Aucun dommage" in summary["text"]
    assert rec.of(events.SignatureRequested)[-1].summary_sha256 == summary["sha256"]

    before = time.time() * 1000
    await controller.handle_message(
        {
            "type": "signature",
            "sha256": summary["sha256"],
            "name": "  Chloé   Dubois ",
            "png": signature_png(),
            "strokes": STROKES,
            "phone_time": before,
        }
    )
    assert link.last("signed")["ok"] is True
    signed = rec.of(events.SellerSigned)[-1]
    assert signed.seller_name == "Chloé Dubois"
    [stored] = store.signatures(controller.inspection_id)
    assert stored.summary_text == summary["text"] and stored.summary_sha256 == summary["sha256"]
    assert stored.user_agent == "test" and stored.language == "fr"
    assert stored.strokes == [[[10.0, 100.0, 1.0], [80.0, 20.0, 9.0]]]
    assert stored.phone_time is not None and abs(stored.phone_time.timestamp() * 1000 - before) < 1
    png = store.signature_png(stored.png_sha256)
    assert png.startswith(b"\x89PNG")

    # A damage changes after signing: the signature no longer matches what the report says.
    inspection = store.get_inspection(controller.inspection_id)
    now = make_summary(inspection, store.captures(inspection.id), [], "fr")
    assert not stored.superseded(now)
    await controller.add_damage_pair()
    damage = store.damages(inspection.id)[0]
    store.update_damage(
        dataclasses.replace(
            damage, part=Part.BONNET, type=DamageType.DENT, severity=Severity.MODERATE
        )
    )
    now = make_summary(
        inspection, store.captures(inspection.id), store.damages(inspection.id), "fr"
    )
    assert stored.superseded(now)


@pytest.mark.timeout(120)
async def test_a_stale_or_bad_signature_is_not_kept(make: Make, store: Store) -> None:
    controller, link, rec = await make()
    await finish(controller)
    first = link.last("summary")
    await controller.add_damage_pair()  # the summary changes under the seller's eyes
    await controller.handle_message(
        {
            "type": "signature",
            "sha256": first["sha256"],
            "name": "X",
            "png": signature_png(),
            "strokes": STROKES,
        }
    )
    assert link.last("signed")["ok"] is False and "a changé" in link.last("signed")["text"]
    fresh = link.last("summary")
    assert fresh["sha256"] != first["sha256"] and "D1" in fresh["text"]
    for png, strokes in (
        ("data:image/jpeg;base64,AAAA", STROKES),
        ("data:image/png;base64,not base64!", STROKES),
        ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode(), STROKES),
        (signature_png(4000, 10), STROKES),
        (signature_png(), []),
        (signature_png(), [{"points": [{"x": "a", "y": 1, "time": 0}]}]),
    ):
        await controller.handle_message(
            {
                "type": "signature",
                "sha256": fresh["sha256"],
                "name": "X",
                "png": png,
                "strokes": strokes,
            }
        )
        assert link.last("signed")["ok"] is False
    assert store.signatures(controller.inspection_id) == []
    assert rec.of(events.SellerSigned) == []


@pytest.mark.timeout(120)
async def test_this_is_not_right(make: Make, store: Store) -> None:
    controller, link, rec = await make()
    summary = await controller.request_signature()  # the operator sends it before the end
    await controller.handle_message(
        {"type": "remark", "sha256": summary.sha256, "text": "La rayure est sur l'aile."}
    )
    assert rec.of(events.SellerRemarked)[-1].text == "La rayure est sur l'aile."
    assert [r.text for r in store.remarks(controller.inspection_id)] == [
        "La rayure est sur l'aile."
    ]
    assert "envoyée" in link.last("signed")["text"]


# -- the car's identity read live ------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_identity_photos_are_read_and_a_mismatch_flagged(
    make: Make, store: Store, new_inspection: Callable[[str], str]
) -> None:
    from tests.ocr_images import sample

    inspection_id = new_inspection("quick")
    inspection = store.get_inspection(inspection_id)
    inspection.vehicle = dataclasses.replace(inspection.vehicle, mileage_km=None)
    store.update_inspection(inspection)
    controller, _, rec = await make(inspection_id, auto_advance=False)

    vin = sample("vin", "sharp", 5, size=(1280, 960))  # not the VIN typed: a mismatch
    controller.select("vin_windscreen")
    await controller.accept(await take(controller, jpeg_bytes(vin.image)))
    odo = sample("odometer", "sharp", 5, size=(1280, 960))
    controller.select("odometer")
    await controller.accept(await take(controller, jpeg_bytes(odo.image)))
    await eventually(lambda: len(rec.of(events.IdentityRead)) == 2, timeout=200)

    read = {e.kind: e for e in rec.of(events.IdentityRead)}
    assert read["vin"].text == vin.truth and read["vin"].entered == "VF3LBYHZPKS123456"
    assert read["vin"].mismatch and read["vin"].details  # maker, country, years
    assert read["odometer"].text == odo.truth and read["odometer"].filled
    assert not read["odometer"].mismatch  # nothing was typed: filled, not contradicted
    assert store.get_inspection(inspection_id).vehicle.mileage_km == int(odo.truth)
    kept = {r.kind: r for r in store.readings(inspection_id)}
    assert kept["odometer"].filled and kept["vin"].text == vin.truth


def _header(original: bytes, width: int = 4000, height: int = 3000) -> dict[str, Any]:
    return {
        "original_size": len(original),
        "original_sha256": hashlib.sha256(original).hexdigest(),
        "original_width": width,
        "original_height": height,
    }


async def test_an_original_half_received_resumes_after_the_engine_restarts(
    make: Make, store: Store
) -> None:
    """Issue 15: the bytes of an original kept on disk are resumed by the next session of
    the inspection (a restarted engine), never asked for again."""
    original = jpeg_bytes(scene(2000, 1500, seed=3))
    controller, link, _ = await make()
    capture_id = await controller.capture()
    capture = await controller.on_photo(
        capture_id, GOOD, width=1280, height=720, original=_header(original, 2000, 1500)
    )
    assert capture is not None and capture.source is CaptureSource.PREVIEW
    assert link.last("original_status") == {
        "v": 1,
        "type": "original_status",
        "id": capture_id,
        "state": "wanted",
        "have": 0,
        "size": len(original),
    }
    controller.on_original_begin(capture_id, 0)
    controller.on_original_chunk(original[:65536])
    controller.on_original_chunk(original[65536:100000])
    await controller.close()  # the engine stops

    again, link2, rec = await make(controller.inspection_id)
    assert again.originals_pending == 1
    status = link2.last("original_status")
    assert (status["id"], status["state"], status["have"]) == (capture_id, "wanted", 100000)
    again.on_original_begin(capture_id, 100000)
    again.on_original_chunk(original[100000:])
    await again.wait_originals()
    stored = rec.of(events.OriginalStored)
    assert [e.capture.id for e in stored] == [capture_id]
    row = store.get_capture(capture_id)
    assert row.source is CaptureSource.STILL and (row.width, row.height) == (2000, 1500)
    assert store.read_photo(row.sha256) == original
    assert link2.last("original_status")["state"] == "done"


async def test_a_preview_that_made_no_capture_wants_no_original(make: Make) -> None:
    """A preview arriving after the request fell back to a video frame (or for an unknown
    capture): the phone is told to forget its original."""
    controller, link, _ = await make()
    original = jpeg_bytes(scene(2000, 1500, seed=5))
    assert (
        await controller.on_photo(
            "unknown", GOOD, width=1280, height=720, original=_header(original, 2000, 1500)
        )
        is None
    )
    assert link.last("original_status")["state"] == "unwanted"
    assert controller.originals_pending == 0
