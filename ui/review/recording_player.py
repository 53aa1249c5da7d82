"""The call's recording in the review: the video (Qt Multimedia) and its timeline.

The store's recordings of the inspection are read on a worker thread, with each
one's timeline (:mod:`inspector.storage.recordings`). The newest playable one is
loaded into a :class:`QMediaPlayer`; the timeline lists the shots, captures,
reviews and messages at their time in the video: activating a line seeks there,
and a capture's line also asks the review to show that photo (``capture_activated``).
What the seller answered is said above the video, also when nothing was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLoggingCategory, Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.recording import CallRecording, TimelineMark, latest_consent
from inspector.storage import StoreError
from inspector.storage import recordings as files
from inspector.storage.store import Store
from ui.crossing import run_task
from ui.review._qt import alive

__all__ = ["Loaded", "RecordingPlayer", "load_recording", "mark_text", "multimedia"]


def multimedia() -> tuple[Any, Any]:
    """``(QMediaPlayer, QVideoWidget)``, imported on first use: loading Qt Multimedia costs
    time and, on a machine without PipeWire or VA-API, prints harmless warnings (hidden),
    so a review without a recording never loads it."""
    QLoggingCategory.setFilterRules("qt.multimedia.symbolsresolver=false")
    from PySide6.QtMultimedia import QMediaPlayer
    from PySide6.QtMultimediaWidgets import QVideoWidget

    return QMediaPlayer, QVideoWidget


_MARK_ROLE = Qt.ItemDataRole.UserRole + 1
_KIND_WORDS = {
    "shot": "Shot",
    "capture": "Photo",
    "accepted": "Accepted",
    "retake": "Retake asked",
    "message": "Message",
    "joined": "Phone joined",
    "left": "Phone left",
    "completed": "All photos taken",
}


@dataclass(frozen=True)
class Loaded:
    """What the worker thread read: the answers, the one to play, its file and marks."""

    answer: CallRecording | None
    playing: CallRecording | None
    video: Path | None
    marks: tuple[TimelineMark, ...]
    problem: str = ""


def load_recording(store: Store, inspection_id: str) -> Loaded:
    """Worker thread: the inspection's newest playable recording and its timeline."""
    found = store.recordings(inspection_id)
    answer = latest_consent(found)
    playable = [r for r in found if r.playable]
    if not playable:
        return Loaded(answer, None, None, ())
    playing = playable[-1]
    assert playing.sha256 is not None
    try:
        video = store.recording_file(playing.sha256, playing.mime)
        marks: tuple[TimelineMark, ...] = ()
        if playing.timeline_sha256:
            data = store.recording_file(playing.timeline_sha256, "application/json").read_bytes()
            marks = tuple(files.read_timeline(data))
    except (StoreError, OSError, ValueError) as exc:  # missing, altered, store unreachable
        return Loaded(answer, playing, None, (), f"The recording cannot be read: {exc}")
    return Loaded(answer, playing, video, marks)


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def mark_text(mark: TimelineMark, shot_title: str = "") -> str:
    what = _KIND_WORDS.get(mark.kind, mark.kind.capitalize())
    detail = mark.text if mark.kind == "message" else shot_title or mark.shot_id
    return f"{clock(mark.t)}  {what}" + (f" — {detail}" if detail else "")


