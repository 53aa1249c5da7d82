"""The store's figures on both backends (issue 13): SQLite + folder, PostgreSQL + S3.

    .venv/bin/python bench/storage.py [--puts 30] [--inspections 10000] [--objects 10000]
                                      [--parts capture,open,list,sweep]

Starts a PostgreSQL (Debian's binaries, in a temporary folder, with fsync on, as a
deployment runs it) and SeaweedFS's S3 gateway (tests/s3_server.py), both on this
machine, and measures through the product's ``Store``:

- **capture**: ``add_capture`` of a 4000x3000 JPEG (about what a phone sends): the
  object stored (its SHA-256 checked by the server on S3), the row committed, the
  object checked after the commit; p50/p95 after 3 warm-ups. Goal on PostgreSQL +
  S3: p95 <= 150 ms.
- **listing**: ``--inspections`` inspections of 12 captures each, listed with their
  progress as the console's home and ``inspector list`` do (``Store.listing`` and
  ``completion``). Goal: <= 300 ms. Also the long way (``Store.records`` and
  ``progress``, every capture decoded), once, after checking both give the same.
- **open**: one inspection with 60 captures and 4 damages read as the review opens it.
- **sweep**: the orphan sweep over ``--objects`` stored objects, every one used.

Rows for the listing and the sweep are written in bulk (one transaction): their
making is not what is measured.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

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
    Severity,
    Verdict,
)
from inspector.domain.progress import progress  # noqa: E402
from inspector.storage import rows  # noqa: E402
from inspector.storage.store import Store  # noqa: E402
from inspector.usecases.reading import listed  # noqa: E402
from tests.inspector.postgres_fixtures import postgres_server  # noqa: E402
from tests.s3_server import BUCKET, seaweed_s3  # noqa: E402

DETAILS: Any = {
    "width": 4000,
    "height": 3000,
    "source": CaptureSource.STILL,
    "quality": QualityReport(Verdict.OK),
}


def capture_12mp() -> bytes:
    """A 4000x3000 JPEG with photo-like detail (smooth shapes plus sensor noise)."""
    rng = np.random.default_rng(12)
    small = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((4000, 3000), Image.Resampling.BICUBIC)
    pixels = np.asarray(image, dtype=np.int16) + rng.integers(-12, 13, (3000, 4000, 3))
    out = io.BytesIO()
    Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def bench_capture(store: Store, photo: bytes, puts: int) -> dict[str, float]:
    inspection = store.create_inspection(Inspection(id=rows.new_id(), checklist="standard"))
    for n in range(3):
        store.add_capture(inspection.id, "front", photo + b"warm" + bytes([n]), **DETAILS)

    def one(n: int) -> None:
        store.add_capture(inspection.id, "front", photo + n.to_bytes(8, "big"), **DETAILS)

    ms = [timed(lambda n=n: one(n)) for n in range(puts)]
    return {"capture p50": statistics.median(ms), "capture p95": percentile(ms, 0.95)}


def bench_listing(store: Store, count: int) -> dict[str, float]:
    checklist_shots = [s.id for s in load_checklist("standard").shots]
    verdicts = [QualityReport(Verdict.OK)] * 8 + [
        QualityReport(Verdict.WARN),
        QualityReport(Verdict.REJECT),
    ]
    rng = random.Random(13)
    sha = store.write_photo(b"listing photo")
    with store._transaction() as db:  # bulk: the making is not measured
        for n in range(count):
            # 12 captures of shots drawn at random, some rejected, some reviewed, every
            # tenth with a damage pair: few inspections alike, as in a real fleet.
            inspection = Inspection(id=rows.new_id(), checklist="standard")
            rows.insert_inspection(db, inspection)
            shots = rng.sample(checklist_shots, 12)
            if n % 10 == 0:
                shots[-2:] = ["damage_1_wide", "damage_1_closeup"]
                rows.insert_damage(
                    db,
                    Damage(
                        rows.new_id(),
                        inspection.id,
                        None,
                        Part.ROOF,
                        DamageType.DENT,
                        Severity.MINOR,
                        pair=1,
                    ),
                )
            for seq, shot in enumerate(shots, start=1):
                details: Any = {**DETAILS, "quality": rng.choice(verdicts)}
                capture = rows.new_capture(inspection.id, shot, sha, 13, details)
                capture.accepted = rng.choice([None, None, None, True, False])
                rows.insert_capture(db, capture, seq)
            rows.refresh_shots(db, inspection.id)
    checklists: dict[str, Any] = {}

    def checklist(name: str) -> Any:
        return checklists.get(name) or checklists.setdefault(name, load_checklist(name))

    def listing() -> list[str]:
        return [str(s.completion(checklist(s.checklist))) for s in store.listing()]

    def records() -> list[str]:
        return [
            str(progress(checklist(r.inspection.checklist), r.captures, r.damages))
            for r in store.records()
        ]

    def cli_list() -> None:
        listed(store, deep=False)

    fast = listing()
    assert fast == records()  # the same figures both ways
    assert len(set(fast)) > 5, set(fast)
    ms, cpu = [], []
    for _ in range(5):
        start = time.process_time()
        ms.append(timed(listing))
        cpu.append((time.process_time() - start) * 1000)
    return {
        f"list {count}": statistics.median(ms),
        f"list {count} min": min(ms),
        "list cpu": statistics.median(cpu),  # what a core of its own would take
        f"cli list {count}": statistics.median([timed(cli_list) for _ in range(3)]),
        f"records {count}": timed(records),
    }


def bench_open(store: Store, photo: bytes) -> dict[str, float]:
    inspection = store.create_inspection(Inspection(id=rows.new_id(), checklist="standard"))
    shots = [s.id for s in load_checklist("standard").shots]
    for n in range(60):
        store.add_capture(
            inspection.id, shots[n % len(shots)], photo[:200_000] + bytes([n]), **DETAILS
        )
    for _ in range(4):
        store.add_damage(
            Damage(rows.new_id(), inspection.id, None, Part.ROOF, DamageType.DENT, Severity.MINOR)
        )
    checklist = load_checklist("standard")

    def open_it() -> None:
        found = store.get_inspection(inspection.id)
        progress(checklist, store.captures(found.id), store.damages(found.id))

    open_it()
    return {"open 60": min(timed(open_it) for _ in range(5))}


def bench_sweep(store: Store, count: int) -> dict[str, float]:
    def put(n: int) -> str:
        return store.write_photo(b"sweep object %d" % n)

    with ThreadPoolExecutor(8) as pool:
        shas = list(pool.map(put, range(count)))
    inspection = store.create_inspection(Inspection(id=rows.new_id(), checklist="standard"))
    with store._transaction() as db:
        for seq, sha in enumerate(shas, start=1):
            rows.insert_capture(
                db, rows.new_capture(inspection.id, "front", sha, 16, {**DETAILS}), seq
            )
        rows.refresh_shots(db, inspection.id)
    return {f"sweep {count}": min(timed(lambda: store.sweep_orphans(0)) for _ in range(2))}


def run(store: Store, photo: bytes, args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = {}
    if "capture" in args.parts:
        figures |= bench_capture(store, photo, args.puts)
    if "open" in args.parts:
        figures |= bench_open(store, photo)
    if "list" in args.parts:
        figures |= bench_listing(store, args.inspections)
    if "sweep" in args.parts:
        figures |= bench_sweep(store, args.objects)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puts", type=int, default=30)
    parser.add_argument("--inspections", type=int, default=10_000)
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument(
        "--parts",
        type=lambda text: set(text.split(",")),
        default={"capture", "open", "list", "sweep"},
        help="what to measure, comma-separated (default: capture,open,list,sweep)",
    )
    args = parser.parse_args()
    photo = capture_12mp()
    print(f"12 MP JPEG: {len(photo) / 1e6:.1f} MB; load average {os.getloadavg()[0]:.1f}")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        with Store(Path(tmp) / "local") as store:
            results["SQLite + folder"] = run(store, photo, args)
        with postgres_server(durable=True) as pg, seaweed_s3(Path(tmp) / "seaweedfs") as s3:
            os.environ.update(s3.env())
            database = pg.create_database()
            with Store(
                Path(tmp) / "shared",
                database_url=pg.url(database),
                photo_store=f"s3://{BUCKET}/bench",
            ) as store:
                results["PostgreSQL + S3"] = run(store, photo, args)
    columns = list(next(iter(results.values())))
    print(f"{'backend':<18}" + "".join(f"{c:>18}" for c in columns) + "   (ms)")
    for name, figures in results.items():
        print(f"{name:<18}" + "".join(f"{figures[c]:>18.0f}" for c in columns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
