"""Soak bench: one session streaming 1280x720 30 fps into the engine for a long time.

`python bench/soak.py [--minutes 30] [--every 30]`. The engine runs in this
process (its own loop thread, as in the console); the simulated phone runs in a
child process (spawned), so the engine process's memory is the engine's alone
and the phone's VP8 encoding does not share the engine's GIL. Both join over
loopback WebRTC through the real server, in operator mode (no captures).

Every ``--every`` seconds it prints one row:

- **RSS** of the engine process (``/proc/self/status`` VmRSS) and of the phone
  process (``/proc/<pid>/status``);
- **glass-to-glass latency**, the stamp method of ``bench/live.py``: the phone's
  camera stamps each frame's number in the picture and notes when it handed
  the frame to the encoder (``SyntheticCamera.sent_at``, ``time.monotonic``,
  i.e. ``CLOCK_MONOTONIC``, shared by both processes); the phone process
  forwards these times to the engine process over a pipe, and a reader thread
  polls ``engine.latest_frame`` at about 200 Hz and takes ``seen - sent`` for
  each new newest frame (the conversion to BGR happens after the time is taken);
- fps received by the engine (its frame slot's ``seq``) and CPU of each process.

Verdict: memory growth <= 50 MB (the engine's RSS at the end of the first 5
minutes against the last sample), and no latency drift (the median of the last
5 minutes at most max(20 ms, 25 %) above the median of minutes 1-5). Stops by
itself; always exits 0 (a bench: "ok" or "MISS").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.live import pct, verdict
from inspector.config import ServerSettings
from inspector.live import events
from inspector.live.contrib.simphone import read_stamp
from inspector.live.engine import Engine
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection

GROWTH_GOAL_MB = 50.0
BASELINE_S = 300.0  # the first 5 minutes
DRIFT_ABS_MS = 20.0
DRIFT_REL = 0.25
POLL_INTERVAL = 0.005


# -- /proc ------------------------------------------------------------------------------------


def rss_mb(pid: int | str = "self") -> float | None:
    """VmRSS of a process in MB (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int | str = "self") -> float:
    """utime + stime of a whole process (all threads), from ``/proc/<pid>/stat``."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


# -- the phone process ----------------------------------------------------------------------


def phone_process(join_url: str, conn: Connection, seconds: float) -> None:
    """Child: a SimulatedPhone at 720p30; forwards (frame number, sent time) every 0.25 s.

    Stops on "stop" from the parent, or by itself after ``seconds``.
    """
    from inspector.live.contrib.simphone import SimulatedPhone

    logging.basicConfig(level=logging.WARNING)

    async def run() -> None:
        phone = SimulatedPhone(join_url, width=1280, height=720, fps=30, still_size=(1600, 1200))
        await phone.start(timeout=30)
        conn.send(("ready", os.getpid()))
        deadline = time.monotonic() + seconds
        pushed = -1
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(0.25)
                camera = phone.camera
                if camera is not None:
                    batch = [(n, t) for n, t in list(camera.sent_at.items()) if n > pushed]
                    if batch:
                        pushed = max(n for n, _ in batch)
                        conn.send(("sent", batch))
                if conn.poll() and conn.recv() == "stop":
                    break
        finally:
            await phone.stop()

    try:
        asyncio.run(run())
    finally:
        conn.send(("done", None))


# -- engine side ------------------------------------------------------------------------------


class Sink:
    """The engine's event callback: counts, keeps errors (bounded)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, event: events.Event) -> None:
        with self.lock:
            self.counts[event.name] = self.counts.get(event.name, 0) + 1
            if isinstance(event, events.EngineError) and len(self.errors) < 50:
                self.errors.append(event.message)