class RecordingPlayer(QWidget):
    """The recording of the call, if the seller agreed: play, pause, seek, the timeline."""

    capture_activated = Signal(str)
    loaded = Signal()

    def __init__(
        self,
        store: Store,
        inspection_id: str,
        shot_title: object = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.inspection_id = inspection_id
        self._shot_title = shot_title if callable(shot_title) else (lambda shot_id: shot_id)
        self.state: Loaded | None = None
        self.player: Any = None  # a QMediaPlayer, made once there is something to play

        self.answer = QLabel("Loading…")
        self.answer.setWordWrap(True)
        self.answer.setToolTip("What the seller answered when asked to record the call")
        self.video = QWidget()  # the QVideoWidget goes in once there is something to play
        self.video.setMinimumHeight(160)
        QVBoxLayout(self.video).setContentsMargins(0, 0, 0, 0)
        self.video.hide()
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play or pause the recording of the call")
        self.play_button.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Where the recording is; drag to move")
        self.slider.sliderMoved.connect(self.seek_ms)
        self.time = QLabel("0:00 / 0:00")
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time)
        self.controls = QWidget()
        self.controls.setLayout(controls)
        self.controls.hide()
        self.timeline = QListWidget()
        self.timeline.setToolTip(
            "What happened during the call; double-click (or Enter) to go there in the video "
            "— a photo also opens in the viewer"
        )
        self.timeline.itemActivated.connect(self._activated)
        self.timeline.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.answer)
        layout.addWidget(self.video, 3)
        layout.addWidget(self.controls)
        layout.addWidget(self.timeline, 2)
        self.reload()

    # -- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        store, iid = self.store, self.inspection_id
        run_task(lambda: load_recording(store, iid), self._show, self._failed)

    def _failed(self, exc: BaseException) -> None:
        if alive(self):
            self.answer.setText(f"The recordings cannot be read: {exc}")
            self.loaded.emit()

    def _show(self, state: Loaded) -> None:
        if not alive(self):
            return
        self.state = state
        self.answer.setText(self._answer_text(state))
        playable = state.video is not None
        self.video.setVisible(playable)
        self.controls.setVisible(playable)
        self.timeline.setVisible(playable)
        self.timeline.clear()
        for mark in state.marks:
            item = QListWidgetItem(mark_text(mark, self._title(mark)))
            item.setData(_MARK_ROLE, mark)
            self.timeline.addItem(item)
        if state.video is not None:
            player = self._ensure_player()
            player.setSource(QUrl.fromLocalFile(str(state.video)))
        self.loaded.emit()

    def _title(self, mark: TimelineMark) -> str:
        if not mark.shot_id:
            return ""
        try:
            return str(self._shot_title(mark.shot_id))  # type: ignore[operator]
        except (KeyError, ValueError):
            return mark.shot_id

    @staticmethod
    def _answer_text(state: Loaded) -> str:
        answer = state.answer
        if state.problem:
            return state.problem
        if answer is None:
            return "The seller was not asked to record the call: there is no recording."
        when = answer.consent_at.astimezone().strftime("%d/%m/%Y %H:%M")
        if not answer.consent:
            return f"The seller declined the recording ({when}): there is none."
        playing = state.playing
        if playing is None:
            if answer.deleted_at is not None:
                gone = answer.deleted_at.astimezone().strftime("%d/%m/%Y")
                return f"Recorded with the seller's consent ({when}); deleted on {gone}."
            return f"The seller agreed ({when}), but no video was recorded."
        return f"Recorded with the seller's consent ({when}), {clock(playing.duration)} long."

    def _ensure_player(self) -> Any:
        if self.player is None:
            media_player, video_widget = multimedia()
            self.video_output = video_widget()
            self.video.layout().addWidget(self.video_output)
            player = media_player(self)
            player.setVideoOutput(self.video_output)
            player.durationChanged.connect(self._duration)
            player.positionChanged.connect(self._position)
            player.playbackStateChanged.connect(self._playback)
            self.player = player
        return self.player

    # -- playing ---------------------------------------------------------------------------

    def toggle(self) -> None:
        if self.player is None:
            return
        if self.player.playbackState() == self.player.PlaybackState.PlayingState:
            self.player.pause()
        else:
            self.player.play()

    def seek_ms(self, ms: int) -> None:
        if self.player is not None:
            self.player.setPosition(max(0, int(ms)))

    def seek_to(self, mark: TimelineMark) -> None:
        """Go to a moment of the timeline (paused there, unless playing)."""
        self.seek_ms(int(mark.t * 1000))
        if mark.capture_id:
            self.capture_activated.emit(mark.capture_id)

    def _activated(self, item: QListWidgetItem) -> None:
        mark = item.data(_MARK_ROLE)
        if isinstance(mark, TimelineMark):
            self.seek_to(mark)

    def _duration(self, ms: int) -> None:
        self.slider.setRange(0, max(0, ms))
        self._position(self.player.position() if self.player else 0)

    def _position(self, ms: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(ms)
        total = self.player.duration() if self.player else 0
        self.time.setText(f"{clock(ms / 1000)} / {clock(total / 1000)}")

    def _playback(self, state: Any) -> None:
        playing = self.player is not None and state == self.player.PlaybackState.PlayingState
        self.play_button.setText("Pause" if playing else "Play")

    def stop(self) -> None:
        """Leaving the review: stop playing and let the file go."""
        if self.player is not None:
            self.player.stop()
            self.player.setSource(QUrl())
