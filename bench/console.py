"""Console bench: painted fps and UI event-loop latency while the demo phone streams.

Runs the real console window (real engine, real simulated phone over loopback
WebRTC at 720p30), shown at 1366x768, and measures for ``--seconds``:

- painted fps: distinct video frames the live view painted per second;
- loop latency: how late a 5 ms precise QTimer fires (p50 / p95 / max), which is
  what a click or a key press waits at worst.

Goal: >= 29 painted fps, p95 <= 20 ms. ``python bench/console.py [--seconds 10]``
(QT_QPA_PLATFORM=offscreen works without a display).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class SyntheticFeed:
    """A thread that plays the engine's part: newest frame into a slot, then an event."""

    def __init__(self, window, inspection_id: str, width: int, height: int, fps: float) -> None:  # type: ignore[no-untyped-def]
        import threading

        import av

        from inspector.live.contrib.simphone import render_scene
        from inspector.live.frames import FrameSlot

        self.slot = FrameSlot()
        self.window, self.inspection_id, self.fps = window, inspection_id, fps
        picture = render_scene(width, height)
        self.frame = av.VideoFrame.from_ndarray(picture, format="bgr24").reformat(format="yuv420p")
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        from inspector.live.events import FrameAvailable

        n = 0
        t0 = time.monotonic()
        while not self.stop.is_set():
            n += 1
            frame = self.slot.put(self.frame)
            self.window.bridge.on_event(FrameAvailable(self.inspection_id, frame.seq))
            time.sleep(max(0.0, t0 + n / self.fps - time.monotonic()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="feed decoded frames straight into the frame slot at --fps (no WebRTC): "
        "measures the console alone",
    )
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from inspector.storage.store import Store
    from inspector.usecases.inspections import create_inspection
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="console-bench-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp))
    store = Store(tmp / "data")
    inspection, _ = create_inspection(
        store, checklist="quick", vehicle={"make": "Peugeot", "model": "308"}, seller={}
    )
    window = MainWindow(store)
    window.resize(1366, 768)
    window.show()

    def wait(condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            app.processEvents()
            if condition():
                return True
            time.sleep(0.005)
        return False

    try:
        if not wait(lambda: window.server_url is not None, 15):
            print("the engine did not start", file=sys.stderr)
            return 1
        window.open_inspection(inspection.id)
        wait(lambda: window.live.inspection is not None, 10)
        view = window.live.live_view
        if args.synthetic:
            feeder = SyntheticFeed(window, inspection.id, args.width, args.height, args.fps)
            view.set_source(feeder.slot.latest)
            feeder.start()
        else:
            window.live.start_demo_phone(width=args.width, height=args.height, fps=args.fps)
            if not wait(lambda: window.live.live, 20):
                print("the demo phone did not connect", file=sys.stderr)
                return 1
        wait(lambda: view.painted_frames > 30, 10)  # warm up: decoder, first paints

        received: list[float] = []
        window.bridge.stats.connect(lambda e: received.append(e.fps))
        lateness: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            lateness.append(max(0.0, (now - last[0]) * 1000 - 5.0))
            last[0] = now

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(5)
        timer.timeout.connect(tick)
        painted0, paints0 = view.painted_frames, view.paints
        started = time.perf_counter()
        last[0] = started
        timer.start()
        QTimer.singleShot(int(args.seconds * 1000), app.quit)
        app.exec()  # the real event loop, as the operator has it
        timer.stop()
        elapsed = time.perf_counter() - started
        painted = (view.painted_frames - painted0) / elapsed
        paints = (view.paints - paints0) / elapsed
        lat = sorted(lateness)
        p50 = statistics.median(lat)
        p95 = lat[int(0.95 * (len(lat) - 1))]
        if args.synthetic:
            feeder.stop.set()
            received.append(args.fps)
        rx = statistics.median(received) if received else float("nan")
        print(
            f"video: {args.width}x{args.height} at {args.fps:g} fps for {elapsed:.1f} s; "
            f"the engine received {rx:.1f} fps (median of its stats)"
        )
        print(f"painted fps: {painted:.1f} (paint events {paints:.1f}/s)")
        print(
            f"loop latency (5 ms timer lateness): p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
            f"max {lat[-1]:.1f} ms over {len(lat)} ticks"
        )
        ok = painted >= 29 and p95 <= 20
        print("goal (>= 29 painted fps, p95 <= 20 ms):", "met" if ok else "NOT met")
        return 0
    finally:
        window.close()
        store.close()


if __name__ == "__main__":
    sys.exit(main())
