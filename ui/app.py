"""Start the console: parse arguments, open the store, show the main window."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox

from inspector.cli.ice import add_ice_options, ice_servers, turn_rest
from inspector.config import (
    ServerSettings,
    resolve_data_dir,
    resolve_database_url,
    resolve_photo_store,
    resolve_recording_retention,
)
from inspector.storage import StoreError
from inspector.storage.store import Store
from ui import settings
from ui.crossing import MainThreadCollector, wait_for_tasks
from ui.main_window import MainWindow


def server_settings(args: argparse.Namespace) -> ServerSettings:
    """How the console's phone server listens, and the STUN/TURN servers its calls use
    (``ValueError`` or ``OSError`` for an ICE option that cannot be used)."""
    return ServerSettings(
        port=args.port,
        lan=bool(settings.value("server/lan")),
        recording_retention_days=resolve_recording_retention(),  # $INSPECTOR_RECORDING_…
        ice_servers=ice_servers(args),
        turn_rest=turn_rest(args),
    )


def parser() -> argparse.ArgumentParser:
    """The console's own arguments (``inspector console`` hands them on)."""
    p = argparse.ArgumentParser(prog="inspector console")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--photo-store", default=None, metavar="URL")
    p.add_argument(
        "--database-url",
        default=None,
        metavar="URL",
        help="the records' database (default: $INSPECTOR_DATABASE_URL, else the data folder's)",
    )
    p.add_argument("--port", type=int, default=8080, help="phone server port (a free one if taken)")
    add_ice_options(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    app = settings.application()
    try:
        server = server_settings(args)
    except (ValueError, OSError) as exc:
        QMessageBox.critical(None, "Vehicle Inspector", f"Cannot use the ICE settings:\n{exc}")
        return 1
    collector = MainThreadCollector(parent=app)  # widgets are never freed off the main thread
    try:
        store = Store(
            resolve_data_dir(args.data_dir),
            database_url=resolve_database_url(args.database_url),
            photo_store=resolve_photo_store(args.photo_store),
        )
    except (StoreError, OSError) as exc:
        QMessageBox.critical(None, "Vehicle Inspector", f"Cannot open the inspections:\n{exc}")
        return 1
    window = MainWindow(store, server_settings=server)
    window.show()
    code = app.exec()
    wait_for_tasks()
    collector.stop()
    store.close()
    return int(code)
