"""Shared machinery of the many-phones benches (``bench/load.py``, ``bench/team.py``).

One server process (its command given by the bench), N simulated phones in spawned
worker processes, the server's events read and timestamped as they arrive, and the
round's figures: completion, loss (file, hash, row, required shots), still round trip,
the server's CPU from ``/proc/<pid>/task/*/schedstat``, and the link's health
(links declared dead for want of a heartbeat, reconnections, failed stills).

A server's events are JSON lines: on standard output (``serve --json``) or, for the
team server, in its JSON log on standard error (logger ``inspector.team.events``,
whose fields carry the event); :class:`Server` reads both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.live import pct, verdict
from inspector.config import ServerSettings
from inspector.domain.checklist import load_checklist
from inspector.domain.progress import progress
from inspector.live.tokens import Invitations
from inspector.storage.store import Store
from inspector.usecases import status as lifecycle
from inspector.usecases.inspections import create_inspection

ROOT = Path(__file__).resolve().parent.parent
ROUND_TRIP_GOAL_S = 3.0
WIDTH, HEIGHT, FPS = 640, 480, 15
STILL_SIZE = (1600, 1200)
CHECKLIST = "standard"


# -- /proc ------------------------------------------------------------------------------------


def process_cpu(pid: int) -> tuple[float, float, dict[int, float]]:
    """A process's threads: (CPU seconds, seconds runnable but waiting, per-thread CPU)."""
    cpu = wait = 0.0
    per: dict[int, float] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0, 0.0, {}
    for entry in tids:
        try:
            with open(f"/proc/{pid}/task/{entry}/schedstat") as f:
                fields = f.read().split()
            c, w = int(fields[0]) / 1e9, int(fields[1]) / 1e9
        except (OSError, ValueError, IndexError):
            continue
        cpu, wait = cpu + c, wait + w
        per[int(entry)] = c
    return cpu, wait, per


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# -- phones (worker processes) ----------------------------------------------------------------


def _phone_address(base: str, index: int) -> str | None:
    """Each phone from its own loopback address (127.0.0.2, .3, ...) when the server is on
    loopback: real phones come from many addresses, and the server's per-address limits
    (16 connections) would otherwise refuse the 17th bench phone at the door."""
    host = urllib.parse.urlsplit(base).hostname
    return f"127.0.0.{2 + index}" if host == "127.0.0.1" and index < 250 else None


