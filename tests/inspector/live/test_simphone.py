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
from inspector.live.contrib.camera import EncodedCamera, SyntheticCamera, read_stamp, stamp
from inspector.live.contrib.simphone import JoinRefused, SimulatedPhone
from inspector.live.contrib.views import View
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


async def test_replayed_video_decodes_and_each_view_starts_at_a_keyframe() -> None:
    import av

    cam = EncodedCamera(640, 480, fps=50)
    cam.limit(320, 50)  # what the engine asks a self-inspecting phone for, scaled down
    packets = [await cam.recv() for _ in range(5)]
    cam.show(View("rear"))
    packets += [await cam.recv() for _ in range(3)]
    assert [p.pts for p in packets] == sorted({p.pts for p in packets})  # paced, rising
    decoder = av.CodecContext.create("libvpx", "r")
    keyframes, sizes = [], set()
    for i, packet in enumerate(packets):
        data = bytes(packet)
        if not data[0] & 1:  # VP8: bit 0 of the frame tag clear on a keyframe
            keyframes.append(i)
        for frame in decoder.decode(av.Packet(data)):
            sizes.add((frame.width, frame.height))
    assert keyframes == [0, 5]  # the first frame, then the new view's first
    assert sizes == {(320, 240)}
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
