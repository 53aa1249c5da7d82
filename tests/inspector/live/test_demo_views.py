"""The demo phone shows what each shot asks for: the car from every side, the wheels,
the VIN plates and the odometer carrying the inspection's values, the cabin…"""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from inspector.config import ServerSettings
from inspector.domain import quality
from inspector.domain.checklist import Shot, damage_pair, load_checklist
from inspector.domain.framing import EXTERIOR_OUTLINES, framing_score
from inspector.domain.models import Vehicle
from inspector.live import events as ev
from inspector.live.contrib import camera as camera_module
from inspector.live.contrib.camera import SyntheticCamera
from inspector.live.contrib.canvas import Canvas
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.live.contrib.views import DemoVehicle, View, render_view, view_for_shot
from inspector.live.engine import Engine
from inspector.storage.store import Store

from ..live_fixtures import EventLog, make_inspection, use_live_assets

Pixels = npt.NDArray[np.uint8]
VIDEO = (1280, 720)
STILL = (1600, 1200)  # a phone's 4:3 still: the view is framed the same, with more around it
DEMO = DemoVehicle()
OTHER = DemoVehicle(plate="ZZ-987-YX", vin="WVWZZZ1JZXW000001", mileage=123456)


def _shots() -> list[Shot]:
    checklist = load_checklist("standard")
    return [*checklist.shots, *damage_pair(checklist, 1)]


SHOTS = _shots()


@functools.cache
def _render(shot_id: str, size: tuple[int, int], vehicle: DemoVehicle = DEMO) -> Pixels:
    shot = next(s for s in SHOTS if s.id == shot_id)
    return render_view(view_for_shot(shot.id, shot.overlay), *size, vehicle)


def _small(picture: Pixels) -> npt.NDArray[np.float32]:
    grey = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, (160, 90), interpolation=cv2.INTER_AREA).astype(np.float32)


@pytest.mark.parametrize("size", [VIDEO, STILL], ids=["video", "still"])
@pytest.mark.parametrize("shot", SHOTS, ids=[s.id for s in SHOTS])
def test_each_view_passes_its_shots_quality_check(shot: Shot, size: tuple[int, int]) -> None:
    picture = _render(shot.id, size)
    assert picture.shape == (size[1], size[0], 3)
    report = quality.assess(quality.measure(picture), shot.quality)
    assert report.verdict.value == "ok", (shot.id, report.reasons, report.metrics)


@pytest.mark.timeout(120)
def test_every_shot_shows_a_different_picture() -> None:
    small = {s.id: _small(_render(s.id, VIDEO)) for s in SHOTS}
    for a, b in itertools.combinations(small, 2):
        difference = float(np.abs(small[a] - small[b]).mean())
        assert difference > 2.0, (a, b, difference)
    known = {"front", "wheel", "vin_plate", "odometer", "seats", "keys", "damage_closeup"}
    assert all(view_for_shot(s.id, s.overlay).overlay != "front" for s in SHOTS if s.id != "front")
    assert known <= {s.overlay for s in SHOTS}


