"""Take the screenshots of every console page shown in ``docs/console/``.

Run under a virtual screen so the windows are real X11 windows:

    Xvfb :99 -screen 0 1366x768x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python tools/docs_screenshots.py docs/console

It uses a throw-away data directory and settings, and writes: the empty home
(first run), the new-inspection dialog with errors, the invitation (the live
page before the seller joins), the live page mid-checklist with the demo phone,
the home with inspections, the review with damages, and the export dialog.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

VEHICLE = {
    "make": "Peugeot",
    "model": "308",
    "year": 2019,
    "plate": "AB-123-CD",
    "vin": "VF3LBYHZ1KS123456",
    "mileage": 84500,
    "fuel": "diesel",
    "colour": "bleu",
}


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/console")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="docs-shots-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp))

    from inspector.domain.models import Damage, DamageType, Part, Region, Severity
    from inspector.storage.rows import new_id
    from inspector.storage.store import Store
    from inspector.usecases.inspections import create_inspection
    from ui.main_window import MainWindow

    def wait(condition: Callable[[], bool], timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            app.processEvents()
            if condition():
                return True
            time.sleep(0.01)
        return False

    def pause(seconds: float) -> None:
        wait(lambda: False, seconds)

    def shoot(name: str, widget: QWidget | None = None) -> None:
        pause(0.6)
        path = out / f"{name}.png"
        image = widget.grab() if widget is not None else app.primaryScreen().grabWindow(0)
        if not image.save(str(path)):
            raise OSError(f"could not write {path}")
        print(f"wrote {path}")

    store = Store(tmp / "data")
    window = MainWindow(store)
    window.setGeometry(0, 0, 1366, 768)
    window.showMaximized()
    try:
        if not wait(lambda: window.server_url is not None, 15):
            print("the engine did not start", file=sys.stderr)
            return 1
        pause(1.0)
        shoot("home_empty")

        dialog = window.new_inspection()
        pause(0.3)
        for key, text in {"make": "Peugeot", "vin": "VF3LBYHZPKS1234", "mileage": "-5"}.items():
            dialog.fields[key].editor.setText(text)
        dialog.validate()
        shoot("new_inspection_errors", dialog)
        dialog.reject()

        inspection, _ = create_inspection(
            store,
            checklist="standard",
            operator="Camille",
            vehicle=VEHICLE,
            seller={"name": "Élodie Martin", "language": "fr", "email": "elodie@example.com"},
        )
        window.open_inspection(inspection.id)
        wait(lambda: bool(window.live.invite.join_url), 10)
        shoot("invitation")

        window.live.start_demo_phone()
        if not wait(lambda: window.live.live, 20):
            print("the demo phone did not connect", file=sys.stderr)
            return 1
        for _ in range(5):
            before = len(store.captures(inspection.id))
            window.live.capture_now()
            wait(lambda b=before: len(store.captures(inspection.id)) > b, 15)
            pause(1.0)
            window.live.accept_capture()
            pause(1.0)
        window.live.capture_now()
        pause(2.5)
        shoot("live")

        captures = store.captures(inspection.id)
        for capture, part, severity, region, note in (
            (captures[0], Part.FRONT_BUMPER, Severity.MODERATE, Region(0.38, 0.62, 0.16, 0.1), ""),
            (captures[3], Part.DOOR_FRONT_LEFT, Severity.MINOR, Region(0.45, 0.5, 0.1, 0.08), ""),
        ):
            store.add_damage(
                Damage(
                    id=new_id(),
                    inspection_id=inspection.id,
                    capture_id=capture.id,
                    part=part,
                    type=DamageType.SCRATCH,
                    severity=severity,
                    region=region,
                    note=note,
                )
            )
        window.review_action.trigger()  # ends the call and reviews what it captured
        review = window.review
        if review is None or not wait(lambda: review.model.inspection is not None, 10):
            print("the review did not open", file=sys.stderr)
            return 1
        pause(1.5)
        shoot("review")
        review.export_report()
        pause(0.5)
        export = review.exporter.export_dialog
        if export is not None:
            shoot("export", export)
            export.reject()
        window.home_action.trigger()
        pause(1.0)
        shoot("home")
        return 0
    finally:
        window.close()


if __name__ == "__main__":
    sys.exit(main())
