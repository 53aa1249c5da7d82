"""The photo set at a glance: every shot of the checklist by category, with its captures.

Required shots without a usable photo are highlighted; each capture can be
opened, accepted or rejected from here.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.checklist import Shot
from inspector.domain.models import Capture
from inspector.domain.progress import usable
from ui import theme
from ui.review._qt import alive, repolish
from ui.review.review_model import ReviewModel

__all__ = ["CaptureTile", "OverviewView", "ShotTile"]

THUMB = QSize(120, 68)
COLUMNS = 2

_STYLE = """
QFrame#shotTile { border: 1px solid palette(mid); border-radius: 4px; }
QFrame#shotTile[missing="true"] { border: 2px solid #d0202a; background: #fdecec; }
QLabel#missing { color: #b0101a; font-weight: bold; }
QLabel#category { font-weight: bold; font-size: 11pt; padding-top: 6px; }
QFrame#captureTile { border: 2px solid transparent; border-radius: 3px; }
QFrame#captureTile[decision="accepted"] { background: #e3f4e6; }
QFrame#captureTile[decision="rejected"] { background: #f8dcdc; }
"""
_STYLE += f'QFrame#captureTile[current="true"] {{ border: 2px solid {theme.ACCENT}; }}\n'


class CaptureTile(QFrame):
    """One capture: thumbnail (click to open), quality verdict, accept and reject."""

    def __init__(self, model: ReviewModel, capture: Capture, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("captureTile")
        self._model = model
        self.capture = capture
        self.thumb = QToolButton()
        self.thumb.setIconSize(THUMB)
        self.thumb.setFixedSize(THUMB + QSize(6, 6))
        self.thumb.setAutoRaise(True)
        self.thumb.setText("…")
        self.thumb.clicked.connect(self._open)
        self.verdict = QLabel()
        self.accept_button = QToolButton(text="✓", checkable=True)
        self.accept_button.setToolTip("Accept this photo for the report (A)")
        self.accept_button.clicked.connect(self._accept_clicked)
        self.reject_button = QToolButton(text="✗", checkable=True)
        self.reject_button.setToolTip("Reject this photo: it is kept out of the report (X)")
        self.reject_button.clicked.connect(self._reject_clicked)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.verdict, 1)
        row.addWidget(self.accept_button)
        row.addWidget(self.reject_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.thumb)
        layout.addLayout(row)
        self.update_capture(capture)

    def update_capture(self, capture: Capture) -> None:
        self.capture = capture
        q = capture.quality
        colour = theme.verdict_colour(q.verdict).name()
        word = theme.VERDICT_WORDS[q.verdict]
        self.verdict.setText(f"<span style='color:{colour}'>●</span> {word}")
        reasons = "; ".join(r.message.get("en") for r in q.reasons) or "no problem found"
        self.verdict.setToolTip(f"Automatic quality verdict: {reasons}")
        when = capture.captured_at.astimezone().strftime("%H:%M:%S")
        self.thumb.setToolTip(
            f"Open this photo ({when}, {capture.width}×{capture.height}, {capture.source.value})"
        )
        self.accept_button.setChecked(capture.accepted is True)
        self.reject_button.setChecked(capture.accepted is False)
        decision = {True: "accepted", False: "rejected", None: "open"}[capture.accepted]
        self.setProperty("decision", decision)
        repolish(self)

    def set_current(self, current: bool) -> None:
        self.setProperty("current", current)
        repolish(self)

    def set_image(self, image: QImage) -> None:
        self.thumb.setText("")
        self.thumb.setIcon(QPixmap.fromImage(image))

    def _open(self) -> None:
        self._model.set_current(self.capture.id)

    def _accept_clicked(self) -> None:
        # Clicking the checked button again clears the decision.
        self._model.set_accepted(self.capture.id, True if self.accept_button.isChecked() else None)

    def _reject_clicked(self) -> None:
        self._model.set_accepted(self.capture.id, False if self.reject_button.isChecked() else None)


class ShotTile(QFrame):
    """A checklist shot with its captures; flagged when required and missing."""

    def __init__(self, shot: Shot, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shotTile")
        self.shot = shot
        self.missing = False
        self.title = QLabel(shot.title.get("en"))
        self.title.setWordWrap(True)
        self.title.setToolTip(shot.instruction.get("en") or shot.title.get("en"))
        self.status = QLabel()
        self.status.setObjectName("missing")
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 3, 4, 3)
        layout.setSpacing(2)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.status)
        layout.addLayout(header)
        layout.addLayout(self.grid)
        self.tiles: list[CaptureTile] = []

    def add_tile(self, tile: CaptureTile) -> None:
        n = len(self.tiles)
        self.grid.addWidget(tile, n // COLUMNS, n % COLUMNS, Qt.AlignmentFlag.AlignLeft)
        self.tiles.append(tile)

    def refresh_status(self, missing: bool) -> None:
        """Show the shot's state; ``missing`` comes from the inspection's completion."""
        captures = [t.capture for t in self.tiles]
        has_usable = any(usable(c) for c in captures)
        self.missing = missing
        if has_usable:
            self.status.setText("")
            self.status.setToolTip("")
        elif not captures:
            self.status.setText("Missing" if self.shot.required else "Optional, not taken")
            self.status.setToolTip(
                "This required shot has no photo" if self.shot.required else "An optional shot"
            )
        else:
            self.status.setText("No usable photo")
            self.status.setToolTip("Every photo of this shot was rejected")
        self.status.setStyleSheet("" if self.shot.required else "color: palette(mid);")
        self.setProperty("missing", self.missing)
        repolish(self)


class OverviewView(QScrollArea):
    """Thumbnails of the whole photo set, by checklist category."""

    def __init__(self, model: ReviewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setToolTip(
            "Every shot of the checklist with its photos; red: a required shot is missing"
        )
        self.setMinimumWidth(COLUMNS * (THUMB.width() + 16) + 40)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.summary = QLabel("Loading…")
        self.summary.setToolTip("Required shots with a usable photo, and photos taken")
        self.shot_tiles: dict[str, ShotTile] = {}
        self.capture_tiles: dict[str, CaptureTile] = {}
        self._images: dict[str, QImage] = {}
        self._body = QWidget()
        self._body.setStyleSheet(_STYLE)
        self._layout = QVBoxLayout(self._body)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.setSpacing(4)
        self.setWidget(self._body)
        model.loaded.connect(self.rebuild)
        model.capture_changed.connect(self._capture_changed)
        model.current_changed.connect(self._current_changed)
        if model.is_loaded:
            self.rebuild()

    def rebuild(self) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None and item.widget() is not self.summary:
                item.widget().deleteLater()
        self.shot_tiles.clear()
        self.capture_tiles.clear()
        self._layout.addWidget(self.summary)
        by_shot: dict[str, list[Capture]] = {}
        for capture in self.model.captures():
            by_shot.setdefault(capture.shot_id, []).append(capture)
        shots = self.model.shots()
        missing = self._missing()
        categories: dict[str, list[Shot]] = {}
        for shot in shots:
            categories.setdefault(shot.category, []).append(shot)
        for category, members in categories.items():
            header = QLabel(self.model.category_title(category))
            header.setObjectName("category")
            self._layout.addWidget(header)
            for shot in members:
                tile = ShotTile(shot)
                for capture in by_shot.get(shot.id, []):
                    capture_tile = CaptureTile(self.model, capture)
                    tile.add_tile(capture_tile)
                    self.capture_tiles[capture.id] = capture_tile
                    self._load_thumbnail(capture)
                tile.refresh_status(shot.id in missing)
                self.shot_tiles[shot.id] = tile
                self._layout.addWidget(tile)
        self._layout.addStretch(1)
        self._refresh_summary()
        self._current_changed(self.model.current)

    def _load_thumbnail(self, capture: Capture) -> None:
        sha, capture_id = capture.sha256, capture.id
        if sha in self._images:
            self.capture_tiles[capture_id].set_image(self._images[sha])
            return

        def show(image: QImage) -> None:
            if alive(self):
                self._images[sha] = image
                tile = self.capture_tiles.get(capture_id)
                if tile is not None:
                    tile.set_image(image)

        def failed(exc: BaseException) -> None:
            tile = self.capture_tiles.get(capture_id) if alive(self) else None
            if tile is not None:
                tile.thumb.setText("No\npreview")
                tile.thumb.setToolTip(f"The photo cannot be shown: {exc}")

        self.model.request_thumbnail(sha, show, failed)

    def _missing(self) -> set[str]:
        completion = self.model.completion()
        return {s.id for s in completion.missing} if completion else set()

    def _refresh_summary(self) -> None:
        completion = self.model.completion()
        missing = len(completion.missing) if completion else 0
        text = self.model.progress_text()
        if missing:
            text += f" · <span style='color:#b0101a'><b>{missing} missing</b></span>"
        self.summary.setText(text)

    def _capture_changed(self, capture: Capture) -> None:
        tile = self.capture_tiles.get(capture.id)
        if tile is None:
            return
        tile.update_capture(capture)
        shot_tile = self.shot_tiles.get(capture.shot_id)
        if shot_tile is not None:
            shot_tile.refresh_status(capture.shot_id in self._missing())
        self._refresh_summary()

    def _current_changed(self, capture: Capture | None) -> None:
        for capture_id, tile in self.capture_tiles.items():
            tile.set_current(capture is not None and capture_id == capture.id)
        if capture is not None and capture.id in self.capture_tiles:
            self.ensureWidgetVisible(self.capture_tiles[capture.id], 10, 30)
