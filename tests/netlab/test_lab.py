"""The lab itself: no direct path between phone and operator, the published join port and
coturn reachable, the profile's shaping in place, and nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.netlab.lab import (
    LOCK_DIR,
    LOCKLESS_STALE_AFTER,
    OPERATOR_IP,
    OPERATOR_PUBLIC_IP,
    PHONE_PUBLIC_IP,
    PROFILES,
    TEAM_IP,
    TEAM_PORT,
    TURN_IP,
    TURN_PORT,
    NetLab,
    leftover_namespaces,
    remove_stale_labs,
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
    # A team server's port in the public namespace: both sides may reach it (nothing
    # listens: refused by the namespace itself), no other port there.
    for ns in (lab.phone, lab.operator):
        assert _tcp(ns, TEAM_IP, TEAM_PORT) == "refused"
        assert _tcp(ns, TEAM_IP, 22) == "timeout"


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
    from tests.unavailable import unavailable

    if missing():
        unavailable(str(missing()))  # skipped locally, failed under CI
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


# A run that builds a lab with coturn, says its run id and coturn's pid, and waits to be killed.
_KILLED_RUN = """
import sys, time
from pathlib import Path
from tests.netlab.lab import NetLab
lab = NetLab(Path(sys.argv[1]))
lab.build()
lab.start_turn(rest=True)
print(lab.run_id, lab._turn.pid, flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie is gone, only not reaped yet


def test_a_killed_runs_lab_is_removed_by_the_next_and_a_live_one_is_not(
    lab: NetLab, tmp_path: Path
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _KILLED_RUN, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    ) as killed:
        try:
            assert killed.stdout is not None
            run_id, turn_pid = killed.stdout.readline().split()
        finally:
            killed.send_signal(signal.SIGKILL)  # no close(), no finally: what CI's timeout does
            killed.wait(10)
    names = {f"nl{run_id}-{role}" for role in ("phone", "pnat", "pub", "onat", "oper")}
    assert names <= set(leftover_namespaces())
    assert _alive(int(turn_pid))  # coturn outlives the run that started it
    assert (LOCK_DIR / f"{run_id}.lock").exists()

    removed = remove_stale_labs()  # what the next lab's build() does first
    assert names <= set(removed)
    assert not names & set(leftover_namespaces())
    assert not set(lab.namespaces) & set(removed)  # this test's own lab is alive
    assert set(lab.namespaces) <= set(leftover_namespaces())
    deadline = time.monotonic() + 10
    while _alive(int(turn_pid)):
        assert time.monotonic() < deadline, "the killed run's coturn still runs"
        time.sleep(0.1)
    assert not (LOCK_DIR / f"{run_id}.lock").exists()
    # The lab still works after its neighbour was cleared away.
    lab.start_turn(rest=True)
    assert _tcp(lab.phone, TURN_IP, TURN_PORT) == "ok"


def test_a_lockless_lab_is_removed_only_when_old_and_other_names_never(lab: NetLab) -> None:
    lockless = "nlfeed00-phone"  # made by a lab from before the locks
    look_alike = "nlfeed00-phone2"  # not exactly a lab's name
    for name in (lockless, look_alike):
        run("ip", "netns", "add", name)
    try:
        young = remove_stale_labs(run_ids=frozenset({"feed00"}))
        assert young == [] and lockless in leftover_namespaces()
        later = time.time() + LOCKLESS_STALE_AFTER + 1
        assert remove_stale_labs(now=later, run_ids=frozenset({"feed00"})) == [lockless]
        assert lockless not in leftover_namespaces()
        assert look_alike in leftover_namespaces()
        # A live lab holds its lock: even an hour later it stays.
        assert remove_stale_labs(now=later, run_ids=frozenset({lab.run_id})) == []
        assert set(lab.namespaces) <= set(leftover_namespaces())
    finally:
        for name in (lockless, look_alike):
            if name in leftover_namespaces():
                run("ip", "netns", "delete", name)
    assert os.path.exists(LOCK_DIR / f"{lab.run_id}.lock")
