"""One process owns a data folder's live sessions; a call a crash interrupted is put back.

Real processes where processes are involved: two ``inspector serve`` on one data
folder, a ``SIGINT``-ed ``inspector demo``. (The ``SIGKILL`` of a serve mid-call and
the status after its restart are in ``test_faults_kill.py``.)
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.config import ServerSettings
from inspector.domain.models import CaptureSource, InspectionStatus, QualityReport, Verdict
from inspector.live import events as ev
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.live.engine import Engine, EngineStartError
from inspector.live.owner import LOCK_NAME, DataDirBusy, LiveLock
from inspector.storage.store import Store
from tests.data import force_status, jpeg_bytes, scene

from ..live_fixtures import TEST_CHECKLIST, EventLog, make_inspection, use_live_assets

ROOT = Path(__file__).resolve().parents[3]


def _serve(data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--port", "0", "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "INSPECTOR_DATA_DIR": str(data_dir)},
    )


def _first_event(proc: subprocess.Popen[str]) -> dict[str, object]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"serve ended: {proc.stderr.read() if proc.stderr else ''}"
    event: dict[str, object] = json.loads(line)
    return event


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


@pytest.mark.timeout(90)
def test_a_second_serve_on_one_data_folder_is_refused_naming_the_first(data_dir: Path) -> None:
    first = _serve(data_dir)
    try:
        assert _first_event(first)["event"] == "listening"
        second = subprocess.run(
            [sys.executable, "-m", "inspector", "serve", "--port", "0", "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "INSPECTOR_DATA_DIR": str(data_dir)},
        )
        assert second.returncode == 1
        assert f"already served by process {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        assert second.stdout == ""  # it never listened
    finally:
        _stop(first)
    assert first.returncode == 0
    third = _serve(data_dir)  # the lock went with the first process
    try:
        assert _first_event(third)["event"] == "listening"
    finally:
        _stop(third)


def test_the_lock_names_its_holder_and_goes_with_it(tmp_path: Path) -> None:
    a, b = LiveLock(tmp_path), LiveLock(tmp_path)
    a.acquire()
    assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())
    with pytest.raises(DataDirBusy, match=f"already served by process {os.getpid()}"):
        b.acquire()
    a.release()
    b.acquire()  # free again
    b.release()
    b.release()  # twice is fine


def test_a_second_engine_on_one_folder_cannot_start(store: Store) -> None:
    first = Engine(store, ServerSettings(port=0), EventLog())
    first.start()
    try:
        second = Engine(Store(store.data_dir), ServerSettings(port=0), EventLog())
        with pytest.raises(EngineStartError, match="already served by process"):
            second.start()
        assert not second.running
        second.store.close()
    finally:
        first.stop(timeout=5)
    again = Engine(store, ServerSettings(port=0), EventLog())
    again.start()  # stop() gave it up
    again.stop(timeout=5)


def _add_usable(store: Store, inspection_id: str, shot_id: str, seed: int) -> None:
    store.add_capture(
        inspection_id,
        shot_id,
        jpeg_bytes(scene(320, 240, seed=seed)),
        width=320,
        height=240,
        source=CaptureSource.STILL,
        quality=QualityReport(Verdict.OK),
    )


def test_inspections_left_live_go_back_to_what_their_photos_say(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = use_live_assets(tmp_path, monkeypatch)
    partial = make_inspection(store, TEST_CHECKLIST)
    _add_usable(store, partial.id, "front", 1)
    complete = make_inspection(store, TEST_CHECKLIST)
    for n, shot in enumerate(["front", "side", "rear"]):
        _add_usable(store, complete.id, shot, 10 + n)
    reviewed = make_inspection(store, TEST_CHECKLIST)
    for inspection in (partial, complete):
        force_status(store, inspection.id, InspectionStatus.LIVE)  # what a crash leaves
    force_status(store, reviewed.id, InspectionStatus.REVIEWED)
    log = EventLog()
    engine = Engine(store, ServerSettings(port=0), log, assets=root)
    engine.start()
    try:
        interrupted = {e.inspection_id: e.status for e in log.of(ev.CallInterrupted)}
        assert interrupted == {partial.id: "invited", complete.id: "captured"}
        # Said before the server listens: no phone joins a half-recovered folder.
        names = [e.name for e in log.events]
        assert names.index("call_interrupted") < names.index("listening")
        assert store.get_inspection(partial.id).status is InspectionStatus.INVITED
        assert store.get_inspection(complete.id).status is InspectionStatus.CAPTURED
        assert store.get_inspection(reviewed.id).status is InspectionStatus.REVIEWED
    finally:
        engine.stop(timeout=5)


async def test_a_call_ended_by_stopping_the_engine_leaves_nothing_live(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = use_live_assets(tmp_path, monkeypatch)
    log = EventLog()
    engine = Engine(store, ServerSettings(port=0), log, assets=root)
    engine.start()
    inspection = make_inspection(store, TEST_CHECKLIST)
    invite = await asyncio.wrap_future(engine.invite(inspection.id))
    phone = SimulatedPhone(invite.join_url, width=160, height=120, fps=10)
    await phone.start()
    try:
        await log.wait(ev.PhoneJoined)
        await phone.wait_for("shot")
        deadline = time.monotonic() + 5
        while store.get_inspection(inspection.id).status is not InspectionStatus.LIVE:
            assert time.monotonic() < deadline, "never marked live"
            await asyncio.sleep(0.05)
        await asyncio.to_thread(engine.stop, 5)
        assert store.get_inspection(inspection.id).status is InspectionStatus.INVITED
    finally:
        await phone.stop()
        engine.stop(timeout=5)
    again = EventLog()
    engine = Engine(store, ServerSettings(port=0), again, assets=root)
    engine.start()
    engine.stop(timeout=5)
    assert again.of(ev.CallInterrupted) == []  # a clean stop is not an interruption


@pytest.mark.timeout(120)
def test_a_demo_stopped_with_ctrl_c_leaves_no_inspection_live(data_dir: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "demo", "--checklist", "quick", "-o", "r.pdf"],
        cwd=data_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "INSPECTOR_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        deadline = time.monotonic() + 60
        while True:  # the first capture line: the call is on, the inspection is live
            assert time.monotonic() < deadline, "no capture within 60 s"
            line = proc.stdout.readline()
            assert line, f"the demo ended early: {proc.stderr.read()}"
            if line.startswith("  ") and "x" in line:
                break
        with Store(data_dir) as store:
            assert [i.status for i in store.list_inspections()] == [InspectionStatus.LIVE]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 130
        stderr = proc.stderr.read()
        assert "Traceback" not in stderr
        assert "demo interrupted" in stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    with Store(data_dir) as store:
        statuses = [i.status for i in store.list_inspections()]
    assert statuses and InspectionStatus.LIVE not in statuses
