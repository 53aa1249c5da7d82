"""Faults with the real phone page in headless Chromium: network loss, a killed browser.

The figures printed (run with ``-s``) are the ones quoted in docs/RELIABILITY.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from inspector.live import events
from tests.e2e.conftest import Live, Phone

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, step: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)


def frame_seq(session: Live) -> int:
    frame = session.engine.latest_frame(session.inspection_id)
    return 0 if frame is None else frame.seq


def shot_id(phone: Phone) -> str | None:
    shot = phone.hooks(".currentShot")
    return None if shot is None else shot["id"]


def on_second_shot(session: Live, p: Phone) -> str:
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p), 15, "the first shot")
    second = session.engine.next_shot(session.inspection_id).result(5)
    wait_until(lambda: shot_id(p) == second.id, 10, "the second shot on the phone")
    wait_until(lambda: frame_seq(session), 15, "video")
    return str(second.id)


def capture_arrives(session: Live) -> None:
    capture_id = session.engine.capture(session.inspection_id).result(5)
    session.events.wait(
        lambda: any(e.capture.id == capture_id for e in session.events.of(events.CaptureStored)),
        30,
        "a capture",
    )


def test_network_lost_then_back_reconnects_by_itself_within_5_s(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    """The phone's network dies (nothing in or out), stays down 8 s, comes back.

    The page notices on its own (heartbeat), retries while offline, and on the
    network's return reconnects without any help: same shot, video back within 5 s.
    """
    session = live(mode="operator")
    iid = session.inspection_id
    p = phone(locale="fr-FR")
    second = on_second_shot(session, p)

    p.context.set_offline(True)  # no WebSocket, no page loads
    assert p.hooks(".dropForTest({silent: true})") == "silent"  # and the data channel mute
    p.wait_state("reconnecting", timeout=10)
    time.sleep(3.0)
    stalled = frame_seq(session)
    time.sleep(1.0)  # down about 8 s in all (4 s of them to notice)
    seq = frame_seq(session)
    assert seq == stalled, "video still flowing: the network was not really down"
    back = time.monotonic()
    p.context.set_offline(False)
    wait_until(lambda: frame_seq(session) > seq, 15, "video after the network came back", 0.005)
    video_back = time.monotonic() - back
    p.wait_state("live", timeout=15)
    live_back = time.monotonic() - back
    print(
        f"\nFIGURE Chromium, network back -> video back: {video_back:.2f} s "
        f"(page live again after {live_back:.2f} s, {p.hooks('.reconnects')} attempts)"
    )
    assert video_back <= 5.0
    assert shot_id(p) == second
    assert session.engine.session_info(iid).result(5)["shot_id"] == second
    capture_arrives(session)
    p.assert_clean()


def test_silent_drop_recovery_time(live: Callable[..., Live], phone: Callable[..., Phone]) -> None:
    """A dead link (network up): from the page noticing to video back at the engine."""
    session = live(mode="operator")
    p = phone(locale="en-US")
    second = on_second_shot(session, p)
    states = len(session.events.of(events.ConnectionChanged))
    dropped = time.monotonic()
    p.hooks(".dropForTest({silent: true})")
    p.wait_state("reconnecting", timeout=10)
    noticed = time.monotonic()
    session.events.wait(
        lambda: any(
            e.state == "connected" for e in session.events.of(events.ConnectionChanged)[states:]
        ),
        20,
        "the engine to see the phone again",
    )
    seq = frame_seq(session)  # frames from here on come from the new connection
    wait_until(lambda: frame_seq(session) > seq, 20, "video after the drop", 0.005)
    back = time.monotonic()
    print(
        f"\nFIGURE Chromium, silent drop: noticed after {noticed - dropped:.2f} s, "
        f"video back {back - noticed:.2f} s after noticing ({back - dropped:.2f} s in all)"
    )
    assert back - noticed <= 5.0
    assert shot_id(p) == second
    p.assert_clean()


def test_browser_killed_then_same_device_rejoins_at_once(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    """The browser dies without a goodbye (context closed); the same browser profile
    (same device cookie) opens the link again: it takes its session back at once,
    at the same shot, without waiting for the grace period."""
    session = live(mode="operator", grace_seconds=30.0)
    iid = session.inspection_id
    first = phone(locale="fr-FR")
    second = on_second_shot(session, first)
    cookies = first.context.cookies()
    assert any(c["name"] == "device" for c in cookies)
    first.context.close()  # killed: no bye, no clean close of the peer

    again = phone(locale="fr-FR")
    again.context.add_cookies(cookies)
    started = time.monotonic()
    response = again.page.goto(session.join_url)
    assert response is not None and response.status == 200
    again.start()
    wait_until(lambda: shot_id(again) == second, 15, "the same shot after rejoining")
    rejoined = time.monotonic() - started
    print(f"\nFIGURE Chromium, killed browser -> same device live again: {rejoined:.2f} s")
    wait_until(
        lambda: session.engine.session_info(iid).result(5)["connection"] == "connected",
        10,
        "the engine to see the phone again",
    )
    capture_arrives(session)
    again.assert_clean()


def test_browser_killed_then_another_device_waits_for_the_grace_period(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    """Another browser (no cookie) is refused while the killed one may still come back,
    then takes over once the holder has been gone longer than the grace period."""
    grace = 3.0
    session = live(mode="operator", grace_seconds=grace, heartbeat_timeout=1.5)
    first = phone(locale="fr-FR")
    second = on_second_shot(session, first)
    first.context.close()
    killed = time.monotonic()

    other = phone(locale="fr-FR")
    response = other.page.goto(session.join_url)
    assert response is not None and response.status == 409  # "already in use"

    def takes_over() -> bool:
        r = other.page.goto(session.join_url)
        return r is not None and r.status == 200

    wait_until(takes_over, grace + 10, "the other device to be let in", 0.5)
    assert time.monotonic() - killed >= grace
    other.start()
    wait_until(lambda: shot_id(other) == second, 15, "the same shot on the new device")
    capture_arrives(session)
    other.assert_clean()


def open_from_a_message(p: Phone, url: str) -> Any:
    """Open ``url`` the way a seller does: a tap on a link in another site's page (a
    messaging app, a mail), a cross-site navigation, not a URL typed in the address bar."""
    p.page.goto(f'data:text/html,<a id="link" href="{url}">link</a>')
    with p.page.expect_navigation() as navigation:
        p.page.locator("#link").click()
    return navigation.value


def test_tab_closed_then_link_reopened_takes_the_session_back_at_once(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    """The seller closes the tab and taps the link again in the message at once: the
    same phone (its device cookie) gets its session back, no "already open" page."""
    session = live(mode="operator", grace_seconds=30.0)
    first = phone(locale="fr-FR")
    second = on_second_shot(session, first)
    first.page.close(run_before_unload=True)  # the tab closed: pagehide says bye

    again = first.context.new_page()
    reopened = Phone(first.context, again)
    response = open_from_a_message(reopened, session.join_url)
    assert response is not None and response.status == 200
    reopened.start()
    wait_until(lambda: shot_id(reopened) == second, 15, "the same shot after reopening")
    capture_arrives(session)
    reopened.assert_clean()
