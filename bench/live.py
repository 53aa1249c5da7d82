"""Live link bench: the real engine and the simulated phone over loopback WebRTC.

`python bench/live.py [--quick]` runs, in one process, the engine (its own
loop thread, as in the console) and a :class:`SimulatedPhone` (its own loop
thread) and measures:

1. glass-to-glass latency at 1280x720 30 fps: a reader thread polls
   ``engine.latest_frame`` at about 200 Hz (the way the console reads); for
   each new newest frame it decodes the frame number the phone stamped in the
   picture and takes ``now - the time the phone's camera produced that frame``
   (``SyntheticCamera.sent_at``: when ``recv()`` handed it to aiortc's
   encoder). Median and p95 over a window, then again after ``--drift``
   seconds of streaming (5 min; 30 s with ``--quick``);
2. frames per second received by the engine and CPU at 720p30 and 1080p30,
   per thread from ``/proc/self/task/<tid>/schedstat`` (the phone's VP8
   encoding runs in the same process, so the engine's threads are reported
   apart from the phone's and from the whole process);
3. still round trip for a 4000x3000 JPEG: ``engine.capture`` -> the
   ``CaptureStored`` event with its verdict.

Goals: latency median <= 80 ms and p95 <= 120 ms; >= 29 fps; engine <= 40 % of
one core at 720p30; still round trip <= 1.5 s. Always exits 0 (a bench, not a
test): each figure is printed with "ok" or "MISS".
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from inspector.config import ServerSettings
from inspector.live import events
from inspector.live.contrib.simphone import SimulatedPhone, read_stamp
from inspector.live.engine import Engine
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection

T = TypeVar("T")

LATENCY_MEDIAN_GOAL_MS = 80.0
LATENCY_P95_GOAL_MS = 120.0
FPS_GOAL = 29.0
ENGINE_CPU_GOAL_PCT = 40.0  # of one core, at 720p30
STILL_GOAL_S = 1.5
POLL_INTERVAL = 0.005  # ~200 Hz, as the console's paint timer would read


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank on sorted values."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


# -- events ---------------------------------------------------------------------------------


class EventSink:
    """The engine's event callback (engine thread): keeps what the bench waits for."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.stored: dict[str, tuple[float, events.CaptureStored]] = {}
        self.failed: dict[str, tuple[float, events.CaptureFailed]] = {}
        self.stats: list[events.LinkStats] = []
        self.errors: list[events.EngineError] = []

    def __call__(self, event: events.Event) -> None:
        now = time.monotonic()
        with self.cond:
            if isinstance(event, events.CaptureStored):
                self.stored[event.capture.id] = (now, event)
            elif isinstance(event, events.CaptureFailed):
                self.failed[event.capture_id] = (now, event)
            elif isinstance(event, events.LinkStats):
                self.stats.append(event)
            elif isinstance(event, events.EngineError):
                self.errors.append(event)
            self.cond.notify_all()

    def wait_capture(self, capture_id: str, timeout: float) -> tuple[float, Any]:
        with self.cond:
            ok = self.cond.wait_for(
                lambda: capture_id in self.stored or capture_id in self.failed, timeout
            )
            if not ok:
                raise TimeoutError(f"capture {capture_id} not settled within {timeout} s")
            return self.stored.get(capture_id) or self.failed[capture_id]


# -- the phone on its own loop -------------------------------------------------------------


