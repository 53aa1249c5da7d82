"""The device rule across ``inspector server`` processes on one PostgreSQL and one bucket.

A seller's link reaches whichever process the proxy picks: a second device must be
refused on every process while the first holds the inspection, and let in once it
has left; an inspection a killed process left "live" is settled by another.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.domain.models import InspectionStatus
from inspector.live.contrib.simphone import JoinRefused, SimulatedPhone
from inspector.storage.store import Store
from inspector.usecases import status as lifecycle

from .team_fixtures import TeamProcess, invited_inspection


def _phone(join_url: str) -> SimulatedPhone:
    return SimulatedPhone(join_url, width=320, height=240, fps=10, still_size=(1600, 1200))


@pytest.mark.timeout(300)
def test_a_second_device_is_refused_on_every_process(
    tmp_path: Path, pg_url: str, s3_url: str
) -> None:
    servers = [
        TeamProcess(tmp_path / name, database_url=pg_url, photo_store=s3_url) for name in ("a", "b")
    ]
    try:
        a, b = servers
        with Store(tmp_path / "desk", database_url=pg_url, photo_store=s3_url) as store:
            inspection_id, join_a = invited_inspection(store, a.url)
            join_b = join_a.replace(a.url, b.url)

            async def scenario() -> None:
                first = _phone(join_a)
                await first.start(timeout=60)
                try:
                    # Another phone, through the other process: refused, page and all.
                    for url in (join_b, join_a):
                        second = _phone(url)
                        with pytest.raises(JoinRefused) as refused:
                            await second.start(timeout=60)
                        assert refused.value.status == 409
                    claim = store.claims.current(inspection_id)
                    assert claim is not None and claim.device != ""
                    # The same phone coming back through the other process is itself (its
                    # device cookie goes with it: cookies are per host, not per port).
                    first.ws_url = join_b.replace("/j/", "/ws/", 1).replace("http", "ws", 1)
                    seen = len(first.messages)
                    await first.reconnect(timeout=60)
                    await first.wait_for("shot", after=seen, timeout=30)
                finally:
                    await first.stop()
                # Gone (and its grace period over): the other phone may join, anywhere.
                deadline = time.monotonic() + 90
                while True:
                    second = _phone(join_b)
                    try:
                        await second.start(timeout=60)
                        break
                    except JoinRefused as exc:
                        assert exc.status == 409
                        assert time.monotonic() < deadline, "the claim was never released"
                        await asyncio.sleep(2)
                await second.stop()
                await asyncio.sleep(0.5)  # let the loop close the phone's sockets

            asyncio.run(scenario())
    finally:
        for server in servers:
            server.close()


@pytest.mark.timeout(180)
def test_an_inspection_a_dead_process_left_live_is_settled(
    tmp_path: Path, pg_url: str, s3_url: str
) -> None:
    with Store(tmp_path / "desk", database_url=pg_url, photo_store=s3_url) as store:
        inspection_id, _ = invited_inspection(store, "http://127.0.0.1:1")
        lifecycle.live(store, inspection_id)
        # What a process killed in the call leaves: "live", and a claim it stopped renewing.
        long_ago = datetime.now(UTC) - timedelta(minutes=5)
        store.claims.take(inspection_id, "device", "dead-host:1:0", long_ago, long_ago)
        held, _ = invited_inspection(store, "http://127.0.0.1:1")
        lifecycle.live(store, held)
        now = datetime.now(UTC)
        store.claims.take(held, "device", "running-host:2:0", now, now)  # a process alive
        server = TeamProcess(tmp_path / "a", database_url=pg_url, photo_store=s3_url)
        try:
            deadline = time.monotonic() + 60
            while store.get_inspection(inspection_id).status is InspectionStatus.LIVE:
                assert time.monotonic() < deadline, "the abandoned call was never settled"
                time.sleep(0.5)
            assert store.get_inspection(inspection_id).status is InspectionStatus.INVITED
            assert store.get_inspection(held).status is InspectionStatus.LIVE
            events = [e.get("message") for e in server.log_events()]
            assert "call_interrupted" in events
        finally:
            server.close()
