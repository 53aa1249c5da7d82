"""Start the console: parse arguments, open the store, show the main window."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QMessageBox

from inspector.config import resolve_data_dir
from inspector.store import Store, StoreError
from ui import settings
from ui.bridge import wait_for_tasks
from ui.main_window import MainWindow


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inspector console")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(settings.ORGANIZATION)
    app.setApplicationName(settings.APPLICATION)
    try:
        store = Store(resolve_data_dir(args.data_dir))
    except (StoreError, OSError) as exc:
        QMessageBox.critical(None, "Vehicle Inspector", f"Cannot open the data directory:\n{exc}")
        return 1
    window = MainWindow(store)
    window.show()
    code = app.exec()
    wait_for_tasks()
    store.close()
    return int(code)
