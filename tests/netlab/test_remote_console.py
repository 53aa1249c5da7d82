"""Issue 15's TURN path between the phone and a *remote* console (issue 14): ``inspector
server`` in the lab's public namespace relays only the call's signaling; the operator's
console (its desk: :class:`~inspector.team.desk.RemoteDesk`, in its own process in the
operator's namespace, behind the company NAT) answers it; Chromium in the phone's
namespace (behind the carrier's NAT) joins the server's link. The phone and the console
have no path to each other: the media goes through coturn, with TURN credentials the
server mints for each of them (``phone-…`` in the page, ``desk-olga`` for the console).
The still the console takes is on the server, hash checked, before the phone hears
"saved"."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from inspector.storage.store import Store
from tests.inspector.team.team_fixtures import TeamProcess
from tests.netlab.lab import NetLab, run
from tests.netlab.peers import Operator, PhonePage, start_desk, start_team_server
from tests.netlab.scenario import CallResult, assert_relayed, call_through_turn

pytestmark = [pytest.mark.slow, pytest.mark.netlab, pytest.mark.timeout(150)]

USER, PASSWORD = "olga", "operator-pass-Qm4x"


@pytest.fixture
def team_server(lab: NetLab, tmp_path: Path) -> Iterator[Callable[..., TeamProcess]]:
    """``team_server(transports)`` → ``inspector server`` in the lab's public namespace
    (SQLite store in ``tmp_path/server``), its TURN credentials minted from coturn's
    secret for the lab's ``transports`` (in that order), with an operator account."""
    started: list[TeamProcess] = []

    def start(transports: Sequence[str] = ("udp",)) -> TeamProcess:
        lab.start_turn(rest=True)
        server = start_team_server(
            lab, tmp_path / "server", user=USER, password=PASSWORD, transports=transports
        )
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.close()
            (tmp_path / "server.log").write_text(server.log_text())


def _call(
    lab: NetLab, tmp_path: Path, phone_browser: Callable[..., PhonePage]
) -> tuple[CallResult, PhonePage]:
    desk: Operator = start_desk(
        lab, tmp_path / "desk", server_url=lab.team_url, user=USER, password=PASSWORD
    )
    try:
        phone = phone_browser()
        return call_through_turn(desk, phone), phone
    finally:
        desk.stop()


def _assert_on_the_server(tmp_path: Path, result: CallResult) -> None:
    """The still is on the server, whole, and the phone was told so."""
    capture = result.capture
    assert result.acknowledged["stored"] is True, result.acknowledged
    with Store(tmp_path / "server", readonly=True) as store:
        stored = store.get_capture(capture["capture_id"])
        assert stored.sha256 == capture["sha256"], (stored, capture)
        assert hashlib.sha256(store.read_photo(stored.sha256)).hexdigest() == stored.sha256


def _calls_by_path(lab: NetLab) -> dict[str, float]:
    """``inspector_calls_total`` by path, read in the public namespace (where the
    server listens)."""
    fetch = (
        "import sys, urllib.request; "
        "sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())"
    )
    text = run("python3", "-c", fetch, f"{lab.team_url}/metrics", ns=lab.pub)
    found: dict[str, float] = {}
    for line in text.splitlines():
        match = re.fullmatch(r'inspector_calls_total\{path="(\w+)"\} (\S+)', line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def test_phone_and_remote_console_through_coturn(
    lab: NetLab,
    team_server: Callable[..., TeamProcess],
    phone_browser: Callable[..., PhonePage],
    tmp_path: Path,
) -> None:
    team_server()
    result, phone = _call(lab, tmp_path, phone_browser)
    # Through coturn on both sides (the phone may reach the console's relay address
    # straight from its NAT, a peer-reflexive candidate: still coturn's relay).
    assert_relayed(result)
    # The page's TURN credentials were minted for the phone, the console's for it.
    (server,) = phone.configs[0]["ice_servers"]
    assert re.fullmatch(r"\d+:phone-[0-9a-f]{8}", server["username"]), server
    assert lab.turn_secret not in str(phone.configs)
    assert re.search(rf"\d+:desk-{USER}", lab.turn_log_text()), lab.turn_log_text()[-2000:]
    _assert_on_the_server(tmp_path, result)
    # The server saw no media; the console told it the call's path.
    paths = _calls_by_path(lab)
    assert paths.get("relay", 0) >= 1 and "direct" not in paths, paths


def test_a_console_whose_firewall_blocks_udp_relays_over_tcp(
    lab: NetLab,
    team_server: Callable[..., TeamProcess],
    phone_browser: Callable[..., PhonePage],
    tmp_path: Path,
) -> None:
    """The team's TURN URLs in DEPLOYMENT.md's order (UDP first) and a console behind a
    company firewall that lets no UDP out: aiortc uses one TURN URL, so the desk must
    choose one it can reach (TCP here); the phone relays over UDP as before."""
    team_server(["udp", "tcp", "tls"])
    lab.block_operator_udp()
    result, _ = _call(lab, tmp_path, phone_browser)
    assert_relayed(result)
    assert result.engine_pair["local"] == "relay", result.engine_pair
    assert result.engine_pair["turn_transport"] == "tcp", result.engine_pair
    _assert_on_the_server(tmp_path, result)
