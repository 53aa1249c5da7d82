"""``inspector server`` as operations run it: real processes on a real PostgreSQL and SeaweedFS.

Two processes side by side on one database and one bucket, each serving a
self-inspection a simulated phone (real WebRTC) walks; ``/readyz`` against a
PostgreSQL really stopped; the log read line by line for tokens and passwords.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from inspector.live.contrib.simphone import SimulatedPhone
from inspector.storage.store import Store

from ..postgres_fixtures import (
    PASSWORD,
    PostgresServer,
    Unavailable,
    _run,
    postgres_server,
    unavailable,
)
from .team_fixtures import TeamProcess, invited_inspection


async def _walk_until_stored(join_url: str, store: Store, inspection_id: str, n: int) -> None:
    """A simulated phone joins and lets the autopilot store ``n`` captures."""
    phone = SimulatedPhone(join_url, width=640, height=480, fps=10, still_size=(1600, 1200))
    await phone.start()
    try:
        async with asyncio.timeout(150):
            while len(await asyncio.to_thread(store.captures, inspection_id)) < n:
                await asyncio.sleep(0.5)
    finally:
        await phone.stop()
        # Its sockets are closed by callbacks the loop runs next: give it a turn before
        # asyncio.run closes the loop, or they are left to the garbage collector.
        await asyncio.sleep(0.5)


@pytest.mark.timeout(420)
def test_two_servers_share_one_postgres_and_one_bucket(
    tmp_path: Path, pg_url: str, s3_url: str
) -> None:
    servers = [
        TeamProcess(tmp_path / name, database_url=pg_url, photo_store=s3_url) for name in ("a", "b")
    ]
    try:
        a, b = servers
        assert a.port != b.port
        with Store(tmp_path / "desk", database_url=pg_url, photo_store=s3_url) as store:
            # Invited by another process (this one): each server finds the tokens.
            first, join_a = invited_inspection(store, a.url)
            second, join_b = invited_inspection(store, b.url)

            async def both() -> None:
                await asyncio.gather(
                    _walk_until_stored(join_a, store, first, 2),
                    _walk_until_stored(join_b, store, second, 2),
                )

            asyncio.run(both())
            for inspection_id in (first, second):
                captures = store.captures(inspection_id)
                assert len(captures) >= 2
                for capture in captures:  # every photo is in the bucket, whole
                    data = store.read_photo(capture.sha256)
                    assert hashlib.sha256(data).hexdigest() == capture.sha256
        for server in servers:
            assert server.get("/readyz") == (200, b'{"ready": true}')
            assert server.metric("inspector_captures_stored_total") >= 2
            assert server.metric("inspector_still_round_trip_seconds_count") >= 1
            assert server.metric("inspector_store_seconds_count") >= 2
            assert server.metric("inspector_phones_joined_total") == 1
        for server in servers:
            assert server.terminate() == 0
            assert all(isinstance(e, dict) for e in server.log_events())  # JSON lines only
    finally:
        for server in servers:
            server.close()


def _stop(pg: PostgresServer) -> None:
    run_as = pg.user if pg.user == "postgres" else None
    _run(
        [str(pg.bin_dir / "pg_ctl"), "-D", str(pg.root / "data"), "-m", "immediate", "-w", "stop"],
        run_as,
        timeout=60,
    )


@pytest.mark.timeout(300)
def test_readyz_fails_with_a_reason_when_postgres_stops(tmp_path: Path) -> None:
    try:
        with postgres_server() as pg:
            _readyz_round(tmp_path, pg)
    except Unavailable as exc:
        unavailable(str(exc))


def _readyz_round(tmp_path: Path, pg: PostgresServer) -> None:
    url = pg.url(pg.create_database())
    server = TeamProcess(tmp_path / "a", database_url=url)
    try:
        assert server.get("/healthz") == (200, b'{"alive": true}')
        assert server.get("/readyz") == (200, b'{"ready": true}')
        assert server.metric("inspector_ready") == 1
        _stop(pg)
        status, body = server.get("/readyz")
        assert status == 503
        answer = json.loads(body)
        assert answer["ready"] is False
        assert answer["reason"].startswith("database: "), answer
        assert len(answer["reason"]) <= 220  # short, one line
        assert "\n" not in answer["reason"]
        assert server.metric("inspector_ready") == 0
        assert server.get("/healthz") == (200, b'{"alive": true}')  # alive all the same
        assert server.terminate() == 0
    finally:
        server.close()


@pytest.mark.timeout(300)
def test_the_log_holds_request_ids_but_never_a_token_or_password(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    database = postgres.create_database()
    url = postgres.password_url(database, PASSWORD)
    ice_password = "turn-secret-Xy7"
    server = TeamProcess(
        tmp_path / "a",
        "--ice-server",
        f"turn:seller:{ice_password}@turn.example.org:3478",
        database_url=url,
    )
    try:
        with Store(tmp_path / "desk", database_url=url) as store:
            inspection_id, join = invited_inspection(store, server.url)
            token = join.rsplit("/", 1)[1]
            # The page, a guess, a password in a query string, a request id of our own.
            with urllib.request.urlopen(join, timeout=10) as page:
                assert page.status == 200
                given = page.headers["X-Request-Id"]
            assert server.get("/j/" + token[::-1])[0] == 404
            assert server.get(f"/static/phone.css?password={quote(PASSWORD)}")[0] == 200
            request = urllib.request.Request(
                server.url + "/healthz", headers={"X-Request-Id": "proxy-id-0123456789"}
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.headers["X-Request-Id"] == "proxy-id-0123456789"
            asyncio.run(_walk_until_stored(join, store, inspection_id, 1))
        assert server.terminate() == 0
    finally:
        server.close()
    text = server.log_text()
    assert token not in text
    assert token[::-1] not in text
    assert PASSWORD not in text and quote(PASSWORD) not in text
    assert ice_password not in text
    lines = server.log_events()
    requests = [e for e in lines if e.get("event") == "request"]
    assert {"route": "/j/{token}", "status": 200} in [
        {"route": e["route"], "status": e["status"]} for e in requests
    ]
    assert any(e["request_id"] == given for e in requests)
    assert any(e["request_id"] == "proxy-id-0123456789" for e in requests)
    stored = [e for e in lines if e.get("event") == "capture"]
    assert stored and all(e["inspection_id"] == inspection_id for e in stored)
