"""Issue 15 in the real page: a preview first, the full-size original after.

Chromium's fake camera films 1280 x 720; a phone's still is ten times that. The page's
``ImageCapture.takePhoto`` is given a 4000 x 2250 still (the fake camera's photo scaled
up, with fine grain, a few megabytes) so that the page sends a preview: everything else
is the real page, the real engine and real WebRTC on loopback.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inspector.live import events, protocol
from tests.e2e.conftest import Live, Phone, big_still_script, sign_on_page
from tests.e2e.waits import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

BIG_STILL = (4000, 2250)
SCREENSHOT = "/tmp/phone-finishing.png"
LIVE_SCREENSHOT = "/tmp/phone-uploads.png"


def _joined(live: Callable[..., Live], phone: Callable[..., Phone]) -> tuple[Live, Phone]:
    session = live(mode="operator")
    p = phone(locale="fr-FR")
    p.context.add_init_script(big_still_script(*BIG_STILL))
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: p.hooks(".currentShot"), 15, "the first shot")
    return session, p


def _stored(session: Live, capture_id: str) -> events.CaptureStored:
    session.events.wait(
        lambda: any(e.capture.id == capture_id for e in session.events.of(events.CaptureStored)),
        30,
        "the stored capture",
    )
    return next(e for e in session.events.of(events.CaptureStored) if e.capture.id == capture_id)


def _originals_stored(session: Live) -> set[str]:
    return {e.capture.id for e in session.events.of(events.OriginalStored)}


def test_previews_first_and_the_walk_completes_after_the_last_original(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session, p = _joined(live, phone)
    engine, iid = session.engine, session.inspection_id
    p.hooks(".pauseOriginals(true)")  # a slow link: the originals lag behind the walk
    total = engine.session_info(iid).result(5)["total"]
    taken = []
    for _ in range(total):
        capture_id = engine.capture(iid).result(5)
        stored = _stored(session, capture_id)
        assert stored.capture.source.value == "preview"
        # 1600 px, or smaller when the browser's estimate of the uplink is low (previewBudget)
        assert max(stored.capture.width, stored.capture.height) in (1600, 1280, 1024)
        assert stored.capture.quality.metrics["width"] == BIG_STILL[0]
        taken.append(capture_id)
        if len(taken) == 2:  # the live view says how far the originals are
            p.page.locator("#uploads").wait_for(state="visible", timeout=5000)
            assert p.page.locator("#uploads").inner_text().startswith("Photos en pleine")
            p.page.wait_for_timeout(600)  # let the flash fade
            p.page.screenshot(path=LIVE_SCREENSHOT)
        engine.accept(iid, capture_id).result(10)
    assert p.hooks(".originals")["previews"] == total

    # The walk is done: the seller signs; the page says the upload is finishing and
    # keeps the link; the inspection is not complete yet.
    sign_on_page(p.page, "Jeanne Martin")
    p.wait_state("done")
    p.page.locator("#done-uploads").wait_for(state="visible", timeout=10000)
    assert p.page.locator("#done-uploads").inner_text().startswith("Fin de l'envoi")
    assert p.page.locator("#done-close").is_hidden()
    assert not session.events.of(events.Completed)
    assert engine.session_info(iid).result(5)["originals_pending"] == total
    p.page.screenshot(path=SCREENSHOT)

    p.hooks(".pauseOriginals(false)")
    session.events.wait(lambda: bool(session.events.of(events.Completed)), 90, "completion")
    assert _originals_stored(session) == set(taken)
    p.page.locator("#done-close").wait_for(state="visible", timeout=15000)
    assert p.page.locator("#done-uploads").is_hidden()
    assert p.hooks(".originals")["pending"] == 0
    stored = {e.capture.id: e.capture for e in session.events.of(events.OriginalStored)}
    assert all((c.width, c.height) == BIG_STILL for c in stored.values())
    assert all(c.source.value == "still" for c in stored.values())
    p.assert_clean()


def test_a_link_dropped_mid_original_resumes_where_it_stopped(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session, p = _joined(live, phone)
    engine, iid = session.engine, session.inspection_id
    p.hooks(".pauseOriginals(true)")
    capture_id = engine.capture(iid).result(5)
    _stored(session, capture_id)
    wait_until(lambda: p.hooks(".originals")["pending"] == 1, 10, "the original kept")
    p.hooks(".dropOriginalsAt(1000000)")
    p.hooks(".pauseOriginals(false)")
    p.wait_state("reconnecting", timeout=protocol.HEARTBEAT_TIMEOUT + 4)
    p.wait_state("live", timeout=30)
    session.events.wait(lambda: capture_id in _originals_stored(session), 60, "the original")
    size = max(e.size for e in session.events.of(events.OriginalProgress))
    sent = p.hooks(".originals")["bytesSent"]
    assert size > 2_000_000
    # The engine said how much it had kept, and the phone sent only the rest: what was
    # in flight when the link dropped (the channel's buffer, the SCTP window) crossed
    # twice; a restart from zero would send the first megabyte again.
    statuses = [
        m
        for m in p.hooks(".lastMessages")
        if m["type"] == "original_status" and m["id"] == capture_id and m["state"] == "wanted"
    ]
    have = statuses[-1]["have"]
    before_drop = 16 * protocol.CHUNK_SIZE  # the first chunk boundary past 1 000 000 bytes
    assert 0 < have <= before_drop, statuses
    assert sent == before_drop + size - have, (size, sent, have)
    timings = p.hooks(".captureTimings")
    assert timings is not None and timings["still"] >= 0 and timings["budget"] > 0, timings
    original = next(e for e in session.events.of(events.OriginalStored))
    assert (original.capture.width, original.capture.height) == BIG_STILL
    p.assert_clean()
