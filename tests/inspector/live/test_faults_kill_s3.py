"""The phone server killed (SIGKILL) in the middle of a photo's upload to S3.

A real ``inspector serve --json --autopilot`` process with its photos in a real
SeaweedFS, reached through a relay that paces the uploads (tests/paced_relay.py) so
that the kill lands part-way through a real PUT, and a simulated phone over real
WebRTC. Afterwards, on the same data folder and bucket:

* every capture the server acknowledged is in the database and its object whole;
* no row points at a missing or partial object (the interrupted upload left
  nothing visible, and no row);
* a restarted server on the same bucket goes on with the walk.
"""

from __future__ import annotations

import asyncio
import hashlib
import signal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from inspector.live.contrib.simphone import SimulatedPhone
from inspector.storage.store import Store
from tests.inspector.live.test_faults_kill import Server, free_port, invite, status_of
from tests.paced_relay import PacedRelay


async def until_upload_under_way(server: Server, relay: PacedRelay, join_url: str) -> str:
    """Join; once a capture is acknowledged, wait for the next photo's upload to be
    under way and kill the server then. Returns the photo being uploaded."""
    phone = SimulatedPhone(join_url, width=640, height=480, fps=15, still_size=(4000, 3000))
    await phone.start(timeout=20)
    try:
        await asyncio.to_thread(server.next, "capture", 90)
        relay.arm()
        assert await asyncio.to_thread(relay.uploading.wait, 90), "no upload to interrupt"
        server.kill()
    finally:
        await phone.stop()
    assert relay.uploading_sha256 is not None
    return relay.uploading_sha256


@pytest.mark.timeout(300)
def test_sigkill_mid_upload_to_s3_leaves_no_row_without_its_object(
    data_dir: Path, s3_env: dict[str, str], s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = urlsplit(s3_env["AWS_ENDPOINT_URL"])
    relay = PacedRelay(
        (endpoint.hostname or "127.0.0.1", endpoint.port or 80),
        bytes_per_second=400_000,
        after_bytes=150_000,
    )
    port = free_port()
    direct = endpoint.geturl()
    monkeypatch.setenv("INSPECTOR_PHOTO_STORE", s3_url)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", relay.url)  # the server's way to the bucket
        server = Server(data_dir, None, port, "--new-inspection")
        try:
            server.next("listening", 60)
            invitation = server.next("invite", 30)
            inspection_id = invitation["inspection_id"]
            interrupted = asyncio.run(until_upload_under_way(server, relay, invitation["join_url"]))
            acked = server.acknowledged()
        finally:
            server.close()
    finally:
        relay.close()
        monkeypatch.setenv("AWS_ENDPOINT_URL", direct)
    assert acked and status_of(data_dir, None, inspection_id) == "live"

    with Store(data_dir, photo_store=s3_url) as store:
        rows = {c.id: c for c in store.captures(inspection_id)}
        for event in acked:
            row = rows.get(event["capture_id"])
            assert row is not None, f"acknowledged capture {event['capture_id']} is lost"
            assert row.sha256 == event["sha256"]
        for row in rows.values():  # acknowledged or not, every row's object is whole
            data = store.read_photo(row.sha256)
            assert len(data) == row.size and hashlib.sha256(data).hexdigest() == row.sha256
        stored = {p.sha256: p.size for p in store.list_photos()}
        assert interrupted not in stored, "the interrupted upload is visible"
        assert interrupted not in {row.sha256 for row in rows.values()}
        for sha in stored:  # nothing partial under any name
            assert hashlib.sha256(store.read_photo(sha)).hexdigest() == sha
        assert not list((data_dir / "photos").rglob("*.jpg"))  # all of it in the bucket

    # A restarted server, straight to the bucket this time, goes on with the walk.
    server = Server(data_dir, None, port)
    try:
        server.next("listening", 60)
        assert status_of(data_dir, None, inspection_id) == "invited"
        join_url = invite(data_dir, None, inspection_id, port)

        async def one_more() -> None:
            phone = SimulatedPhone(join_url, width=640, height=480, fps=15, still_size=(800, 600))
            await phone.start(timeout=20)
            try:
                await asyncio.to_thread(server.next, "capture", 90)
            finally:
                await phone.stop()

        asyncio.run(one_more())
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(15) == 0
        new = server.acknowledged()
    finally:
        server.close()
    with Store(data_dir, photo_store=s3_url) as store:
        for event in new:
            assert store.photo_state(event["sha256"], deep=True) == "ok"
