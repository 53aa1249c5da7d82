"""Behind the real nginx of deploy/nginx/inspector.conf, two ``inspector server``
processes: the seller's phone and the operator's console of one operator-guided call
reach the same process (the relay's registry is per process). nginx hashes the phone's
signaling socket on the join page's ``inspector_call`` cookie and the console's desk
socket on the inspection id in its path.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from inspector.live.tokens import Invitations
from inspector.storage.store import Store
from inspector.usecases import accounts
from inspector.usecases.inspections import create_inspection

from .nginx_fixtures import free_port, nginx_or_skip, nginx_proxy
from .team_fixtures import TeamProcess, wait_for


async def _phone_meets_desk(proxy_url: str, join_url: str, inspection_id: str, session: str) -> str:
    """Through nginx: a desk attaches, then a phone offers; what reached the desk."""
    base = proxy_url.replace("https", "wss", 1)
    jar = aiohttp.CookieJar(unsafe=True)  # cookies of an address, as a phone keeps them
    async with aiohttp.ClientSession(cookie_jar=jar) as http, asyncio.timeout(30):
        desk = await http.ws_connect(
            f"{base}/api/v1/inspections/{inspection_id}/desk",
            headers={"Authorization": f"Bearer {session}"},
            ssl=False,
        )
        assert (await desk.receive_json())["type"] == "attached"
        async with http.get(join_url, ssl=False) as page:
            assert page.status == 200
        assert {c.key: c.value for c in jar}["inspector_call"] == inspection_id
        phone = await http.ws_connect(
            join_url.replace("https", "wss", 1).replace("/j/", "/ws/"), ssl=False
        )
        assert (await phone.receive_json())["type"] == "config"
        await phone.send_json({"type": "offer", "sdp": "v=0 (not a real offer)"})
        relayed = await desk.receive_json()
        # The console refuses it: the phone hears why, so both ends met on one process.
        await desk.send_json({"type": "error", "id": relayed["id"], "message": "test"})
        reply = await phone.receive_json()
        await phone.close()
        await desk.close()
        met = f"{relayed['type']}/{reply['type']}"
    # The TLS connections finish closing before asyncio.run closes the loop (aiohttp's
    # advice): else their sockets are left to the garbage collector, unclosed.
    await asyncio.sleep(0.25)
    return met


@pytest.mark.timeout(300)
def test_the_phone_and_the_console_of_a_call_meet_on_one_process(
    tmp_path: Path, pg_url: str, s3_url: str
) -> None:
    nginx_or_skip()
    public_port = free_port()
    public = f"https://127.0.0.1:{public_port}"
    options = ("--public-url", public, "--trusted-proxy", "127.0.0.1")
    servers = [
        TeamProcess(tmp_path / name, *options, database_url=pg_url, photo_store=s3_url)
        for name in ("a", "b")
    ]
    try:
        with (
            nginx_proxy(tmp_path / "nginx", [s.port for s in servers], public_port),
            Store(tmp_path / "desk", database_url=pg_url, photo_store=s3_url) as store,
        ):
            accounts.add_user(store, "olga", "operator", "operator-pass-Qm4x", actor="test")
            session = accounts.login(store, "olga", "operator-pass-Qm4x").token
            calls = []
            for _ in range(4):  # by chance alone, 4 calls meet on 2 processes 1 time in 16
                inspection, _ = create_inspection(
                    store, checklist="quick", vehicle={"make": "Peugeot"}, seller={"name": "É"}
                )
                token, _ = Invitations(store, 3600).issue(inspection.id, mode="operator")
                calls.append((inspection.id, f"{public}/j/{token}"))
            for inspection_id, join_url in calls:
                wait_for(lambda: all(s.get("/readyz")[0] == 200 for s in servers), 30, "both ready")
                met = asyncio.run(_phone_meets_desk(public, join_url, inspection_id, session))
                assert met == "offer/error"
            assert sum(s.metric("inspector_relayed_offers_total") for s in servers) == 4
    finally:
        for server in servers:
            server.close()
