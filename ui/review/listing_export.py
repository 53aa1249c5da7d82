"""Writing an inspection's listing from the console (the review, or the home page).

The photos are read, blurred and written on a worker thread
(:func:`inspector.usecases.privacy.export_listing`); the folder is asked for here, the
size is the platform's setting (``listing/size``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from inspector.i18n import Message, Plural
from inspector.storage.store import Store
from inspector.usecases.privacy import ListingResult, export_listing
from ui import settings
from ui.crossing import run_task
from ui.review.labels import CONSOLE_LANGUAGE

__all__ = ["ask_folder", "failed_text", "start_listing_export", "written_text"]

_CHOOSE = Message("Folder for the listing photos (new or empty)")
_FAILED = Message("The listing was not written: {reason}")
_WRITTEN = Plural(
    "{n} listing photo written to {folder} ({boxes})",
    "{n} listing photos written to {folder} ({boxes})",
)
_BOXES = Plural("{n} box blurred", "{n} boxes blurred")


def ask_folder(parent: QWidget) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(parent, _CHOOSE.get(CONSOLE_LANGUAGE))
    return Path(chosen) if chosen else None


def start_listing_export(
    store: Store,
    inspection_id: str,
    folder: Path,
    on_done: Callable[[ListingResult], None],
    on_error: Callable[[BaseException], None],
) -> None:
    size = int(settings.value("listing/size"))
    run_task(
        lambda: export_listing(store, inspection_id, folder, long_side=size), on_done, on_error
    )


def written_text(result: ListingResult) -> str:
    boxes = _BOXES.get(CONSOLE_LANGUAGE, result.blurred)
    return _WRITTEN.get(CONSOLE_LANGUAGE, len(result.files), folder=result.folder, boxes=boxes)


def failed_text(exc: BaseException) -> str:
    return _FAILED.bind(reason=exc).get(CONSOLE_LANGUAGE)
