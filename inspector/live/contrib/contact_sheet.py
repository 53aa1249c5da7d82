"""A contact sheet of every view the demo phone shows for the standard checklist.

``python -m inspector.live.contrib.contact_sheet docs/demo_phone_views.png``
renders each shot's view (and a damage pair) as the phone would film it, labels
it with the shot id and the render time, and saves one small PNG to look at.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from inspector.domain.checklist import damage_pair, load_checklist
from inspector.live.contrib.views import DemoVehicle, render_view, view_for_shot

__all__ = ["contact_sheet"]

_COLUMNS = 4
_THUMB = (288, 162)


def contact_sheet(path: Path, vehicle: DemoVehicle | None = None) -> list[tuple[str, float]]:
    """Write the sheet to ``path``; returns each shot id with its render time (ms, 720p)."""
    checklist = load_checklist("standard")
    shots = [*checklist.shots, *damage_pair(checklist, 1)]
    thumbs, timings = [], []
    for shot in shots:
        started = time.perf_counter()
        picture = render_view(view_for_shot(shot.id, shot.overlay), 1280, 720, vehicle)
        timings.append((shot.id, (time.perf_counter() - started) * 1000))
        thumb = cv2.resize(picture, _THUMB, interpolation=cv2.INTER_AREA)
        for colour, width in (((0, 0, 0), 3), ((255, 255, 255), 1)):
            cv2.putText(
                thumb, shot.id, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, width, cv2.LINE_AA
            )
        thumbs.append(cv2.copyMakeBorder(thumb, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=(40,) * 3))
    while len(thumbs) % _COLUMNS:
        thumbs.append(np.full_like(thumbs[0], 40))
    rows = [np.hstack(thumbs[i : i + _COLUMNS]) for i in range(0, len(thumbs), _COLUMNS)]
    sheet = Image.fromarray(cv2.cvtColor(np.vstack(rows), cv2.COLOR_BGR2RGB))
    # Few colours, no dithering: the grain of the views would otherwise make it large.
    small = sheet.quantize(colors=128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return timings


if __name__ == "__main__":
    for shot_id, ms in contact_sheet(Path(sys.argv[1] if len(sys.argv) > 1 else "views.png")):
        print(f"{shot_id:<28} {ms:6.0f} ms")
