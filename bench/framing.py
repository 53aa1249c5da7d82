"""The framing check's separation: matching views against mismatched ones.

    .venv/bin/python bench/framing.py

For every whole-car outline, the demo phone's view of that side (matching)
and every other view of the demo phone (mismatched: other sides, wheels, the
cabin…) are scored against the outline at the live video's size (1280x720),
plus the matching view shifted and zoomed out (a seller standing too close or
off to one side). Prints the lowest matching score, the highest mismatched
one and the threshold (``FRAMED_MIN``) between them.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from inspector.domain.framing import FRAMED_MIN, FRAMING_OVERLAYS, framing_score
from inspector.live.contrib.views import VIEWS, View, render_view

W, H = 1280, 720


def _shifted(image: np.ndarray, dx: float, dy: float, zoom: float) -> np.ndarray:
    matrix = np.float32(
        [[zoom, 0, (1 - zoom) * W / 2 + dx * W], [0, zoom, (1 - zoom) * H / 2 + dy * H]]
    )
    return cv2.warpAffine(image, matrix, (W, H), borderMode=cv2.BORDER_REFLECT)


def main() -> None:
    views = {name: render_view(View(name, name), W, H) for name in VIEWS}
    matching: list[float] = []
    mismatched: list[tuple[float, str, str]] = []
    off: list[tuple[float, str, str]] = []
    took: list[float] = []
    print(f"{'outline':<28} {'own view':>9} {'best other':>11}  (view)")
    for outline in sorted(FRAMING_OVERLAYS):
        started = time.perf_counter()
        own = framing_score(views[outline], outline).score
        took.append(time.perf_counter() - started)
        others = [
            (framing_score(image, outline).score, name, outline)
            for name, image in views.items()
            if name != outline
        ]
        matching.append(own)
        mismatched.extend(others)
        best = max(others)
        print(f"{outline:<28} {own:>9.3f} {best[0]:>11.3f}  ({best[1]})")
        for label, (dx, dy, zoom) in {
            "too close": (0.0, 0.0, 1.5),
            "off to the side": (0.25, 0.0, 1.0),
            "too far": (0.0, 0.05, 0.55),
        }.items():
            score = framing_score(_shifted(views[outline], dx, dy, zoom), outline).score
            off.append((score, label, outline))
    low, high = min(matching), max(mismatched)
    not_car = max(m for m in mismatched if m[1] not in FRAMING_OVERLAYS)
    print()
    print(f"matching views:   lowest score {low:.3f}")
    print(f"mismatched views: highest score {high[0]:.3f} ({high[1]} against {high[2]})")
    print(f"  of which not the car's outside: {not_car[0]:.3f} ({not_car[1]} against {not_car[2]})")
    print(f"separation:       {low - high[0]:+.3f}; threshold FRAMED_MIN = {FRAMED_MIN}")
    passed_off = [o for o in off if o[0] >= FRAMED_MIN]
    print(f"badly framed own views passing: {len(passed_off)} of {len(off)}")
    for score, label, outline in sorted(off, reverse=True)[:6]:
        print(f"  {outline:<28} {label:<16} {score:.3f}")
    print(f"time per check (first, outline cached): {1000 * np.median(took):.1f} ms")
    started = time.perf_counter()
    for _ in range(20):
        framing_score(views["front"], "front")
    print(f"time per check (warm): {1000 * (time.perf_counter() - started) / 20:.1f} ms")


if __name__ == "__main__":
    main()
