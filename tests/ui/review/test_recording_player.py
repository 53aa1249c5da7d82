"""The call's recording in the review: played with Qt Multimedia, its timeline jumps to a photo."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtMultimedia import QMediaPlayer
from pytestqt.qtbot import QtBot

from inspector.domain.recording import TimelineMark
from inspector.live.recorder import SessionRecording
from inspector.storage.store import Store
from tests.ui.review.conftest import Sample
from ui.review.recording_player import mark_text
from ui.review.workspace import ReviewWorkspace


def record(store: Store, inspection_id: str, capture_id: str, seconds: float = 3.0) -> None:
    """A real recording (H.264 MP4) of ``seconds`` at 10 fps, a photo taken at 1.5 s."""
    recording = SessionRecording(store, inspection_id, True)
    recording.answer()
    recording.start()
    start = time.monotonic()
    for i in range(int(seconds * 10)):
        picture = np.full((240, 320, 3), (40 + i * 6) % 255, np.uint8)
        picture[100:140, (i * 9) % 280 : (i * 9) % 280 + 40] = (0, 0, 220)
        recording.push(picture, start + i / 10)
    recording.marks += [
        TimelineMark(0.2, "shot", shot_id="rear"),
        TimelineMark(1.5, "capture", shot_id="rear", capture_id=capture_id),
        TimelineMark(2.0, "message", text="Reculez un peu"),
    ]
    assert recording.finish() is not None


def test_the_recording_plays_and_its_timeline_opens_the_photo(
    qtbot: QtBot,
    store: Store,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
) -> None:
    rear = sample.capture_ids["rear"]
    record(store, sample.inspection_id, rear)
    w = make_workspace(sample.inspection_id)
    player = w.recording
    w.side_tabs.setCurrentWidget(player)
    qtbot.waitUntil(lambda: player.state is not None, timeout=5000)
    assert player.answer.text().startswith("Recorded with the seller's consent")
    assert player.timeline.count() == 3
    assert player.timeline.item(1).text() == "0:01  Photo — Rear"
    assert player.player is not None
    qtbot.waitUntil(lambda: player.player.duration() > 2500, timeout=10000)  # type: ignore[union-attr]
    assert abs(player.player.duration() - 3000) < 500  # type: ignore[union-attr]
    w.model.set_current(sample.capture_ids["front"])
    with qtbot.waitSignal(player.capture_activated, timeout=2000) as signal:
        player.timeline.itemActivated.emit(player.timeline.item(1))
    assert signal.args == [rear]
    qtbot.waitUntil(lambda: w.model.current is not None and w.model.current.id == rear)
    qtbot.waitUntil(lambda: abs(player.player.position() - 1500) < 200, timeout=5000)  # type: ignore[union-attr]
    player.toggle()
    qtbot.waitUntil(
        lambda: player.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState,  # type: ignore[union-attr]
        timeout=5000,
    )
    assert player.play_button.text() == "Pause"
    qtbot.wait(300)
    w.grab().save("/tmp/review-recording.png")
    player.toggle()


def test_without_a_recording_the_answer_is_said(
    qtbot: QtBot,
    store: Store,
    sample: Sample,
    make_workspace: Callable[[str], ReviewWorkspace],
) -> None:
    w = make_workspace(sample.inspection_id)
    qtbot.waitUntil(lambda: w.recording.state is not None, timeout=5000)
    assert "not asked" in w.recording.answer.text()
    assert w.recording.player is None and w.recording.video.isHidden()
    SessionRecording(store, sample.inspection_id, False).answer()
    w.recording.reload()
    qtbot.waitUntil(lambda: "declined" in w.recording.answer.text(), timeout=5000)


def test_mark_words() -> None:
    assert mark_text(TimelineMark(62.4, "message", text="Merci")) == "1:02  Message — Merci"
    assert mark_text(TimelineMark(5, "accepted", capture_id="c")) == "0:05  Accepted"
