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
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from inspector.storage.store import Store
from tests.inspector.team.team_fixtures import TeamProcess
from tests.netlab.lab import TEAM_IP, TEAM_PORT, NetLab
from tests.netlab.peers import ROOT, Operator, PhonePage, start_desk
from tests.netlab.scenario import CallResult, assert_relayed, call_through_turn

pytestmark = [pytest.mark.slow, pytest.mark.netlab, pytest.mark.timeout(150)]

USER, PASSWORD = "olga", "operator-pass-Qm4x"


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("INSPECTOR_TURN_SECRET", "INSPECTOR_SERVER", "INSPECTOR_DATABASE_URL"):
        env.pop(name, None)
    return env


@pytest.fixture
def team_server(lab: NetLab, tmp_path: Path) -> Iterator[Callable[..., TeamProcess]]:
    """``team_server(transports)`` → ``inspector server`` in the lab's public namespace
    (SQLite store in ``tmp_path/server``), its TURN credentials minted from coturn's
    secret for the lab's ``transports`` (in that order), with an operator account."""
    started: list[TeamProcess] = []

    def start(transports: Sequence[str] = ("udp",)) -> TeamProcess:
        lab.start_turn(rest=True)
        data = tmp_path / "server"
        data.mkdir()
        added = subprocess.run(
            [sys.executable, "-m", "inspector", "users", "add", USER, "--role", "operator"],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**_clean_env(), "INSPECTOR_DATA_DIR": str(data)},
            timeout=120,
        )
        assert added.returncode == 0, added.stderr
        secret = tmp_path / "turn.secret"
        secret.write_text(lab.turn_secret + "\n")
        turn = [arg for url in lab.turn_urls(transports) for arg in ("--turn-url", url)]
        server = TeamProcess(
            data,
            "--host", TEAM_IP, "--port", str(TEAM_PORT), "--public-url", lab.team_url,
            *turn, "--turn-secret-file", str(secret), "--no-recording",
            prefix=["ip", "netns", "exec", lab.pub],
            env=_clean_env(),
        )  # fmt: skip
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
