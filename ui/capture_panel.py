"""Capture and its verdict; accept or retake; torch; messages to the seller.

The panel shows what it is told (capture requested, stored, failed, reviewed)
and emits requests; the live page sends them to the engine. The result's
verdict and reasons show the moment the capture is stored; the thumbnail
follows as soon as a worker thread has decoded it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.models import Verdict
from inspector.i18n import Message, languages
from inspector.live import events as ev
from ui import theme
from ui.crossing import run_task

__all__ = ["PHRASES", "CapturePanel", "load_image"]

THUMB = QSize(192, 108)

PHRASES: tuple[Message, ...] = (
    Message("Please step back a little"),
    Message("Please come a little closer"),
    Message("Hold the phone steady"),
    Message("Turn the phone sideways (landscape)"),
    Message("Move a little to the left"),
    Message("Move a little to the right"),
    Message("Lower the phone a little"),
    Message("Please open the door"),
    Message("Please wipe the camera lens"),
    Message("Thank you, that's perfect!"),
)


def load_image(path: str | Path, size: QSize = THUMB) -> QImage:
    """Decode and scale a photo (call on a worker thread: QImage is thread-safe)."""
    image = QImage(str(path))
    if image.isNull():
        raise OSError(f"cannot read {path}")
    return image.scaled(
        size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class MessageEdit(QLineEdit):
    """A line edit that keeps Enter for itself (Enter is Accept elsewhere in the window)."""

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            event.accept()
            return True
        return super().event(event)


class CapturePanel(QWidget):
    """Capture (Space), Accept (Enter) / Retake (R), torch (T), messages."""

    capture_requested = Signal()
    accept_requested = Signal(str)  # capture id
    retake_requested = Signal(str)  # capture id
    torch_toggled = Signal(bool)
    message_requested = Signal(str)
    phrase_language_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, phrase_language: str = "fr") -> None:
        super().__init__(parent)
        self.capture_id: str | None = None  # the capture awaiting accept / retake
        self._reason_language = "en"

        self.capture_button = QPushButton("Capture  (Space)")
        self.capture_button.setToolTip(
            "Take a full-resolution photo with the seller's phone (Space)"
        )
        self.capture_button.setMinimumHeight(40)
        self.capture_button.setStyleSheet("font-weight: bold;")
        self.capture_button.clicked.connect(self.capture_requested)

        self.thumbnail = QLabel()
        self.thumbnail.setFixedSize(THUMB)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setFrameShape(QFrame.Shape.StyledPanel)
        self.thumbnail.setToolTip("The last photo taken")
        self.verdict = QLabel("No photo yet")
        self.verdict.setToolTip("The automatic quality verdict of the last photo")
        self.verdict.setStyleSheet("font-weight: bold;")
        self.reasons = QLabel("")
        self.reasons.setWordWrap(True)
        self.reasons.setToolTip("Why the photo is not perfect")
        self.reasons.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.originals = QLabel("")
        self.originals.setWordWrap(True)
        self.originals.setToolTip(
            "Photos are judged on a small preview; their full-size originals follow in the "
            "background. The inspection is complete when every original is in."
        )
        self.originals.hide()

        self.accept_button = QPushButton("Accept  (Enter)")
        self.accept_button.setToolTip("Keep this photo and go on (Enter)")
        self.accept_button.clicked.connect(self._accept)
        self.retake_button = QPushButton("Retake  (R)")
        self.retake_button.setToolTip("Discard this photo and take it again (R)")
        self.retake_button.clicked.connect(self._retake)

        self.torch_button = QPushButton("Torch (T)")
        self.torch_button.setCheckable(True)
        self.torch_button.setToolTip("Switch the phone's torch on or off (T)")
        self.torch_button.toggled.connect(self.torch_toggled)

        self.phrase_language = QComboBox()
        for code in languages():
            self.phrase_language.addItem(code.upper(), code)
        self.phrase_language.setToolTip("Language of the quick phrases")
        self.phrases = QComboBox()
        self.phrases.setToolTip("Send a ready-made sentence to the seller's screen")
        self.phrases.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.phrases.activated.connect(self._phrase_chosen)
        self.phrase_language.currentIndexChanged.connect(self._language_changed)
        self.message = MessageEdit(placeholderText="Message to the seller…")
        self.message.setMaxLength(500)
        self.message.setToolTip("Type a message for the seller's screen; Enter sends it")
        self.message.returnPressed.connect(self._send_text)
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Show this message on the seller's screen")
        self.send_button.clicked.connect(self._send_text)

        for button in (
            self.capture_button,
            self.accept_button,
            self.retake_button,
            self.torch_button,
            self.send_button,
        ):
            # Space and Enter belong to the live actions, not to whichever button has focus.
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        top = QHBoxLayout()
        top.addWidget(self.capture_button, 1)
        top.addWidget(self.torch_button)
        review = QHBoxLayout()
        review.addWidget(self.accept_button)
        review.addWidget(self.retake_button)
        phrases = QHBoxLayout()
        phrases.addWidget(self.phrase_language)
        phrases.addWidget(self.phrases, 1)
        message = QHBoxLayout()
        message.addWidget(self.message, 1)
        message.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.thumbnail, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.verdict)
        layout.addWidget(self.reasons)
        layout.addWidget(self.originals)
        layout.addLayout(review)
        layout.addSpacing(8)
        layout.addLayout(phrases)
        layout.addLayout(message)
        layout.addStretch(1)

        self.set_phrase_language(phrase_language)
        self._fill_phrases()
        self.set_live(False)

    # -- state -------------------------------------------------------------------------

    def set_live(self, live: bool) -> None:
        """Enable the controls that need a connected phone."""
        for w in (
            self.capture_button,
            self.torch_button,
            self.phrases,
            self.message,
            self.send_button,
        ):
            w.setEnabled(live)
        self._update_review_buttons()

    def set_phrase_language(self, language: str) -> None:
        index = self.phrase_language.findData(language)
        self.phrase_language.setCurrentIndex(max(index, 0))

    def set_reason_language(self, language: str) -> None:
        self._reason_language = language

    def set_torch(self, on: bool) -> None:
        self.torch_button.blockSignals(True)
        self.torch_button.setChecked(on)
        self.torch_button.blockSignals(False)

    def on_capture_requested(self, event: ev.CaptureRequested) -> None:
        self.capture_id = None
        self.verdict.setText("Capturing…")
        self.verdict.setStyleSheet("font-weight: bold;")
        self.reasons.setText("Waiting for the photo from the phone")
        self._update_review_buttons()

    def on_capture_stored(self, event: ev.CaptureStored) -> None:
        capture = event.capture
        self.capture_id = capture.id
        verdict = capture.quality.verdict
        text, colour = theme.VERDICT_ADVICE[verdict], theme.verdict_colour(verdict).name()
        self.verdict.setText(f"{text} — {capture.width}×{capture.height}")
        self.verdict.setStyleSheet(f"font-weight: bold; color: {colour};")
        reasons = [r.message.get(self._reason_language) for r in capture.quality.reasons]
        self.reasons.setText("\n".join(f"• {r}" for r in reasons))
        self.thumbnail.setText("…")
        self.thumbnail.setPixmap(QPixmap())
        self._update_review_buttons()
        wanted = capture.id
        run_task(
            lambda: load_image(event.path),
            lambda img: self._show_thumbnail(wanted, img),
            lambda _exc: self.thumbnail.setText("(no preview)"),
        )

    def set_originals(self, pending: int, bytes_left: int | None) -> None:
        """Originals still on their way from the phone (their previews stand in)."""
        if pending <= 0:
            self.originals.hide()
            self.originals.clear()
            return
        left = "" if bytes_left is None else f", {bytes_left / 1e6:.1f} MB to come"
        noun = "original" if pending == 1 else "originals"
        self.originals.setText(f"Full-size {noun} on the way: {pending}{left}")
        self.originals.show()

    def on_capture_failed(self, event: ev.CaptureFailed) -> None:
        self.capture_id = None
        self.verdict.setText("Capture failed")
        self.verdict.setStyleSheet(
            f"font-weight: bold; color: {theme.verdict_colour(Verdict.REJECT).name()};"
        )
        self.reasons.setText(event.reason)
        self._update_review_buttons()

    def on_capture_reviewed(self, event: ev.CaptureReviewed) -> None:
        if event.capture_id != self.capture_id:
            return
        self.capture_id = None
        self.reasons.setText(
            ("Accepted" if event.accepted else "Retake asked") + "\n" + self.reasons.text()
        )
        self._update_review_buttons()

    def reset(self) -> None:
        self.capture_id = None
        self.verdict.setText("No photo yet")
        self.verdict.setStyleSheet("font-weight: bold;")
        self.reasons.clear()
        self.thumbnail.clear()
        self.set_torch(False)
        self._update_review_buttons()

    # -- internals -----------------------------------------------------------------------

    def _show_thumbnail(self, capture_id: str, image: QImage) -> None:
        if capture_id == self.capture_id or self.capture_id is None:
            self.thumbnail.setPixmap(QPixmap.fromImage(image))

    def _update_review_buttons(self) -> None:
        pending = self.capture_id is not None
        self.accept_button.setEnabled(pending)
        self.retake_button.setEnabled(pending)

    def _accept(self) -> None:
        if self.capture_id is not None:
            self.accept_requested.emit(self.capture_id)

    def _retake(self) -> None:
        if self.capture_id is not None:
            self.retake_requested.emit(self.capture_id)

    def accept(self) -> None:
        """Accept the pending capture (the Enter action)."""
        self._accept()

    def retake(self) -> None:
        """Retake the pending capture (the R action)."""
        self._retake()

    def _language_changed(self) -> None:
        self._fill_phrases()
        self.phrase_language_changed.emit(self.phrase_language.currentData())

    def _fill_phrases(self) -> None:
        language = self.phrase_language.currentData() or "fr"
        self.phrases.clear()
        self.phrases.addItem("Quick phrase…" if language == "en" else "Phrase rapide…", None)
        for phrase in PHRASES:
            text = phrase.get(language)
            self.phrases.addItem(text, text)

    def _phrase_chosen(self, index: int) -> None:
        text = self.phrases.itemData(index)
        self.phrases.setCurrentIndex(0)
        if text:
            self.message_requested.emit(text)

    def _send_text(self) -> None:
        text = self.message.text().strip()
        if text:
            self.message_requested.emit(text)
            self.message.clear()
