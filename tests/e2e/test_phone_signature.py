"""The seller signs the summary on the real phone page with real pointer events (Chromium)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inspector.live import events
from tests.e2e.conftest import Live, Phone, sign_on_page
from tests.e2e.test_phone import shot_id
from tests.e2e.waits import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

SCREENSHOT = "/tmp/phone-signature.png"


def test_the_seller_reads_the_summary_and_signs_with_a_finger(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator")
    engine, iid = session.engine, session.inspection_id
    p = phone(locale="fr-FR")
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")

    summary = engine.request_signature(iid).result(10)
    page = p.page
    page.locator("#screen-summary").wait_for(state="visible", timeout=10000)
    assert page.locator("#summary-text").inner_text() == summary.text  # exactly what is hashed
    assert page.locator("h1", has_text="Vérifiez et signez").is_visible()

    # Signing with nothing drawn, or no name, is refused on the page itself.
    page.locator("#sign").click()
    assert page.locator("#summary-status").inner_text() == "Signez d'abord dans le cadre blanc."

    page.locator("#signer-name").fill("")
    sign_on_page(page, "")  # a drawing, but no name
    assert page.locator("#summary-status").inner_text() == "Saisissez votre nom."
    page.locator("#signer-name").fill("Chloé Dubois")
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.locator("#sign").click()

    session.events.wait(lambda: session.events.of(events.SellerSigned), 15, "the signature")
    signed = session.events.of(events.SellerSigned)[-1]
    assert signed.seller_name == "Chloé Dubois" and signed.summary_sha256 == summary.sha256
    page.locator("#screen-summary").wait_for(state="hidden", timeout=5000)
    [kept] = engine.store.signatures(iid)
    assert kept.summary_text == summary.text
    assert kept.user_agent and "Chrome" in kept.user_agent
    assert sum(len(s) for s in kept.strokes) >= 10  # the pointer's path, point by point
    assert kept.phone_time is not None
    png = engine.store.signature_png(kept.png_sha256)
    assert png.startswith(b"\x89PNG")
    p.assert_clean()
