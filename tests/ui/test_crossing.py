"""The one thread crossing: work and engine events in, results back on the UI thread.

Every failure reaches an error handler: the caller's, or the default one (the
log and the main window's status bar). Nothing else in ``ui/`` waits on engine
futures or writes the engine's attributes.
"""

from __future__ import annotations

import ast
import gc
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from inspector.live import events as ev
from ui import crossing
from ui.crossing import EngineBridge
from ui.main_window import MainWindow

UI = Path(crossing.__file__).parent


def _relays_alive() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, crossing._Relay))


@pytest.fixture
def shown(qtbot: QtBot) -> Iterator[list[BaseException]]:
    """A sink standing in for a window: what the default handler showed."""
    seen: list[BaseException] = []
    crossing.add_error_sink(seen.append)
    yield seen
    crossing.remove_error_sink(seen.append)


# -- run_task ---------------------------------------------------------------------------


def test_results_and_errors_come_back_on_the_ui_thread(qtbot: QtBot) -> None:
    main = threading.get_ident()
    seen: list[tuple[object, int]] = []
    crossing.run_task(
        threading.get_ident, lambda r: seen.append((r != main, threading.get_ident()))
    )
    crossing.run_task(
        lambda: 1 / 0, lambda r: None, lambda e: seen.append((e, threading.get_ident()))
    )
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    assert (True, main) in seen  # ran on a worker, delivered on the UI thread
    assert any(isinstance(r, ZeroDivisionError) and t == main for r, t in seen)


def test_finished_tasks_leave_nothing_behind(qtbot: QtBot) -> None:
    """Quick tasks used to stay alive for ever (a PySide6 QRunnable wrapper leak)."""
    crossing.wait_for_tasks()
    before = _relays_alive()
    delivered: list[object] = []
    for _ in range(300):  # quick ones: the leak took about one in ten of those
        crossing.run_task(lambda: None, delivered.append)
    qtbot.waitUntil(lambda: len(delivered) == 300, timeout=10000)
    crossing.wait_for_tasks()
    assert _relays_alive() == before


def test_a_task_error_nobody_handles_is_logged_and_shown(
    qtbot: QtBot, shown: list[BaseException], caplog: pytest.LogCaptureFixture
) -> None:
    """It used to vanish: ``run_task`` without ``on_error`` dropped the exception."""
    with caplog.at_level(logging.ERROR, logger="ui.crossing"):
        crossing.run_task(lambda: 1 / 0, lambda r: None)
        qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert isinstance(shown[0], ZeroDivisionError)
    assert "division by zero" in caplog.text


def test_progress_errors_follow_the_same_policy(qtbot: QtBot, shown: list[BaseException]) -> None:
    progress: list[tuple[int, int]] = []

    def work(report: Callable[[int, int], None]) -> None:
        report(1, 2)
        raise OSError("disk full")

    crossing.run_task_with_progress(work, lambda d, t: progress.append((d, t)), lambda r: None)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert progress == [(1, 2)] and str(shown[0]) == "disk full"


def test_a_sink_whose_window_is_gone_is_skipped(qtbot: QtBot, shown: list[BaseException]) -> None:
    def deleted_window(exc: BaseException) -> None:
        raise RuntimeError("Internal C++ object (QStatusBar) already deleted.")

    crossing.add_error_sink(deleted_window)
    crossing.report_error(KeyError("x"))
    assert len(shown) == 1  # the one before it took it
    crossing.report_error(KeyError("y"))
    assert len(shown) == 2  # and the gone one was dropped


# -- engine events and command results ---------------------------------------------------


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


def test_unhandled_command_errors_reach_the_default_handler(
    qtbot: QtBot, shown: list[BaseException]
) -> None:
    bridge = EngineBridge()
    failed: Future[None] = Future()
    failed.set_exception(RuntimeError("no session"))
    bridge.call(failed)
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    assert str(shown[0]) == "no session"


