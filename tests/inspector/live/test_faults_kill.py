"""The server process killed (SIGKILL) mid-session and mid-capture, then restarted.

A real ``inspector serve --json --autopilot`` process, a simulated phone over real
WebRTC, and ``kill -9`` at a random instant (one round kills it while a still is
in transit). After each kill, on the same data directory:

* every capture the server acknowledged (its ``capture`` event was printed) is
  in the database and its file is whole (the SHA-256 of the bytes is its name);
* no row points at a missing or partial file; an SQLite database passes
  ``PRAGMA integrity_check`` and ``foreign_key_check``;
* a restarted server and a new link resume the walk at the first shot still
  missing a usable photo, and the walk goes on (a new capture is stored);
* the inspection the killed call left "live" is put back to "invited" by the
  restarted server before it listens, which says so (``call_interrupted``).

On SQLite and on a real PostgreSQL (``database_url``). Set ``FAULTS_SEED`` to replay a
run; the seed is printed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import queue
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest

from inspector.atomic import TMP_SUFFIX
from inspector.domain.checklist import load_checklist
from inspector.domain.progress import usable
from inspector.live import protocol
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.storage.database import DB_NAME
from inspector.storage.store import Store

ROOT = Path(__file__).resolve().parents[3]
CHECKLIST = "quick"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "INSPECTOR_DATA_DIR": str(data_dir)}
    env.pop("INSPECTOR_DATABASE_URL", None)
    if database_url is not None:
        env["INSPECTOR_DATABASE_URL"] = database_url
    return env


class Server:
    """``inspector serve --json`` as a subprocess; its events arrive on a queue."""

    def __init__(self, data_dir: Path, database_url: str | None, port: int, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "inspector", "serve", "--port", str(port), "--json"),
                *("--autopilot", "--checklist", CHECKLIST, *extra),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(data_dir, database_url),
        )
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self.seen.append(event)
            self.events.put(event)
        self.events.put(None)

    def next(self, name: str | None = None, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {name!r} event within {timeout} s; saw {self.names()}"
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            assert event is not None, f"the server exited before {name!r}: {self.stderr()}"
            if name is None or event["event"] == name:
                return event

    def names(self) -> list[str]:
        return [e["event"] for e in self.seen][-20:]

    def acknowledged(self) -> list[dict[str, Any]]:
        return [e for e in self.seen if e["event"] == "capture"]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(10)  # every event the killed process printed is in ``seen``

    def stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read()[-2000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def invite(data_dir: Path, database_url: str | None, inspection_id: str, port: int) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "inspector", "invite", inspection_id, "--port", str(port), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env=environment(data_dir, database_url),
        check=True,
    )
    return str(json.loads(out.stdout)["join_url"])


def status_of(data_dir: Path, database_url: str | None, inspection_id: str) -> str:
    with Store(data_dir, database_url=database_url, readonly=True) as store:
        return store.get_inspection(inspection_id).status.value


def check_after_kill(
    data_dir: Path, database_url: str | None, inspection_id: str, acked: list[dict[str, Any]]
) -> str:
    """The promises after a kill; returns the shot the walk must resume at."""
    if database_url is None:  # PostgreSQL keeps its own (its keys are checked on insert)
        with sqlite3.connect(data_dir / DB_NAME) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # Opening sweeps the killed writes' temporaries.
    with Store(data_dir, database_url=database_url) as store:
        assert not list(store.photos_dir.rglob(f"*{TMP_SUFFIX}"))
        rows = {c.id: c for c in store.captures(inspection_id)}
        for event in acked:
            row = rows.get(event["capture_id"])
            assert row is not None, f"acknowledged capture {event['capture_id']} is lost"
            assert row.sha256 == event["sha256"] and row.shot_id == event["shot_id"]
            assert Path(event["path"]) == store.photo_path(row.sha256)
        for row in rows.values():  # acknowledged or not, no row points at a bad file
            data = store.photo_path(row.sha256).read_bytes()
            assert len(data) == row.size and hashlib.sha256(data).hexdigest() == row.sha256
        best = {c.shot_id for c in rows.values() if usable(c)}
    missing = [s.id for s in load_checklist(CHECKLIST).shots if s.required and s.id not in best]
    assert missing, "the walk finished before the kills; make the rounds shorter"
    return missing[0]


_TRANSFER_UNDER_WAY = protocol.CHUNK_SIZE
"""Bytes queued on the phone's data channel that only a photo transfer queues (a chunk)."""


