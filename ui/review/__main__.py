"""``python -m ui.review [--data-dir D] [--database-url URL] INSPECTION_ID`` opens the review
of one inspection alone."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow

from inspector.config import resolve_data_dir, resolve_database_url, resolve_photo_store
from inspector.storage import StoreError
from inspector.storage.store import Store
from ui import settings
from ui.crossing import add_error_sink, wait_for_tasks
from ui.review.workspace import ReviewWorkspace


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.review")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--database-url", default=None, metavar="URL")
    parser.add_argument("--photo-store", default=None, metavar="URL")
    parser.add_argument("inspection_id", help="an inspection id or an unambiguous start of it")
    parser.add_argument("--screenshot", metavar="PNG", help="save a picture of the window and quit")
    args = parser.parse_args(argv)
    app = settings.application()
    try:
        store = Store(
            resolve_data_dir(args.data_dir),
            database_url=resolve_database_url(args.database_url),
            photo_store=resolve_photo_store(args.photo_store),
        )
        inspection = store.find_inspection(args.inspection_id)
    except (StoreError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    window = QMainWindow()
    workspace = ReviewWorkspace(store, inspection.id)
    window.setCentralWidget(workspace)
    window.setWindowTitle("Review")
    workspace.title_changed.connect(window.setWindowTitle)
    workspace.status_message.connect(lambda text: window.statusBar().showMessage(text, 10000))
    add_error_sink(lambda exc: window.statusBar().showMessage(f"Error: {exc}", 10000))
    window.resize(1366, 768)
    window.show()
    if args.screenshot:
        # Let the photo and thumbnails arrive from the worker threads first.
        def shoot() -> None:
            window.grab().save(args.screenshot)
            app.quit()

        workspace.viewer.image_shown.connect(lambda _id: QTimer.singleShot(800, shoot))
    code = app.exec()
    wait_for_tasks()
    store.close()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
