"""Console soak: the real console in a live call with the demo phone, driven like an operator.

``QT_QPA_PLATFORM=offscreen python bench/console_soak.py [--minutes 10] [--budget-mb 50]``

The real ``MainWindow`` (offscreen by default), its real engine and the Demo
phone (Live › Demo phone: a simulated phone over loopback WebRTC, 720p30 video,
2000x1500 stills) on a fresh data directory. A timer on the console's own event
loop plays the operator, only through the window's actions and dialogs:
Capture (Space), Accept (Enter) or now and then Retake (R), Add damage (Ctrl+D)
twice per inspection with its dialog answered or left for later, and when the
checklist is complete, File › New inspection (the dialog filled in, quick and
standard checklists in turn), which ends the call, opens the new one and joins
the Demo phone again.

It prints the process's RSS after a warm-up (``--warmup``, 3 minutes), every
minute of the ``--minutes`` that follow and at the end, with the captures,
damages and inspections done, and how many references to ``None`` the process
gained or lost (on Python < 3.12 a PySide6 that loses one per call, like 6.12.0,
makes that number fall steadily until Python aborts with "none_dealloc"). RSS is
sampled every 5 s; growth is the median of the last two minutes minus the median
of the first two. Exit status: 0 when the run finished with growth within
``--budget-mb`` and no error, no stall and no lost reference; 1 otherwise (a
crash ends the process by itself, with its signal).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

# At this pace (a capture every ~0.7 s, a new inspection every ~15 s) the process takes
# a few minutes to reach its working set: caches fill, and the allocator's per-thread
# arenas grow to what decoding 3 MP photos on several threads at once needs.
WARMUP_S = 180.0
SAMPLE_S = 5.0  # RSS is sampled this often; minutes are compared by their median
STALL_S = 60.0  # no capture for this long: the console is stuck
THINK_S = 0.25  # the operator's pause between two actions
DAMAGES_PER_INSPECTION = 2
# References to None lost per minute beyond which PySide6 is the broken kind (6.12.0 lost
# about one per Qt call: tens of thousands a minute here). This process *gains* some
# (about 90 a second while video streams, in PyAV and aiortc's C code): harmless,
# None is never freed, but it means a loss shows as a fall below the start.
NONE_LOSS_PER_MINUTE = 1000
RETAKE_EVERY = 9  # about one photo in nine is retaken


def rss_mb() -> float:
    """Resident set size of this process (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def none_refs() -> int:
    return sys.getrefcount(None)


def object_counts() -> Counter[str]:
    """Live Python objects by type name (slow: for --objects only)."""
    gc.collect()
    return Counter(type(o).__qualname__ for o in gc.get_objects())


@dataclass
class Tally:
    captures: int = 0
    accepted: int = 0
    retakes: int = 0
    damages: int = 0
    damages_answered: int = 0
    inspections: int = 0
    capture_failures: int = 0
    errors: list[str] = field(default_factory=list)


class Operator:
    """Plays the operator on a timer: one action at a time, through the window's actions."""

    def __init__(self, window: Any, rng: random.Random, tally: Tally) -> None:
        self.w = window
        self.rng = rng
        self.tally = tally
        self.state = "joining"
        self.next_action_at = 0.0
        self.in_flight_since: float | None = None
        self.last_capture_at = time.monotonic()
        self.accepted_here = 0
        self.damages_here = 0
        self.checklists = ["standard", "quick"]
        bridge = window.bridge
        bridge.capture_requested.connect(self._requested)
        bridge.capture_stored.connect(self._stored)
        bridge.capture_failed.connect(self._failed)
        bridge.error.connect(lambda e: tally.errors.append(f"engine: {e.message}"))
        window.live.status_message.connect(self._status)

    # -- what the window tells -----------------------------------------------------

    def _mine(self, event: Any) -> bool:
        return (
            self.w.live.inspection is not None and event.inspection_id == self.w.live.inspection.id
        )

    def _requested(self, event: Any) -> None:
        if self._mine(event):
            self.in_flight_since = time.monotonic()

    def _stored(self, event: Any) -> None:
        if self._mine(event):
            self.in_flight_since = None
            self.tally.captures += 1
            self.last_capture_at = time.monotonic()

    def _failed(self, event: Any) -> None:
        if self._mine(event):
            self.in_flight_since = None
            self.tally.capture_failures += 1

    def _status(self, text: str) -> None:
        if text.startswith(("Engine:", "Error:")):
            self.tally.errors.append(text)

    # -- the operator ----------------------------------------------------------------

    def tick(self) -> None:
        now = time.monotonic()
        if now < self.next_action_at:
            return
        acted = {
            "joining": self._joining,
            "walking": self._walking,
            "opening": self._opening,
        }[self.state]()
        if acted:
            self.next_action_at = now + THINK_S

    def _joining(self) -> bool:
        live = self.w.live
        if live.live:
            self.state = "walking"
            self.accepted_here = self.damages_here = 0
            self.last_capture_at = time.monotonic()
            return True
        return False

    def _walking(self) -> bool:
        w, live = self.w, self.w.live
        if live.damage_dialog is not None:
            self._answer(live.damage_dialog)
            return True
        if live.completed:
            self._new_inspection()
            return True
        if not live.live or self.in_flight_since is not None:
            return False
        if live.capture.capture_id is not None:
            if self.rng.randrange(RETAKE_EVERY) == 0:
                w.retake_action.trigger()
                self.tally.retakes += 1
            else:
                w.accept_action.trigger()
                self.tally.accepted += 1
                self.accepted_here += 1
            return True
        wanted = (self.damages_here + 1) * 3  # a damage after the 3rd and the 6th accepted photo
        if self.damages_here < DAMAGES_PER_INSPECTION and self.accepted_here >= wanted:
            w.damage_action.trigger()
            self.damages_here += 1
            self.tally.damages += 1
            return True
        w.capture_action.trigger()
        self.in_flight_since = time.monotonic()
        return True

    def _answer(self, dialog: Any) -> None:
        from PySide6.QtWidgets import QDialogButtonBox

        if self.rng.random() < 0.5:
            dialog.reject()  # "Later": the inspector completes it
            return
        if dialog.part.currentIndex() < 0:
            dialog.part.setCurrentIndex(self.rng.randrange(dialog.part.count()))
        dialog.type.setCurrentIndex(self.rng.randrange(dialog.type.count()))
        dialog.severity_group.button(self.rng.randint(1, 3)).setChecked(True)
        dialog.note.setPlainText(f"soak {self.tally.damages}")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        self.tally.damages_answered += 1

    def _new_inspection(self) -> None:
        """File › New inspection: fill the dialog in and create; the console opens it."""
        self.checklists.reverse()
        dialog = self.w.new_inspection()
        n = self.tally.inspections + 1
        for key, text in {"make": "Peugeot", "model": "308", "plate": f"AB-{n:03d}-CD"}.items():
            dialog.fields[key].editor.setText(text)
        dialog.checklist.setCurrentIndex(dialog.checklist.findData(self.checklists[0]))
        dialog.accept()
        self.state = "opening"
        self.expected_plate = f"AB-{n:03d}-CD"

    def _opening(self) -> bool:
        live = self.w.live
        inspection = live.inspection
        if inspection is None or inspection.vehicle.plate != self.expected_plate:
            return False
        self.tally.inspections += 1
        self.w.demo_action.trigger()
        self.state = "joining"
        return True

    def stalled(self) -> bool:
        now = time.monotonic()
        if self.in_flight_since is not None and now - self.in_flight_since > STALL_S:
            return True
        return now - self.last_capture_at > STALL_S


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="measured time after warm-up")
    parser.add_argument(
        "--warmup", type=float, default=WARMUP_S, help="seconds before the baseline"
    )
    parser.add_argument("--budget-mb", type=float, default=50.0, help="allowed RSS growth")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--objects", action="store_true", help="also print the Python object types that grew"
    )
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import PySide6
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from inspector.storage.store import Store
    from inspector.usecases.inspections import create_inspection
    from ui.main_window import MainWindow

    print(
        f"console soak: Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}, "
        f"{args.minutes:g} min after {args.warmup:g} s of warm-up, budget {args.budget_mb:g} MB",
        flush=True,
    )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="console-soak-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp))
    store = Store(tmp / "data")
    create_inspection(
        store, checklist="quick", vehicle={"make": "Peugeot", "plate": "AB-000-CD"}, seller={}
    )
    tally = Tally()
    errors_before_hook = sys.excepthook

    def excepthook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        tally.errors.append(f"exception in the console: {kind.__name__}: {exc}")
        errors_before_hook(kind, exc, tb)

    sys.excepthook = excepthook  # PySide6 reports exceptions in slots here, then goes on
    window = MainWindow(store)
    window.resize(1366, 768)
    window.show()
    operator = Operator(window, random.Random(args.seed), tally)
    started = time.monotonic()
    baseline: dict[str, float] = {}
    counts_at_start: Counter[str] = Counter()
    samples: list[tuple[float, float]] = []  # (seconds after the baseline, RSS MB)
    outcome = {"failure": ""}

    def median_rss(start: float, end: float) -> float:
        """Median RSS of the samples taken between ``start`` and ``end`` s after the baseline."""
        window = [rss for at, rss in samples if start <= at <= end]
        return statistics.median(window) if window else float("nan")

    def minute_median(end: float) -> float:
        return median_rss(end - 60.0, end)

    def line(label: str) -> None:
        rss = rss_mb()
        at = time.monotonic() - started - baseline["at"]
        median = minute_median(at)
        refs = none_refs() - int(baseline["none"])
        print(
            f"{label:>9}  RSS {rss:7.1f} MB (minute median {median:7.1f}, "
            f"{median - baseline['rss']:+6.1f})  captures {tally.captures:4d}  "
            f"damages {tally.damages:3d}  inspections {tally.inspections + 1:3d}  "
            f"None refs {refs:+d}  errors {len(tally.errors)}",
            flush=True,
        )

    def sample() -> None:
        if baseline:
            samples.append((time.monotonic() - started - baseline["at"], rss_mb()))

    def start_call() -> None:
        window.home.table.selectRow(0)
        window.open_action.trigger()  # Enter on the home list

    def join_when_open() -> None:
        if window.live.inspection is None:
            QTimer.singleShot(100, join_when_open)
            return
        window.demo_action.trigger()

    def every_tick() -> None:
        try:
            operator.tick()
        except Exception as exc:  # a broken driver is a failed run, not a hang
            outcome["failure"] = f"driver: {type(exc).__name__}: {exc}"
            app.quit()
            return
        elapsed = time.monotonic() - started
        if not baseline and elapsed >= args.warmup:
            if args.objects:
                counts_at_start.update(object_counts())
            baseline.update(rss=rss_mb(), none=none_refs(), at=elapsed)
            sample()
            line("start")
            minute.start()
            sampler.start()
        if operator.stalled():
            outcome["failure"] = f"stalled: no capture for {STALL_S:g} s (state {operator.state})"
            app.quit()
        elif baseline and elapsed - baseline["at"] >= args.minutes * 60:
            app.quit()

    def every_minute() -> None:
        if baseline:
            line(f"{(time.monotonic() - started - baseline['at']) / 60:5.1f} min")

    def when_engine_ready() -> None:
        if window.server_url is None or window.home.model.rowCount() == 0:
            QTimer.singleShot(100, when_engine_ready)
            return
        start_call()
        join_when_open()

    ticker = QTimer()
    ticker.setInterval(100)
    ticker.timeout.connect(every_tick)
    minute = QTimer()
    minute.setInterval(60_000)
    minute.timeout.connect(every_minute)
    sampler = QTimer()
    sampler.setInterval(int(SAMPLE_S * 1000))
    sampler.timeout.connect(sample)
    QTimer.singleShot(0, when_engine_ready)
    ticker.start()
    try:
        app.exec()  # the real event loop, as the operator has it
        ticker.stop()
        minute.stop()
        sampler.stop()
        if baseline:
            sample()
            line("end")
        if args.objects and counts_at_start:
            grown = object_counts()
            grown.subtract(counts_at_start)
            print("objects that grew:", ", ".join(f"{k} {v:+d}" for k, v in grown.most_common(15)))
    finally:
        window.close()
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)

    # Growth: the median of the last two minutes against that of the first two (single
    # samples swing by tens of MB as 3 MP photos are decoded and freed on several threads).
    span = samples[-1][0] if samples else 0.0
    window = min(120.0, span / 2)
    first = median_rss(0.0, window)
    last = median_rss(span - window, span)
    growth = last - first
    none_lost = -(none_refs() - int(baseline["none"])) if baseline else 0
    slope = (
        statistics.linear_regression([at / 60 for at, _ in samples], [r for _, r in samples]).slope
        if len(samples) > 2
        else float("nan")
    )
    peak = max((rss for _, rss in samples), default=float("nan"))
    print(
        f"done: {tally.captures} captures ({tally.accepted} accepted, {tally.retakes} retaken, "
        f"{tally.capture_failures} failed), {tally.damages} damages "
        f"({tally.damages_answered} answered, the rest left to complete), "
        f"{tally.inspections} inspections completed; RSS median of the first {window / 60:g} min "
        f"{first:.1f} MB, of the last {window / 60:g} min {last:.1f} MB: growth {growth:+.1f} MB "
        f"(budget {args.budget_mb:g} MB, peak {peak:.1f} MB, trend {slope:+.1f} MB/min)"
    )
    problems = list(tally.errors)
    if outcome["failure"]:
        problems.insert(0, outcome["failure"])
    if not baseline:
        problems.append("the run ended before the warm-up did")
    elif not growth <= args.budget_mb:
        problems.append(f"memory grew by {growth:.1f} MB (budget {args.budget_mb:g} MB)")
    if tally.captures == 0:
        problems.append("no capture was made")
    if baseline and none_lost > NONE_LOSS_PER_MINUTE * max(span / 60, 1):
        problems.append(
            f"{none_lost} references to None were lost: this PySide6 leaks them "
            "(see tests/ui/test_pyside_refcount.py); Python aborts when they run out"
        )
    for problem in problems[:20]:
        print(f"FAIL: {problem}")
    print("result:", "FAIL" if problems else "ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
