"""The engine's loop thread on its own: work from any thread, errors, deadlines, death."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from inspector.live.loop import LoopNotRunning, LoopThread


class Recorder:
    def __init__(self, shutdown_hangs: bool = False) -> None:
        self.errors: list[str] = []
        self.deaths: list[str] = []
        self.shutdowns = 0
        self.shutdown_hangs = shutdown_hangs
        self.event = threading.Event()

    def on_error(self, message: str) -> None:
        self.errors.append(message)
        self.event.set()

    def on_death(self, why: str) -> None:
        self.deaths.append(why)

    async def shutdown(self) -> None:
        self.shutdowns += 1
        if self.shutdown_hangs:
            await asyncio.sleep(3600)

    def thread(self) -> LoopThread:
        return LoopThread(
            "test-loop", on_error=self.on_error, on_death=self.on_death, shutdown=self.shutdown
        )


async def _nothing() -> int:
    return 1


def test_work_is_refused_before_start_and_after_stop() -> None:
    rec = Recorder()
    lt = rec.thread()
    with pytest.raises(LoopNotRunning, match="the test-loop is not running"):
        lt.call(_nothing()).result(1)  # the coroutine is closed: no "never awaited"
    assert lt.stop(1.0) is False  # nothing to stop
    lt.start()
    assert lt.call(_nothing()).result(5) == 1
    assert lt.stop(5.0) is True
    assert rec.shutdowns == 1 and not lt.running and lt.loop is None
    with pytest.raises(LoopNotRunning):
        lt.call(_nothing()).result(1)


def test_a_failing_task_is_reported_and_the_loop_goes_on() -> None:
    rec = Recorder()
    lt = rec.thread()
    lt.start()
    try:

        async def boom() -> None:
            raise RuntimeError("kaboom")

        async def spawn_and_run() -> str:
            lt.spawn(boom(), "doomed")
            return await lt.run(lambda: threading.current_thread().name)

        worker = lt.call(spawn_and_run()).result(5)
        assert rec.event.wait(5)
        assert "task doomed failed: RuntimeError: kaboom" in rec.errors[0]
        assert worker.startswith("test-loop-worker")  # blocking work runs off the loop
        assert lt.running and lt.call(_nothing()).result(5) == 1
    finally:
        lt.stop(5.0)


def test_a_send_on_a_closed_link_inside_aiortc_is_not_an_engine_error(tmp_path: Path) -> None:
    # aiortc's data channel flush, a task nobody awaits, raises ConnectionError when its
    # link closed meanwhile (seen at 20 self-inspections): the operator must not see an
    # engine error for a phone that left; the same error from our code still is one.
    def media_code(package: str) -> Any:
        fake = tmp_path / package / "transport.py"
        fake.parent.mkdir()
        source = "async def send():\n    raise ConnectionError('Cannot send data')\n"
        names: dict[str, Any] = {}
        exec(compile(source, str(fake), "exec"), names)
        return names["send"]

    async def ours() -> None:
        raise ConnectionError("Cannot send encrypted data, not connected")

    rec = Recorder()
    lt = rec.thread()
    lt.start()
    try:

        async def orphan(coro: Any) -> None:
            asyncio.ensure_future(coro)  # noqa: RUF006 - as aiortc does: nobody awaits it
            await asyncio.sleep(0.05)
            gc.collect()  # "Task exception was never retrieved" comes at collection

        for package in ("aiortc", "aioice"):
            lt.call(orphan(media_code(package)())).result(5)
        time.sleep(0.2)
        assert rec.errors == []
        lt.call(orphan(ours())).result(5)
        assert rec.event.wait(5)
        assert "ConnectionError" in rec.errors[0]
    finally:
        lt.stop(5.0)


def test_stop_keeps_its_deadline_when_shutdown_hangs() -> None:
    rec = Recorder(shutdown_hangs=True)
    lt = rec.thread()
    lt.start()
    started = time.monotonic()
    lt.stop(1.0)
    assert time.monotonic() - started < 2.0
    assert not lt.running


@pytest.mark.parametrize("how", ["system_exit", "loop_stopped"])
def test_a_loop_that_ends_on_its_own_says_why_and_cleans_up(how: str) -> None:
    rec = Recorder()
    lt = rec.thread()
    lt.start()
    loop = lt.loop
    assert loop is not None

    def die() -> None:
        raise SystemExit("shot")

    loop.call_soon_threadsafe(die if how == "system_exit" else loop.stop)
    deadline = time.monotonic() + 10
    while lt.alive:
        assert time.monotonic() < deadline, "the dead loop's thread did not end"
        time.sleep(0.02)
    assert not lt.running
    assert rec.deaths == [lt.died]
    assert ("SystemExit: shot" in rec.deaths[0]) == (how == "system_exit")
    assert rec.shutdowns == 1  # the owner's shutdown ran on the dying thread
    with pytest.raises(LoopNotRunning):
        lt.call(_nothing()).result(1)
    lt.stop(1.0)  # still safe after the death