def _changed_box(a: Pixels, b: Pixels, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Where two renders differ, in overlay units (x0, y0, x1, y1)."""
    ys, xs = np.nonzero(np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > 40)
    assert len(xs) > 0, "the values are not drawn"
    c = Canvas(*size, 0)
    return (
        (xs.min() - c.ox) / c.s,
        (ys.min() - c.oy) / c.s,
        (xs.max() - c.ox) / c.s,
        (ys.max() - c.oy) / c.s,
    )


@pytest.mark.parametrize(
    ("shot_id", "box"),
    [
        ("vin_windscreen", (190, 315, 1410, 585)),  # the plate's outline
        ("vin_door_jamb", (590, 150, 1010, 750)),  # the label's outline
        ("odometer", (690, 360, 910, 560)),  # the centre display's outline
        ("front", (660, 565, 940, 635)),  # the number plate, under the grille
        ("rear", (660, 505, 940, 580)),
        ("three_quarter_front_left", (185, 500, 305, 580)),  # the plate, at an angle
        ("three_quarter_rear_right", (190, 455, 310, 530)),
    ],
)
def test_the_vehicles_values_are_written_where_the_outline_frames_them(
    shot_id: str, box: tuple[float, float, float, float]
) -> None:
    """Another VIN, plate and mileage change the picture inside the outline, nowhere else."""
    x0, y0, x1, y1 = _changed_box(_render(shot_id, VIDEO), _render(shot_id, VIDEO, OTHER), VIDEO)
    assert box[0] <= x0 and box[1] <= y0 and x1 <= box[2] and y1 <= box[3], (x0, y0, x1, y1)


def test_the_demo_car_takes_the_inspections_identity_and_colour() -> None:
    vehicle = Vehicle(
        make="Renault",
        model="Clio",
        plate="GH-456-JK",
        vin="VF1RJA00X12345678",
        mileage_km=61200,
        colour="Rouge",
    )
    demo = DemoVehicle.of(vehicle)
    assert (demo.plate, demo.vin, demo.mileage, demo.make) == (
        "GH-456-JK",
        "VF1RJA00X12345678",
        61200,
        "Renault",
    )
    assert demo.paint != DemoVehicle().paint  # a red car, not the default blue
    assert DemoVehicle.of(Vehicle()).mileage == 0


def _glyph_distance(cell: Pixels, box: tuple[int, int, int, int], x: float, ch: str) -> float:
    """How far ``cell`` is from ``ch`` drawn alone as the VIN plate draws it at ``x``."""
    x0, y0, x1, y1 = box
    g = Canvas(640, 360, 0)
    g.img[y0:y1, x0:x1] = 199
    g.text(ch, x, 452, 92, (24, 24, 26), font="DejaVuSansMono.ttf")
    glyph = cv2.cvtColor(g.img[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float32)
    return float(np.abs(cell.astype(np.float32) - glyph).mean())


def test_the_vin_is_legible_character_by_character() -> None:
    """Each box of the VIN outline holds one character, closest to that glyph drawn
    alone: a reader going box by box gets the VIN back."""
    picture = cv2.cvtColor(_render("vin_windscreen", (640, 360)), cv2.COLOR_BGR2GRAY)
    c = Canvas(640, 360, 0)
    read = ""
    for i in range(17):
        x = 284 + i * 64.5
        (x0, y0), (x1, y1) = c.p(x - 32, 390), c.p(x + 32, 510)
        cell = np.asarray(picture[y0:y1, x0:x1], np.uint8)
        read += min(
            "0123456789ABCDEFGHJKLMNPRSTUVWXYZ",
            key=functools.partial(_glyph_distance, cell, (x0, y0, x1, y1), x),
        )
    assert read == DEMO.vin


@pytest.mark.parametrize("shot_id", ["keys", "vin_door_jamb", "service_book", "front"])
async def test_blurred_and_dark_modes_are_still_rejected(shot_id: str) -> None:
    shot = next(s for s in SHOTS if s.id == shot_id)
    cam = SyntheticCamera(1280, 720, fps=30, view=view_for_shot(shot.id, shot.overlay))
    try:
        verdicts = {}
        for mode in ("normal", "blurred", "dark"):
            cam.mode = mode
            frame = (await cam.recv()).to_ndarray(format="bgr24")[20:]
            verdicts[mode] = quality.assess(
                quality.measure(frame), replace(shot.quality, min_height=700)
            ).verdict.value
        assert verdicts == {"normal": "ok", "blurred": "reject", "dark": "reject"}
    finally:
        cam.stop()


def test_views_are_drawn_once_and_frames_stay_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    cam = SyntheticCamera(1280, 720, fps=30)
    try:
        view = View("odometer", "odometer")
        cam.prepare(view)

        def drawn_again(*args: object) -> None:
            raise AssertionError("a prepared view was drawn again")

        monkeypatch.setattr(camera_module, "_cached_view", drawn_again)
        cam.show(view)  # already rendered: a lookup
        assert cam.view == view
    finally:
        cam.stop()


@pytest.mark.parametrize("size", [(640, 480), (1280, 720), (480, 640)])
def test_the_simulated_cameras_frames_line_up_with_each_shots_outline(
    size: tuple[int, int],
) -> None:
    """What the autopilot's framing check sees of a simulated seller standing where told:
    the drifting crops of a whole-car view mostly pass it (they once put the car off the
    outline, and a simulated self-inspection was asked to adjust for half a minute)."""
    cam = SyntheticCamera(*size, fps=15)
    try:
        for overlay in EXTERIOR_OUTLINES:
            cam.show(view_for_shot(overlay, overlay))
            framed = [framing_score(cam._frame(n), overlay).framed for n in range(0, 1200, 40)]
            # The demo car's rear scores just above the threshold at 640x480 even when
            # still (0.31): there, half the drifting frames; every frame elsewhere.
            need = len(framed) / 2 if overlay == "rear" else len(framed)
            assert sum(framed) >= need, (overlay, sum(framed), len(framed))
    finally:
        cam.stop()


@pytest.mark.timeout(90)
async def test_the_phone_films_and_sends_the_shot_the_engine_asks_for(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = use_live_assets(tmp_path, monkeypatch)
    log = EventLog()
    engine = Engine(store, ServerSettings(port=0), log, assets=root, still_timeout=10.0)
    engine.start()
    try:
        inspection = make_inspection(store, "standard")
        invite = await asyncio.wrap_future(engine.invite(inspection.id))
        phone = SimulatedPhone(
            invite.join_url, width=640, height=360, fps=15, still_size=(800, 600), vehicle=OTHER
        )
        await phone.start()
        try:
            await asyncio.wrap_future(engine.select_shot(inspection.id, "odometer"))
            await phone.wait_for("shot", where=lambda m: m["id"] == "odometer")
            deadline = time.monotonic() + 20
            while phone.camera is None or phone.camera.view.overlay != "odometer":
                assert time.monotonic() < deadline, "the camera never turned to the odometer"
                await asyncio.sleep(0.05)
            # What the camera crops from (the view at the frame's size, its edges mirrored).
            odometer = camera_module._cached_view(View("odometer", "odometer"), 640, 360, OTHER)
            front = camera_module._cached_view(View("front"), 640, 360, OTHER)
            deadline = time.monotonic() + 10
            while True:  # the engine's live frame: the odometer, wherever the drift puts it
                frame = engine.latest_frame(inspection.id)
                seen = frame.bgr()[STILL_STAMP:] if frame is not None else None
                if seen is not None and _match(odometer, seen) > 0.9:
                    break
                assert time.monotonic() < deadline, "the live video never showed the odometer"
                await asyncio.sleep(0.1)
            assert _match(front, seen) < 0.6
            capture_id = await asyncio.wrap_future(engine.capture(inspection.id))
            stored = await log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id)
            assert stored.capture.shot_id == "odometer"
            photo = cv2.imread(str(stored.path))
            assert photo is not None
            expected = render_view(View("odometer", "odometer"), 800, 600, OTHER)
            assert float(np.abs(photo.astype(np.int16) - expected).mean()) < 3
        finally:
            await phone.stop()
    finally:
        engine.stop(timeout=5)


STILL_STAMP = 20  # rows under the frame-number stamp


def _match(big: Pixels, frame: Pixels) -> float:
    result = cv2.matchTemplate(big, np.ascontiguousarray(frame), cv2.TM_CCOEFF_NORMED)
    return float(result.max())
