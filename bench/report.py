"""Benchmark: the PDF report of 24 phone-sized photos, against drawing them naively.

Makes 24 synthetic 4000x3000 JPEG captures (noise and shapes, so they weigh
what real 12-megapixel photos weigh: a few MB each) in a temporary store,
times ``build_report`` and measures the PDF, then draws the same originals the
naive way (reportlab ``drawImage`` of a PIL image, default settings) and prints
the ratio. Goal: at most 3 s and 15 MB.

    .venv/bin/python bench/report.py [--photos 24]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector.domain.checklist import load_checklist  # noqa: E402
from inspector.domain.models import (  # noqa: E402
    CaptureSource,
    Damage,
    DamageType,
    Inspection,
    Part,
    QualityReport,
    Region,
    Severity,
    Vehicle,
    Verdict,
)
from inspector.report.document import build_report  # noqa: E402
from inspector.storage.store import Store  # noqa: E402

WIDTH, HEIGHT = 4000, 3000
GOAL_SECONDS, GOAL_MB = 3.0, 15.0


def synthetic_photo(seed: int) -> bytes:
    """A 12-megapixel JPEG with real-world entropy: gradients, shapes, edges, grain.

    Drawn at a quarter of the size and enlarged (fast), then grain is added at
    full resolution so the file weighs what a real phone photo weighs.
    """
    rng = np.random.default_rng(seed)
    small_w, small_h = WIDTH // 4, HEIGHT // 4
    yy, xx = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    base = np.stack(
        [
            110 + 70 * np.sin(xx / (70 + 10 * c) + seed) * np.cos(yy / (60 + 8 * c))
            for c in range(3)
        ],
        axis=-1,
    )
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(220):
        x, y = int(rng.integers(0, small_w)), int(rng.integers(0, small_h))
        w, h = int(rng.integers(10, 160)), int(rng.integers(10, 110))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.rectangle((x, y, x + w, y + h), fill=colour, outline=(20, 20, 20))
        else:
            draw.ellipse((x, y, x + w, y + h), fill=colour, outline=(0, 0, 0), width=2)
    big = np.asarray(img.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR), np.int16)
    tile = rng.integers(-10, 11, (HEIGHT // 2, WIDTH // 2, 1), dtype=np.int16)
    grain = np.tile(tile, (2, 2, 3))
    noisy = np.clip(big + grain, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(noisy).save(out, "JPEG", quality=88)
    return out.getvalue()


def naive_pdf(paths: list[Path], out: Path) -> None:
    """What one writes first: a PIL image per page, reportlab defaults."""
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    rl_config.useA85 = 1  # the default
    canvas = Canvas(str(out), pagesize=A4)
    for path in paths:
        with Image.open(path) as img:
            img.load()
            canvas.drawImage(img_reader(img), 40, 300, 515, 386)
        canvas.showPage()
    canvas.save()
    rl_config.useA85 = 0


def img_reader(img: Image.Image) -> object:
    from reportlab.lib.utils import ImageReader

    return ImageReader(img)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--no-naive", action="store_true", help="skip the naive comparison (it is slow)"
    )
    parser.add_argument("--runs", type=int, default=1, help="time build_report this many times")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="inspector-bench-"))
    store = Store(folder / "data")
    inspection = Inspection(
        id="bench0000001",
        checklist="standard",
        vehicle=Vehicle("Škoda", "Octavia", 2020, "GE-456-FR", "TMBJJ7NE4L0123456", 61200),
        operator="Élodie Martin",
    )
    store.create_inspection(inspection)
    shots = [s.id for s in load_checklist("standard").shots][: args.photos]
    while len(shots) < args.photos:
        shots.append(f"damage_{len(shots)}_wide")

    print(f"Making {args.photos} synthetic {WIDTH}x{HEIGHT} JPEG captures...", flush=True)
    t = time.perf_counter()
    sizes = []
    captures = []
    for i, shot_id in enumerate(shots):
        data = synthetic_photo(i)
        sizes.append(len(data))
        captures.append(
            store.add_capture(
                inspection.id,
                shot_id,
                data,
                width=WIDTH,
                height=HEIGHT,
                source=CaptureSource.STILL,
                quality=QualityReport(Verdict.OK),
            )
        )
    for n, capture in enumerate(captures[:6]):
        store.add_damage(
            Damage(
                f"bench{n}",
                inspection.id,
                capture.id,
                Part.BONNET,
                DamageType.SCRATCH,
                Severity(n % 3 + 1),
                Region(0.4, 0.4, 0.1, 0.08),
                "rayure",
            )
        )
    total_mb = sum(sizes) / 1e6
    print(
        f"  {total_mb:.1f} MB of photos, {min(sizes) / 1e6:.1f}-{max(sizes) / 1e6:.1f} MB each "
        f"({time.perf_counter() - t:.1f} s to make)"
    )

    out = folder / "report.pdf"
    runs = []
    for _ in range(max(1, args.runs)):
        t = time.perf_counter()
        build_report(store, inspection.id, out, lang="fr")
        runs.append(time.perf_counter() - t)
    seconds = min(runs)
    mb = out.stat().st_size / 1e6
    from pypdf import PdfReader  # a test dependency, like this benchmark

    pages = len(PdfReader(str(out)).pages)

    print()
    print(f"{'':24}{'seconds':>10}{'MB':>10}{'pages':>8}")
    print(f"{'build_report':24}{seconds:>10.2f}{mb:>10.1f}{pages:>8}")
    if len(runs) > 1:
        print(f"{'  (all runs)':24}  " + ", ".join(f"{r:.2f}" for r in runs))
    if not args.no_naive:
        naive = folder / "naive.pdf"
        t = time.perf_counter()
        naive_pdf([store.photo_path(c.sha256) for c in captures], naive)
        naive_seconds = time.perf_counter() - t
        naive_mb = naive.stat().st_size / 1e6
        print(f"{'naive drawImage(PIL)':24}{naive_seconds:>10.2f}{naive_mb:>10.1f}")
        print(f"{'ratio naive / report':24}{naive_seconds / seconds:>9.1f}x{naive_mb / mb:>9.1f}x")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(machine: {os.cpu_count()} CPUs, load average {load:.1f} during the run)")

    ok = seconds <= GOAL_SECONDS and mb <= GOAL_MB
    print()
    print(f"goal <= {GOAL_SECONDS:.0f} s and <= {GOAL_MB:.0f} MB: " + ("MET" if ok else "NOT MET"))
    store.close()
    if args.keep:
        print(f"files kept in {folder}")
    else:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
