"""Benchmark the quality check: `python bench/quality.py [--frames N] [--strict]`.

Live frames are measured on the engine's executor while the seller moves, so a
720p frame must cost at most 8 ms on a 2-core machine; a 12 MP still is checked
once per capture. Prints the median (and 95th percentile) in milliseconds.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import PIL
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from inspector.domain.models import QualityThresholds
from inspector.domain.quality import analyze_jpeg, assess, frame_difference, measure

FRAME_BUDGET_MS = 8.0
Frame = npt.NDArray[np.uint8]


def scene(width: int, height: int, seed: int) -> Frame:
    """A textured, noisy picture with text, edges and a reflection, like a real frame."""
    rng = np.random.default_rng(seed)
    s = width / 1280
    img = np.empty((height, width, 3), np.uint8)
    img[:] = np.linspace(60, 180, height, dtype=np.float32).astype(np.uint8)[:, None, None]
    for _ in range(60):
        x, y = rng.integers(0, width), rng.integers(0, height)
        w, h = rng.integers(20, 300, size=2) * s
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), colour, -1, cv2.LINE_AA)
    for i in range(20):
        org = (int(rng.integers(0, int(width - 300 * s))), int(rng.integers(int(40 * s), height)))
        font = cv2.FONT_HERSHEY_SIMPLEX
        cv2.putText(img, f"AB-{i:03d}-CD", org, font, 1.5 * s, (20, 20, 20), max(1, int(3 * s)))
    centre = (int(0.6 * width), int(0.4 * height))
    axes = (int(0.12 * width), int(0.05 * height))
    cv2.ellipse(img, centre, axes, 15, 0, 360, (255, 255, 255), -1, cv2.LINE_AA)
    noise = rng.integers(-6, 7, size=img.shape, dtype=np.int16)
    noisy: Frame = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    return noisy


def timed(fn: Callable[[int], object], runs: int, warmup: int) -> list[float]:
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(label: str, times: list[float], budget: float | None = None) -> bool:
    median = statistics.median(times)
    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    ok = budget is None or median <= budget
    verdict = "" if budget is None else f"  budget {budget:.1f} ms: {'OK' if ok else 'TOO SLOW'}"
    print(f"{label:<44} median {median:7.2f} ms   p95 {p95:7.2f} ms   n={len(times)}{verdict}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200, help="timed 720p frames")
    parser.add_argument("--stills", type=int, default=20, help="timed 4000x3000 JPEGs")
    parser.add_argument("--strict", action="store_true", help="exit 1 if over budget")
    args = parser.parse_args()
    thresholds = QualityThresholds()

    print(
        f"quality benchmark: {os.cpu_count()} CPUs, OpenCV {cv2.__version__} "
        f"({cv2.getNumThreads()} threads), Pillow {PIL.__version__}"
    )

    frames = [scene(1280, 720, seed) for seed in range(8)]
    ok = report(
        "measure+assess, 1280x720 BGR frame",
        timed(lambda i: assess(measure(frames[i % 8]), thresholds), args.frames, 20),
        FRAME_BUDGET_MS,
    )
    report(
        "frame_difference, two 1280x720 frames",
        timed(lambda i: frame_difference(frames[i % 8], frames[(i + 1) % 8]), args.frames, 20),
    )
    hd = [scene(1920, 1080, seed) for seed in range(2)]
    report(
        "measure+assess, 1920x1080 BGR frame",
        timed(lambda i: assess(measure(hd[i % 2]), thresholds), args.frames // 2, 10),
    )

    still = scene(4000, 3000, 99)
    buf = io.BytesIO()
    Image.fromarray(cv2.cvtColor(still, cv2.COLOR_BGR2RGB)).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    result = analyze_jpeg(data, thresholds)
    size = f"{result.metrics['width']:.0f}x{result.metrics['height']:.0f}"
    report(
        f"analyze_jpeg, 4000x3000 JPEG ({len(data) / 1e6:.1f} MB)",
        timed(lambda i: analyze_jpeg(data, thresholds), args.stills, 3),
    )

    def full_decode(_: int) -> None:
        with Image.open(io.BytesIO(data)) as im:
            im.convert("L").load()

    report("  for comparison: full Pillow decode to grey", timed(full_decode, 5, 1))
    print(f"  analyze_jpeg reported size {size}, verdict {result.verdict.value}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
