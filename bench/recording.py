"""Recording bench: what recording a call costs the engine, and how big the file grows.

`python bench/recording.py [--seconds 30] [--width 1280 --height 720 --fps 30]` runs,
in one process, the real engine and a :class:`SimulatedPhone` streaming the demo car
over loopback WebRTC (as ``bench/live.py`` does), twice for the same time: once without
the seller's consent, once with it (the engine records: H.264 MP4 on the recorder's
thread, :mod:`inspector.live.recorder`). It prints:

1. the whole process's CPU in both runs (``os.times``), and the difference: the cost
   of recording, in % of one core (the phone's VP8 encoding runs in the same process
   and costs the same in both runs);
2. the recorder's own threads (the Python "call-recorder" thread and libx264's native
   threads), from ``/proc/self/task/*/schedstat``;
3. the recording's size in MB per minute, and what that makes for 10 minutes; frames
   recorded and dropped; its duration read back with PyAV.

Goals: recording costs <= 15 % of one core more than not recording at 720p30;
<= 40 MB per 10 minutes of 720p. Always exits 0 (a bench): each figure is printed with
"ok" or "MISS". The machine is shared: run it twice and read the spread.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import av
from live import CpuWindow, PhoneThread

from inspector.config import ServerSettings
from inspector.live import events
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.live.engine import Engine
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection

EXTRA_CPU_GOAL_PCT = 15.0  # of one core, at 720p30
MB_PER_10_MIN_GOAL = 40.0


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def one_run(
    engine: Engine,
    store: Store,
    phone_thread: PhoneThread,
    args: argparse.Namespace,
    record: bool,
) -> tuple[CpuWindow, str, int]:
    inspection, _ = create_inspection(
        store,
        checklist="quick",
        vehicle={"make": "Renault", "model": "Clio", "plate": "AB-123-CD"},
        seller={"name": "Bench", "language": "fr"},
    )
    invite = engine.invite(inspection.id, "operator").result(15)
    phone = SimulatedPhone(
        invite.join_url,
        width=args.width,
        height=args.height,
        fps=args.fps,
        still_size=(2000, 1500),
        recording=record,
    )
    phone_thread.call(phone.start(timeout=20), 30)
    time.sleep(args.settle)  # past the start: resolution up, encoder warm
    cpu = CpuWindow()
    cpu.start()
    time.sleep(args.seconds)
    cpu.stop()
    received = engine.latest_frame(inspection.id)
    engine.end_session(inspection.id).result(30)
    phone_thread.call(phone.stop(), 15)
    size = (received.width, received.height) if received is not None else (0, 0)
    return cpu, inspection.id, size[1]


def recorder_pct(cpu: CpuWindow) -> tuple[float, float]:
    """(the "call-recorder" thread, native threads) in % of one core."""
    return (
        cpu.groups.get("other (call-recorder)", 0.0),
        cpu.groups.get("other (native, not a Python thread)", 0.0),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds measured per run")
    parser.add_argument("--settle", type=float, default=4.0, help="seconds before measuring")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=30.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="bench-recording-") as tmp:
        store = Store(Path(tmp) / "data")
        log: list[events.Event] = []
        engine = Engine(store, ServerSettings(port=0), log.append)
        engine.start()
        phone_thread = PhoneThread()
        try:
            print(f"Recording bench: {args.width}x{args.height} at {args.fps:g} fps, ", end="")
            print(f"{args.seconds:g} s measured per run")
            plain, _, height = one_run(engine, store, phone_thread, args, record=False)
            recorded, iid, _ = one_run(engine, store, phone_thread, args, record=True)
        finally:
            phone_thread.close()
            engine.stop(timeout=10)
        print(f"  frames arrived at {height} lines")
        print("\n  without recording:")
        plain.report()
        print("\n  with recording:")
        recorded.report()
        extra = recorded.process_pct - plain.process_pct
        thread, native = recorder_pct(recorded)
        print(
            f"\n  recording costs {extra:+.1f} % of one core (whole process, goal <= "
            f"{EXTRA_CPU_GOAL_PCT:g}): {verdict(extra <= EXTRA_CPU_GOAL_PCT)}"
        )
        print(f"    recorder thread {thread:.1f} %, native (libx264) threads {native:.1f} %")

        (row,) = [r for r in store.recordings(iid) if r.playable]
        assert row.sha256 is not None
        path = store.recording_file(row.sha256, row.mime)
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            frames = [float(f.pts * f.time_base) for f in container.decode(stream)]
            codec = f"{stream.codec_context.name} {stream.codec_context.width}x"
            codec += f"{stream.codec_context.height}"
        played = max(frames) - min(frames)
        mb_per_min = row.size / 1e6 / (row.duration / 60)
        print(
            f"  recording: {codec}, {row.size / 1e6:.2f} MB for {row.duration:.1f} s "
            f"({len(frames)} frames, {played:.1f} s read back with PyAV)"
        )
        per_10 = mb_per_min * 10
        print(
            f"  size: {mb_per_min:.2f} MB per minute = {per_10:.1f} MB per 10 minutes (goal <= "
            f"{MB_PER_10_MIN_GOAL:g}): {verdict(per_10 <= MB_PER_10_MIN_GOAL)}"
        )
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
