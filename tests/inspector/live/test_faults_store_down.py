"""The object store or the database stops answering in the middle of a call (a real
SeaweedFS, or a real PostgreSQL on TCP, behind a relay the test cuts): captures and marks
are kept in the desk's spool, the phone is told "saved", the console is told the store is
unavailable, and everything reaches the store once it answers again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from inspector.config import ServerSettings
from inspector.domain.models import CaptureSource, QualityReport, Verdict
from inspector.live import events as ev
from inspector.live.engine import Engine
from inspector.storage.spool import LiveWriter
from inspector.storage.sql.engine import POSTGRES_TCP_OPTIONS, make_engine
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene
from tests.inspector.postgres_fixtures import (
    PostgresServer,
    Unavailable,
    postgres_server,
    unavailable,
)
from tests.paced_relay import PacedRelay

from ..live_fixtures import TEST_CHECKLIST, EventLog, make_inspection, use_live_assets

OK = QualityReport(Verdict.OK)


@pytest.fixture
def relay(s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[PacedRelay]:
    """The store's only way to the S3 server; ``cut()`` and ``resume()`` it."""
    endpoint = urlsplit(s3_env["AWS_ENDPOINT_URL"])
    relay = PacedRelay(
        (endpoint.hostname or "127.0.0.1", endpoint.port or 80),
        bytes_per_second=1 << 30,
        after_bytes=1 << 40,
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL", relay.url)
    yield relay
    relay.close()


@pytest.mark.timeout(120)
def test_writes_wait_in_the_spool_while_s3_is_down(
    data_dir: Path, s3_url: str, relay: PacedRelay
) -> None:
    with Store(data_dir, photo_store=s3_url) as store:
        inspection = make_inspection(store, TEST_CHECKLIST)
        writer = LiveWriter(store)
        photo = jpeg_bytes(scene(320, 240, seed=3))
        details = {"width": 320, "height": 240, "source": CaptureSource.STILL, "quality": OK}
        first = writer.add_capture(inspection.id, "front", photo, **details)  # type: ignore[arg-type]
        assert not first.spooled and writer.unavailable is None

        relay.cut()
        kept = writer.add_capture(  # type: ignore[misc]
            inspection.id, "rear", jpeg_bytes(scene(320, 240, seed=4)), **details
        )
        assert kept.spooled  # durable on this desk: the phone is told "saved"
        assert writer.unavailable is not None and "does not answer" in writer.unavailable
        assert writer.review(kept.capture.id, True)  # a mark waits behind its capture
        assert writer.pending() == 2
        result = writer.flush()  # still down: nothing lost, nothing set aside
        assert (result.written, result.left, result.failed) == (0, 2, ())

        relay.resume()
        result = writer.flush()
        assert (result.written, result.left, result.failed) == (2, 0, ())
        assert writer.unavailable is None
        stored = {c.id: c for c in store.captures(inspection.id)}
        assert stored[kept.capture.id].accepted is True
        assert store.photo_state(kept.capture.sha256, deep=True) == "ok"


@pytest.mark.timeout(180)
async def test_the_console_hears_the_store_is_down_and_back_during_a_call(
    data_dir: Path,
    s3_url: str,
    relay: PacedRelay,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from inspector.live.contrib.simphone import SimulatedPhone

    root = use_live_assets(tmp_path, monkeypatch)
    log = EventLog()
    with Store(data_dir, photo_store=s3_url) as store:
        engine = Engine(store, ServerSettings(port=0), log, assets=root, still_timeout=2.0)
        engine.start()
        try:
            inspection = make_inspection(store, TEST_CHECKLIST)
            invite = await asyncio.wrap_future(engine.invite(inspection.id))
            phone = SimulatedPhone(
                invite.join_url, width=320, height=240, fps=15, still_size=(800, 600)
            )
            await phone.start()
            try:
                await log.wait(ev.ConnectionChanged, lambda e: e.state == "connected")
                relay.cut()
                capture_id = await asyncio.wrap_future(engine.capture(inspection.id))
                stored = await log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id)
                assert stored.spooled
                down = await log.wait(ev.StoreState, lambda e: not e.available)
                assert down.pending >= 1 and "does not answer" in down.reason
                result = await phone.wait_for(
                    "capture_result", where=lambda m: m["id"] == capture_id
                )
                assert result["stored"] is True  # the phone was told "saved"
                relay.resume()
                started = time.monotonic()
                await log.wait(ev.StoreState, lambda e: e.available, timeout=60)
                assert time.monotonic() - started < 60
                assert any(c.id == capture_id for c in store.captures(inspection.id))
            finally:
                await phone.stop()
        finally:
            engine.stop(timeout=5)


# -- PostgreSQL down mid-call ---------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_tcp() -> Iterator[PostgresServer]:
    """A private PostgreSQL listening on 127.0.0.1 too: a relay can stand in its way."""
    try:
        with postgres_server(tcp=True) as server:
            yield server
    except Unavailable as exc:
        unavailable(str(exc))


@pytest.fixture
def pg_relay(pg_tcp: PostgresServer) -> Iterator[tuple[PacedRelay, str]]:
    """A new database on ``pg_tcp``, reached only through a relay; and its URL."""
    assert pg_tcp.port is not None
    relay = PacedRelay(("127.0.0.1", pg_tcp.port), bytes_per_second=1 << 30, after_bytes=1 << 40)
    name = pg_tcp.create_database()
    try:
        yield relay, pg_tcp.tcp_url(name, port=relay.port)
    finally:
        relay.close()
        pg_tcp.drop_database(name)


@pytest.mark.timeout(240)
async def test_captures_wait_in_the_spool_while_postgresql_is_down_and_none_is_lost(
    data_dir: Path,
    photo_store: str | None,
    pg_relay: tuple[PacedRelay, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from inspector.live.contrib.simphone import SimulatedPhone

    relay, url = pg_relay
    root = use_live_assets(tmp_path, monkeypatch)
    log = EventLog()
    with Store(data_dir, database_url=url, photo_store=photo_store) as store:
        engine = Engine(store, ServerSettings(port=0), log, assets=root, still_timeout=2.0)
        engine.start()
        try:
            inspection = make_inspection(store, TEST_CHECKLIST)
            invite = await asyncio.wrap_future(engine.invite(inspection.id))
            phone = SimulatedPhone(
                invite.join_url, width=320, height=240, fps=15, still_size=(800, 600)
            )
            await phone.start()
            try:
                await log.wait(ev.ConnectionChanged, lambda e: e.state == "connected")

                async def capture() -> ev.CaptureStored:
                    capture_id = await asyncio.wrap_future(engine.capture(inspection.id))
                    stored = await log.wait(
                        ev.CaptureStored, lambda e: e.capture.id == capture_id, timeout=30
                    )
                    said = await phone.wait_for(
                        "capture_result", where=lambda m: m["id"] == capture_id
                    )
                    assert said["stored"] is True  # the phone was told "saved"
                    return stored

                before = await capture()
                assert not before.spooled
                await asyncio.wrap_future(engine.accept(inspection.id, before.capture.id))

                relay.cut()  # PostgreSQL gone from the network: connections dropped, refused
                kept = [await capture()]
                assert kept[0].spooled
                down = await log.wait(ev.StoreState, lambda e: not e.available)
                assert "cannot reach the database server" in down.reason, down.reason
                await asyncio.wrap_future(engine.accept(inspection.id, kept[0].capture.id))
                kept.append(await capture())  # the next shot, while still down
                assert kept[1].spooled
                assert (data_dir / "spool").is_dir() and engine.writer is not None
                assert engine.writer.pending() >= 3  # two captures and a mark, kept here

                relay.resume()
                await log.wait(ev.StoreState, lambda e: e.available, timeout=60)
            finally:
                await phone.stop()
        finally:
            engine.stop(timeout=5)

        # Everything acknowledged is in PostgreSQL, each row with its whole photo.
        rows = {c.id: c for c in store.captures(inspection.id)}
        acknowledged = [before, *kept]
        assert all(e.capture.id in rows for e in acknowledged)
        assert rows[kept[0].capture.id].accepted is True  # the mark made while down
        for capture in rows.values():
            assert store.photo_state(capture.sha256, deep=True) == "ok", capture.id
        assert not [p for p in (data_dir / "spool").iterdir() if p.is_file()]
        assert not (data_dir / "spool" / "failed").exists()


def _server_processes(server: PostgresServer) -> list[int]:
    """The postmaster of ``server`` and its children (backends, background workers)."""
    postmaster = int((server.root / "data" / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(stat.parent.name))
    return [postmaster, *children]


@pytest.mark.timeout(120)
def test_a_database_that_hangs_costs_a_capture_seconds_not_the_call(
    data_dir: Path, pg_tcp: PostgresServer, pg_relay: tuple[PacedRelay, str]
) -> None:
    """A server that stops answering without refusing (here: stopped with SIGSTOP, its
    connections left open): a live write waits at most the writer's deadline, then goes
    to the spool; once the server answers again every write lands exactly once."""
    _, url = pg_relay
    with Store(data_dir, database_url=url) as store:
        inspection = make_inspection(store, TEST_CHECKLIST)
        writer = LiveWriter(store, deadline=2.0)
        details = {"width": 320, "height": 240, "source": CaptureSource.STILL, "quality": OK}
        assert not writer.add_capture(
            inspection.id, "front", jpeg_bytes(scene(320, 240, seed=1)), **details
        ).spooled  # type: ignore[arg-type]
        stopped = _server_processes(pg_tcp)
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            kept = writer.add_capture(
                inspection.id, "side", jpeg_bytes(scene(320, 240, seed=2)), **details
            )  # type: ignore[arg-type]
            waited = time.monotonic() - started
            assert kept.spooled and waited < 10, waited  # the deadline, not the kernel's
            assert writer.unavailable is not None and "did not answer" in writer.unavailable
            assert writer.review(kept.capture.id, True)
            after = writer.add_capture(
                inspection.id, "rear", jpeg_bytes(scene(320, 240, seed=3)), **details
            )  # type: ignore[arg-type]
            assert after.spooled
            assert writer.flush().left == 3
        finally:
            for pid in stopped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        deadline = time.monotonic() + 60
        while (result := writer.flush()).left:
            assert not result.failed and time.monotonic() < deadline, result
            time.sleep(0.5)
        assert not (data_dir / "spool" / "failed").exists()
        captures = store.captures(inspection.id)
        assert sorted(c.shot_id for c in captures) == ["front", "rear", "side"]  # each once
        assert next(c for c in captures if c.id == kept.capture.id).accepted is True
        assert {store.photo_state(c.sha256, deep=True) for c in captures} == {"ok"}


@pytest.mark.timeout(60)
def test_a_database_server_gone_silent_is_noticed_by_the_connection_itself(
    pg_tcp: PostgresServer,
) -> None:
    """A server that vanishes without closing (a host down, a NAT forgetting the
    connection) must not hold a thread for ever: every connection to PostgreSQL over TCP
    carries keepalives and a TCP user timeout (checked on the real socket), and a URL's
    own libpq options win."""
    name = pg_tcp.create_database()
    try:
        for query, idle in (
            ("", POSTGRES_TCP_OPTIONS["keepalives_idle"]),
            ("?keepalives_idle=7", 7),
        ):
            engine = make_engine(pg_tcp.tcp_url(name) + query)
            try:
                with engine.connect() as connection:
                    fd = connection.connection.driver_connection.pgconn.socket  # type: ignore[union-attr]
                    sock = socket.socket(fileno=os.dup(fd))
                    try:
                        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
                        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == idle
                        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 10
                        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3
                        assert (
                            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 60_000
                        )
                    finally:
                        sock.close()
            finally:
                engine.dispose()
    finally:
        pg_tcp.drop_database(name)
