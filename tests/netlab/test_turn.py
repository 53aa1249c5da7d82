"""The call goes through coturn when phone and operator have no direct path: UDP, TCP and
TLS to coturn, with credentials minted per peer (REST API) or static ones."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from inspector.config import turn_rest_password
from tests.netlab.lab import UNSHAPED, NetLab
from tests.netlab.peers import Operator, PhonePage
from tests.netlab.scenario import assert_relayed, call_through_turn

pytestmark = [pytest.mark.slow, pytest.mark.netlab, pytest.mark.timeout(150)]


def test_rest_credentials_udp(
    lab: NetLab, operator: Callable[..., Operator], phone_browser: Callable[[], PhonePage]
) -> None:
    lab.start_turn(rest=True)
    op = operator(turn_urls=lab.turn_urls(["udp"]))
    phone = phone_browser()
    result = call_through_turn(op, phone)
    assert_relayed(result)
    assert result.phone_pair["relayProtocol"] in (None, "udp"), result.phone_pair
    # The page got minted credentials for this peer, never a configured password.
    (server,) = phone.configs[0]["ice_servers"]
    expiry, tag = server["username"].split(":", 1)
    assert int(expiry) > time.time()
    assert re.fullmatch(r"phone-[0-9a-f]{8}", tag), tag
    assert server["credential"] == turn_rest_password(lab.turn_secret, server["username"])
    assert lab.turn_secret not in str(phone.configs)
    # coturn saw both peers by their minted usernames.
    log = lab.turn_log_text()
    assert f"username=<{server['username']}>" in log or server["username"] in log
    assert re.search(r"\d+:engine-[0-9a-f]{8}", log), log[-2000:]


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_udp_blocked_relays_over_tcp_or_tls(
    transport: str,
    lab: NetLab,
    operator: Callable[..., Operator],
    phone_browser: Callable[[], PhonePage],
) -> None:
    """The phone's network lets no UDP out: both peers reach coturn over TCP (``turn:…
    ?transport=tcp``) or TLS (``turns:``, a certificate of a test CA the engine trusts
    through ``SSL_CERT_FILE``)."""
    lab.start_turn(rest=True)
    lab.shape(UNSHAPED, udp_blocked=True)
    op = operator(turn_urls=lab.turn_urls([transport]))
    phone = phone_browser()
    result = call_through_turn(op, phone)
    assert_relayed(result)
    assert result.phone_pair["local"] == "relay", result.phone_pair
    assert result.phone_pair["relayProtocol"] == transport, result.phone_pair
    assert result.engine_pair["turn_transport"] == transport, result.engine_pair


def test_static_credentials_keep_working(
    lab: NetLab, operator: Callable[..., Operator], phone_browser: Callable[[], PhonePage]
) -> None:
    """A TURN service with fixed users (coturn ``lt-cred-mech``), given as
    ``--ice-server turn:USER:PASS@host:port``, as before."""
    lab.start_turn(rest=False)
    host_port = lab.turn_urls(["udp"])[0].removeprefix("turn:")
    op = operator(ice_servers=[f"turn:{lab.turn_user}:{lab.turn_password}@{host_port}"])
    phone = phone_browser()
    result = call_through_turn(op, phone)
    assert_relayed(result)
    (server,) = phone.configs[0]["ice_servers"]
    assert server["username"] == lab.turn_user
    assert f"user <{lab.turn_user}>" in lab.turn_log_text()