async def run_round(
    server: Server,
    join_url: str,
    resume_at: str | None,
    kill_when: str,
    rng: random.Random,
) -> None:
    """Join, check where the walk resumes, then kill the server as ``kill_when`` says."""
    phone = SimulatedPhone(join_url, width=640, height=480, fps=15, still_size=(4000, 3000))
    await phone.start(timeout=20)
    try:
        shot = await phone.wait_for("shot", timeout=10)
        if resume_at is not None:
            assert shot["id"] == resume_at, "the walk did not resume at the first missing shot"
        if kill_when == "in_transit":
            # After the first acknowledged capture, kill while the next still is on the wire:
            # its transfer begun (chunks queued on the data channel), at a random point of it.
            await asyncio.to_thread(server.next, "capture", 60)
            first = {e["capture_id"] for e in server.acknowledged()}
            request = await phone.wait_for(
                "capture", timeout=60, where=lambda m: m["id"] not in first
            )
            deadline = time.monotonic() + 60
            while phone.buffered < _TRANSFER_UNDER_WAY:
                assert time.monotonic() < deadline, "no transfer to interrupt"
                await asyncio.sleep(0.001)
            await asyncio.sleep(rng.uniform(0.0, 0.03))
            server.kill()
            # What the server said before it died tells whether the still was in transit
            # (the phone's buffer, sampled before the kill, said only that it was sent).
            acknowledged = {e["capture_id"] for e in server.acknowledged()}
            assert request["id"] not in acknowledged, "the still arrived: not a kill in transit"
            return
        elif kill_when == "random":
            await asyncio.sleep(rng.uniform(1.0, 10.0))  # often mid-capture
        else:  # "continue": the restarted walk goes on; then a clean stop
            capture = await asyncio.to_thread(server.next, "capture", 60)
            assert capture["shot_id"] == resume_at
            return
        server.kill()
    finally:
        await phone.stop()


@pytest.mark.timeout(300)  # three server starts and calls: 70-90 s on a loaded 2-core machine
def test_sigkill_mid_session_and_mid_capture_loses_nothing_acknowledged(
    data_dir: Path, database_url: str | None
) -> None:
    seed = int(os.environ.get("FAULTS_SEED", time.time_ns() % 1_000_000))
    print(f"\nFAULTS_SEED={seed}")
    rng = random.Random(seed)
    port = free_port()
    acked: list[dict[str, Any]] = []
    resume_at: str | None = None
    inspection_id = ""
    for number, kill_when in enumerate(["in_transit", "random", "continue"]):
        server = Server(
            data_dir, database_url, port, *(["--new-inspection"] if number == 0 else [])
        )
        try:
            server.next("listening", 30)
            if number == 0:
                invitation = server.next("invite", 30)
                inspection_id, join_url = invitation["inspection_id"], invitation["join_url"]
            else:
                interrupted = [
                    (e["inspection_id"], e["status"])
                    for e in server.seen
                    if e["event"] == "call_interrupted"
                ]
                assert interrupted == [(inspection_id, "invited")], "the kill was not reported"
                assert status_of(data_dir, database_url, inspection_id) == "invited", (
                    "still live after restart"
                )
                join_url = invite(data_dir, database_url, inspection_id, port)
            asyncio.run(run_round(server, join_url, resume_at, kill_when, rng))
            if kill_when == "continue":
                server.proc.send_signal(signal.SIGINT)
                assert server.proc.wait(15) == 0
            acked += server.acknowledged()
            if kill_when != "continue":
                # What the kill leaves:
                assert status_of(data_dir, database_url, inspection_id) == "live"
            print(
                f"round {number} ({kill_when}): {len(server.acknowledged())} acknowledged, "
                f"last events {server.names()[-4:]}"
            )
        finally:
            server.close()
        resume_at = check_after_kill(data_dir, database_url, inspection_id, acked)
    assert len(acked) >= 2