def phone_worker(
    jobs: list[tuple[str, str, float, str | None]],
    conn: Connection,
    seconds: float,
    camera: tuple[int, int, float] = (WIDTH, HEIGHT, FPS),
    replayed_video: bool = False,
    cpus: set[int] | None = None,
) -> None:
    """Child: one asyncio loop running the given phones (inspection id, join url, delay).

    ``replayed_video``: each view encoded once and replayed (``EncodedCamera``: a phone
    costs packetising, not encoding). ``cpus``: the cores this worker may run on.

    ``camera`` is what each phone films and sends (width, height, fps) until the server
    asks for less (the ``video`` message, which a simulated phone honours as the page does).

    Each phone leaves on ("stop", inspection_id); all leave on "stop_all" or after ``seconds``.
    Reports ("joined"|"join_failed"|"left", inspection_id, detail) to the parent.
    """
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    from inspector.live.contrib.simphone import SimulatedPhone

    logging.basicConfig(level=logging.ERROR)

    phone_presses: dict[int, int] = {}

    async def press_when_adjusting(phone: SimulatedPhone) -> None:
        """A seller asked to line the car up who presses the shutter instead (once per
        time the shot is asked for: again after its photo was turned down, as a seller
        told to retake does, at most three times a shot).

        The simulated phone's 640x480 views do not all pass the framing check (its rear
        view scores far below FRAMED_MIN), so the autopilot would ask to adjust forever;
        the shutter keeps the seller's last word, and the check still runs (and costs).
        """
        seen = 0
        captures = 0  # "capture" requests seen: one since a press means a new attempt
        pressed: dict[str, tuple[int, int]] = {}  # shot -> (presses, captures then)
        while True:
            await asyncio.sleep(0.5)
            new, seen = phone.messages[seen:], len(phone.messages)
            for message in new:
                if message.get("type") == "capture":
                    captures += 1
                    continue
                shot = message.get("shot_id")
                adjust = message.get("type") == "pace" and message.get("step") == "adjust"
                if not adjust or not isinstance(shot, str):
                    continue
                presses, at = pressed.get(shot, (0, -1))
                if presses < 3 and at < captures and phone.connected:  # else: not sent
                    pressed[shot] = (presses + 1, captures)
                    phone.press_shutter()
                    phone_presses[id(phone)] = phone_presses.get(id(phone), 0) + 1

    async def run() -> None:
        leave = {iid: asyncio.Event() for iid, *_ in jobs}
        deadline = time.monotonic() + seconds

        async def one(iid: str, url: str, delay: float, address: str | None) -> None:
            await asyncio.sleep(delay)
            if leave[iid].is_set():
                return
            width, height, fps = camera
            phone = SimulatedPhone(
                url,
                width=width,
                height=height,
                fps=fps,
                still_size=STILL_SIZE,
                replayed_video=replayed_video,
                local_address=address,
                auto_reconnect=True,  # a dead link is replaced, as the page does
            )
            try:
                await phone.start(timeout=45)
            except Exception as exc:
                conn.send(("join_failed", iid, repr(exc)))
                return
            conn.send(("joined", iid, time.monotonic()))
            presses = asyncio.create_task(press_when_adjusting(phone))
            try:
                await leave[iid].wait()
            finally:
                presses.cancel()
                detail = {
                    "connected": phone.connected,
                    "photos_sent": len(phone.photos_sent),
                    "errors": phone.errors[-3:],
                    "frames_sent": phone.frames_sent,
                    "video": phone.video_profile,
                    "shutter_presses": phone_presses.get(id(phone), 0),
                    "link_losses": phone.link_losses[:],
                }
                await phone.stop()
                conn.send(("left", iid, detail))

        tasks = [asyncio.create_task(one(*job)) for job in jobs]
        while time.monotonic() < deadline and not all(t.done() for t in tasks):
            await asyncio.sleep(0.1)
            while conn.poll():
                msg = conn.recv()
                if msg == "stop_all":
                    for event in leave.values():
                        event.set()
                elif isinstance(msg, tuple) and msg[0] == "stop" and msg[1] in leave:
                    leave[msg[1]].set()
        for event in leave.values():
            event.set()
        await asyncio.wait(tasks, timeout=30)

    try:
        asyncio.run(run())
    finally:
        conn.send(("done", "", None))


# -- the server ------------------------------------------------------------------------------


