"""The seller is asked on the real phone page whether the call may be recorded (opt-in)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inspector.live import events
from tests.e2e.conftest import Live, Phone

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


@pytest.mark.parametrize(
    ("locale", "agree", "question"),
    [
        ("fr-FR", True, "J'accepte que cet appel vidéo soit enregistré"),
        ("en-US", False, "I agree that this video call is recorded"),
    ],
    ids=["fr-agrees", "en-declines"],
)
def test_the_seller_answers_and_the_engine_records_only_after_a_yes(
    live: Callable[..., Live],
    phone: Callable[..., Phone],
    locale: str,
    agree: bool,
    question: str,
) -> None:
    session = live()
    p = phone(locale=locale)
    p.page.goto(session.join_url)
    p.wait_state("consent")
    box = p.page.locator("#record-box")
    assert box.is_visible() and question in box.inner_text()
    assert not p.page.locator("#record-consent").is_checked()  # opt-in: unticked
    kept = p.page.locator("#consent-kept").inner_text()
    assert ("si vous l'acceptez" in kept) if locale == "fr-FR" else ("only if you agree" in kept)
    if agree:
        p.page.locator("#record-consent").check()
    p.page.screenshot(path=f"/tmp/phone-consent-{locale}.png", full_page=True)
    p.start()
    session.events.wait(
        lambda: session.events.of(events.RecordingChanged), 15, "the seller's answer"
    )
    (answer,) = session.events.of(events.RecordingChanged)
    assert answer.consent is agree and answer.recording is agree
    p.assert_clean()