class SentTimes:
    """Frame number -> sent time, fed by the phone process through the pipe."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.times: dict[int, float] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sent-times", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                kind, payload = self.conn.recv()
            except (EOFError, OSError):
                break
            if kind == "sent":
                with self.lock:
                    self.times.update(payload)
            elif kind == "done":
                break
        self.done.set()

    def get(self, number: int) -> float | None:
        with self.lock:
            return self.times.get(number)

    def prune(self, below: int) -> None:
        with self.lock:
            for n in [n for n in self.times if n < below]:
                del self.times[n]


@dataclass
class Seen:
    seen: float
    number: int


class Reader:
    """Polls the newest frame at ~200 Hz; notes when each new one was first seen."""

    def __init__(self, engine: Engine, inspection_id: str) -> None:
        self.engine, self.inspection_id = engine, inspection_id
        self.pending: list[Seen] = []
        self.unreadable = 0
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="reader", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        last = -1
        next_poll = time.monotonic()
        while not self._stop.is_set():
            next_poll += POLL_INTERVAL
            frame = self.engine.latest_frame(self.inspection_id)
            if frame is not None and frame.seq != last:
                seen = time.monotonic()
                last = frame.seq
                number = read_stamp(frame.bgr())
                with self.lock:
                    if number is None:
                        self.unreadable += 1
                    else:
                        self.pending.append(Seen(seen, number))
            delay = next_poll - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_poll = time.monotonic()

    def take(self) -> list[Seen]:
        with self.lock:
            out, self.pending = self.pending, []
        return out

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)


@dataclass
class Row:
    t: float  # seconds since streaming started
    rss: float
    phone_rss: float | None
    median: float | None
    p95: float | None
    n: int
    fps: float
    cpu: float  # % of one core, engine process
    phone_cpu: float


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    duration = args.minutes * 60

    print(
        f"soak bench: 720p30 for {args.minutes:g} min, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix="soak-bench-"))
    store = Store(tmp / "data")
    sink = Sink()
    engine = Engine(store, ServerSettings(port=0), sink, autopilot=False)
    print(f"engine listening on {engine.start()}", flush=True)
    inspection, _ = create_inspection(
        store,
        checklist="quick",
        vehicle={"make": "Renault", "model": "Clio", "plate": "AB-123-CD"},
        seller={"name": "Soak", "language": "fr"},
    )
    invite = engine.invite(inspection.id, "operator").result(15)

    ctx = mp.get_context("spawn")
    parent_end, child_end = ctx.Pipe()
    child = ctx.Process(
        target=phone_process,
        args=(invite.join_url, child_end, duration + 120),
        name="soak-phone",
        daemon=True,
    )
    child.start()
    rows: list[Row] = []
    reader: Reader | None = None
    try:
        if not parent_end.poll(60):
            raise TimeoutError("the phone process did not join within 60 s")
        kind, phone_pid = parent_end.recv()
        if kind != "ready":
            raise RuntimeError(f"the phone process said {kind!r}")
        sent = SentTimes(parent_end)
        reader = Reader(engine, inspection.id)
        time.sleep(3.0)  # first keyframe, bitrate ramp
        reader.take()
        print(
            f"\n{'t (s)':>6} {'RSS MB':>7} {'phone MB':>8} {'median ms':>9} {'p95 ms':>7} "
            f"{'frames':>6} {'fps':>5} {'CPU %':>6} {'phone CPU %':>11}",
            flush=True,
        )
        start = time.monotonic()
        last_t, last_cpu, last_phone_cpu = start, cpu_seconds(), cpu_seconds(phone_pid)
        frame = engine.latest_frame(inspection.id)
        last_seq = frame.seq if frame else 0
        leftovers: list[Seen] = []
        next_sample = start + args.every
        while next_sample <= start + duration + 0.5 and not sent.done.is_set():
            time.sleep(max(0.0, next_sample - time.monotonic()))
            next_sample += args.every
            time.sleep(0.5)  # let the last sent times arrive through the pipe
            now = time.monotonic()
            cpu, phone_cpu = cpu_seconds(), cpu_seconds(phone_pid)
            frame = engine.latest_frame(inspection.id)
            seq = frame.seq if frame else last_seq
            seen = leftovers + reader.take()
            latencies, leftovers = [], []
            for s in seen:
                t_sent = sent.get(s.number)
                if t_sent is None:
                    if now - s.seen < 2.0:  # its time may still be in the pipe
                        leftovers.append(s)
                elif t_sent <= s.seen:
                    latencies.append(1000 * (s.seen - t_sent))
            if seen:
                sent.prune(min(s.number for s in seen) - 300)
            row = Row(
                t=now - start,
                rss=rss_mb() or 0.0,
                phone_rss=rss_mb(phone_pid),
                median=statistics.median(latencies) if latencies else None,
                p95=pct(latencies, 95) if latencies else None,
                n=len(latencies),
                fps=(seq - last_seq) / (now - last_t),
                cpu=100 * (cpu - last_cpu) / (now - last_t),
                phone_cpu=100 * (phone_cpu - last_phone_cpu) / (now - last_t),
            )
            last_t, last_cpu, last_phone_cpu, last_seq = now, cpu, phone_cpu, seq
            rows.append(row)

            def ms(v: float | None) -> str:
                return "-" if v is None else f"{v:.0f}"

            print(
                f"{row.t:6.0f} {row.rss:7.1f} "
                f"{'-' if row.phone_rss is None else f'{row.phone_rss:.1f}':>8} "
                f"{ms(row.median):>9} {ms(row.p95):>7} {row.n:6d} {row.fps:5.1f} "
                f"{row.cpu:6.1f} {row.phone_cpu:11.1f}",
                flush=True,
            )
    finally:
        if reader is not None:
            reader.stop()
        with contextlib.suppress(OSError):
            parent_end.send("stop")
        child.join(20)
        if child.is_alive():
            child.terminate()
            child.join(5)
        engine.stop()
        store.close()

    summarize(rows, sink, reader)
    return 0


def summarize(rows: list[Row], sink: Sink, reader: Reader | None) -> None:
    print("\nverdict")
    if len(rows) < 2:
        print("  not enough samples")
        return
    base_rows = [r for r in rows if r.t <= BASELINE_S + 1] or rows[:1]
    baseline, end = base_rows[-1], rows[-1]
    growth = end.rss - baseline.rss
    print(
        f"  engine RSS: {rows[0].rss:.1f} MB at {rows[0].t:.0f} s, {baseline.rss:.1f} MB at "
        f"{baseline.t:.0f} s (baseline), {end.rss:.1f} MB at {end.t:.0f} s (end), "
        f"max {max(r.rss for r in rows):.1f} MB: growth {growth:+.1f} MB "
        f"(goal <= {GROWTH_GOAL_MB:.0f})  [{verdict(growth <= GROWTH_GOAL_MB)}]"
    )
    later = [r for r in rows if r.t > baseline.t]
    if len(later) >= 2:
        hours = (later[-1].t - later[0].t) / 3600
        slope = (later[-1].rss - later[0].rss) / hours if hours > 0 else 0.0
        print(f"  engine RSS after the baseline: {slope:+.1f} MB/hour (end-to-end)")
    phone = [r.phone_rss for r in rows if r.phone_rss is not None]
    if phone:
        print(f"  phone process RSS: {phone[0]:.1f} -> {phone[-1]:.1f} MB (for information)")
    first = [r for r in rows if 60 < r.t <= BASELINE_S + 1 and r.median is not None]
    last = [r for r in rows if r.t > rows[-1].t - BASELINE_S and r.median is not None]
    if first and last:
        m0 = statistics.median(r.median for r in first if r.median is not None)
        m1 = statistics.median(r.median for r in last if r.median is not None)
        p0 = statistics.median(r.p95 for r in first if r.p95 is not None)
        p1 = statistics.median(r.p95 for r in last if r.p95 is not None)
        ok = m1 <= m0 + max(DRIFT_ABS_MS, DRIFT_REL * m0)
        print(
            f"  latency, minutes 1-5: median {m0:.0f} ms (p95 {p0:.0f}); last 5 minutes: "
            f"median {m1:.0f} ms (p95 {p1:.0f}): "
            f"{'no drift' if ok else 'DRIFT'}  [{verdict(ok)}]"
        )
    fps = [r.fps for r in rows]
    print(f"  fps received: median {statistics.median(fps):.1f}, min {min(fps):.1f}")
    cpu = [r.cpu for r in rows]
    print(f"  engine process CPU: median {statistics.median(cpu):.0f} % of one core")
    if reader is not None:
        print(f"  frames without a readable stamp: {reader.unreadable}")
    print(f"  events: {dict(sorted(sink.counts.items()))}")
    if sink.errors:
        print(f"  engine errors: {sink.errors[:5]}")
    print(f"  load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