def test_closed_bridge_drops_late_events(qtbot: QtBot) -> None:
    bridge = EngineBridge()
    seen: list[Any] = []
    bridge.event.connect(seen.append)
    bridge.close()
    emit_from_thread(bridge, ev.Completed("a"), ev.FrameAvailable("a", 1))
    qtbot.wait(50)
    assert seen == []


def test_wait_blocks_for_the_answer() -> None:
    answered: Future[int] = Future()
    threading.Timer(0.05, answered.set_result, (7,)).start()
    assert crossing.wait(answered, 5) == 7


# -- the main window --------------------------------------------------------------------


def test_an_unhandled_failure_reaches_the_windows_status_bar(
    qtbot: QtBot, make_main_window: Callable[[], MainWindow]
) -> None:
    window = make_main_window()
    crossing.run_task(lambda: [][1], lambda r: None)  # no error handler given
    qtbot.waitUntil(
        lambda: "list index out of range" in window.statusBar().currentMessage(), timeout=5000
    )
    failed: Future[None] = Future()
    failed.set_exception(RuntimeError("the engine is not running"))
    window.bridge.call(failed)
    qtbot.waitUntil(
        lambda: "the engine is not running" in window.statusBar().currentMessage(), timeout=5000
    )


def test_a_closed_window_no_longer_shows_errors(
    qtbot: QtBot, make_main_window: Callable[[], MainWindow], shown: list[BaseException]
) -> None:
    window = make_main_window()
    window.close()
    crossing.report_error(ValueError("late"))
    assert [str(e) for e in shown] == ["late"]
    assert "late" not in window.statusBar().currentMessage()


# -- nothing else crosses ------------------------------------------------------------------


def _ui_sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(UI.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_only_the_crossing_waits_on_futures() -> None:
    """``.result()`` / ``add_done_callback`` on engine futures live in ui/crossing.py only."""
    found = []
    for path, tree in _ui_sources():
        if path.name == "crossing.py":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("result", "add_done_callback")
            ):
                found.append(f"{path.relative_to(UI.parent)}:{node.lineno}")
    assert found == []


def _is_engine(node: ast.expr) -> bool:
    """``engine`` or ``<anything>.engine``."""
    return (isinstance(node, ast.Name) and node.id == "engine") or (
        isinstance(node, ast.Attribute) and node.attr == "engine"
    )


def test_the_console_never_writes_engine_attributes() -> None:
    """The engine's options change through its thread-safe methods, never ``engine.x = …``."""
    found = []
    for path, tree in _ui_sources():
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _is_engine(target.value):
                    found.append(f"{path.relative_to(UI.parent)}:{node.lineno}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "setattr"
                and node.args
                and _is_engine(node.args[0])
            ):
                found.append(f"{path.relative_to(UI.parent)}:{node.lineno}")
    assert found == []


def test_the_cycle_collector_runs_on_the_main_thread_only(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Widgets in reference cycles are freed by the main thread, never by a worker's GC."""
    import threading

    from ui.crossing import MainThreadCollector

    assert not gc.isenabled()  # the session's collector (tests/ui/conftest.py) holds it
    seen: list[str] = []

    def note(phase: str, info: dict) -> None:  # type: ignore[type-arg]
        if phase == "start":
            seen.append(threading.current_thread().name)

    gc.callbacks.append(note)
    try:
        kept: list[object] = []  # allocations past the thresholds, in a worker
        worker = threading.Thread(target=lambda: kept.extend([i] for i in range(50_000)))
        worker.start()
        worker.join()
        assert not seen  # the worker allocated plenty and collected nothing
        collector = MainThreadCollector(interval_ms=10)
        qtbot.waitUntil(lambda: bool(seen), timeout=3000)
        assert set(seen) == {threading.main_thread().name}
        collector._timer.stop()  # the session's collector stays in charge
    finally:
        gc.callbacks.remove(note)
