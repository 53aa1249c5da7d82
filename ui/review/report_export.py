"""Exporting the report from the review: the file and language asked, the PDF built
on a worker thread behind a progress dialog, the inspection then marked reported.

Apart from :class:`ReviewWorkspace` because the export has its own state (the open
dialogs, the cancel flag, the last error) and its own failure paths; the workspace
shows what it emits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from inspector.domain.models import InspectionStatus
from inspector.storage import StoreError
from inspector.storage.store import Store
from inspector.team.client import RemoteError
from inspector.team.review import TeamCopy, worded
from inspector.usecases import status as lifecycle
from ui import settings
from ui.crossing import run_task_with_progress
from ui.review._qt import alive
from ui.review.export_dialog import ExportDialog, ReportSavedBar
from ui.review.review_model import ReviewModel

__all__ = ["ReportExport"]


@dataclass(frozen=True)
class _Refused:
    """The team server wrote no report: its code, its message, and the words to show."""

    code: str
    message: str
    words: str


class ReportExport(QObject):
    """The report export of one review (owned by the workspace, ``parent``)."""

    busy_changed = Signal()  # an export started or ended: the export action follows
    exported = Signal(object)  # Path of the PDF
    problem = Signal(str)  # shown in the workspace's banner
    status_message = Signal(str)

    def __init__(
        self,
        parent: QWidget,
        model: ReviewModel,
        store: Store,
        report_bar: ReportSavedBar,
        save_notes: Callable[[], None],
        *,
        open_reports: bool = True,
    ) -> None:
        super().__init__(parent)
        self._widget = parent
        self.model = model
        self.store = store
        self.report_bar = report_bar
        self._save_notes = save_notes
        self.open_reports = open_reports
        self.export_dialog: ExportDialog | None = None
        self.progress_dialog: QProgressDialog | None = None
        self.last_export_error = ""
        self._export_cancel: threading.Event | None = None
        self._last_request: tuple[Path, str] = (Path(), "")
        self.incomplete_box: QMessageBox | None = None  # the team server's "incomplete"

    @property
    def busy(self) -> bool:
        """Whether a report is being built."""
        return self.progress_dialog is not None

    def export_report(self, path: Path | None = None, lang: str | None = None) -> None:
        """Build the PDF with a progress dialog; without a ``path``, ask for it and the language.

        The language defaults to the seller's.
        """
        inspection = self.model.inspection
        if inspection is None or self.progress_dialog is not None:
            return
        seller_language = inspection.seller.language.value
        if path is not None:
            self._start_export(path, lang or seller_language)
            return
        if self.export_dialog is not None:
            self.export_dialog.raise_()
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        plate = (inspection.vehicle.plate or inspection.id).replace(" ", "-")
        warning = self._incomplete_warning()
        dialog = ExportDialog(
            self._widget,
            path=Path(folder) / f"inspection-{plate}.pdf",
            language=lang or seller_language,
            seller_language=seller_language,
            warning=warning,
        )
        self.export_dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        warned = bool(warning)
        dialog.accepted.connect(
            lambda: self._start_export(dialog.path(), dialog.language(), allow_incomplete=warned)
        )
        dialog.finished.connect(lambda _result: setattr(self, "export_dialog", None))
        dialog.open()

    def _incomplete_warning(self) -> str:
        """Why the report will have no grade (missing photos, damages to complete), or ""."""
        completion = self.model.completion()
        reasons = []
        if completion is not None and not completion.complete:
            reasons.append(
                f"{len(completion.missing)} of {completion.required} required photos are missing"
            )
        open_ = sum(1 for d in self.model.damages.damages() if d.to_complete)
        if open_:
            reasons.append(
                f"{open_} damage{'s are' if open_ > 1 else ' is'} still to complete "
                "(type and severity not described)"
            )
        if not reasons:
            return ""
        return (
            f"This inspection is incomplete: {'; '.join(reasons)}. The report will say so "
            "and give no grade."
        )

    def _start_export(self, path: Path, lang: str, *, allow_incomplete: bool = False) -> None:
        """Build the report as ``path``. On a team server's copy the report is the
        server's (built and sealed there): one the server finds incomplete is written
        only with ``allow_incomplete`` (the user was told, and said go on)."""
        inspection = self.model.inspection
        if inspection is None or self.progress_dialog is not None:
            return
        self._save_notes()
        self.report_bar.hide()
        dialog = QProgressDialog("Building the report…", "Cancel", 0, 0, self._widget)
        dialog.setWindowTitle("Export report")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        self.progress_dialog = dialog
        self._export_cancel = cancel = threading.Event()
        dialog.canceled.connect(cancel.set)
        dialog.canceled.connect(lambda: dialog.setLabelText("Cancelling…"))
        self.last_export_error = ""
        self.busy_changed.emit()
        dialog.show()
        inspector_name = inspection.inspector or settings.value("operator/name") or None
        store, inspection_id, out = self.store, inspection.id, path
        problems: list[str] = []  # written by the worker before its result is delivered

        self._last_request = (path, lang)

        def build(report: Callable[[int, int], None]) -> Path:
            if isinstance(store, TeamCopy):  # the server's report, sealed there
                try:
                    return store.download_report(
                        inspection_id,
                        out,
                        lang=lang,
                        inspector=inspector_name,
                        allow_incomplete=allow_incomplete,
                    )
                except RemoteError as exc:
                    # An answer, not a crash: the refusal's words only (its traceback
                    # would keep this worker's frames, and the Qt objects in them, alive).
                    return _Refused(exc.code, exc.message, str(worded(exc)))
            from inspector.report.document import build_report  # reportlab: loaded on first export

            built = build_report(
                store,
                inspection_id,
                out,
                lang=lang,
                inspector_name=inspector_name,
                progress=report,
                cancelled=cancel.is_set,
            )
            try:
                lifecycle.reported(store, inspection_id)  # a report was issued
            except StoreError as exc:
                problems.append(f"The report is saved, but not marked reported: {exc}")
            return built

        # The report reads the store: let the edits made so far land first.
        self.model.when_saved(
            lambda: run_task_with_progress(
                build,
                self._export_progress,
                lambda built: self._export_done(built, problems),
                self._export_failed,
            )
        )

    def cancel_export(self) -> None:
        """Ask a running export to stop (as the progress dialog's Cancel button does)."""
        if self._export_cancel is not None:
            self._export_cancel.set()
        if self.progress_dialog is not None:
            self.progress_dialog.setLabelText("Cancelling…")

    def _export_progress(self, done: int, total: int) -> None:
        if not alive(self):
            return
        dialog = self.progress_dialog
        if dialog is None or (self._export_cancel and self._export_cancel.is_set()):
            return
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, total))
        dialog.setLabelText(
            f"Preparing the photos… {done} of {total}" if done < total else "Writing the PDF…"
        )

    def _export_finished(self) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
        self.progress_dialog = None
        self._export_cancel = None
        self.busy_changed.emit()

    def _export_done(self, path: Path | _Refused, problems: list[str] | None = None) -> None:
        if not alive(self):
            return
        if isinstance(path, _Refused):
            self._export_finished()
            if path.code == "incomplete":
                self._ask_incomplete(path.message)
            else:
                self.last_export_error = path.words
                self.problem.emit(f"The report could not be built: {path.words}")
            return
        if problems:
            self.problem.emit(problems[0])
        else:
            self.model.status_changed(InspectionStatus.REPORTED)
        self._export_finished()
        self.report_bar.show_saved(Path(path))
        self.status_message.emit(f"Report saved to {path}")
        self.exported.emit(Path(path))
        if self.open_reports:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def _export_failed(self, exc: BaseException) -> None:
        from inspector.report.document import ReportCancelled

        if not alive(self):
            return
        self._export_finished()
        if isinstance(exc, ReportCancelled):
            self.last_export_error = "cancelled"
            self.status_message.emit("Report export cancelled")
            return
        self.last_export_error = str(exc)
        self.problem.emit(f"The report could not be built: {exc}")
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Export report",
            f"The report could not be built:\n{exc}",
            parent=self._widget,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _ask_incomplete(self, why: str) -> None:
        """The team server refused an incomplete report: offer one marked incomplete."""
        self.last_export_error = f"incomplete: {why}"
        self.problem.emit(f"The team server wrote no report: {why}")
        buttons = QMessageBox.StandardButton
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Export report",
            "The team server says this inspection is incomplete, so it wrote no report.",
            buttons.Yes | buttons.Cancel,
            self._widget,
        )
        box.setInformativeText(f"{why.split(';')[0]}. Export a report marked incomplete?")
        box.button(buttons.Yes).setText("Export anyway")
        # Not deleted on close (the workspace owns it, as its other questions): a box
        # deleted by Qt while Python still holds it is a crash at the next collection.
        box.finished.connect(self._incomplete_answer)
        if self.incomplete_box is not None:
            self.incomplete_box.deleteLater()
        self.incomplete_box = box
        box.open()

    def _incomplete_answer(self, result: int) -> None:
        if result == QMessageBox.StandardButton.Yes and alive(self):
            path, lang = self._last_request
            self._start_export(path, lang, allow_incomplete=True)
