"""Factory fixture for the main window (napari's make_napari_viewer pattern)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from inspector.storage.store import Store
from ui.crossing import MainThreadCollector, wait_for_tasks
from ui.main_window import MainWindow


@pytest.fixture(scope="session", autouse=True)
def main_thread_collector(qapp: object) -> Iterator[MainThreadCollector]:
    """As the console does (ui.app): Python's cycle collector runs on the main thread only."""
    collector = MainThreadCollector()
    yield collector
    collector.stop()


@pytest.fixture(autouse=True)
def collect_after_each_test(main_thread_collector: MainThreadCollector) -> Iterator[None]:
    yield
    gc.collect()  # here, on the main thread: what the test left is freed now


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path) -> Iterator[None]:
    """QSettings in a temporary folder, so tests never touch the user's."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    yield


@pytest.fixture
def make_main_window(qtbot: QtBot, store: Store) -> Iterator[Callable[[], MainWindow]]:
    windows: list[MainWindow] = []

    def factory() -> MainWindow:
        window = MainWindow(store)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield factory
    for window in windows:
        window.close()
    wait_for_tasks()
