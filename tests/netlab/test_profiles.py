"""One short call per mobile link profile, through coturn: it connects, video keeps
arriving at the engine, one still arrives whole (its SHA-256 checked by the engine and
recomputed from the stored file) and the phone gets its acknowledgement, and video still
flows after it. The measurements per profile are bench/network.py's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.netlab.lab import PROFILES, NetLab
from tests.netlab.peers import Operator, PhonePage
from tests.netlab.scenario import assert_relayed, call_through_turn

pytestmark = [pytest.mark.slow, pytest.mark.netlab, pytest.mark.timeout(180)]


@pytest.mark.parametrize("profile", list(PROFILES))
def test_call_on_mobile_link(
    profile: str,
    lab: NetLab,
    operator: Callable[..., Operator],
    phone_browser: Callable[[], PhonePage],
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
