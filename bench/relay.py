"""Relay bench: what the team server's signaling relay adds to a call's connect time.

`python bench/relay.py [--calls 40]`. One data folder on SQLite, one ``inspector
server`` process (loopback) and, in this process, the operator's console: an
:class:`Engine` on the same database, attached to an inspection by a
:class:`DeskLink`. A phone (aiortc, a video track and the data channels the page
opens) makes ``--calls`` calls each way, alternately:

- **direct**: to the console engine's own phone server (a desk's link today);
- **relay**: to the team server with an "operator" link: the server forwards the offer
  to the console's desk socket, the console's engine answers, the answer comes back.

Measured per call: from the offer sent on the signaling socket to the answer received
(the phone's ICE gathering before it, and the media after, are the same either way
and not counted). Printed: p50 and p95 of each way, the difference of the medians
(what the relay adds), and the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import aiohttp
from aiortc import RTCPeerConnection
from aiortc.mediastreams import VideoStreamTrack

from inspector.config import ServerSettings
from inspector.live import events
from inspector.live.engine import Engine
from inspector.live.tokens import Invitations
from inspector.storage.store import Store
from inspector.team.desk_link import DeskLink
from inspector.usecases import accounts
from inspector.usecases import status as lifecycle
from inspector.usecases.inspections import create_inspection

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-operator-pass-Xy7"


def _inspection(store: Store) -> str:
    inspection, _ = create_inspection(
        store,
        checklist="quick",
        vehicle={"make": "Peugeot", "model": "308", "plate": "AB-123-CD"},
        seller={"name": "Élodie Martin", "language": "fr"},
    )
    return inspection.id


async def _offer_sdp() -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection()
    pc.addTrack(VideoStreamTrack())
    pc.createDataChannel("inspect", ordered=True)
    pc.createDataChannel("control", ordered=False, maxRetransmits=0)
    await pc.setLocalDescription(await pc.createOffer())  # gathers every candidate
    return pc, pc.localDescription.sdp


async def _call(http: aiohttp.ClientSession, join_url: str) -> float:
    """One call's signaling: seconds from the offer sent to the answer received."""
    pc, sdp = await _offer_sdp()
    try:
        async with http.get(join_url) as page:
            assert page.status == 200, page.status
        ws_url = join_url.replace("/j/", "/ws/", 1).replace("http", "ws", 1)
        async with http.ws_connect(ws_url) as ws:
            config = await ws.receive_json(timeout=30)
            assert config["type"] == "config", config
            started = time.perf_counter()
            await ws.send_json({"type": "offer", "sdp": sdp})
            while True:
                reply = await ws.receive_json(timeout=30)
                if reply["type"] == "answer":
                    took = time.perf_counter() - started
                    break
                if reply["type"] != "wait":
                    raise RuntimeError(f"unexpected signaling message: {reply}")
            await ws.send_json({"type": "bye"})
        return took
    finally:
        await pc.close()


def _server(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "inspector", "--data-dir", str(data_dir), "server"]
    proc = subprocess.Popen(
        [*command, "--port", "0", "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("INSPECTOR_")},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("the team server did not start")
    return proc, str(json.loads(line)["local_url"])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _run(calls: int, direct_url: str, relay_url: str) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"direct": [], "relay": []}
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        for url in (direct_url, relay_url):
            await _call(http, url)  # warm-up: imports, first peer, first lookups
        for _ in range(calls):
            for way, url in (("direct", direct_url), ("relay", relay_url)):
                times[way].append(await _call(http, url))
                await asyncio.sleep(0.2)  # the engine closes the call's peer meanwhile
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=40, help="calls each way (default 40)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as folder:
        data = Path(folder) / "server"
        with Store(data) as store:
            accounts.add_user(store, "olga", "operator", PASSWORD, actor="bench")
            session = accounts.login(store, "olga", PASSWORD).token
            relayed = _inspection(store)
            token, _ = Invitations(store, 3600).issue(relayed, mode="operator")
            lifecycle.invited(store, relayed)
        direct_id = None
        proc, server_url = _server(data)
        console_store = Store(
            Path(folder) / "console", database_url=f"sqlite:///{data}/inspector.db"
        )
        engine = Engine(
            console_store, ServerSettings(port=0), lambda e: None, settle_interrupted=False
        )
        link = None
        try:
            engine.start()
            direct_id = _inspection(console_store)
            invite: events.Invite = engine.invite(direct_id, "operator").result(30)
            link = DeskLink(server_url, session, relayed, engine)
            link.start()
            deadline = time.monotonic() + 30
            while link.state != "attached":
                if time.monotonic() > deadline:
                    raise SystemExit(f"the desk did not attach ({link.state}, {link.reason})")
                time.sleep(0.05)
            times = asyncio.run(_run(args.calls, invite.join_url, f"{server_url}/j/{token}"))
        finally:
            if link is not None:
                link.stop()
            engine.stop()
            console_store.close()
            proc.terminate()
            proc.wait(30)
    load = os.getloadavg()
    print(f"calls each way: {args.calls}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for way, values in times.items():
        print(
            f"{way:>6}: offer -> answer p50 {1000 * statistics.median(values):6.1f} ms, "
            f"p95 {1000 * _percentile(values, 0.95):6.1f} ms"
        )
    added = statistics.median(times["relay"]) - statistics.median(times["direct"])
    added95 = _percentile(times["relay"], 0.95) - _percentile(times["direct"], 0.95)
    print(f" added: p50 {1000 * added:+.1f} ms, p95 {1000 * added95:+.1f} ms (relay - direct)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
