"""Shared pieces for the live console tests: fake events, frames, overlay fallback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import inspector.assets
from inspector.domain.models import (
    Capture,
    CaptureSource,
    QualityReason,
    QualityReport,
    Verdict,
)
from inspector.i18n import LocalText
from inspector.live.frames import FrameSlot

PLACEHOLDER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 90">'
    '<rect x="20" y="20" width="120" height="50" rx="8" fill="none" stroke="white"/></svg>'
)


def ensure_overlays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checklists need their overlay SVGs; until they exist, use placeholders in a copy."""
    real = inspector.assets.assets_dir()
    needed: set[str] = set()
    for f in (real / "checklists").glob("*.json"):
        data = json.loads(f.read_text(encoding="utf-8"))
        needed |= {s["overlay"] for s in data["shots"] + data.get("damage_shots", [])}
    if all((real / "overlays" / f"{n}.svg").is_file() for n in needed):
        return
    fake = tmp_path / "assets"
    shutil.copytree(real, fake)
    for name in needed:
        path = fake / "overlays" / f"{name}.svg"
        if not path.is_file():
            path.write_text(PLACEHOLDER_SVG, encoding="utf-8")
    monkeypatch.setattr(inspector.assets, "assets_dir", lambda: fake)


def picture(width: int = 320, height: int = 180, value: int = 90) -> np.ndarray:
    img = np.full((height, width, 3), value, np.uint8)
    img[:, : width // 2, 2] = 250  # left half red
    return img


class FakeSource:
    """A frame slot the test fills, read like ``engine.latest_frame``."""

    def __init__(self) -> None:
        self.slot = FrameSlot()
        self.reads = 0

    def put(self, width: int = 320, height: int = 180) -> int:
        return self.slot.put(picture(width, height)).seq

    def __call__(self):  # type: ignore[no-untyped-def]
        self.reads += 1
        return self.slot.latest()


def make_capture(
    capture_id: str,
    shot_id: str,
    verdict: Verdict = Verdict.OK,
    inspection_id: str = "insp",
    sha256: str = "0" * 64,
    accepted: bool | None = None,
) -> Capture:
    reasons = ()
    if verdict is not Verdict.OK:
        reasons = (
            QualityReason(
                "blurry", LocalText.of({"fr": "Photo floue", "en": "The photo is blurry"})
            ),
        )
    return Capture(
        id=capture_id,
        inspection_id=inspection_id,
        shot_id=shot_id,
        sha256=sha256,
        width=2000,
        height=1500,
        source=CaptureSource.STILL,
        quality=QualityReport(verdict, reasons),
        accepted=accepted,
    )
