"""The bridge: engine-thread events arrive on the main thread as typed signals."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from inspector.live import events as ev
from ui.engine_bridge import EngineBridge


def emit_from_thread(bridge: EngineBridge, *items: ev.Event) -> None:
    def run() -> None:
        for item in items:
            bridge.on_event(item)

    t = threading.Thread(target=run)
    t.start()
    t.join()


def test_events_from_another_thread_arrive_on_the_main_thread(qtbot: QtBot) -> None:
    bridge = EngineBridge()
    seen: list[tuple[str, Any, bool]] = []
    main = QThread.currentThread()

    def record(kind: str):  # type: ignore[no-untyped-def]
        return lambda e: seen.append((kind, e, QThread.currentThread() is main))

    bridge.shot_changed.connect(record("shot"))
    bridge.connection_changed.connect(record("connection"))
    bridge.hint.connect(record("hint"))
    bridge.error.connect(record("error"))
    emit_from_thread(
        bridge,
        ev.ConnectionChanged("a", "connected"),
        ev.ShotChanged("a", 2, "rear", 20),
        ev.LiveHint("a", "blurry", {}),
        ev.EngineError("boom"),
    )
    assert seen == []  # queued: nothing ran on the engine thread
    qtbot.waitUntil(lambda: len(seen) == 4, timeout=2000)
    assert [k for k, _, _ in seen] == ["connection", "shot", "hint", "error"]
    assert all(on_main for _, _, on_main in seen)
    assert seen[1][1].shot_id == "rear"


def test_frame_events_are_coalesced_per_session(qtbot: QtBot) -> None:
    bridge = EngineBridge()
    frames: list[tuple[str, int]] = []
    bridge.frame_available.connect(lambda iid, seq: frames.append((iid, seq)))
    emit_from_thread(
        bridge, *(ev.FrameAvailable("a", n) for n in range(1, 50)), ev.FrameAvailable("b", 7)
    )
    qtbot.waitUntil(lambda: len(frames) == 2, timeout=2000)
    qtbot.wait(50)
    assert frames == [("a", 1), ("b", 7)]  # the view reads the newest pixels itself
    emit_from_thread(bridge, ev.FrameAvailable("a", 60))
    qtbot.waitUntil(lambda: len(frames) == 3, timeout=2000)
    assert frames[-1] == ("a", 60)


def test_call_hands_the_result_back_on_the_main_thread(qtbot: QtBot) -> None:
    bridge = EngineBridge()
    main = QThread.currentThread()
    results: list[tuple[Any, bool]] = []
    errors: list[BaseException] = []
    ok: Future[int] = Future()
    bad: Future[int] = Future()
    bridge.call(ok, lambda r: results.append((r, QThread.currentThread() is main)))
    bridge.call(bad, None, errors.append)
    threading.Thread(target=lambda: (ok.set_result(42), bad.set_exception(KeyError("x")))).start()
    qtbot.waitUntil(lambda: bool(results and errors), timeout=2000)
    assert results == [(42, True)]
    assert isinstance(errors[0], KeyError)


def test_unhandled_command_errors_become_error_signals(qtbot: QtBot) -> None:
    bridge = EngineBridge()
    with qtbot.waitSignal(bridge.error, timeout=2000) as blocker:
        failed: Future[None] = Future()
        failed.set_exception(RuntimeError("no session"))
        bridge.call(failed)
    assert blocker.args[0].message == "no session"


def test_closed_bridge_drops_late_events(qtbot: QtBot) -> None:
    bridge = EngineBridge()
    seen: list[Any] = []
    bridge.event.connect(seen.append)
    bridge.close()
    emit_from_thread(bridge, ev.Completed("a"), ev.FrameAvailable("a", 1))
    qtbot.wait(50)
    assert seen == []
