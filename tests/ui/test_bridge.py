"""run_task: work off the UI thread, results back on it, nothing kept afterwards."""

from __future__ import annotations

import gc
import threading

from pytestqt.qtbot import QtBot

from ui import bridge


def _relays_alive() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, bridge._Relay))


def test_results_and_errors_come_back_on_the_ui_thread(qtbot: QtBot) -> None:
    main = threading.get_ident()
    seen: list[tuple[object, int]] = []
    bridge.run_task(threading.get_ident, lambda r: seen.append((r != main, threading.get_ident())))
    bridge.run_task(
        lambda: 1 / 0, lambda r: None, lambda e: seen.append((e, threading.get_ident()))
    )
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    assert (True, main) in seen  # ran on a worker, delivered on the UI thread
    assert any(isinstance(r, ZeroDivisionError) and t == main for r, t in seen)


def test_finished_tasks_leave_nothing_behind(qtbot: QtBot) -> None:
    """Quick tasks used to stay alive for ever (a PySide6 QRunnable wrapper leak)."""
    bridge.wait_for_tasks()
    before = _relays_alive()
    delivered: list[object] = []
    for _ in range(300):  # quick ones: the leak took about one in ten of those
        bridge.run_task(lambda: None, delivered.append)
    qtbot.waitUntil(lambda: len(delivered) == 300, timeout=10000)
    bridge.wait_for_tasks()
    assert _relays_alive() == before
