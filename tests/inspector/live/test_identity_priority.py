"""The live identity reading yields the CPU to the calls: its thread runs at the lowest
priority, and the OCR's work happens on that thread (not on a pool of its own that
would keep the normal priority)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import cv2
import pytest

from inspector.live.contrib.views import render_view, view_for_shot
from inspector.live.session.identity import _OCR, BACKGROUND_NICE
from inspector.ocr import read_photo


def _cpu_seconds(tid: int) -> float:
    fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="Linux only")
def test_a_reading_runs_on_a_background_thread_and_does_its_work_there() -> None:
    picture = render_view(view_for_shot("odometer", None), 1600, 1200)
    photo = cv2.imencode(".jpg", picture)[1].tobytes()

    def read_here() -> tuple[int, int, float, float]:
        tid = threading.get_native_id()
        before = _cpu_seconds(tid)
        started = time.process_time()
        read_photo(photo, "odometer")
        return tid, os.getpriority(os.PRIO_PROCESS, tid), before, time.process_time() - started

    tid, nice, before, process_cpu = _OCR.submit(read_here).result(timeout=60)
    assert nice == BACKGROUND_NICE
    on_thread = _cpu_seconds(tid) - before
    assert process_cpu > 0.05  # a real reading
    assert on_thread >= 0.7 * process_cpu, (on_thread, process_cpu)
