"""Photo store figures on both backends: storing a 12 MP capture (first part of issue 13).

    .venv/bin/python bench/storage.py [--puts 40]

Stores a 4000x3000 JPEG (made here, about the size a phone sends) ``--puts``
times through :func:`photo_store_for` on a local folder and on SeaweedFS's S3
gateway started on 127.0.0.1 (tests/s3_server.py), each time with a few
different bytes at the end so every put is a new photo. Times ``put`` (hashing,
upload with its SHA-256 checked by the server, durable on return) and ``get``,
after 3 warm-up puts, and prints p50/p95 per backend. A 30 MB multipart put is
timed too. The row is not part of it yet: the Store does not use the photo store.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector.storage.photostore import PhotoStore, photo_store_for  # noqa: E402
from tests.s3_server import BUCKET, seaweed_s3  # noqa: E402


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


def measure(store: PhotoStore, photo: bytes, puts: int) -> dict[str, float]:
    for n in range(3):  # warm-up: connections, first volume, page cache
        store.put(photo + b"warm" + n.to_bytes(4, "big"))
    put_ms, get_ms, names = [], [], []
    for n in range(puts):
        data = photo + n.to_bytes(8, "big")  # after the JPEG's end: still the same picture
        start = time.perf_counter()
        names.append(store.put(data))
        put_ms.append((time.perf_counter() - start) * 1000)
    for name in names[:10]:
        start = time.perf_counter()
        store.get(name)
        get_ms.append((time.perf_counter() - start) * 1000)
    big = os.urandom(30 << 20)
    start = time.perf_counter()
    store.put(big)
    big_ms = (time.perf_counter() - start) * 1000
    return {
        "put p50": statistics.median(put_ms),
        "put p95": percentile(put_ms, 0.95),
        "put max": max(put_ms),
        "get p50": statistics.median(get_ms),
        "30 MB put": big_ms,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puts", type=int, default=40)
    args = parser.parse_args()
    photo = capture_12mp()
    print(f"12 MP JPEG: {len(photo) / 1e6:.1f} MB; {args.puts} puts per backend")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        store = photo_store_for(Path(tmp) / "local")
        results["local folder"] = measure(store, photo, args.puts)
        with seaweed_s3(Path(tmp) / "seaweedfs") as server:
            os.environ.update(server.env())
            s3 = photo_store_for(f"s3://{BUCKET}/bench")
            results["S3 (SeaweedFS, loopback)"] = measure(s3, photo, args.puts)
            s3.close()
    columns = list(next(iter(results.values())))
    print(f"{'backend':<26}" + "".join(f"{c:>12}" for c in columns) + "   (ms)")
    for name, figures in results.items():
        print(f"{name:<26}" + "".join(f"{figures[c]:>12.0f}" for c in columns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
