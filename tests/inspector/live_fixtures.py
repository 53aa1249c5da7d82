"""Shared helpers for the live-link tests: inspections, a tmp assets copy, a JPEG."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from inspector.assets import assets_dir
from inspector.domain import checklist as checklist_module
from inspector.domain.models import Inspection
from inspector.live.events import Event
from inspector.storage.rows import new_id
from inspector.storage.store import Store

E = TypeVar("E", bound=Event)

PLACEHOLDER_PAGE = b"<!doctype html><title>phone</title><script src='/static/app.js'></script>"


def make_inspection(store: Store, checklist: str = "standard") -> Inspection:
    return store.create_inspection(Inspection(id=new_id(), checklist=checklist))


def make_assets(tmp_path: Path) -> Path:
    """A copy of assets/ with a placeholder phone page if the real one is not there yet."""
    root = tmp_path / "assets"
    shutil.copytree(assets_dir(), root)
    phone = root / "phone"
    phone.mkdir(exist_ok=True)
    if not (phone / "index.html").exists():
        (phone / "index.html").write_bytes(PLACEHOLDER_PAGE)
    if not (phone / "app.js").exists():
        (phone / "app.js").write_text("console.log('phone');\n")
    (root / "overlays").mkdir(exist_ok=True)
    if not (root / "overlays" / "front.svg").exists():
        (root / "overlays" / "front.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("do not serve")
    (phone / "notes.txt").write_text("not on the allow-list")
    return root


TEST_CHECKLIST = "live_test"
_LENIENT = {"min_width": 320, "min_height": 180, "min_sharpness": 1, "warn_sharpness": 2}


def _shot(shot_id: str, required: bool = True) -> dict[str, Any]:
    return {
        "id": shot_id,
        "category": "exterior",
        "title": {"fr": f"Vue {shot_id}", "en": f"View {shot_id}"},
        "instruction": {"fr": "Cadrez la voiture.", "en": "Frame the car."},
        "overlay": f"test_{shot_id}",
        "required": required,
        "quality": _LENIENT,
    }


def _damage(suffix: str) -> dict[str, Any]:
    shot = _shot(suffix)
    del shot["id"]
    shot.update(
        id_suffix=suffix,
        category="damage",
        title={"fr": f"Dommage {{n}} {suffix}", "en": f"Damage {{n}} {suffix}"},
    )
    return shot


def use_live_assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tmp assets copy the checklist loader reads, with a small test checklist.

    The overlays the shipped checklists name may not exist yet in this tree, and a
    checklist refuses unknown overlays: placeholder SVGs are added to the copy.
    """
    root = make_assets(tmp_path)
    checklist = {
        "format": 1,
        "id": TEST_CHECKLIST,
        "title": {"fr": "Test", "en": "Test"},
        "description": {"fr": "Trois vues.", "en": "Three views."},
        "shots": [_shot("front"), _shot("side"), _shot("rear")],
        "damage_shots": [_damage("wide"), _damage("closeup")],
    }
    (root / "checklists").mkdir(exist_ok=True)
    (root / "checklists" / f"{TEST_CHECKLIST}.json").write_text(json.dumps(checklist))
    overlays = {s["overlay"] for s in checklist["shots"] + checklist["damage_shots"]}
    for path in (root / "checklists").glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        overlays |= {s["overlay"] for s in data.get("shots", []) + data.get("damage_shots", [])}
    for name in overlays:
        svg = root / "overlays" / f"{name}.svg"
        if not svg.exists():
            svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    monkeypatch.setattr(checklist_module, "asset_path", lambda *parts: root.joinpath(*parts))
    return root


class EventLog:
    """Thread-safe record of engine events with async waiting (tests run their own loop)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type[E]) -> list[E]:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]

    async def wait(
        self, kind: type[E], where: Callable[[E], bool] | None = None, timeout: float = 10.0
    ) -> E:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.of(kind):
                if where is None or where(event):
                    return event
            if time.monotonic() > deadline:
                names = [e.name for e in self.events][-30:]
                raise TimeoutError(f"no {kind.__name__} within {timeout} s; saw {names}")
            await asyncio.sleep(0.02)
