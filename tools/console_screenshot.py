"""Take the README's screenshot: the console mid-session with the demo phone.

Run under a virtual screen so the window is a real X11 window:

    Xvfb :99 -screen 0 1366x768x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python tools/console_screenshot.py docs/console.png

It uses a throw-away data directory and settings, connects the simulated
phone, takes and accepts a few photos, then grabs the whole screen.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/console.png")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from inspector.storage.store import Store
    from inspector.usecases.inspections import create_inspection
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="console-shot-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp))
    store = Store(tmp / "data")
    inspection, _ = create_inspection(
        store,
        checklist="standard",
        operator="Camille",
        vehicle={
            "make": "Peugeot",
            "model": "308",
            "year": 2019,
            "plate": "AB-123-CD",
            "vin": "VF3LBYHZPKS123456",
            "mileage": 84500,
        },
        seller={"name": "Élodie Martin", "language": "fr"},
    )
    window = MainWindow(store)
    window.setGeometry(0, 0, 1366, 768)
    window.showMaximized()

    def wait(condition: Callable[[], bool], timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            app.processEvents()
            if condition():
                return True
            time.sleep(0.01)
        return False

    try:
        if not wait(lambda: window.server_url is not None, 15):
            print("the engine did not start", file=sys.stderr)
            return 1
        window.open_inspection(inspection.id)
        wait(lambda: window.live.inspection is not None, 10)
        window.live.start_demo_phone()
        if not wait(lambda: window.live.live, 20):
            print("the demo phone did not connect", file=sys.stderr)
            return 1
        for _ in range(3):
            before = len(store.captures(inspection.id))
            window.live.capture_now()
            wait(lambda b=before: len(store.captures(inspection.id)) > b, 15)
            wait(lambda: False, 1.0)  # let the verdict and thumbnail show
            window.live.accept_capture()
            wait(lambda: False, 1.0)
        window.live.capture_now()
        wait(lambda: False, 2.5)
        screen = app.primaryScreen()
        if not screen.grabWindow(0).save(str(out)):
            print(f"could not write {out}", file=sys.stderr)
            return 1
        print(f"wrote {out}")
        return 0
    finally:
        window.close()


if __name__ == "__main__":
    sys.exit(main())
