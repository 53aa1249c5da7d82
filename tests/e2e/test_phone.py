"""The real phone page in headless Chromium against a real engine on loopback.

Each test gets its own engine (tmp data directory, port 0) and browser
context. The page's test hooks (``window.__inspector``) tell what it received;
the engine's events and frame slot tell what arrived on the other side.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from inspector.live import events, protocol
from inspector.live.autopilot import VIDEO_FPS, VIDEO_MAX_SIDE
from tests.e2e.conftest import CAMERA_SIZE, Live, Phone, sign_on_page
from tests.e2e.waits import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

SCREENSHOT = "/tmp/phone.png"


def message_types(phone: Phone) -> list[str]:
    return [m["type"] for m in phone.hooks(".lastMessages")]


def frame_seq(session: Live) -> int:
    frame = session.engine.latest_frame(session.inspection_id)
    return 0 if frame is None else frame.seq


def shot_id(phone: Phone) -> str | None:
    shot = phone.hooks(".currentShot")
    return None if shot is None else shot["id"]


@pytest.mark.parametrize(
    ("locale", "title", "button", "lang"),
    [
        ("fr-FR", "Inspection de votre véhicule à distance", "Commencer", "fr"),
        ("en-US", "Remote inspection of your vehicle", "Start", "en"),
    ],
    ids=["fr-FR", "en-US"],
)
def test_consent_speaks_the_phone_language(
    live: Callable[..., Live],
    phone: Callable[..., Phone],
    locale: str,
    title: str,
    button: str,
    lang: str,
) -> None:
    session = live()
    p = phone(locale=locale)
    response = p.page.goto(session.join_url)
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    p.wait_state("consent")
    assert p.page.locator("#screen-consent h1").inner_text() == title
    assert p.page.locator("#start").inner_text() == button
    assert p.page.evaluate("() => document.documentElement.lang") == lang
    consent = p.page.locator("#screen-consent").inner_text()
    assert ("vidéo" in consent) if lang == "fr" else ("video" in consent)
    # Nothing is streamed before the seller agrees.
    assert p.page.locator("#live").is_hidden()
    assert not session.events.of(events.PhoneJoined)
    p.assert_clean()


def test_video_reaches_the_engine_at_full_resolution(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live()
    p = phone(locale="en-US")
    p.page.goto(session.join_url)
    p.start()
    session.events.wait(lambda: session.events.of(events.PhoneJoined), 15, "the phone's hello")
    joined = session.events.of(events.PhoneJoined)[0]
    assert joined.camera["width"] == CAMERA_SIZE[0] and joined.camera["height"] == CAMERA_SIZE[1]
    assert joined.camera["torch"] is False and joined.camera["image_capture"] is True
    assert joined.language == "en-US"

    def frame_size() -> tuple[int, int] | None:
        frame = session.engine.latest_frame(session.inspection_id)
        if frame is None:
            return None
        height, width = frame.bgr().shape[:2]
        return (width, height) if width >= CAMERA_SIZE[0] else None

    # maintain-resolution: the camera's 1280x720 arrives, not Chromium's default 640x360.
    width, height = wait_until(frame_size, 20, "a 1280x720 frame in the engine")
    assert (width, height) == CAMERA_SIZE
    assert p.hooks(".currentShot")["index"] == 0
    assert p.page.locator("#progress").inner_text() == f"1 / {p.hooks('.currentShot')['total']}"
    # The engine's heartbeats come on the control channel the page opened beside the
    # ordered one (so a still never holds them up).
    wait_until(lambda: p.hooks(".controlMessages") >= 2, 10, "heartbeats on the control channel")
    assert p.hooks(".videoLimit") is None  # an operator's call keeps the camera's quality
    p.assert_clean()


def test_a_self_inspecting_page_sends_the_video_the_autopilot_uses(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="self", autopilot=True)
    p = phone(locale="en-US")
    p.page.goto(session.join_url)
    p.start()

    def applied() -> dict[str, Any] | None:
        limit = p.hooks(".videoLimit")
        return limit if limit and limit["applied"] else None

    limit = wait_until(applied, 20, "the engine's video ask applied by the sender")
    assert (limit["max_side"], limit["fps"]) == (VIDEO_MAX_SIDE, VIDEO_FPS)
    assert limit["applied"] == {
        "scaleResolutionDownBy": CAMERA_SIZE[0] / VIDEO_MAX_SIDE,
        "maxFramerate": VIDEO_FPS,
    }

    def frame_width() -> int:
        frame = session.engine.latest_frame(session.inspection_id)
        return 0 if frame is None else frame.width

    # The engine receives the picture scaled down; the camera keeps its size (the stills').
    wait_until(lambda: frame_width() == VIDEO_MAX_SIDE, 20, "a 640-pixel-wide frame")
    camera = (
        "() => { const s = document.getElementById('camera').srcObject"
        ".getVideoTracks()[0].getSettings(); return [s.width, s.height]; }"
    )
    assert tuple(p.page.evaluate(camera)) == CAMERA_SIZE
    p.assert_clean()


def test_operator_guidance_and_a_still_capture(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator")
    engine, iid = session.engine, session.inspection_id
    p = phone(locale="fr-FR")
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")
    assert p.hooks(".mode") == "operator"
    assert p.page.locator("#shutter").is_hidden()

    engine.pointer(iid, 0.25, 0.75).result(5)
    engine.message(iid, "Approchez-vous un peu de la roue avant, s'il vous plaît.").result(5)
    engine.torch(iid, True).result(5)
    wait_until(
        lambda: {"pointer", "message", "torch"} <= set(message_types(p)), 10, "guidance messages"
    )
    assert p.hooks(".pointer") == {"x": 0.25, "y": 0.75}
    assert p.hooks(".toast").startswith("Approchez-vous")
    assert p.page.locator("#toast").is_visible()
    torch = p.hooks(".torch")
    assert torch["requested"] is True and torch["supported"] is False and torch["on"] is False
    assert p.page.locator("#torch").is_hidden()  # the fake camera has no torch

    # The pointer sits at (0.25, 0.75) of the picture as displayed (object-fit: contain).
    frame = p.page.locator("#frame").bounding_box()
    dot = p.page.locator("#pointer").bounding_box()
    assert frame is not None and dot is not None
    assert abs(frame["width"] / frame["height"] - CAMERA_SIZE[0] / CAMERA_SIZE[1]) < 0.02
    assert abs(dot["x"] - (frame["x"] + 0.25 * frame["width"])) < 2
    assert abs(dot["y"] - (frame["y"] + 0.75 * frame["height"])) < 2

    capture_id = engine.capture(iid).result(5)
    session.events.wait(
        lambda: any(e.capture.id == capture_id for e in session.events.of(events.CaptureStored)),
        30,
        "the stored capture",
    )
    stored = next(e for e in session.events.of(events.CaptureStored) if e.capture.id == capture_id)
    assert stored.capture.source.value == "still"
    assert (stored.capture.width, stored.capture.height) == CAMERA_SIZE
    wait_until(lambda: "capture_result" in message_types(p), 10, "the capture result")
    assert p.hooks(".captures")["sent"] == 1
    p.page.locator("#thumb").wait_for(state="visible", timeout=5000)

    p.page.wait_for_timeout(400)  # let the flash fade
    p.page.screenshot(path=SCREENSHOT)
    p.assert_clean()


def test_self_inspection_autopilot_completes_shots(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="self", autopilot=True, steady_seconds=0.5)
    p = phone(locale="fr-FR")
    p.page.goto(session.join_url)
    p.start()
    p.page.locator("#shutter").wait_for(state="visible", timeout=10_000)
    assert p.hooks(".mode") == "self"

    def done_shots() -> set[str]:
        return {
            e.capture.shot_id
            for e in session.events.of(events.CaptureStored)
            if e.capture.quality.verdict.value != "reject"
        }

    # The seller paces the walk: "I'm in position" on each shot; where the camera's
    # test pattern does not line up with the car's outline, the phone asks to adjust
    # and the seller keeps the last word with the shutter.
    seen: dict[str, str] = {}
    shutter = p.page.locator("#shutter")

    def seller_acts() -> None:
        # What the seller sees, read at one instant (the walk moves on between two reads).
        now = p.page.evaluate(
            """() => {
                const shown = (id) => document.getElementById(id).checkVisibility();
                return {
                    ready: shown("ready"),
                    adjust: shown("pace") && document.getElementById("pace")
                        .classList.contains("adjust"),
                    shutter: !document.getElementById("shutter").disabled,
                    text: document.getElementById("pace-text").innerText,
                };
            }"""
        )
        try:
            if now["ready"]:
                seen["position"] = now["text"]
                p.page.locator("#ready").click(timeout=2000)
            elif now["adjust"] and now["shutter"]:
                seen["adjust"] = now["text"]
                shutter.click(timeout=2000)
        except PlaywrightTimeout:
            pass  # the walk moved on before the tap: look again

    deadline = time.monotonic() + 90
    while len(done_shots()) < 3:
        assert time.monotonic() < deadline, f"three completed shots; seller saw {seen}"
        seller_acts()
        p.page.wait_for_timeout(200)
    assert "en place" in seen["position"]  # the instruction, then "I'm in position"
    assert "contour" in seen["adjust"]  # a test pattern is not the car: adjust, or shoot
    stored = session.events.of(events.CaptureStored)
    assert any(e.capture.source.value == "still" for e in stored)
    # The video is sent smaller (the engine's ask), the stills keep the camera's size.
    assert all(
        e.capture.width == CAMERA_SIZE[0] for e in stored if e.capture.source.value == "still"
    )
    info = session.engine.session_info(session.inspection_id).result(5)
    assert info["done"] >= 3
    assert p.hooks(".captures")["sent"] >= 3
    # The autopilot walks the whole quick checklist: the page thanks the seller and
    # lets the camera go.
    deadline = time.monotonic() + 90
    while p.hooks(".state") != "done" and time.monotonic() < deadline:
        seller_acts()
        p.page.wait_for_timeout(200)
    p.wait_state("done", timeout=5)
    session.events.wait(lambda: session.events.of(events.Completed), 10, "the completion")
    # The summary to confirm comes first; once signed, the page thanks the seller.
    sign_on_page(p.page, "Élodie Martin")
    session.events.wait(lambda: session.events.of(events.SellerSigned), 15, "the signature")
    p.page.locator("#screen-summary").wait_for(state="hidden", timeout=5000)
    assert p.page.locator("#screen-done h1").inner_text() == "Merci\u00a0!"
    camera = "() => document.getElementById('camera').srcObject.getVideoTracks()[0].readyState"
    wait_until(lambda: p.page.evaluate(camera) == "ended", 5, "the camera let go")
    p.assert_clean()


def test_self_mode_shutter_button_asks_for_a_capture(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="self", autopilot=False)
    p = phone(locale="en-US")
    p.page.goto(session.join_url)
    p.start()
    shutter = p.page.locator("#shutter")
    shutter.wait_for(state="visible", timeout=10_000)
    assert shutter.get_attribute("aria-label") == "Take the photo"
    shutter.click()
    session.events.wait(
        lambda: session.events.of(events.CaptureStored), 30, "a capture after the shutter"
    )
    assert session.events.of(events.CaptureStored)[0].capture.source.value == "still"
    p.assert_clean()


def test_invalid_token_shows_the_not_valid_page(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live()
    p = phone(locale="fr-FR")
    response = p.page.goto(f"{session.base_url}/j/{'x' * 43}")
    assert response is not None and response.status == 404
    body = p.page.locator("body").inner_text()
    assert "n'est pas valide" in body and "not valid" not in body  # the browser's language
    # A revoked link: the page's own check says so too.
    session.engine.revoke(session.inspection_id).result(5)
    response = p.page.goto(session.join_url)
    assert response is not None and response.status == 404


@pytest.mark.parametrize("kind", ["closed", "silent"])
def test_a_dropped_link_reconnects_and_resumes_the_shot(
    live: Callable[..., Live], phone: Callable[..., Phone], kind: str
) -> None:
    session = live(mode="operator")
    engine, iid = session.engine, session.inspection_id
    p = phone(locale="fr-FR")
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")
    second = engine.next_shot(iid).result(5)
    wait_until(lambda: shot_id(p) == second.id, 10, "the second shot on the phone")
    frames_before = wait_until(lambda: frame_seq(session), 15, "video before the drop")

    assert p.hooks(".dropForTest({silent: %s})" % ("true" if kind == "silent" else "false")) == kind
    # "closed" is noticed at once; "silent" only by the 4 s heartbeat timeout.
    p.wait_state("reconnecting", timeout=protocol.HEARTBEAT_TIMEOUT + 4)
    assert p.page.locator("#veil").is_visible()
    assert p.page.locator("#veil-title").inner_text() == "Reconnexion…"
    p.wait_state("live", timeout=30)
    assert p.page.locator("#veil").is_hidden()
    assert p.hooks(".reconnects") >= 1
    assert shot_id(p) == second.id
    session.events.wait(
        lambda: [e.state for e in session.events.of(events.ConnectionChanged)][-1] == "connected",
        15,
        "the engine to see the phone again",
    )
    assert "reconnecting" in [e.state for e in session.events.of(events.ConnectionChanged)]
    assert engine.session_info(iid).result(5)["shot_id"] == second.id
    wait_until(lambda: frame_seq(session) > frames_before + 10, 15, "video after reconnecting")
    # The resumed link works both ways: a capture still arrives.
    capture_id = engine.capture(iid).result(5)
    session.events.wait(
        lambda: any(e.capture.id == capture_id for e in session.events.of(events.CaptureStored)),
        30,
        "a capture after the reconnection",
    )
    p.assert_clean()


def test_malformed_messages_are_ignored(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator")
    p = phone(locale="en-US")
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")
    bad = [
        "not json",
        '{"v": 2, "type": "torch", "on": true}',
        '{"v": 1, "type": "pointer", "x": 7, "y": 0.5}',
        '{"v": 1, "type": "teleport"}',
        '{"v": 1, "type": "message"}',
        "[1, 2, 3]",
    ]
    good = protocol.encode("message", text="still here")
    # Test-only reach into the engine: send raw text on the live data channel.
    live_session = session.engine._sessions[session.inspection_id]
    loop = session.engine.thread.loop
    assert loop is not None

    async def send_all() -> None:
        peer = live_session.peer
        assert peer is not None
        for text in [*bad, good]:
            assert peer.send(text)

    asyncio.run_coroutine_threadsafe(send_all(), loop).result(5)
    wait_until(lambda: p.hooks(".toast") == "still here", 10, "the valid message after bad ones")
    assert p.hooks(".invalidMessages") == len(bad)
    assert p.hooks(".state") == "live"
    p.assert_clean()


DENY_CAMERA = """
(() => {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.__denyCamera = true;
  navigator.mediaDevices.getUserMedia = (constraints) => window.__denyCamera
    ? Promise.reject(new DOMException("Permission denied", "NotAllowedError"))
    : real(constraints);
})();
"""


def test_camera_denied_explains_and_retries(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live()
    p = phone(locale="fr-FR")
    p.page.add_init_script(DENY_CAMERA)
    p.page.goto(session.join_url)
    p.page.locator("#start").click()
    p.wait_state("error")
    assert p.page.locator("#error-title").inner_text() == "Accès à la caméra refusé"
    assert "Autorisations" in p.page.locator("#error-help").inner_text()
    assert not session.events.of(events.PhoneJoined)
    # The seller allows the camera in the browser's settings, then taps "Réessayer".
    p.page.evaluate("() => { window.__denyCamera = false; }")
    p.page.locator("#retry").click()
    p.wait_state("live")
    session.events.wait(lambda: session.events.of(events.PhoneJoined), 15, "the phone's hello")
    p.assert_clean()


@pytest.mark.parametrize(
    ("script", "title"),
    [
        (
            "Object.defineProperty(window, 'isSecureContext', {get: () => false});",
            "Address not secure",
        ),
        ("delete window.RTCPeerConnection;", "Browser not supported"),
    ],
    ids=["insecure", "unsupported"],
)
def test_error_screens(
    live: Callable[..., Live], phone: Callable[..., Phone], script: str, title: str
) -> None:
    session = live()
    p = phone(locale="en-US")
    p.page.add_init_script(script)
    p.page.goto(session.join_url)
    p.wait_state("error")
    assert p.page.locator("#error-title").inner_text() == title
    assert p.page.locator("#retry").is_hidden()
    assert p.page.locator("#screen-consent").is_hidden()
    p.assert_clean()


def test_reload_takes_the_session_back_at_the_same_shot(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator")
    engine, iid = session.engine, session.inspection_id
    p = phone(locale="en-US")
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")
    second = engine.next_shot(iid).result(5)
    wait_until(lambda: shot_id(p) == second.id, 10, "the second shot on the phone")
    p.page.reload()  # same device cookie: the server hands the session back
    p.wait_state("consent")
    p.start()
    wait_until(lambda: shot_id(p) == second.id, 15, "the same shot after the reload")
    wait_until(
        lambda: engine.session_info(iid).result(5)["connection"] == "connected",
        10,
        "the engine to see the reloaded page",
    )
    p.assert_clean()
