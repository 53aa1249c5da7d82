"""One short call per mobile link profile, through coturn: it connects, video keeps
arriving at the engine, one still arrives whole (its SHA-256 checked by the engine and
recomputed from the stored file) and the phone gets its acknowledgement, and video still
flows after it. The measurements per profile are bench/network.py's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.conftest import big_still_script
from tests.netlab.lab import PROFILES, NetLab
from tests.netlab.peers import Operator, PhonePage
from tests.netlab.scenario import assert_relayed, call_through_turn

pytestmark = [pytest.mark.slow, pytest.mark.netlab, pytest.mark.timeout(180)]


@pytest.mark.parametrize("profile", list(PROFILES))
def test_call_on_mobile_link(
    profile: str,
    lab: NetLab,
    operator: Callable[..., Operator],
    phone_browser: Callable[..., PhonePage],
) -> None:
    lab.start_turn(rest=True)
    lab.shape(PROFILES[profile])
    # A still has time to cross a slow uplink next to the video before the engine
    # would fall back to a video frame (the default 8 s is the product's choice).
    op = operator(turn_urls=lab.turn_urls(["udp", "tcp", "tls"]), still_timeout=60)
    phone = phone_browser()
    result = call_through_turn(op, phone, still_timeout=90)
    assert_relayed(result)
    assert result.capture["size"] > 20_000, result.capture
    # The profile was really applied: packets were lost, the uplink went through tbf.
    counters = lab.link_counters()
    assert counters["lost"] > 0, counters
    assert counters["sent"] > 0, counters


def test_a_preview_first_then_the_original_on_4g_good(
    lab: NetLab,
    operator: Callable[..., Operator],
    phone_browser: Callable[..., PhonePage],
) -> None:
    """Issue 15 through coturn on "4G good": a 4000x3000 still (about 4 MB) is judged on
    its preview, acknowledged, and its original replaces the preview afterwards."""
    lab.start_turn(rest=True)
    lab.shape(PROFILES["4g-good"])
    op = operator(turn_urls=lab.turn_urls(["udp", "tcp", "tls"]), still_timeout=60)
    phone = phone_browser(big_still_script(4000, 3000))
    phone.join(op.join_url)
    op.wait(lambda e: e.get("event") == "connection" and e["state"] == "connected", 30, "link")
    capture_id = op.ask("capture", "capture_requested")["capture_id"]
    capture = op.wait(
        lambda e: e.get("event") in ("capture", "capture_failed") and e["capture_id"] == capture_id,
        60,
        "the preview",
    )
    assert capture["event"] == "capture" and capture["source"] == "preview", capture
    assert capture["sha256"] == capture["file_sha256"], capture
    assert max(capture["width"], capture["height"]) in (1600, 1280, 1024), capture
    assert phone.wait_capture_result(capture_id, 20)["stored"] is True
    original = op.wait(
        lambda e: e.get("event") == "original_stored" and e["capture_id"] == capture_id,
        150,
        "the original",
    )
    assert (original["width"], original["height"]) == (4000, 3000), original
    assert original["size"] > 2_000_000, original
