"""This inspection's captures as a strip of thumbnails; click one to see it larger.

Thumbnails are made and decoded on worker threads (``run_task``); the strip
only turns the decoded ``QImage`` into an icon on the main thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.models import Capture, CaptureSource
from inspector.storage.store import Store
from ui import theme
from ui.capture_panel import load_image
from ui.crossing import run_task

__all__ = ["Filmstrip", "PhotoDialog"]

ICON = QSize(128, 72)


def _framed(image: QImage, colour: QColor) -> QIcon:
    """The thumbnail centred on a fixed-size tile with a verdict-coloured bar."""
    pixmap = QPixmap(ICON)
    pixmap.fill(QColor(30, 30, 34))
    p = QPainter(pixmap)
    x = (ICON.width() - image.width()) // 2
    y = (ICON.height() - image.height()) // 2
    p.drawImage(x, y, image)
    p.fillRect(0, ICON.height() - 5, ICON.width(), 5, colour)
    p.end()
    return QIcon(pixmap)


class PhotoDialog(QDialog):
    """One capture, larger, decoded off the UI thread."""

    def __init__(self, store: Store, capture: Capture, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.image = QLabel("Loading…")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(640, 360)
        self.image.setToolTip("The photo as received from the phone")
        reasons = ", ".join(r.message.get("en") for r in capture.quality.reasons) or "no remarks"
        info = QLabel(
            f"{capture.width}×{capture.height} · {theme.VERDICT_WORDS[capture.quality.verdict]} · "
            f"{reasons} · "
            f"{capture.captured_at.astimezone().strftime('%H:%M:%S')}"
        )
        info.setToolTip("Size, quality verdict and time of the capture")
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(info)
        sha = capture.sha256
        run_task(
            lambda: load_image(store.photo_file(sha), QSize(1100, 620)),
            lambda img: self.image.setPixmap(QPixmap.fromImage(img)),
            lambda exc: self.image.setText(f"Cannot show the photo: {exc}"),
        )


class Filmstrip(QListWidget):
    """Thumbnails of the captures, newest last."""

    capture_opened = Signal(str)  # capture id

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.shot_title: Callable[[str], str] = lambda shot_id: shot_id
        self._captures: dict[str, Capture] = {}
        self.icons_set = 0  # thumbnails put on items so far (a new one replaces a preview's)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(ICON)
        self.setSpacing(4)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(ICON.height() + 52)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolTip("Photos taken in this inspection; click one to see it larger")
        self.itemClicked.connect(self._open)
        self.last_dialog: PhotoDialog | None = None

    def set_captures(self, captures: list[Capture]) -> None:
        self.clear()
        self._captures.clear()
        for capture in captures:
            self.add_capture(capture)

    def add_capture(self, capture: Capture) -> None:
        self._captures[capture.id] = capture
        item = QListWidgetItem(self.shot_title(capture.shot_id))
        item.setData(Qt.ItemDataRole.UserRole, capture.id)
        item.setSizeHint(QSize(ICON.width() + 8, ICON.height() + 40))
        self.addItem(item)
        self._describe(item, capture)
        self.scrollToItem(item)
        store, sha, capture_id = self.store, capture.sha256, capture.id
        run_task(
            lambda: load_image(store.thumbnail(sha, 256), ICON),
            lambda img: self._set_icon(capture_id, img),
        )

    def set_accepted(self, capture_id: str, accepted: bool) -> None:
        capture = self._captures.get(capture_id)
        item = self._item(capture_id)
        if capture is None or item is None:
            return
        capture.accepted = accepted
        self._describe(item, capture)

    def set_original_progress(self, capture_id: str, received: int, size: int) -> None:
        """The original of a capture shown by its preview: how much of it arrived."""
        item = self._item(capture_id)
        capture = self._captures.get(capture_id)
        if item is None or capture is None:
            return
        percent = 100 * received // size if size else 100
        item.setText(f"{self.shot_title(capture.shot_id)}\n↑ {percent} %")

    def original_stored(self, capture: Capture) -> None:
        """The original replaced the preview: its own picture and size from now on."""
        item = self._item(capture.id)
        if item is None:
            return
        old = self._captures.get(capture.id)
        if old is not None:
            capture.accepted = old.accepted  # the review may be newer than the event's copy
        self._captures[capture.id] = capture
        item.setText(self.shot_title(capture.shot_id))
        self._describe(item, capture)
        store, sha, capture_id = self.store, capture.sha256, capture.id
        run_task(
            lambda: load_image(store.thumbnail(sha, 256), ICON),
            lambda img: self._set_icon(capture_id, img),
        )

    def original_failed(self, capture_id: str, retrying: bool) -> None:
        item = self._item(capture_id)
        capture = self._captures.get(capture_id)
        if item is None or capture is None:
            return
        state = "↑ again" if retrying else "preview only"
        item.setText(f"{self.shot_title(capture.shot_id)}\n{state}")

    def capture_ids(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def icons_loaded(self) -> int:
        return sum(1 for i in range(self.count()) if not self.item(i).icon().isNull())

    def _describe(self, item: QListWidgetItem, capture: Capture) -> None:
        review = {True: "accepted", False: "retake asked", None: "not reviewed"}[capture.accepted]
        reasons = "; ".join(r.message.get("en") for r in capture.quality.reasons)
        verdict = theme.VERDICT_WORDS[capture.quality.verdict].lower()
        preview = (
            "\nPreview: the full-size original has not arrived (yet)"
            if capture.source is CaptureSource.PREVIEW
            else ""
        )
        item.setToolTip(
            f"{self.shot_title(capture.shot_id)}\nQuality: {verdict}"
            + (f" ({reasons})" if reasons else "")
            + f"\n{review.capitalize()}"
            + preview
        )
        if capture.accepted is False:
            item.setForeground(theme.qcolor(theme.MUTED))  # set aside

    def _item(self, capture_id: str) -> QListWidgetItem | None:
        for i in range(self.count()):
            if self.item(i).data(Qt.ItemDataRole.UserRole) == capture_id:
                return self.item(i)
        return None

    def _set_icon(self, capture_id: str, image: QImage) -> None:
        item = self._item(capture_id)
        capture = self._captures.get(capture_id)
        if item is not None and capture is not None:
            item.setIcon(_framed(image, theme.verdict_colour(capture.quality.verdict)))
            self.icons_set += 1

    def _open(self, item: QListWidgetItem) -> None:
        capture_id = item.data(Qt.ItemDataRole.UserRole)
        capture = self._captures.get(capture_id)
        if capture is None:
            return
        self.capture_opened.emit(capture_id)
        dialog = PhotoDialog(self.store, capture, self.shot_title(capture.shot_id), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_dialog = dialog
        dialog.show()
