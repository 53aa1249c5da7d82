"""The lab itself: no direct path between phone and operator, the published join port and
coturn reachable, the profile's shaping in place, and nothing left behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.netlab.lab import (
    OPERATOR_IP,
    OPERATOR_PUBLIC_IP,
    PHONE_PUBLIC_IP,
    PROFILES,
    TURN_IP,
    TURN_PORT,
    NetLab,
    leftover_namespaces,
    run,
)

pytestmark = [pytest.mark.netlab, pytest.mark.timeout(60)]


def _tcp(ns: str, host: str, port: int) -> str:
    """'ok', 'refused' (a host answered) or 'timeout' (dropped on the way)."""
    probe = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(({host!r}, {port}), 1).close(); print('ok')\n"
        "except ConnectionRefusedError: print('refused')\n"
        "except OSError: print('timeout')\n"
    )
    done = subprocess.run(
        ["ip", "netns", "exec", ns, "python3", "-c", probe], capture_output=True, text=True
    )
    return done.stdout.strip()


def test_paths_through_the_lab(lab: NetLab) -> None:
    lab.start_turn(rest=True)
    assert _tcp(lab.phone, TURN_IP, TURN_PORT) == "ok"
    assert _tcp(lab.operator, TURN_IP, TURN_PORT) == "ok"
    # The join page's port is forwarded to the operator (nothing listens yet: refused
    # by the operator's machine itself), every other port is dropped.
    assert _tcp(lab.phone, OPERATOR_PUBLIC_IP, lab.web_port) == "refused"
    assert _tcp(lab.phone, OPERATOR_PUBLIC_IP, 22) == "timeout"
    assert _tcp(lab.phone, OPERATOR_IP, lab.web_port) == "timeout"
    assert _tcp(lab.operator, PHONE_PUBLIC_IP, 22) == "timeout"


def test_profile_shapes_the_phones_uplink(lab: NetLab) -> None:
    lab.shape(PROFILES["3g"], udp_blocked=True)
    qdisc = run("tc", "qdisc", "show", "dev", "wan", ns=lab.pnat)
    assert "tbf" in qdisc and "750Kbit" in qdisc, qdisc
    rules = run("nft", "list", "table", "inet", "netlab", ns=lab.pnat)
    assert "numgen random mod 1000 < 30" in rules, rules
    assert "meta l4proto udp drop" in rules, rules
    lab.shape(PROFILES["4g-good"])
    assert "10Mbit" in run("tc", "qdisc", "show", "dev", "wan", ns=lab.pnat)
    assert "udp drop" not in run("nft", "list", "table", "inet", "netlab", ns=lab.pnat)


def test_close_removes_everything_even_half_built(tmp_path: Path) -> None:
    from tests.netlab.lab import missing

    if missing():
        pytest.skip(str(missing()))
    lab = NetLab(tmp_path)
    lab.build()
    lab.start_turn(rest=True)
    names = set(lab.namespaces)
    assert names <= set(leftover_namespaces())
    lab.close()
    assert not names & set(leftover_namespaces())
    assert lab._turn is None
    # A lab whose build failed half-way is removed too.
    broken = NetLab(tmp_path)
    broken.web_port = -1  # the operator's firewall rules are refused
    with pytest.raises(RuntimeError):
        broken.build()
    broken.close()
    assert not set(broken.namespaces) & set(leftover_namespaces())
