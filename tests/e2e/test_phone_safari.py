"""An iPhone's constraints, emulated in Chromium (tests/e2e/emulation.py), against a real engine.

The call is negotiated in H264 only and the engine decodes it; stills come from the
video through a canvas (no ImageCapture); no torch, no wake lock, no orientation
lock, and nothing complains; the video plays muted and inline; the camera pauses
while the page is in the background and the session goes on at the same shot when
it comes back.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.live import events
from tests.e2e.conftest import CAMERA_SIZE, Live, Phone
from tests.e2e.emulation import IPHONE_SAFARI, SAFARI
from tests.e2e.waits import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def iphone(phone: Callable[..., Phone], locale: str = "fr-FR") -> Phone:
    return phone(locale=locale, user_agent=IPHONE_SAFARI, init_scripts=(SAFARI,))


def shot_id(p: Phone) -> str | None:
    shot = p.hooks(".currentShot")
    return None if shot is None else shot["id"]


def on_loop(session: Live, fn: Callable[[], Any]) -> Any:
    """Run fn on the engine's loop thread (where the peer lives) and return its result."""
    loop = session.engine.thread.loop
    assert loop is not None

    async def call() -> Any:
        return fn()

    return asyncio.run_coroutine_threadsafe(call(), loop).result(5)


def negotiated(session: Live) -> tuple[str | None, str]:
    """The engine's peer: the codec the phone sends with, and the phone's offer."""

    def read() -> tuple[str | None, str]:
        peer = session.engine._sessions[session.inspection_id].peer
        assert peer is not None and peer.pc.remoteDescription is not None
        return peer.video_codec, peer.pc.remoteDescription.sdp

    return on_loop(session, read)


def video_section(offer: str) -> str:
    return offer[offer.index("m=video") :].split("\nm=", 1)[0]


def car_frame(session: Live, after: int = 0) -> tuple[int, int] | None:
    """The size of a decoded frame newer than ``after`` that shows the car (not black)."""
    frame = session.engine.latest_frame(session.inspection_id)
    if frame is None or frame.seq <= after:
        return None
    bgr = frame.bgr()
    if bgr.mean() < 60:  # a paused camera sends black
        return None
    return bgr.shape[1], bgr.shape[0]


def frame_seq(session: Live) -> int:
    frame = session.engine.latest_frame(session.inspection_id)
    return 0 if frame is None else frame.seq


def decoder_cpu_ns() -> int:
    """CPU time so far of this process's aiortc video decoder threads (the engine's)."""
    total = 0
    for thread in threading.enumerate():
        if thread.name != "video-decoder" or thread.native_id is None:
            continue
        try:
            total += int(
                Path(f"/proc/self/task/{thread.native_id}/schedstat").read_text().split()[0]
            )
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    return total


def received(session: Live, seconds: float = 5.0) -> tuple[float, float]:
    """Frames per second the engine decoded, and its decoder's share of one core."""
    seq, cpu, start = frame_seq(session), decoder_cpu_ns(), time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - start
    fps = (frame_seq(session) - seq) / elapsed
    return fps, (decoder_cpu_ns() - cpu) / 1e9 / elapsed * 100


def stored(session: Live, capture_id: str) -> Any:
    session.events.wait(
        lambda: any(e.capture.id == capture_id for e in session.events.of(events.CaptureStored)),
        40,
        f"the stored capture {capture_id}",
    )
    return next(e for e in session.events.of(events.CaptureStored) if e.capture.id == capture_id)


