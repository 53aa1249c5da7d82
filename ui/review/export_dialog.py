"""Exporting the report: where, in which language, and where it was saved.

The buyer may not speak the seller's language, so the inspector chooses the
report's language (the seller's by default). An incomplete inspection (required
photos missing, or damages still to complete) is said so before exporting: its
report carries no grade. Once saved, a bar says where,
with Open and Show in folder, until the inspector closes it.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.i18n import language_name
from inspector.report.i18n import report_languages

__all__ = ["REPORT_LANGUAGES", "ExportDialog", "ReportSavedBar"]

REPORT_LANGUAGES = {code: language_name(code) for code in report_languages()}
"""The report's languages (every catalog's), named in their own language."""


class ExportDialog(QDialog):
    """Ask for the report's file and language; ``accepted`` when the inspector confirms."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        path: Path,
        language: str,
        seller_language: str,
        warning: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export report")
        self.language_box = QComboBox()
        for code, name in REPORT_LANGUAGES.items():
            mark = " (the seller's language)" if code == seller_language else ""
            self.language_box.addItem(name + mark, code)
        self.language_box.setCurrentIndex(max(0, self.language_box.findData(language)))
        self.language_box.setToolTip(
            "The language of the report: the buyer may not speak the seller's language"
        )
        self.path_edit = QLineEdit(str(path))
        self.path_edit.setToolTip("Where the PDF is saved")
        self.path_edit.textChanged.connect(self._update)
        browse = QPushButton("Choose…")
        browse.setToolTip("Choose the folder and file name")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.warning = QLabel(warning)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b0101a; font-weight: bold;")
        self.warning.setVisible(bool(warning))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.export_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("Export")
        self.export_button.setToolTip("Build the PDF report")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Language:", self.language_box)
        form.addRow("File:", path_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._update()

    def language(self) -> str:
        return str(self.language_box.currentData())

    def path(self) -> Path:
        """The chosen file, with ``.pdf`` added if it was left out."""
        text = self.path_edit.text().strip()
        return Path(text if text.lower().endswith(".pdf") else text + ".pdf").expanduser()

    def _update(self) -> None:
        self.export_button.setEnabled(bool(self.path_edit.text().strip()))

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export report", str(self.path()), "PDF report (*.pdf)"
        )
        if name:
            self.path_edit.setText(name)


class ReportSavedBar(QFrame):
    """Says where the last report was saved, with Open and Show in folder; stays until closed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportSaved")
        self.setStyleSheet(
            "QFrame#reportSaved { background: #e3f4e6; border: 1px solid #7cbf8a; "
            "border-radius: 3px; }"
        )
        self.path: Path | None = None
        self.label = QLabel()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(True)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the report in the PDF viewer")
        self.open_button.clicked.connect(lambda: self._open(self.path))
        self.folder_button = QPushButton("Show in folder")
        self.folder_button.setToolTip("Open the folder that holds the report")
        self.folder_button.clicked.connect(lambda: self._open(self.path and self.path.parent))
        close = QToolButton()
        close.setText("×")
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.folder_button)
        layout.addWidget(close)
        self.hide()

    def show_saved(self, path: Path) -> None:
        self.path = path
        self.label.setText(f"<b>Report saved:</b> {escape(str(path))}")
        self.show()

    @staticmethod
    def _open(path: Path | None) -> None:
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
