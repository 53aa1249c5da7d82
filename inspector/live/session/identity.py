"""The car's identity read live: each accepted VIN, odometer or plate photo is read by the
OCR in the executor while the call goes on, compared with what the operator typed, and
the result kept (for the report and the bundle) and shown on the console at once.

An empty mileage is filled from the odometer ("read from photo"). A mismatch changes
nothing by itself: the operator decides (retake, or correct the entry).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from inspector.domain.identity import Kind, Reading, decode_vin, mismatch
from inspector.domain.models import Capture
from inspector.live import events
from inspector.live.session.context import SessionContext
from inspector.ocr import OcrError, kind_of_shot, read_photo
from inspector.storage import StoreError
from inspector.storage.readings import StoredReading

__all__ = ["IdentityReader"]

log = logging.getLogger(__name__)

BACKGROUND_NICE = 19


def _background_priority() -> None:
    """The reading thread yields the CPU to the live calls (frames, heartbeats, stills):
    nobody waits on a reading the way a seller waits on "photo saved", and a server
    holding many self-inspections must not let a burst of readings starve their links.
    Alone on the machine it reads at full speed. (Linux: a thread's own nice value.)"""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


_OCR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr", initializer=_background_priority)
"""One read at a time per process: reads queue here instead of taking the shared
executor's threads from the store writes and stills a live call is waiting on. With one
onnxruntime thread per read (``ocr.engine``), the read runs on this thread itself."""


class IdentityReader:
    """Reads accepted identity photos in the background; one task per photo."""

    def __init__(self, ctx: SessionContext) -> None:
        self._ctx = ctx
        self._tasks: set[asyncio.Task[None]] = set()
        self._read: set[str] = set()

    def schedule(self, capture: Capture) -> None:
        kind = kind_of_shot(capture.shot_id)
        if kind is None or capture.id in self._read:
            return
        self._read.add(capture.id)
        task = asyncio.get_running_loop().create_task(self._run(capture, kind))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def tasks(self) -> list[asyncio.Task[None]]:
        return list(self._tasks)

    async def _run(self, capture: Capture, kind: Kind) -> None:
        ctx = self._ctx
        try:
            overlay: str | None = ctx.checklist.shot(capture.shot_id).overlay
        except (KeyError, ValueError):
            overlay = None
        try:
            data = await ctx.run(ctx.store.read_photo, capture.sha256)
            loop = asyncio.get_running_loop()
            reading = await loop.run_in_executor(_OCR, read_photo, data, kind, overlay)
        except (OcrError, StoreError, OSError) as exc:
            log.warning("%s: cannot read %s: %s", ctx.inspection_id, capture.shot_id, exc)
            return
        await self._record(capture, reading)

    async def _record(self, capture: Capture, reading: Reading) -> None:
        ctx = self._ctx
        vehicle = ctx.inspection.vehicle
        entered: str | int | None = {
            "vin": vehicle.vin,
            "odometer": vehicle.mileage_km,
            "plate": vehicle.plate,
        }[reading.kind]
        filled = False
        if reading.kind == "odometer" and vehicle.mileage_km is None and reading.text:
            filled = await self._fill_mileage(int(reading.text))
        details = ""
        if reading.kind == "vin" and reading.text:
            info = decode_vin(reading.text)
            years = "/".join(str(y) for y in info.years)
            details = ", ".join(x for x in (info.manufacturer, info.country, years) if x)
        elif reading.kind == "plate" and reading.plate_format == "unknown":
            details = "unknown format"
        stored = StoredReading(
            capture.id,
            ctx.inspection_id,
            reading.kind,
            reading.text,
            reading.confidence,
            reading.plate_format,
            filled,
        )
        try:
            await ctx.run(ctx.store.add_reading, stored)
        except StoreError as exc:  # the console still shows it
            log.warning("%s: cannot keep the reading: %s", ctx.inspection_id, exc)
        ctx.emit(
            events.IdentityRead(
                ctx.inspection_id,
                capture.id,
                reading.kind,
                reading.text,
                round(reading.confidence, 3),
                "" if entered is None else str(entered),
                mismatch(reading.kind, entered, reading.text),
                filled,
                details,
            )
        )

    async def _fill_mileage(self, km: int) -> bool:
        ctx = self._ctx

        def fill() -> bool:
            current = ctx.store.get_inspection(ctx.inspection_id)
            if current.vehicle.mileage_km is not None:  # typed meanwhile: theirs wins
                return False
            current.vehicle = dataclasses.replace(current.vehicle, mileage_km=km)
            ctx.store.update_inspection(current)
            return True

        try:
            filled = await ctx.run(fill)
        except StoreError as exc:
            log.warning("%s: cannot fill the mileage: %s", ctx.inspection_id, exc)
            return False
        if filled:
            ctx.inspection.vehicle = dataclasses.replace(ctx.inspection.vehicle, mileage_km=km)
        return filled
