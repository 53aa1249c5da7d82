"""The phone's screens as the seller meets them, in Chromium at 390x844 (and landscape).

Refusals styled like the page and in the seller's language, taking over from
another device with the advisor's agreement, the operator-guided status line,
the done screen. Layout is checked by boxes (what is visible, where), not pixels;
``SCREENSHOTS`` (an environment variable naming a folder) keeps a PNG of each.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from inspector.live import events, protocol
from inspector.live.session.context import DONE
from tests.e2e.conftest import Live, Phone
from tests.e2e.waits import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

LANDSCAPE = {"width": 844, "height": 390}


def shot_id(phone: Phone) -> str | None:
    shot = phone.hooks(".currentShot")
    return None if shot is None else shot["id"]


def keep(p: Phone, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        p.page.screenshot(path=str(Path(folder) / f"{name}.png"), scale="css")


def box(p: Phone, selector: str) -> dict[str, float]:
    found = p.page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not displayed"
    return dict(found)


def inside_viewport(p: Phone, selector: str) -> None:
    b = box(p, selector)
    size = p.page.viewport_size
    assert b["x"] >= 0 and b["y"] >= 0, (selector, b)
    assert b["x"] + b["width"] <= size["width"] + 0.5, (selector, b, size)
    assert b["y"] + b["height"] <= size["height"] + 0.5, (selector, b, size)


def styled_like_the_page(p: Phone) -> None:
    """The refusal uses the page's stylesheet: the dark full screen and its card."""
    background = p.page.evaluate(
        "() => getComputedStyle(document.getElementById('screen-error')).backgroundImage"
    )
    assert "linear-gradient" in background
    assert box(p, "#screen-error")["width"] == p.page.viewport_size["width"]


@pytest.mark.parametrize(
    ("locale", "title"),
    [("fr-FR", "Ce lien n'est pas valide"), ("en-US", "This link is not valid")],
    ids=["fr", "en"],
)
def test_an_invalid_link_is_refused_on_a_styled_page_in_the_seller_language(
    live: Callable[..., Live], phone: Callable[..., Phone], locale: str, title: str
) -> None:
    session = live()
    p = phone(locale=locale)
    response = p.page.goto(f"{session.base_url}/j/{'x' * 43}")
    assert response is not None and response.status == 404
    assert p.page.locator("#error-title").inner_text() == title
    assert "nouveau lien" in p.page.locator("#error-text").inner_text() or locale == "en-US"
    styled_like_the_page(p)
    inside_viewport(p, "#error-title")
    assert p.page.locator("#retry").count() == 0  # a new link is what helps, not retrying
    keep(p, f"refused-invalid-{locale}")
    p.assert_clean()