class PhoneThread:
    """An asyncio loop in a thread named "phone"; its executor threads are "phone-worker"."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.executor = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="phone-worker")
        self.loop.set_default_executor(self.executor)
        self.thread = threading.Thread(target=self._run, name="phone", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.executor.shutdown(wait=False, cancel_futures=True)


# -- per-thread CPU ---------------------------------------------------------------------------


def thread_cpu() -> dict[int, tuple[float, float]]:
    """Per thread of this process: (seconds on a CPU, seconds runnable but waiting for one).

    From ``/proc/self/task/<tid>/schedstat`` (nanoseconds); without it, utime + stime
    from ``stat`` and no waiting figure.
    """
    out: dict[int, tuple[float, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc/self/task"):
        tid = int(entry)
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                fields = f.read().split()
            out[tid] = (int(fields[0]) / 1e9, int(fields[1]) / 1e9)
        except (OSError, ValueError, IndexError):
            try:
                with open(f"/proc/self/task/{tid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out[tid] = ((int(fields[11]) + int(fields[12])) / tick, 0.0)
            except (OSError, ValueError, IndexError):
                continue
    return out


def thread_group(name: str) -> str:
    if name == "engine":
        return "engine loop"
    if name.startswith("engine-worker"):
        return "engine workers"
    if name == "video-decoder":
        return "aiortc video decoder"
    if name == "phone":
        return "phone loop"
    if name.startswith("phone-worker"):
        return "phone workers (VP8 encode)"
    if name == "reader":
        return "reader (UI-like polling)"
    if name == "MainThread":
        return "main"
    return f"other ({name})"


ENGINE_GROUPS = ("engine loop", "engine workers", "aiortc video decoder")


@dataclass
class CpuWindow:
    """CPU used per thread group between ``start()`` and ``stop()``."""

    names: dict[int, str] = field(default_factory=dict)
    before: dict[int, tuple[float, float]] = field(default_factory=dict)
    process_before: float = 0.0
    started: float = 0.0
    groups: dict[str, float] = field(default_factory=dict)
    waiting: dict[str, float] = field(default_factory=dict)  # % of wall time runnable
    process_pct: float = 0.0
    elapsed: float = 0.0
    decoder_threads: int = 0

    def _learn_names(self) -> None:
        for t in threading.enumerate():
            if t.native_id is not None:
                self.names[t.native_id] = t.name

    def start(self) -> None:
        self._learn_names()
        self.before = thread_cpu()
        t = os.times()
        self.process_before = t.user + t.system
        self.started = time.monotonic()

    def stop(self) -> None:
        after = thread_cpu()
        t = os.times()
        self.elapsed = time.monotonic() - self.started
        self._learn_names()
        self.process_pct = 100 * (t.user + t.system - self.process_before) / self.elapsed
        groups: dict[str, float] = {}
        waiting: dict[str, float] = {}
        for tid, (cpu, wait) in after.items():
            cpu0, wait0 = self.before.get(tid, (0.0, 0.0))
            name = self.names.get(tid, "native, not a Python thread")
            if name == "video-decoder":
                self.decoder_threads += 1
            group = thread_group(name)
            groups[group] = groups.get(group, 0.0) + 100 * (cpu - cpu0) / self.elapsed
            waiting[group] = waiting.get(group, 0.0) + 100 * (wait - wait0) / self.elapsed
        self.groups, self.waiting = groups, waiting

    @property
    def engine_pct(self) -> float:
        return sum(self.groups.get(g, 0.0) for g in ENGINE_GROUPS)

    def report(self, indent: str = "    ") -> None:
        print(
            f"{indent}CPU over {self.elapsed:.1f} s, % of one core "
            "(and % of the time runnable but waiting for a CPU):"
        )
        for group, value in sorted(self.groups.items(), key=lambda kv: -kv[1]):
            if value >= 0.05:
                wait = self.waiting.get(group, 0.0)
                print(f"{indent}  {group:<36} {value:6.1f}   (waiting {wait:5.1f})")
        print(f"{indent}  {'= engine threads':<36} {self.engine_pct:6.1f}")
        print(f"{indent}  {'= whole process (os.times)':<36} {self.process_pct:6.1f}")


# -- where the time goes: aiortc's VP8 encoder and decoder, timed in place -----------------


class CodecProbe:
    """Wraps aiortc's ``Vp8Encoder.encode`` / ``Vp8Decoder.decode`` to time them (bench only).

    The encoder call is keyed by the frame number (from its pts, as the phone's
    camera sets it); decoder calls are only timed (RTP timestamps carry a random
    origin). Each record: wall start, wall end, thread CPU seconds.
    """

    def __init__(self) -> None:
        self.encoded: dict[int, tuple[float, float, float]] = {}
        self.decoded: list[tuple[float, float, float]] = []
        self.held: list[tuple[float, float]] = []  # (emitted at, ms since its last packet)
        self._marker_at: dict[int, float] = {}
        self.fps = 30.0

    def install(self) -> None:
        from aiortc.codecs import vpx

        probe = self
        encode, decode = vpx.Vp8Encoder.encode, vpx.Vp8Decoder.decode

        def timed_encode(self: Any, frame: Any, force_keyframe: bool = False) -> Any:
            t0, c0 = time.monotonic(), time.thread_time()
            try:
                return encode(self, frame, force_keyframe)
            finally:
                number = round(frame.pts * frame.time_base * probe.fps)
                probe.encoded[number] = (t0, time.monotonic(), time.thread_time() - c0)
                probe.encoded.pop(number - 600, None)

        def timed_decode(self: Any, encoded_frame: Any) -> Any:
            t0, c0 = time.monotonic(), time.thread_time()
            try:
                return decode(self, encoded_frame)
            finally:
                probe.decoded.append((t0, time.monotonic(), time.thread_time() - c0))
                if len(probe.decoded) > 20000:
                    del probe.decoded[:10000]

        vpx.Vp8Encoder.encode = timed_encode  # type: ignore[method-assign]
        vpx.Vp8Decoder.decode = timed_decode  # type: ignore[method-assign]

        from aiortc import jitterbuffer

        add = jitterbuffer.JitterBuffer.add

        def timed_add(self: Any, packet: Any) -> Any:
            now = time.monotonic()
            if self._is_video and packet.marker:  # the last packet of a video frame
                probe._marker_at[packet.timestamp] = now
                if len(probe._marker_at) > 600:
                    probe._marker_at.clear()
            result = add(self, packet)
            frame = result[1]
            if self._is_video and frame is not None:
                last = probe._marker_at.pop(frame.timestamp, None)
                if last is not None:
                    probe.held.append((now, 1000 * (now - last)))
                    if len(probe.held) > 20000:
                        del probe.held[:10000]
            return result

        jitterbuffer.JitterBuffer.add = timed_add  # type: ignore[method-assign]


def emit_on_marker() -> None:
    """Experiment (``--marker-fix``): aiortc's jitter buffer hands a video frame to the
    decoder only when the first packet of the *next* frame arrives; this also emits it
    as soon as its last packet (RTP marker bit) is in and all its packets are there."""
    from aiortc import jitterbuffer

    original = jitterbuffer.JitterBuffer._remove_frame

    def remove_frame(self: Any, sequence_number: int) -> Any:
        frame = original(self, sequence_number)
        if frame is not None or not self._is_video or self._origin is None:
            return frame
        packets: list[Any] = []
        for count in range(self.capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None or (packets and packet.timestamp != packets[0].timestamp):
                return None
            packets.append(packet)
            if packet.marker:
                self.remove(count + 1)
                data = b"".join(p._data for p in packets)
                return jitterbuffer.JitterFrame(data=data, timestamp=packets[0].timestamp)
        return None

    jitterbuffer.JitterBuffer._remove_frame = remove_frame  # type: ignore[method-assign]


PROBE = CodecProbe()


# -- the reader ----------------------------------------------------------------------------------


@dataclass
class Sample:
    seen: float  # when the reader first saw the frame as the newest
    received: float  # when the engine put it in the slot
    sent: float  # when the phone's camera produced it
    seq: int
    number: int  # the phone's frame number (its stamp)


class Reader:
    """Polls the newest frame at ~200 Hz and times every new one against its stamp."""

    def __init__(self, engine: Engine, inspection_id: str, sent_at: Callable[[int], float | None]):
        self.engine, self.inspection_id, self.sent_at = engine, inspection_id, sent_at
        self.samples: list[Sample] = []
        self.new_frames = 0
        self.unreadable = 0  # no clear stamp
        self.unknown = 0  # stamp read but its send time is gone (or wrong)
        self.polls = 0
        self.measure = True
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="reader", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)

    def _run(self) -> None:
        last = -1
        next_poll = time.monotonic()
        while not self._stop.is_set():
            next_poll += POLL_INTERVAL
            frame = self.engine.latest_frame(self.inspection_id)
            self.polls += 1
            if frame is not None and frame.seq != last:
                seen = time.monotonic()
                last = frame.seq
                self.new_frames += 1
                if self.measure:
                    number = read_stamp(frame.bgr())
                    sent = None if number is None else self.sent_at(number)
                    if number is None:
                        self.unreadable += 1
                    elif sent is None or sent > seen:
                        self.unknown += 1
                    else:
                        self.samples.append(Sample(seen, frame.received, sent, frame.seq, number))
            delay = next_poll - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_poll = time.monotonic()

    def mark(self) -> int:
        return len(self.samples)


def latency_figures(samples: list[Sample]) -> dict[str, float]:
    total = [1000 * (s.seen - s.sent) for s in samples]
    to_slot = [1000 * (s.received - s.sent) for s in samples]
    to_read = [1000 * (s.seen - s.received) for s in samples]
    return {
        "n": len(total),
        "median": statistics.median(total),
        "p95": pct(total, 95),
        "max": max(total),
        "slot_median": statistics.median(to_slot),
        "slot_p95": pct(to_slot, 95),
        "read_median": statistics.median(to_read),
        "read_p95": pct(to_read, 95),
    }


def print_breakdown(samples: list[Sample]) -> None:
    """Camera -> slot, split at the encoder (from the codec probe)."""
    queue, encode, encode_cpu, after = [], [], [], []
    for s in samples:
        rec = PROBE.encoded.get(s.number)
        if rec is None:
            continue
        t0, t1, cpu = rec
        queue.append(1000 * (t0 - s.sent))
        encode.append(1000 * (t1 - t0))
        encode_cpu.append(1000 * cpu)
        after.append(1000 * (s.received - t1))
    if not queue:
        return
    lo, hi = samples[0].sent, samples[-1].seen
    dec = [d for d in PROBE.decoded if lo <= d[0] <= hi]
    held = [ms for at, ms in PROBE.held if lo <= at <= hi]

    def mp(values: list[float]) -> str:
        return f"{statistics.median(values):5.1f} / {pct(values, 95):5.1f}"

    dec_wall = [1000 * (b - a) for a, b, _ in dec]
    dec_cpu = [1000 * c for *_, c in dec]

    print("    camera -> slot, split (median / p95 ms):")
    print(f"      camera -> encoder starts (phone executor)  {mp(queue)}")
    print(f"      VP8 encode, wall (phone)                   {mp(encode)}")
    print(f"      VP8 encode, thread CPU                     {mp(encode_cpu)}")
    print(f"      encoded -> in the slot (RTP, jitter buffer, decode, loop)  {mp(after)}")
    if held:
        print(f"      of which held in aiortc's jitter buffer    {mp(held)}")
    if dec:
        print(f"      of which VP8 decode, wall (engine)         {mp(dec_wall)}")
        print(f"      VP8 decode, thread CPU                     {mp(dec_cpu)}")


def print_latency(title: str, fig: dict[str, float]) -> None:
    ok = fig["median"] <= LATENCY_MEDIAN_GOAL_MS and fig["p95"] <= LATENCY_P95_GOAL_MS
    print(
        f"  {title}: median {fig['median']:.1f} ms, p95 {fig['p95']:.1f} ms, "
        f"max {fig['max']:.1f} ms over {fig['n']:.0f} frames  [{verdict(ok)}]"
    )
    print(
        f"    of which camera -> slot: median {fig['slot_median']:.1f} ms, "
        f"p95 {fig['slot_p95']:.1f} ms; slot -> read: median {fig['read_median']:.1f} ms, "
        f"p95 {fig['read_p95']:.1f} ms"
    )


# -- one streaming session -------------------------------------------------------------------------


class Stream:
    """An inspection, its join link and a simulated phone streaming into the engine."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        phone_thread: PhoneThread,
        width: int,
        height: int,
        fps: float,
    ) -> None:
        inspection, _ = create_inspection(
            store,
            checklist="quick",
            vehicle={"make": "Renault", "model": "Clio", "plate": "AB-123-CD"},
            seller={"name": "Bench", "language": "fr"},
        )
        self.inspection_id = inspection.id
        self.engine, self.phone_thread = engine, phone_thread
        invite = engine.invite(inspection.id, "operator").result(15)
        self.phone = SimulatedPhone(
            invite.join_url, width=width, height=height, fps=fps, still_size=(4000, 3000)
        )
        phone_thread.call(self.phone.start(timeout=20), 30)
        self.reader = Reader(engine, inspection.id, self._sent_at)
        self.reader.start()

    def _sent_at(self, number: int) -> float | None:
        camera = self.phone.camera
        return None if camera is None else camera.sent_at.get(number)

    def received_seq(self) -> int:
        frame = self.engine.latest_frame(self.inspection_id)
        return 0 if frame is None else frame.seq

    def size(self) -> tuple[int, int]:
        frame = self.engine.latest_frame(self.inspection_id)
        return (0, 0) if frame is None else (frame.width, frame.height)

    def window(self, seconds: float) -> tuple[list[Sample], CpuWindow, float, float]:
        """Stream for ``seconds``: latency samples, CPU, received and produced fps."""
        cpu = CpuWindow()
        first = self.reader.mark()
        seq0, sent0 = self.received_seq(), self.phone.frames_sent
        cpu.start()
        time.sleep(seconds)
        cpu.stop()
        seq1, sent1 = self.received_seq(), self.phone.frames_sent
        samples = self.reader.samples[first:]
        return samples, cpu, (seq1 - seq0) / cpu.elapsed, (sent1 - sent0) / cpu.elapsed

    def close(self) -> None:
        self.reader.stop()
        try:
            self.phone_thread.call(self.phone.stop(), 15)
        except Exception as exc:
            print(f"  (the phone did not stop cleanly: {exc!r})")
        self.engine.end_session(self.inspection_id).result(15)


