"""The simulated phone's own parts: stamps, picture modes, stills, refusals."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inspector.domain import quality
from inspector.domain.models import QualityThresholds
from inspector.live.contrib.camera import SyntheticCamera, read_stamp, stamp
from inspector.live.contrib.simphone import JoinRefused, SimulatedPhone
from inspector.live.server import PhoneServer
from inspector.live.tokens import Invitations
from inspector.storage.store import Store

from ..live_fixtures import make_assets


@pytest.mark.parametrize("number", [0, 1, 2**31 + 5, 123456789])
def test_stamp_round_trip(number: int) -> None:
    frame = np.full((720, 1280, 3), 128, np.uint8)
    stamp(frame, number)
    assert read_stamp(frame) == number


def test_no_stamp_on_a_plain_picture() -> None:
    assert read_stamp(np.full((360, 640, 3), 128, np.uint8)) is None


async def test_frames_are_paced_stamped_and_switch_modes() -> None:
    cam = SyntheticCamera(640, 360, fps=30)
    try:
        first = (await cam.recv()).to_ndarray(format="bgr24")
        second = (await cam.recv()).to_ndarray(format="bgr24")
        assert (read_stamp(first), read_stamp(second)) == (0, 1)
        sharp = quality.measure(first)
        cam.mode = "blurred"
        blurred = quality.measure((await cam.recv()).to_ndarray(format="bgr24")[20:])
        cam.mode = "dark"
        dark = quality.measure((await cam.recv()).to_ndarray(format="bgr24")[20:])
        assert blurred["sharpness"] < sharp["sharpness"] / 5
        assert dark["brightness"] < 40 < sharp["brightness"]
        verdict = quality.assess(dark, QualityThresholds(min_width=1, min_height=1)).verdict
        assert verdict.value == "reject"
    finally:
        cam.stop()


def test_stills_are_cached_valid_and_distinct() -> None:
    phone = SimulatedPhone("http://127.0.0.1:9/j/x", still_size=(1200, 900))
    a, b = phone.still_bytes("cap1"), phone.still_bytes("cap2")
    assert a != b and len(phone._still_cache) == 1
    with Image.open(io.BytesIO(a)) as img:
        assert img.size == (1200, 900)
        img.load()


async def test_refused_join(store: Store, tmp_path: Path) -> None:
    class Nobody:
        def mode(self, inspection_id: str) -> str:
            return "operator"

        async def offer(self, inspection_id: str, sdp: str, device: str) -> str:
            raise AssertionError("never reached")

        async def bye(self, inspection_id: str, device: str) -> None:
            return None

        def last_seen(self, inspection_id: str) -> float | None:
            return None

    server = PhoneServer(Invitations(store, 60), Nobody(), assets=make_assets(tmp_path))
    port = await server.start("127.0.0.1", 0)
    try:
        phone = SimulatedPhone(f"http://127.0.0.1:{port}/j/not-a-token")
        with pytest.raises(JoinRefused) as err:
            await asyncio.wait_for(phone.start(), 5)
        assert err.value.status == 404
    finally:
        await server.close()