def test_a_busy_server_page_offers_to_try_again(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live()
    p = phone(locale="en-US")
    response = p.page.goto(f"{session.base_url}/nothing-here")
    assert response is not None and response.status == 404
    assert p.page.locator("#error-title").inner_text() == "Page not found"
    styled_like_the_page(p)


def test_another_phone_asks_to_take_over_and_the_advisor_agrees(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator", grace_seconds=30.0)
    engine, iid = session.engine, session.inspection_id
    first = phone(locale="fr-FR")
    first.page.goto(session.join_url)
    first.start()
    wait_until(lambda: shot_id(first), 15, "the first shot")
    second_shot = engine.next_shot(iid).result(5).id
    wait_until(lambda: shot_id(first) == second_shot, 10, "the second shot")

    other = phone(locale="en-US")  # the session speaks French: so does its refusal
    response = other.page.goto(session.join_url)
    assert response is not None and response.status == 409
    assert other.page.locator("#error-title").inner_text() == "Inspection déjà ouverte"
    styled_like_the_page(other)
    inside_viewport(other, "#takeover")
    inside_viewport(other, "#retry")
    keep(other, "refused-in-use")
    other.page.locator("#takeover").click()
    other.page.wait_for_selector("[data-refusal='takeover_asked']")
    assert other.page.locator("#error-title").inner_text() == "En attente de votre conseiller"
    keep(other, "takeover-waiting")
    session.events.wait(lambda: session.events.of(events.TakeoverAsked), 5, "the question")
    assert engine.answer_takeover(iid, True).result(5)
    # The waiting page reloads itself: the page opens, the seller starts on this phone.
    other.wait_state("consent", timeout=10)
    other.start()
    wait_until(lambda: shot_id(other) == second_shot, 15, "the same shot on this phone")
    # The first phone is let go and says why, offering to take it back.
    first.wait_state("error", timeout=20)
    assert first.page.locator("#error-title").inner_text() == "Inspection déjà ouverte"
    assert first.page.locator("#takeover").is_visible()
    assert len(session.events.of(events.TakeoverAsked)) == 1
    other.assert_clean()


def test_operator_guided_status_line_and_the_advisor_speaking(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator")
    engine, iid = session.engine, session.inspection_id
    p = phone(locale="fr-FR")
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")
    guided = p.page.locator("#guided")
    guided.wait_for(state="visible", timeout=5000)
    assert guided.inner_text() == "Votre conseiller vous voit et prend les photos"
    inside_viewport(p, "#guided")
    assert not p.hooks(".advisorSpeaking")
    keep(p, "guided")
    engine.message(iid, "Reculez un peu, s'il vous plaît").result(5)
    wait_until(lambda: p.hooks(".advisorSpeaking"), 5, "the advisor speaking")
    assert "speaking" in (guided.get_attribute("class") or "")
    toast = p.page.locator("#toast")
    assert toast.locator(".from").inner_text().lower() == "votre conseiller"
    assert p.hooks(".toast") == "Reculez un peu, s'il vous plaît"
    keep(p, "guided-message")
    p.assert_clean()


def test_self_inspection_has_no_guided_status_line(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="self")
    p = phone(locale="en-US")
    p.page.goto(session.join_url)
    p.start()
    p.page.locator("#shutter").wait_for(state="visible", timeout=10_000)
    assert p.page.locator("#guided").is_hidden()


def test_the_done_screen_thanks_once(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator")
    p = phone(locale="fr-FR")
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")
    # What the engine sends when the checklist is complete, on the live channel.
    live_session = session.engine._sessions[session.inspection_id]
    loop = session.engine.thread.loop
    assert loop is not None

    async def done() -> None:
        assert live_session.peer is not None
        assert live_session.peer.send(protocol.encode("done", text=DONE.get("fr")))

    asyncio.run_coroutine_threadsafe(done(), loop).result(5)
    p.wait_state("done")
    text = p.page.locator("#screen-done").inner_text()
    assert text.count("Merci") == 1, text
    assert text.count("fermer cette page") == 1, text
    assert "Toutes les photos sont prises." in text
    inside_viewport(p, "#screen-done h1")
    keep(p, "done")
    p.assert_clean()


def test_the_refusal_buttons_fit_a_landscape_phone(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator")
    first = phone(locale="fr-FR")
    first.page.goto(session.join_url)
    first.start()
    other = phone(locale="fr-FR", viewport=LANDSCAPE)
    response = other.page.goto(session.join_url)
    assert response is not None and response.status == 409
    styled_like_the_page(other)
    other.page.locator("#takeover").scroll_into_view_if_needed()
    inside_viewport(other, "#takeover")
    retry, takeover = box(other, "#retry"), box(other, "#takeover")
    assert takeover["y"] >= retry["y"] + retry["height"]  # one under the other, no overlap
    assert retry["width"] <= 560  # the card's width, not the whole landscape screen
    keep(other, "refused-in-use-landscape")


def overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The area two boxes share (0 when they do not touch)."""
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(0.0, w) * max(0.0, h)


@pytest.mark.parametrize("viewport", [None, LANDSCAPE], ids=["portrait", "landscape"])
def test_the_consent_start_button_is_in_sight(
    live: Callable[..., Live], phone: Callable[..., Phone], viewport: dict[str, int] | None
) -> None:
    session = live()
    p = phone(locale="fr-FR", viewport=viewport)
    p.page.goto(session.join_url)
    p.wait_state("consent")
    inside_viewport(p, "#start")  # without scrolling
    keep(p, f"consent-{'landscape' if viewport else 'portrait'}")
    p.start()  # and it works where it is
    p.assert_clean()


def test_a_landscape_shot_asks_to_turn_the_phone_and_keeps_the_outline_clear(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator")
    engine, iid = session.engine, session.inspection_id
    p = phone(locale="fr-FR")  # held upright
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")
    assert p.hooks(".currentShot")["orientation"] == "landscape"  # a whole car
    wait_until(lambda: p.hooks(".rotateHint") == "landscape", 5, "the rotate hint")
    assert p.page.locator("#rotate").inner_text() == "Tournez votre téléphone à l'horizontale"
    inside_viewport(p, "#rotate")
    keep(p, "rotate-hint")

    p.page.set_viewport_size(LANDSCAPE)  # the seller turns the phone
    wait_until(lambda: p.hooks(".rotateHint") is None, 5, "the hint to go")
    assert p.page.locator("#rotate").is_hidden()
    p.page.locator("#overlay").wait_for(state="visible", timeout=5000)
    p.page.wait_for_timeout(300)  # layoutFrame runs on the next animation frame
    layout = p.hooks(".layout")
    frame, topbar, controls = layout["frame"], layout["topbar"], layout["controls"]
    # The expected boxes: guidance on the left, the picture beside it, controls on the right.
    assert overlap(frame, topbar) == 0, (frame, topbar)
    assert overlap(frame, controls) == 0, (frame, controls)
    assert topbar["x"] + topbar["width"] <= frame["x"]
    assert frame["x"] + frame["width"] <= controls["x"]
    assert frame["width"] >= 400 and abs(frame["width"] / frame["height"] - 16 / 9) < 0.02
    assert box(p, "#overlay") == frame or overlap(box(p, "#overlay"), topbar) == 0
    for selector in ("#topbar", "#frame"):
        inside_viewport(p, selector)
    keep(p, "landscape-live")

    engine.select_shot(iid, "vin_windscreen").result(5)  # any way up: no hint either way
    wait_until(lambda: shot_id(p) == "vin_windscreen", 10, "the VIN shot")
    p.page.set_viewport_size({"width": 390, "height": 844})
    p.page.wait_for_timeout(200)
    assert p.hooks(".rotateHint") is None and p.page.locator("#rotate").is_hidden()
    p.assert_clean()