def test_an_iphone_call_is_h264_decoded_with_canvas_stills_and_no_torch(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator")
    engine, iid = session.engine, session.inspection_id
    p = iphone(phone)
    p.page.goto(session.join_url)
    assert p.page.evaluate("() => typeof ImageCapture") == "undefined"
    assert p.page.evaluate("() => 'wakeLock' in navigator") is False
    p.start()

    # What the page told the engine: no ImageCapture, no torch; Safari's user agent.
    session.events.wait(lambda: session.events.of(events.PhoneJoined), 15, "the phone's hello")
    joined = session.events.of(events.PhoneJoined)[0]
    assert joined.camera["image_capture"] is False and joined.camera["torch"] is False
    assert "iPhone" in joined.user_agent and "Chrome" not in joined.user_agent

    # H264 only in the offer, H264 answered, and the engine decodes it at full size.
    codec, offer = negotiated(session)
    assert codec == "video/H264"
    rtpmaps = [line for line in video_section(offer).splitlines() if line.startswith("a=rtpmap")]
    assert rtpmaps and all(("H264/" in r or "rtx/" in r) for r in rtpmaps), rtpmaps
    assert wait_until(lambda: car_frame(session), 20, "a decoded frame") == CAMERA_SIZE
    sending = wait_until(
        lambda: p.page.evaluate("() => window.__safari.sending()"), 10, "the page's stats"
    )
    assert sending["codec"] == "video/H264" and sending["encoder"] == "OpenH264", sending
    assert (sending["width"], sending["height"]) == CAMERA_SIZE
    fps, cpu = received(session)
    print(
        f"\nFIGURE Chromium as an iPhone, H264 1280x720: {fps:.1f} fps decoded by the engine,"
        f" decoder {cpu:.0f} % of a core (load {os.getloadavg()[0]:.1f})"
    )

    # The video: muted, inline, autoplaying (iOS would refuse to play it otherwise).
    video = p.page.evaluate(
        """() => { const v = document.getElementById('camera');
          return {muted: v.muted, inline: v.playsInline, auto: v.autoplay,
                  attr: v.hasAttribute('playsinline'),
                  playing: !v.paused && v.readyState >= 2}; }"""
    )
    assert video == {"muted": True, "inline": True, "auto": True, "attr": True, "playing": True}
    assert p.page.evaluate("() => window.__safari.refusedPlays") == 0

    # No torch: the advisor asks for it, the button stays hidden.
    engine.torch(iid, True).result(5)
    wait_until(lambda: p.hooks(".torch")["requested"] is True, 10, "the torch request")
    assert p.hooks(".torch")["supported"] is False
    assert p.page.locator("#torch").is_hidden()

    # A still: drawn from the video through a canvas, at the camera's full size.
    wait_until(lambda: shot_id(p), 15, "the first shot")
    capture = stored(session, engine.capture(iid).result(5)).capture
    assert capture.source.value == "still"
    assert (capture.width, capture.height) == CAMERA_SIZE
    wait_until(lambda: p.hooks(".captures")["sent"] == 1, 10, "the still sent")
    assert p.hooks(".captures")["source"] == "video_frame"

    # No wake lock and no orientation lock: nothing failed, nothing was said as an error.
    locked = p.page.evaluate(
        "() => screen.orientation.lock('portrait').then(() => 'locked', (e) => e.name)"
    )
    assert locked == "NotSupportedError"  # what the emulation does, the page never asks
    assert p.console_errors == []
    assert p.hooks(".errors") == []
    p.assert_clean()


@pytest.mark.parametrize("ends_track", [False, True], ids=["track-kept", "track-ended"])
def test_the_camera_pauses_in_the_background_and_the_session_resumes_at_the_same_shot(
    live: Callable[..., Live], phone: Callable[..., Phone], ends_track: bool
) -> None:
    session = live(mode="operator", grace_seconds=30.0)
    engine, iid = session.engine, session.inspection_id
    p = iphone(phone)
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")
    second = engine.next_shot(iid).result(5).id
    wait_until(lambda: shot_id(p) == second, 10, "the second shot")
    wait_until(lambda: car_frame(session), 20, "the car on the engine")

    p.page.evaluate(f"() => window.__safari.background({str(ends_track).lower()})")
    track = p.hooks(".cameraTrack")
    if ends_track:
        assert track["state"] == "ended"
    else:
        assert track == {"state": "live", "enabled": False, "paused": True}
    # Whatever the phone sees now is not sent: a still asked for meanwhile fails, clearly.
    failed_id = engine.capture(iid).result(5)
    session.events.wait(
        lambda: any(e.capture_id == failed_id for e in session.events.of(events.CaptureFailed)),
        15,
        "the refused capture",
    )
    failure = next(e for e in session.events.of(events.CaptureFailed) if e.capture_id == failed_id)
    assert "camera paused" in failure.reason
    assert p.hooks(".captures")["sent"] == 0

    seq = frame_seq(session)
    back = time.monotonic()
    p.page.evaluate("() => window.__safari.foreground()")
    wait_until(
        lambda: (
            (p.hooks(".cameraTrack") or {}).get("state") == "live"
            and p.hooks(".cameraTrack")["enabled"]
        ),
        10,
        "the camera back",
    )
    assert p.page.evaluate("() => window.__safari.openedStreams()") == (2 if ends_track else 1)
    assert wait_until(lambda: car_frame(session, after=seq), 20, "the car again") == CAMERA_SIZE
    took = time.monotonic() - back
    print(
        f"\nFIGURE Chromium as an iPhone, back from the background -> the car at the engine"
        f" ({'track ended' if ends_track else 'track kept'}): {took:.2f} s"
    )
    assert p.hooks(".state") == "live" and shot_id(p) == second
    assert engine.session_info(iid).result(5)["shot_id"] == second
    capture = stored(session, engine.capture(iid).result(5)).capture
    assert capture.shot_id == second and capture.source.value == "still"
    assert p.hooks(".captures")["source"] == "video_frame"
    p.assert_clean()


def test_chromium_as_itself_sends_vp8(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    """The codec is the phone's choice, read from the negotiation, not assumed."""
    session = live()
    p = phone(locale="en-US")
    p.page.goto(session.join_url)
    p.start()
    session.events.wait(lambda: session.events.of(events.PhoneJoined), 15, "the phone's hello")
    codec, offer = negotiated(session)
    assert codec == "video/VP8"
    assert "H264/" in video_section(offer)  # offered too, after VP8
    assert wait_until(lambda: car_frame(session), 20, "a decoded frame") == CAMERA_SIZE
    fps, cpu = received(session)
    print(
        f"\nFIGURE Chromium, VP8 1280x720: {fps:.1f} fps decoded by the engine,"
        f" decoder {cpu:.0f} % of a core (load {os.getloadavg()[0]:.1f})"
    )
