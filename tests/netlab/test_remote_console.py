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
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inspector.storage.store import Store
from tests.inspector.team.team_fixtures import TeamProcess
from tests.netlab.lab import TEAM_IP, TEAM_PORT, NetLab
from tests.netlab.peers import ROOT, PhonePage, start_desk
from tests.netlab.scenario import assert_relayed, call_through_turn

pytestmark = [pytest.mark.slow, pytest.mark.netlab, pytest.mark.timeout(150)]

USER, PASSWORD = "olga", "operator-pass-Qm4x"


@pytest.fixture
def team_server(lab: NetLab, tmp_path: Path) -> Iterator[TeamProcess]:
    """``inspector server`` in the lab's public namespace (SQLite store in its data
    folder), its TURN credentials minted from coturn's secret; an operator account."""
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
    server = TeamProcess(
        data,
        "--host", TEAM_IP, "--port", str(TEAM_PORT),
        "--public-url", lab.team_url,
        "--turn-url", lab.turn_urls(["udp"])[0],
        "--turn-secret-file", str(secret),
        "--no-recording",
        prefix=["ip", "netns", "exec", lab.pub],
        env=_clean_env(),
    )  # fmt: skip
    try:
        yield server
    finally:
        server.close()
        (tmp_path / "server.log").write_text(server.log_text())


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("INSPECTOR_TURN_SECRET", "INSPECTOR_SERVER"):
        env.pop(name, None)
    return env


def test_phone_and_remote_console_through_coturn(
    lab: NetLab,
    team_server: TeamProcess,
    phone_browser: Callable[..., PhonePage],
    tmp_path: Path,
) -> None:
    desk = start_desk(lab, tmp_path / "desk", server_url=lab.team_url, user=USER, password=PASSWORD)
    try:
        phone = phone_browser()
        result = call_through_turn(desk, phone)
    finally:
        desk.stop()
    # Through coturn on both sides (the phone may reach the console's relay address
    # straight from its NAT, a peer-reflexive candidate: still coturn's relay).
    assert_relayed(result)
    # The page's TURN credentials were minted for the phone, the console's for it.
    (server,) = phone.configs[0]["ice_servers"]
    assert re.fullmatch(r"\d+:phone-[0-9a-f]{8}", server["username"]), server
    assert lab.turn_secret not in str(phone.configs)
    assert re.search(rf"\d+:desk-{USER}", lab.turn_log_text()), lab.turn_log_text()[-2000:]
    # The still is on the server, whole, and the phone was told so.
    capture = result.capture
    assert result.acknowledged["stored"] is True, result.acknowledged
    with Store(tmp_path / "server", readonly=True) as store:
        stored = store.get_capture(capture["capture_id"])
        assert stored.sha256 == capture["sha256"], (stored, capture)
        assert hashlib.sha256(store.read_photo(stored.sha256)).hexdigest() == stored.sha256