def stream_figures(
    label: str, stream: Stream, seconds: float, cpu_goal: float | None
) -> tuple[list[Sample], CpuWindow, float]:
    samples, cpu, fps_in, fps_out = stream.window(seconds)
    w, h = stream.size()
    print(
        f"  {label}: engine received {fps_in:.1f} fps at {w}x{h} "
        f"(phone produced {fps_out:.1f} fps)  [{verdict(fps_in >= FPS_GOAL)}]"
    )
    cpu.report()
    if cpu_goal is not None:
        ok = cpu.engine_pct <= cpu_goal
        print(
            f"    engine threads {cpu.engine_pct:.1f} % of one core "
            f"(goal <= {cpu_goal:.0f} %)  [{verdict(ok)}]"
        )
    return samples, cpu, fps_in


# -- main ----------------------------------------------------------------------------------------


def still_round_trips(stream: Stream, sink: EventSink, count: int) -> list[float]:
    camera_phone = stream.phone
    camera_phone.still_bytes("warm-up")  # the sim encodes its JPEG once; not a phone cost
    times: list[float] = []
    for i in range(count + 1):  # the first one is a warm-up
        started = time.monotonic()
        capture_id = stream.engine.capture(stream.inspection_id).result(15)
        done, event = sink.wait_capture(capture_id, 30)
        elapsed = done - started
        if isinstance(event, events.CaptureStored):
            c = event.capture
            what = (
                f"stored {c.width}x{c.height} from {c.source.value}, verdict "
                f"{c.quality.verdict.value}"
                + (
                    f" ({', '.join(r.code for r in c.quality.reasons)})"
                    if c.quality.reasons
                    else ""
                )
            )
        else:
            what = f"FAILED: {event.reason}"
        tag = "warm-up" if i == 0 else f"#{i}"
        print(f"    {tag:>7}: {elapsed * 1000:7.0f} ms  {what}")
        if i > 0:
            times.append(elapsed)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 s drift run instead of 5 min")
    parser.add_argument("--window", type=float, default=20.0, help="seconds per measuring window")
    parser.add_argument("--drift", type=float, default=None, help="seconds of streaming between")
    parser.add_argument("--stills", type=int, default=5)
    parser.add_argument(
        "--marker-fix",
        action="store_true",
        help="experiment: patch aiortc's jitter buffer to emit a frame on its RTP marker bit",
    )
    args = parser.parse_args()
    drift = args.drift if args.drift is not None else (30.0 if args.quick else 300.0)
    logging.basicConfig(level=logging.WARNING)
    PROBE.install()
    if args.marker_fix:
        emit_on_marker()
        print("EXPERIMENT: aiortc's jitter buffer emits video frames on the RTP marker bit")

    print(f"live link bench: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    tmp = Path(tempfile.mkdtemp(prefix="live-bench-"))
    store = Store(tmp / "data")
    sink = EventSink()
    engine = Engine(store, ServerSettings(port=0), sink, autopilot=False)
    print(f"engine listening on {engine.start()}")
    phone_thread = PhoneThread()
    results: dict[str, Any] = {}
    try:
        # 1 and 2 (720p), then 3, on one stream
        print("\n720p30 stream (1280x720, VP8, loopback)")
        stream = Stream(engine, store, phone_thread, 1280, 720, 30)
        time.sleep(3.0)  # warm up: first keyframe, bitrate ramp
        samples, cpu720, fps720 = stream_figures(
            "first window", stream, args.window, ENGINE_CPU_GOAL_PCT
        )
        first = latency_figures(samples)
        print_latency("glass-to-glass latency, first window", first)
        print_breakdown(samples)
        print(f"  streaming {drift:.0f} s more (drift check)...", flush=True)
        minute_start = stream.reader.mark()
        t_end = time.monotonic() + drift
        while time.monotonic() < t_end:
            time.sleep(min(60.0, max(0.0, t_end - time.monotonic())))
            chunk = stream.reader.samples[minute_start:]
            minute_start = stream.reader.mark()
            if chunk:
                f = latency_figures(chunk)
                print(
                    f"    {drift - max(0.0, t_end - time.monotonic()):5.0f} s: "
                    f"median {f['median']:.1f} ms, p95 {f['p95']:.1f} ms",
                    flush=True,
                )
        samples, _, _ = stream_figures("after drift", stream, args.window, None)
        late = latency_figures(samples)
        print_latency(f"glass-to-glass latency after {drift:.0f} s", late)
        print_breakdown(samples)
        r = stream.reader
        print(
            f"  reader: {r.new_frames} new frames seen, {len(r.samples)} timed, "
            f"{r.unreadable} without a readable stamp, {r.unknown} with no send time; "
            f"{r.polls} polls"
        )
        stats = [s.fps for s in sink.stats if s.inspection_id == stream.inspection_id]
        if stats:
            print(
                f"  engine LinkStats fps: median {statistics.median(stats):.1f}, "
                f"min {min(stats):.1f} over {len(stats)} reports"
            )

        print(f"\nstill round trip, 4000x3000 JPEG ({len(stream.phone.still_bytes('x'))} bytes)")
        stream.reader.measure = False
        stills = still_round_trips(stream, sink, args.stills)
        stream.reader.measure = True
        still_median = statistics.median(stills)
        print(
            f"  median {still_median * 1000:.0f} ms, max {max(stills) * 1000:.0f} ms "
            f"(goal <= {STILL_GOAL_S * 1000:.0f} ms)  [{verdict(still_median <= STILL_GOAL_S)}]"
        )
        stream.close()

        print("\n1080p30 stream (1920x1080, VP8, loopback)")
        stream = Stream(engine, store, phone_thread, 1920, 1080, 30)
        time.sleep(3.0)
        samples, cpu1080, fps1080 = stream_figures("window", stream, args.window, None)
        hd = latency_figures(samples) if samples else None
        if hd is not None:
            print_latency("glass-to-glass latency (for information)", hd)
            print_breakdown(samples)
        stream.close()
        results.update(
            first=first,
            late=late,
            fps720=fps720,
            fps1080=fps1080,
            cpu720=cpu720,
            cpu1080=cpu1080,
            still=still_median,
        )
    finally:
        engine.stop()
        phone_thread.close()
        store.close()

    print("\nsummary")
    f, la = results["first"], results["late"]
    c7, c10 = results["cpu720"], results["cpu1080"]
    print(f"  latency 720p30 median/p95: {f['median']:.0f}/{f['p95']:.0f} ms; ", end="")
    print(f"after {drift:.0f} s: {la['median']:.0f}/{la['p95']:.0f} ms (goal 80/120)")
    print(f"  fps received: 720p {results['fps720']:.1f}, 1080p {results['fps1080']:.1f} (goal 29)")
    print(
        f"  CPU 720p30: engine {c7.engine_pct:.0f} %, process {c7.process_pct:.0f} %; "
        f"1080p30: engine {c10.engine_pct:.0f} %, process {c10.process_pct:.0f} % "
        "(% of one core; goal engine <= 40 % at 720p)"
    )
    print(f"  still round trip median: {results['still'] * 1000:.0f} ms (goal 1500)")
    if sink.errors:
        print(f"  engine errors: {[e.message for e in sink.errors][:5]}")
    print(f"  load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