class Server:
    """An ``inspector`` server command in its own process; its events, timestamped.

    ``command`` follows ``python -m inspector --data-dir D``. Events are read from
    standard output (``serve --json``) and, with ``log_events``, from the JSON log on
    standard error (the team server's ``inspector.team.events`` lines); standard error
    is copied to ``log_path`` either way. ``wrapper`` runs the command under another
    module (``bench.profiled``: cProfile of every thread).
    """

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        command: list[str],
        *,
        log_events: bool = False,
        wrapper: list[str] | None = None,
        cpus: set[int] | None = None,
    ) -> None:
        self.stderr = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.log_events = log_events
        self.log_problems: list[str] = []  # warning and error lines of a JSON log
        env = dict(os.environ, INSPECTOR_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                *(wrapper or []),
                "-m",
                "inspector",
                "--data-dir",
                str(data_dir),
                *command,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Before exec: every thread the server starts inherits it.
            preexec_fn=None if cpus is None else (lambda: os.sched_setaffinity(0, cpus)),
        )
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, name="server-events", daemon=True)
        self.thread.start()
        self.log_thread = threading.Thread(target=self._read_log, name="server-log", daemon=True)
        self.log_thread.start()

    def _add(self, now: float, data: dict[str, Any]) -> None:
        with self.cond:
            self.events.append((now, data))
            self.cond.notify_all()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            now = time.monotonic()
            try:
                data = json.loads(raw)
            except ValueError:
                data = {"event": "unparsed", "line": raw.decode(errors="replace")}
            self._add(now, data)

    def _read_log(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            now = time.monotonic()
            self.stderr.write(raw)
            if not self.log_events:
                continue
            try:
                data = json.loads(raw)
            except ValueError:
                continue  # a traceback's lines, say: kept in the file
            if not isinstance(data, dict):
                continue
            message = str(data.get("message", ""))
            if data.get("logger") == "inspector.team.events" and "event" in data:
                self._add(now, data)
            elif "link lost (" in message:  # the engine declared a link dead (not an event)
                reason = message.split("link lost (", 1)[1].rstrip(")")
                iid = str(data.get("inspection_id", "?"))
                self._add(now, {"event": "link_dead", "inspection_id": iid, "reason": reason})
            elif data.get("level") in ("warning", "error", "critical"):
                self.log_problems.append(f"{data.get('logger')}: {data.get('message')}"[:300])

    def wait_event(self, name: str, timeout: float) -> dict[str, Any]:
        with self.cond:
            found: list[dict[str, Any]] = []

            def have() -> bool:
                found[:] = [d for _, d in self.events if d.get("event") == name]
                return bool(found) or self.proc.poll() is not None

            self.cond.wait_for(have, timeout)
            if not found:
                raise TimeoutError(f"the server printed no {name!r} event within {timeout} s")
            return found[0]

    def named(self, name: str) -> list[tuple[float, dict[str, Any]]]:
        with self.cond:
            return [(t, d) for t, d in self.events if d.get("event") == name]

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.thread.join(5)
        self.log_thread.join(5)
        self.stderr.close()
        return self.proc.returncode


# -- one round -------------------------------------------------------------------------------


@dataclass
class Result:
    n: int
    completed: int = 0
    joined: int = 0
    join_failed: list[str] = field(default_factory=list)
    captures: int = 0
    lost: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    frame_fallbacks: int = 0
    rejected: int = 0
    unsettled: int = 0
    round_trips: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    server_cpu: float = 0.0
    server_cpu_s: float = 0.0  # CPU seconds the server used in the round
    phones_cpu_s: float = 0.0
    server_wait: float = 0.0
    top_threads: list[float] = field(default_factory=list)
    server_rss: float = 0.0
    phones_cpu: float = 0.0
    elapsed: float = 0.0
    load: float = 0.0
    errors: list[str] = field(default_factory=list)
    timed_out: bool = False
    phones_left: dict[str, Any] = field(default_factory=dict)
    link_events: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    dead_links: int = 0  # links the server declared dead for want of a heartbeat
    reconnects: int = 0  # "connection reconnecting" events
    link_lost: int = 0  # stills lost with their link (capture_failed link_lost)
    profiles: dict[str, int] = field(default_factory=dict)  # video the phones ended with
    shutter_presses: int = 0  # shots the seller pressed the shutter for, asked to adjust
    phone_recoveries: int = 0  # dead links a phone found and replaced (as the page does)
    #: What passing asks besides completion and no loss: the p95 still round trip within
    #: ROUND_TRIP_GOAL_S (load.py), and/or no link declared dead (team.py).
    require_round_trip: bool = True
    require_live_links: bool = False

    @property
    def p50(self) -> float | None:
        return statistics.median(self.round_trips) if self.round_trips else None

    @property
    def p95(self) -> float | None:
        return pct(self.round_trips, 95) if self.round_trips else None

    @property
    def ok(self) -> bool:
        round_trip = self.p95 is not None and self.p95 <= ROUND_TRIP_GOAL_S
        return (
            self.completed == self.n
            and not self.lost
            and not self.missing
            and (round_trip or not self.require_round_trip)
            and (self.dead_links == 0 or not self.require_live_links)
        )


def drain(conn: Connection, result: Result) -> None:
    """Read what a worker said after the measuring loop (phones leaving)."""
    with contextlib.suppress(EOFError, OSError):
        while conn.poll():
            kind, iid, detail = conn.recv()
            if kind == "left":
                result.phones_left[iid] = detail


def prepare(data_dir: Path, n: int) -> tuple[list[str], list[str]]:
    """N inspections and a token each, in the data directory (the server is not running)."""
    ttl = ServerSettings().token_ttl_seconds
    ids, tokens = [], []
    with Store(data_dir) as store:
        invitations = Invitations(store, ttl)
        for i in range(n):
            inspection, _ = create_inspection(
                store,
                checklist=CHECKLIST,
                vehicle={"make": "Peugeot", "model": "308", "plate": f"AB-{100 + i}-CD"},
                seller={"name": f"Seller {i + 1}", "language": "fr"},
            )
            token, _ = invitations.issue(inspection.id)
            lifecycle.invited(store, inspection.id)  # a join link was issued
            ids.append(inspection.id)
            tokens.append(token)
    return ids, tokens


ServerFactory = Callable[[Path, Path], Server]


def run_round(
    n: int,
    args: argparse.Namespace,
    keep: Path | None,
    start_server: ServerFactory,
    *,
    camera: tuple[int, int, float] = (WIDTH, HEIGHT, FPS),
    prefix: str = "load-bench",
    require_round_trip: bool = True,
    require_live_links: bool = False,
) -> Result:
    """One round: N phones against the server ``start_server(data_dir, stderr_path)``."""
    result = Result(n, require_round_trip=require_round_trip, require_live_links=require_live_links)
    tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}-{n}-"))
    data_dir = tmp / "data"
    ids, tokens = prepare(data_dir, n)
    server = start_server(data_dir, tmp / "server.stderr")
    workers: list[tuple[Any, Connection, list[str]]] = []
    try:
        listening = server.wait_event("listening", 30)
        base = listening["url"].rstrip("/")
        ctx = mp.get_context("spawn")
        started = time.monotonic()
        deadline = started + args.timeout
        cpu0, wait0, threads0 = process_cpu(server.proc.pid)
        for w in range(0, n, args.per_worker):
            jobs = [
                (ids[i], f"{base}/j/{tokens[i]}", i * args.stagger, _phone_address(base, i))
                for i in range(w, min(n, w + args.per_worker))
            ]
            parent_end, child_end = ctx.Pipe()
            proc = ctx.Process(
                target=phone_worker,
                args=(
                    jobs,
                    child_end,
                    args.timeout + 30,
                    camera,
                    getattr(args, "replayed_video", False),
                    phone_cpus(args),
                ),
                name=f"load-phones-{w // args.per_worker}",
                daemon=True,
            )
            proc.start()
            workers.append((proc, parent_end, [j[0] for j in jobs]))
        stopped: set[str] = set()
        closed: set[Connection] = set()
        phone_cpu: dict[int, float] = {}  # worker pid -> CPU seconds, last seen
        rss_max = 0.0
        last_rss = 0.0
        while time.monotonic() < deadline:
            time.sleep(0.2)
            for _proc, conn, _ in workers:
                if conn in closed:
                    continue
                while conn.poll():
                    try:
                        kind, iid, detail = conn.recv()
                    except (EOFError, OSError):  # the worker is done: all its phones left
                        closed.add(conn)
                        break
                    if kind == "joined":
                        result.joined += 1
                    elif kind == "join_failed":
                        result.join_failed.append(f"{iid[:8]}: {detail}")
                    elif kind == "left":
                        result.phones_left[iid] = detail
            done = {d["inspection_id"] for _, d in server.named("completed")}
            for iid in done - stopped:
                for _, conn, owned in workers:
                    if iid in owned and conn not in closed:
                        with contextlib.suppress(OSError):
                            conn.send(("stop", iid))
                stopped.add(iid)
            if time.monotonic() - last_rss > 2:
                rss_max = max(rss_max, rss_mb(server.proc.pid) or 0.0)
                last_rss = time.monotonic()
                for proc, _, _ in workers:  # a worker exits when its phones have left
                    c, _, _ = process_cpu(proc.pid)
                    phone_cpu[proc.pid] = max(phone_cpu.get(proc.pid, 0.0), c)
            if len(done) == n or len(done) + len(result.join_failed) >= n:
                break
            if server.proc.poll() is not None:
                result.errors.append(f"the server exited with {server.proc.returncode}")
                break
        else:
            result.timed_out = True
        result.elapsed = time.monotonic() - started
        cpu1, wait1, threads1 = process_cpu(server.proc.pid)
        result.server_cpu = 100 * (cpu1 - cpu0) / result.elapsed
        result.server_cpu_s = cpu1 - cpu0
        result.server_wait = 100 * (wait1 - wait0) / result.elapsed
        per = sorted(
            (100 * (c - threads0.get(tid, 0.0)) / result.elapsed for tid, c in threads1.items()),
            reverse=True,
        )
        result.top_threads = per[:3]
        result.server_rss = rss_max
        result.load = os.getloadavg()[0]
        for proc, _, _ in workers:
            c, _, _ = process_cpu(proc.pid)
            phone_cpu[proc.pid] = max(phone_cpu.get(proc.pid, 0.0), c)
        result.phones_cpu = 100 * sum(phone_cpu.values()) / result.elapsed
        result.phones_cpu_s = sum(phone_cpu.values())
    finally:
        for _proc, conn, _ in workers:
            with contextlib.suppress(OSError):
                conn.send("stop_all")
        for proc, conn, _ in workers:
            until = time.monotonic() + 40
            while proc.is_alive() and time.monotonic() < until:
                drain(conn, result)  # the phones' own view of their link as they leave
                proc.join(0.2)
            drain(conn, result)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
        code = server.stop()
        if code not in (0, None):
            result.errors.append(f"server exit code {code}")
    with open(tmp / "events.jsonl", "w") as f:
        for t, d in server.events:
            f.write(json.dumps({"t": round(t, 3), **d}, default=str) + "\n")
    analyse(result, server, data_dir, ids)
    for detail in result.phones_left.values():
        video = detail.get("video")
        key = "-" if not video else "{}x{}@{:g}".format(*video)
        result.profiles[key] = result.profiles.get(key, 0) + 1
        result.shutter_presses += int(detail.get("shutter_presses", 0))
        result.phone_recoveries += len(detail.get("link_losses", ()))
    stderr = (tmp / "server.stderr").read_text(errors="replace").strip()
    if server.log_events:
        if server.log_problems:
            result.errors.append(
                f"server log: {len(server.log_problems)} warnings/errors, "
                f"first: {server.log_problems[0]}"
            )
    elif stderr:
        lines = stderr.splitlines()
        result.errors.append(f"server stderr: {len(lines)} lines, last: {lines[-1][:200]}")
    if keep is not None:
        shutil.copytree(tmp, keep / f"n{n}", dirs_exist_ok=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return result


def analyse(result: Result, server: Server, data_dir: Path, ids: list[str]) -> None:
    requested = {d["capture_id"]: (t, d) for t, d in server.named("capture_requested")}
    stored = {d["capture_id"]: (t, d) for t, d in server.named("capture")}
    failed = {d["capture_id"]: (t, d) for t, d in server.named("capture_failed")}
    joined = {d["inspection_id"]: t for t, d in reversed(server.named("phone_joined"))}
    completed = {d["inspection_id"]: t for t, d in server.named("completed")}
    result.completed = len(set(completed) & set(ids))
    t0 = server.events[0][0] if server.events else 0.0
    for t, d in server.events:
        if d.get("event") in ("phone_left", "link_dead") or (
            d.get("event") == "connection" and d.get("state") == "reconnecting"
        ):
            what = d.get("reason") or d.get("state")
            if d.get("event") == "link_dead" and "heartbeat" in str(what):
                result.dead_links += 1
            if d.get("state") == "reconnecting":
                result.reconnects += 1
            result.link_events.append(f"{t - t0:.0f}s {d['inspection_id'][:8]} {d['event']} {what}")
    last_capture: dict[str, float] = {}
    for t, d in server.named("capture"):
        last_capture[d["inspection_id"]] = t
    for iid in ids:
        if iid not in completed:
            phone = result.phones_left.get(iid, {})
            last = last_capture.get(iid)
            result.stuck.append(
                f"{iid[:8]}: last capture at {'-' if last is None else f'{last - t0:.0f}s'}, "
                f"phone {phone}"
            )
    result.durations = [completed[i] - joined[i] for i in completed if i in joined]
    result.captures = len(stored)
    result.errors += [d.get("message", "") for _, d in server.named("error")][:10]
    for cid, (_, d) in failed.items():
        shot = requested[cid][1]["shot_id"] if cid in requested else "?"
        result.failed.append(f"{shot}: {d['reason']}")
        if str(d["reason"]).startswith("link_lost"):
            result.link_lost += 1
    for cid, (t_req, _) in requested.items():
        if cid in stored:
            result.round_trips.append(stored[cid][0] - t_req)
        elif cid not in failed:
            result.unsettled += 1
    with Store(data_dir) as store:
        for _, d in stored.values():
            if d["source"] == "frame":
                result.frame_fallbacks += 1
            if d["verdict"] == "reject":
                result.rejected += 1
            path = Path(d["path"])
            if not path.is_absolute():
                path = data_dir / path
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                result.lost.append(f"{d['capture_id'][:8]} {d['shot_id']}: {exc}")
                continue
            if digest != d["sha256"]:
                result.lost.append(f"{d['capture_id'][:8]} {d['shot_id']}: hash mismatch")
            try:
                store.get_capture(d["capture_id"])
            except Exception as exc:
                result.lost.append(f"{d['capture_id'][:8]} {d['shot_id']}: no row ({exc})")
        checklist = load_checklist(CHECKLIST)
        for iid in ids:
            for shot in progress(checklist, store.captures(iid), store.damages(iid)).missing:
                result.missing.append(f"{iid[:8]}/{shot.id}")


# -- main ------------------------------------------------------------------------------------


def fmt_s(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def print_table(results: list[Result]) -> None:
    print(
        "\n  N  done  lost  miss  caps  fail  frame  rej   p50 s   p95 s   max s  "
        "session s (med/max)  server CPU %  (waiting %)  busiest thread %  phones CPU %  "
        "load  result"
    )
    for r in results:
        mx = max(r.round_trips) if r.round_trips else None
        dur = (
            f"{statistics.median(r.durations):6.0f}/{max(r.durations):4.0f}"
            if r.durations
            else "     -/   -"
        )
        busiest = r.top_threads[0] if r.top_threads else 0.0
        print(
            f"{r.n:3d} {r.completed:3d}/{r.n:<2d} {len(r.lost):4d} {len(r.missing):5d} "
            f"{r.captures:5d} {len(r.failed):5d} {r.frame_fallbacks:6d} {r.rejected:4d} "
            f"{fmt_s(r.p50):>7} {fmt_s(r.p95):>7} {fmt_s(mx):>7}  {dur:>19}  "
            f"{r.server_cpu:12.0f}  {r.server_wait:11.0f}  {busiest:16.0f}"
            f"  {r.phones_cpu:12.0f}  {r.load:4.1f}  {verdict(r.ok)}",
            flush=True,
        )


def print_round(r: Result) -> None:
    """One round's figures, as they come."""
    n = r.n
    mx = max(r.round_trips) if r.round_trips else None
    print(
        f"  {r.completed}/{n} completed in {r.elapsed:.0f} s"
        f"{' (TIMED OUT)' if r.timed_out else ''}; joined {r.joined}; {r.captures} captures "
        f"({r.frame_fallbacks} video-frame fallbacks, {r.rejected} rejected, "
        f"{len(r.failed)} failed, {r.unsettled} unsettled); lost {len(r.lost)}, "
        f"missing shots {len(r.missing)}; round trip p50 {fmt_s(r.p50)} s, "
        f"p95 {fmt_s(r.p95)} s, max {fmt_s(mx)} s",
        flush=True,
    )
    print(
        f"  server CPU {r.server_cpu:.0f} % of one core (threads runnable but waiting "
        f"{r.server_wait:.0f} %; busiest threads "
        f"{', '.join(f'{v:.0f}' for v in r.top_threads)} %), RSS max {r.server_rss:.0f} MB; "
        f"phone processes {r.phones_cpu:.0f} %; load average {r.load:.1f}",
        flush=True,
    )
    done = max(r.completed, 1)
    caps = max(r.captures, 1)
    print(
        f"  CPU per completed session: server {r.server_cpu_s / done:.1f} s, phones "
        f"{r.phones_cpu_s / done:.1f} s; per capture: server {r.server_cpu_s / caps:.2f} s, "
        f"phones {r.phones_cpu_s / caps:.2f} s ({r.server_cpu_s:.0f} s and "
        f"{r.phones_cpu_s:.0f} s in all)",
        flush=True,
    )
    print(
        f"  link: {r.dead_links} declared dead (no heartbeat), {r.reconnects} reconnecting, "
        f"{r.link_lost} stills lost with their link, {r.phone_recoveries} replaced by the "
        f"phones; {r.shutter_presses} shutter presses "
        f"after 'adjust'; phones' video at the end: "
        f"{', '.join(f'{k} x{v}' for k, v in sorted(r.profiles.items())) or '-'}",
        flush=True,
    )
    for label, items in (
        ("join failures", r.join_failed),
        ("lost", r.lost),
        ("missing", r.missing),
        ("failed captures", r.failed),
        ("link events (phone_left, reconnecting)", r.link_events),
        ("not completed", r.stuck),
        ("errors", r.errors),
    ):
        if items:
            print(f"  {label}: {items[:6]}{' ...' if len(items) > 6 else ''}", flush=True)


def add_ladder_options(parser: argparse.ArgumentParser, *, default_max: int) -> None:
    parser.add_argument("--max", type=int, default=default_max, help="largest N to try")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per N")
    parser.add_argument("--per-worker", type=int, default=2, help="phones per worker process")
    parser.add_argument("--stagger", type=float, default=1.0, help="seconds between joins")
    parser.add_argument("--only", type=int, nargs="*", help="run exactly these N")
    parser.add_argument("--keep", type=Path, default=None, help="copy each round's data here")
    parser.add_argument(
        "--replayed-video",
        action="store_true",
        help="phones replay each view's video encoded once (no encoder per phone)",
    )
    parser.add_argument(
        "--split-cores",
        action="store_true",
        help="the server on CPU 0 only, the phones on the others: what one core holds",
    )


def server_cpus(args: argparse.Namespace) -> set[int] | None:
    """The cores the server may use (``--split-cores``: the first one only)."""
    return {min(os.sched_getaffinity(0))} if getattr(args, "split_cores", False) else None


def phone_cpus(args: argparse.Namespace) -> set[int] | None:
    """The cores the phones may use (``--split-cores``: every one but the server's)."""
    server = server_cpus(args)
    if server is None:
        return None
    rest = os.sched_getaffinity(0) - server
    return rest or None


def run_ladder(
    ladder: list[int],
    args: argparse.Namespace,
    one_round: Callable[[int], Result],
    *,
    goal: int,
    passing: str = f"all complete, nothing lost, p95 round trip <= {ROUND_TRIP_GOAL_S:g} s",
) -> list[Result]:
    """Round after round up the ladder (stopping after the first failure unless --only)."""
    results: list[Result] = []
    for n in ladder:
        print(f"\nN = {n} ...", flush=True)
        r = one_round(n)
        results.append(r)
        print_round(r)
        if not r.ok and not args.only:
            print(f"  N = {n} fails: stopping here", flush=True)
            break
    print_table(results)
    passed = [r.n for r in results if r.ok]
    best = max(passed) if passed else 0
    print(f"\nlargest N with {passing}: {best} (goal >= {goal})  [{verdict(best >= goal)}]")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return results
