"""Factory fixture for the main window (napari's make_napari_viewer pattern)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from inspector.storage.store import Store
from ui.crossing import wait_for_tasks
from ui.main_window import MainWindow


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
