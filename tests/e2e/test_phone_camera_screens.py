"""The screens a seller meets when the camera cannot be had, in Chromium at 390x844, FR and EN.

* The camera permission refused, for real: a Chromium that answers every
  permission prompt "Block" (``denying_browser``).
* The camera held by another app (``NotReadableError``, emulated: tests/e2e/emulation.py),
  at the start and on coming back from the background; "Try again" once the app is closed.
* A link opened in an app's built-in browser (WhatsApp, Facebook, Instagram,
  Gmail/Google), recognised by its user agent: open it in Safari or Chrome, copy
  the link, or go on here anyway (the link works there too).

``SCREENSHOTS`` (an environment variable naming a folder) keeps a PNG of each.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.live import events
from tests.e2e.conftest import Live, Phone
from tests.e2e.emulation import CAMERA_BUSY, IPHONE_SAFARI, SAFARI
from tests.e2e.waits import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

WHATSAPP_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 WhatsApp/24.6.77"
)
FACEBOOK_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 "
    "[FB_IAB/FB4A;FBAV/460.0.0.48.109;]"
)
INSTAGRAM_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Instagram 326.0.3.30.91 (iPhone14,5; iOS 17_4_1; "
    "fr_FR; fr; scale=3.00; 1170x2532; 590390467)"
)
GOOGLE_APP_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) GSA/310.0.621847957 Mobile/15E148 Safari/604.1"
)


def keep(p: Phone, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        p.page.screenshot(path=str(Path(folder) / f"{name}.png"), scale="css")


def inside_viewport(p: Phone, selector: str) -> None:
    b = p.page.locator(selector).bounding_box()
    assert b is not None, f"{selector} is not displayed"
    size = p.page.viewport_size
    assert b["x"] >= 0 and b["y"] >= 0, (selector, b)
    assert b["x"] + b["width"] <= size["width"] + 0.5, (selector, b, size)
    assert b["y"] + b["height"] <= size["height"] + 0.5, (selector, b, size)


def text(p: Phone, selector: str) -> str:
    return str(p.page.locator(selector).inner_text())


def shot_id(p: Phone) -> str | None:
    shot = p.hooks(".currentShot")
    return None if shot is None else shot["id"]


@pytest.mark.parametrize(
    ("locale", "title", "ios_help"),
    [
        ("fr-FR", "Accès à la caméra refusé", "Réglages du site web"),
        ("en-US", "Camera access denied", "Website Settings"),
    ],
    ids=["fr", "en"],
)
def test_a_refused_camera_permission_explains_how_to_allow_it(
    live: Callable[..., Live],
    phone: Callable[..., Phone],
    denying_browser: Any,
    locale: str,
    title: str,
    ios_help: str,
) -> None:
    session = live()
    p = phone(locale=locale, permissions=(), in_browser=denying_browser)
    p.page.goto(session.join_url)
    p.page.locator("#start").click()
    p.wait_state("error")
    assert p.hooks(".errorKind") == "denied"
    assert text(p, "#error-title") == title
    assert ios_help in text(p, "#error-help")
    inside_viewport(p, "#retry")
    assert p.page.locator("#proceed").is_hidden() and p.page.locator("#copy-link").is_hidden()
    keep(p, f"camera-denied-{locale}")
    assert not session.events.of(events.PhoneJoined)
    # Still refused: "Try again" comes back to the same explanation, nothing breaks.
    p.page.locator("#retry").click()
    p.wait_state("error")
    assert p.hooks(".errorKind") == "denied"
    # Allowed in the browser's settings: "Try again" goes live.
    p.context.grant_permissions(["camera"])
    p.page.locator("#retry").click()
    p.wait_state("live")
    session.events.wait(lambda: session.events.of(events.PhoneJoined), 15, "the phone's hello")
    p.assert_clean()


@pytest.mark.parametrize(
    ("locale", "title", "words"),
    [
        ("fr-FR", "Caméra utilisée par une autre application", "Fermez"),
        ("en-US", "Camera used by another app", "Close that app"),
    ],
    ids=["fr", "en"],
)
def test_a_camera_held_by_another_app_has_its_own_screen_and_retry(
    live: Callable[..., Live], phone: Callable[..., Phone], locale: str, title: str, words: str
) -> None:
    session = live()
    p = phone(locale=locale, init_scripts=(CAMERA_BUSY,))
    p.page.goto(session.join_url)
    p.page.locator("#start").click()
    p.wait_state("error")
    assert p.hooks(".errorKind") == "busy"
    assert text(p, "#error-title") == title
    assert words in text(p, "#error-text")
    inside_viewport(p, "#retry")
    keep(p, f"camera-busy-{locale}")
    p.page.evaluate("() => { window.__cameraBusy = false; }")  # the other app is closed
    p.page.locator("#retry").click()
    p.wait_state("live")
    session.events.wait(lambda: session.events.of(events.PhoneJoined), 15, "the phone's hello")
    p.assert_clean()


def test_the_camera_taken_by_another_app_meanwhile_is_said_and_retry_resumes_the_shot(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator", grace_seconds=30.0)
    engine, iid = session.engine, session.inspection_id
    p = phone(locale="fr-FR", user_agent=IPHONE_SAFARI, init_scripts=(SAFARI, CAMERA_BUSY))
    p.page.goto(session.join_url)
    p.page.evaluate("() => { window.__cameraBusy = false; }")
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")
    second = engine.next_shot(iid).result(5).id
    wait_until(lambda: shot_id(p) == second, 10, "the second shot")

    # In the background the seller opens a video call, which takes the camera.
    p.page.evaluate("() => { window.__safari.background(true); window.__cameraBusy = true; }")
    p.page.evaluate("() => window.__safari.foreground()")
    p.wait_state("error")
    assert p.hooks(".errorKind") == "busy"
    assert text(p, "#error-title") == "Caméra utilisée par une autre application"
    session.events.wait(
        lambda: engine.session_info(iid).result(5)["connection"] != "connected",
        20,
        "the engine to see the phone gone",
    )
    p.page.evaluate("() => { window.__cameraBusy = false; }")  # the call is over
    p.page.locator("#retry").click()
    p.wait_state("live")
    wait_until(lambda: shot_id(p) == second, 15, "the same shot again")
    wait_until(
        lambda: engine.session_info(iid).result(5)["connection"] == "connected",
        15,
        "the engine to see the phone back",
    )
    p.assert_clean()


@pytest.mark.parametrize(
    ("user_agent", "app", "system"),
    [
        (WHATSAPP_IOS, "WhatsApp", "ios"),
        (FACEBOOK_ANDROID, "Facebook", "android"),
        (INSTAGRAM_IOS, "Instagram", "ios"),
        (GOOGLE_APP_IOS, "Google", "ios"),
    ],
    ids=["whatsapp-ios", "facebook-android", "instagram-ios", "google-ios"],
)
@pytest.mark.parametrize("locale", ["fr-FR", "en-US"], ids=["fr", "en"])
def test_an_in_app_browser_asks_to_open_the_link_in_safari_or_chrome(
    live: Callable[..., Live],
    phone: Callable[..., Phone],
    user_agent: str,
    app: str,
    system: str,
    locale: str,
) -> None:
    session = live()
    p = phone(
        locale=locale,
        user_agent=user_agent,
        permissions=("camera", "clipboard-read", "clipboard-write"),
    )
    p.page.goto(session.join_url)
    p.wait_state("error")
    assert p.hooks(".errorKind") == "inapp"
    french = locale == "fr-FR"
    title = (
        "Ouvrez cette page dans votre navigateur" if french else "Open this page in your browser"
    )
    assert text(p, "#error-title") == title
    assert f"{'dans' if french else 'inside'} {app}," in text(p, "#error-text")
    browser = "Safari" if system == "ios" else "Chrome"
    help_text = text(p, "#error-help")
    wanted = f"«\u00a0Ouvrir dans {browser}\u00a0»" if french else f"“Open in {browser}”"
    assert wanted in help_text
    assert ("iPhone" in help_text) == (system == "ios")
    assert p.page.locator("#link-text").input_value() == session.join_url
    for selector in ("#copy-link", "#proceed"):
        inside_viewport(p, selector)
    assert p.page.locator("#retry").is_hidden()
    keep(p, f"in-app-{app.lower()}-{system}-{locale}")

    p.page.locator("#copy-link").click()
    p.page.locator("#copy-status").wait_for(state="visible", timeout=5000)
    assert p.page.evaluate("() => navigator.clipboard.readText()") == session.join_url
    assert ("Lien copié" if french else "Link copied") in text(p, "#copy-status")
    if app == "WhatsApp":
        keep(p, f"in-app-copied-{locale}")

    # The seller goes on here anyway: the link works as in any browser with a camera.
    p.page.locator("#proceed").click()
    p.wait_state("consent")
    p.start()
    session.events.wait(lambda: session.events.of(events.PhoneJoined), 15, "the phone's hello")
    # A reload in the same app does not ask again.
    p.page.reload()
    p.wait_state("consent")
    p.assert_clean()


@pytest.mark.parametrize(
    "user_agent",
    [
        IPHONE_SAFARI,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36",
    ],
    ids=["safari", "chrome-ios", "chrome-android"],
)
def test_a_real_browser_goes_straight_to_the_consent(
    live: Callable[..., Live], phone: Callable[..., Phone], user_agent: str
) -> None:
    session = live()
    p = phone(locale="en-US", user_agent=user_agent)
    p.page.goto(session.join_url)
    p.wait_state("consent")
    p.assert_clean()
