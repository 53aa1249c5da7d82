"""The live page: video, checklist, capture, invite and filmstrip for one inspection.

The page subscribes to the bridge's signals (filtered to its inspection) and
turns the panels' requests into engine commands through ``bridge.call``; the
engine's session controller does the orchestration (checklist walk, quality,
auto-advance). No engine call blocks the UI thread: they return futures whose
outcome comes back as a queued signal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.checklist import Checklist, ChecklistError, overlay_path
from inspector.domain.coverage import coverage_of
from inspector.domain.models import Capture, Damage, Inspection
from inspector.live import events as ev
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.live.contrib.views import DemoVehicle
from inspector.live.session import DamagePair
from inspector.storage.store import Store
from ui import theme
from ui.capture_panel import CapturePanel
from ui.checklist_panel import ChecklistPanel, ShotBoard
from ui.coverage_map import CoverageMap
from ui.crossing import EngineBridge, run_task, wait
from ui.engine_commands import EngineCommands
from ui.filmstrip import Filmstrip
from ui.invite_panel import InvitePanel
from ui.live_damage import LiveDamageForm
from ui.live_view import LiveView
from ui.review.damage_dialog import DamageDialog
from ui.review.labels import part_label

__all__ = ["EngineCommands", "LiveSession", "read_overlay"]

log = logging.getLogger(__name__)


def read_overlay(name: str) -> bytes | None:
    """The SVG bytes of an overlay, or None if the template names one we lack (worker thread)."""
    try:
        return overlay_path(name).read_bytes()
    except (ChecklistError, OSError):
        return None


_IDENTITY_NAMES = {"vin": "VIN", "odometer": "Mileage", "plate": "Plate"}


class LiveSession(QWidget):
    """One inspection's live call."""

    status_message = Signal(str)
    live_changed = Signal(bool)  # a phone is connected (capture etc. make sense)

    def __init__(
        self,
        bridge: EngineBridge,
        engine: EngineCommands,
        store: Store,
        parent: QWidget | None = None,
        *,
        phrase_language: str = "fr",
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.engine = engine
        self.store = store
        self.inspection: Inspection | None = None
        self.board: ShotBoard | None = None
        self.connection = ""
        self.completed = False
        self._overlay_name: str | None = None
        self.demo_phone: SimulatedPhone | None = None
        self.damage_form = LiveDamageForm(self, engine, self._call)
        self.damage_form.status_message.connect(self.status_message)
        self.takeover_prompt: QMessageBox | None = None  # another device asks for the call

        self.vehicle = QLabel("")
        self.vehicle.setStyleSheet("font-weight: bold; font-size: 14pt;")
        self.vehicle.setToolTip("The vehicle being inspected and its seller")
        self.shot_title = QLabel("")
        self.shot_title.setStyleSheet(f"font-weight: bold; font-size: 12pt; color: {theme.ACCENT};")
        self.shot_title.setToolTip("The shot the seller is asked for now")
        self.instruction = QLabel("")
        self.instruction.setWordWrap(True)
        self.instruction.setToolTip("What the seller reads on the phone for this shot")
        # The seller's confirmation: waiting, signed at 14:32, or the seller's remark.
        self.signature = QLabel("")
        self.signature.setWordWrap(True)
        self.signature.setObjectName("seller-signature")
        self.signature.setToolTip(
            "The seller confirms the summary on the phone by signing it, or says what is not right"
        )
        self.signature.hide()
        # What the OCR read in the VIN, odometer and plate photos, beside what was typed.
        self.identity = QLabel("")
        self.identity.setWordWrap(True)
        self.identity.setObjectName("identity-read")
        self.identity.setToolTip(
            "Read from the photos by the OCR: a mismatch with the entry is flagged while the "
            "seller is still at the car (ask for a retake, or correct the entry)"
        )
        self.identity.hide()
        self.identity_readings: dict[str, ev.IdentityRead] = {}
        # Whether the call is recorded: the seller's answer on the phone, and the recorder.
        self.recording = QLabel("")
        self.recording.setObjectName("recording-state")
        self.recording.setToolTip(
            "The seller is asked on the phone whether the call may be recorded; the video "
            "is recorded only after a yes"
        )
        self.recording.hide()
        self.ask_signature = QPushButton("Ask the seller to sign")
        self.ask_signature.setToolTip(
            "Show the seller the summary (vehicle, photos, damages) to confirm and sign; "
            "again after a change"
        )
        self.ask_signature.setEnabled(False)
        self.ask_signature.clicked.connect(self.request_signature)
        self.live_view = LiveView()
        self.checklist = ChecklistPanel()
        self.coverage = CoverageMap()
        self.capture = CapturePanel(phrase_language=phrase_language)
        self.invite = InvitePanel()
        self.filmstrip = Filmstrip(store)
        self.filmstrip.shot_title = self._title_of

        header = QVBoxLayout()
        header.setSpacing(2)
        title_row = QHBoxLayout()
        title_row.addWidget(self.vehicle, 1)
        title_row.addWidget(self.recording)
        header.addLayout(title_row)
        header.addWidget(self.shot_title)
        header.addWidget(self.instruction)
        signature_row = QHBoxLayout()
        signature_row.addWidget(self.signature, 1)
        signature_row.addWidget(self.ask_signature)
        header.addLayout(signature_row)
        header.addWidget(self.identity)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addLayout(header)
        centre_layout.addWidget(self.live_view, 1)
        centre_layout.addWidget(self.filmstrip)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.invite)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        right_layout.addWidget(line)
        right_layout.addWidget(self.capture, 1)
        self.checklist.setMinimumWidth(220)
        left = QSplitter(Qt.Orientation.Vertical)  # the checklist above its coverage map
        left.addWidget(self.checklist)
        left.addWidget(self.coverage)
        left.setStretchFactor(0, 1)
        left.setStretchFactor(1, 0)
        left.setSizes([420, 260])
        left.setChildrenCollapsible(False)
        right.setMinimumWidth(300)
        right.setMaximumWidth(380)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([250, 760, 320])
        self.splitter.setChildrenCollapsible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.splitter)

        self._connect_panels()
        self._connect_bridge()

    # -- opening --------------------------------------------------------------------------

    @property
    def inspection_id(self) -> str | None:
        return self.inspection.id if self.inspection else None

    def open(
        self,
        inspection: Inspection,
        checklist: Checklist,
        captures: list[Capture],
        damages: Iterable[Damage] = (),
    ) -> None:
        """Show ``inspection`` (read off the UI thread by the caller) and ask for a join link."""
        self.inspection = inspection
        self.completed = False
        self.connection = ""
        self.signature.hide()
        self.signature.setText("")
        self.identity.hide()
        self.identity_readings = {}
        self.show_recording(None, False)
        # Starts where the session controller starts; the engine's answer below may move it.
        damages = list(damages)
        board = ShotBoard(checklist, inspection.id, captures, damages)
        self.board = board
        lang = inspection.seller.language.value
        self.checklist.language = "en"
        self.checklist.set_board(board)
        # What the store says until the engine's session answers (the same computation).
        self.coverage.set_coverage(coverage_of(checklist, captures, damages))
        self.capture.reset()
        self.capture.set_reason_language("en")
        self.capture.set_phrase_language(lang)
        self.capture.set_live(False)
        self.filmstrip.set_captures(captures)
        v, s = inspection.vehicle, inspection.seller
        title = v.title() or v.plate or v.vin or "Vehicle"
        extra = " · ".join(p for p in (v.plate, s.name) if p)
        self.vehicle.setText(f"{title}  ·  {extra}" if extra else title)
        self.invite.set_recipient(s.email, title, lang)
        iid = inspection.id
        engine = self.engine
        self.live_view.set_source(lambda: engine.latest_frame(iid))
        self._show_shot()
        self.request_invite()
        self._call(self.engine.session_info(iid), self._apply_info)

    def _apply_info(self, info: dict[str, Any]) -> None:
        """Where the engine's session controller is (it may differ from our guess)."""
        board = self.board
        if board is None or self.inspection is None:
            return
        self._on_shot(
            ev.ShotChanged(self.inspection.id, info["index"], info["shot_id"], info["total"])
        )
        self._set_connection(info.get("connection", self.connection))
        if info.get("coverage") is not None:
            self.coverage.set_coverage(info["coverage"])
        self.show_recording(info.get("recording_consent"), bool(info.get("recording")))

    def close_session(self) -> None:
        """Leave the page: end the call if one is going on."""
        self.stop_demo_phone()
        if self.inspection is not None and self.connection in ("connected", "reconnecting"):
            self._call(self.engine.end_session(self.inspection.id))
        self.live_view.set_source(None)
        self.live_view.clear()
        self.inspection = None
        self.board = None
        self.checklist.set_board(None)
        self.coverage.set_coverage(None)
        self._set_connection("")

    # -- commands (from actions, keys and panels) ---------------------------------------------

    @property
    def live(self) -> bool:
        return self.inspection is not None and self.connection == "connected"

    def request_invite(self) -> None:
        if self.inspection is not None:
            self._call(self.engine.invite(self.inspection.id), self.invite.set_invite)

    def capture_now(self) -> None:
        if self.live:
            self._call(self.engine.capture(self.inspection_id))  # type: ignore[arg-type]

    def accept_capture(self) -> None:
        self.capture.accept()

    def retake_capture(self) -> None:
        self.capture.retake()

    def toggle_torch(self) -> None:
        if self.live:
            self.capture.torch_button.toggle()

    def next_shot(self) -> None:
        if self.inspection is not None:
            self._call(self.engine.next_shot(self.inspection.id))

    def previous_shot(self) -> None:
        if self.inspection is not None:
            self._call(self.engine.previous_shot(self.inspection.id))

    def select_shot(self, shot_id: str) -> None:
        if self.inspection is not None:
            self._call(self.engine.select_shot(self.inspection.id, shot_id))

    def add_damage(self) -> None:
        """Record a damage, add its wide view and close-up, guide the seller to the wide view.

        The engine stores the damage at once (part guessed from the current shot,
        "to complete"); a small dialog then asks what it is, which the operator
        may answer or leave for the inspector ("Later").
        """
        if self.inspection is not None:
            self._call(self.engine.add_damage_pair(self.inspection.id), self._damage_added)

    def _damage_added(self, pair: DamagePair) -> None:
        if self.board is None or pair.damage.inspection_id != self.inspection_id:
            return
        self.board.add_damage_shots(pair.number)
        self.checklist.set_board(self.board)
        self.select_shot(pair.wide.id)
        where = f" on the {part_label(pair.guess).lower()}" if pair.guess else ""
        self.status_message.emit(f"Damage {pair.number} added{where}: say what it is, or later")
        self.ask_damage(pair)

    def ask_damage(self, pair: DamagePair) -> DamageDialog:
        """The small, non-blocking form of a damage just added (:class:`LiveDamageForm`)."""
        return self.damage_form.ask(pair)

    @property
    def damage_dialog(self) -> DamageDialog | None:
        """The damage form open now, if any."""
        return self.damage_form.dialog

    def toggle_freeze(self) -> None:
        self.live_view.set_frozen(not self.live_view.frozen)

    def toggle_overlay(self) -> None:
        self.live_view.set_overlay_visible(not self.live_view.overlay_visible)

    def end_call(self) -> None:
        self.stop_demo_phone()
        if self.inspection is not None:
            self._call(self.engine.end_session(self.inspection.id))

    def start_demo_phone(self, **phone_options: Any) -> None:
        """Join this inspection with a simulated phone running on the engine's loop."""
        if self.inspection is None:
            return
        self.stop_demo_phone()
        options = {"still_size": (2000, 1500), "user_agent": "Demo phone (simulated)"}
        options.update(phone_options)
        if self.inspection is not None:  # the demo car is this inspection's: plate, VIN, km
            options.setdefault("vehicle", DemoVehicle.of(self.inspection.vehicle))

        def invited(invite: ev.Invite) -> None:
            self.invite.set_invite(invite)
            phone = SimulatedPhone(invite.join_url, **options)
            self.demo_phone = phone
            self.status_message.emit("Demo phone joining…")
            self._call(self.engine.call(phone.start()))

        self._call(self.engine.invite(self.inspection.id), invited)

    def stop_demo_phone(self) -> Future[Any] | None:
        phone, self.demo_phone = self.demo_phone, None
        if phone is None:
            return None
        future = self.engine.call(phone.stop())
        self._call(future)
        return future

    def shutdown(self) -> None:
        """The window closes: stop the demo phone quickly; the engine ends the call itself."""
        future = self.stop_demo_phone()
        if future is not None:
            try:
                wait(future, 1.5)
            except Exception as exc:  # closing anyway; the engine stop ends the phone's call
                log.warning("the demo phone did not stop cleanly: %r", exc)
        self.live_view.set_source(None)

    # -- wiring ---------------------------------------------------------------------------------

    def use_engine(self, engine: EngineCommands, store: Store) -> None:
        """Run the next call on ``engine`` and ``store``: a team server's call runs on the
        console's desk engine and its working copy, a local one on the console's own."""
        if engine is self.engine and store is self.store:
            return
        self.engine = engine
        self.store = store
        self.damage_form.engine = engine
        self.filmstrip.store = store

    def _call(self, future: Future[Any], on_done: Callable[[Any], None] | None = None) -> None:
        self.bridge.call(future, on_done, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.status_message.emit(f"Engine: {exc}")

    def _connect_panels(self) -> None:
        c = self.capture
        c.capture_requested.connect(self.capture_now)
        c.accept_requested.connect(self._accept)
        c.retake_requested.connect(self._retake)
        c.torch_toggled.connect(self._torch)
        c.message_requested.connect(self._message)
        self.checklist.shot_requested.connect(self.select_shot)
        self.checklist.next_requested.connect(self.next_shot)
        self.checklist.previous_requested.connect(self.previous_shot)
        self.checklist.add_damage_requested.connect(self.add_damage)
        self.coverage.shot_requested.connect(self.select_shot)
        self.invite.invite_requested.connect(self.request_invite)
        self.live_view.pointer_requested.connect(self._pointer)

    def _accept(self, capture_id: str) -> None:
        if self.inspection is not None:
            self._call(self.engine.accept(self.inspection.id, capture_id))

    def _retake(self, capture_id: str) -> None:
        if self.inspection is not None:
            self._call(self.engine.retake(self.inspection.id, capture_id))

    def _torch(self, on: bool) -> None:
        if self.inspection is not None:
            self._call(self.engine.torch(self.inspection.id, on))

    def _message(self, text: str) -> None:
        if self.inspection is not None:
            self._call(self.engine.message(self.inspection.id, text))
            self.status_message.emit(f"Sent to the seller: {text}")

    def _pointer(self, x: float, y: float) -> None:
        if self.live:
            self._call(self.engine.pointer(self.inspection_id, x, y))  # type: ignore[arg-type]

    def _connect_bridge(self) -> None:
        b = self.bridge
        b.frame_available.connect(self._on_frame)
        b.shot_changed.connect(self._on_shot)
        b.capture_requested.connect(self._mine(self.capture.on_capture_requested))
        b.capture_stored.connect(self._mine(self._on_capture_stored))
        b.capture_failed.connect(self._mine(self._on_capture_failed))
        b.capture_reviewed.connect(self._mine(self._on_capture_reviewed))
        b.originals.connect(self._mine(self._on_original))
        b.hint.connect(self._mine(lambda e: self.live_view.set_hint(e.code)))
        b.stats.connect(
            self._mine(
                lambda e: self.live_view.set_stats(e.fps, e.width, e.height, e.rtt_ms, e.path)
            )
        )
        b.connection_changed.connect(self._mine(lambda e: self._set_connection(e.state)))
        b.phone_joined.connect(self._mine(self._on_joined))
        b.phone_left.connect(self._mine(self._on_left))
        b.takeover_asked.connect(self._mine(self.ask_takeover))
        b.completed.connect(self._mine(self._on_completed))
        b.coverage_changed.connect(self._mine(lambda e: self.coverage.set_coverage(e.coverage)))
        b.recording_changed.connect(
            self._mine(lambda e: self.show_recording(e.consent, e.recording))
        )
        b.seller_confirmation.connect(self._mine(self.on_seller_confirmation))
        b.identity_read.connect(self._mine(self.on_identity_read))
        b.error.connect(self._mine(lambda e: self.status_message.emit(f"Error: {e.message}")))
        b.listening.connect(lambda e: self.invite.set_lan_url(e.lan_url))

    def _mine(self, slot: Callable[[Any], None]) -> Callable[[Any], None]:
        """Only events of the inspection on this page reach ``slot``."""

        def filtered(event: Any) -> None:
            if self.inspection is not None and event.inspection_id == self.inspection.id:
                slot(event)

        return filtered

    def _on_frame(self, inspection_id: str, seq: int) -> None:
        if self.inspection is not None and inspection_id == self.inspection.id:
            self.live_view.on_frame_available(seq)

    def _on_shot(self, event: ev.ShotChanged) -> None:
        if self.inspection is None or event.inspection_id != self.inspection.id:
            return
        self.checklist.apply(event)
        self._show_shot()

    def _on_capture_stored(self, event: ev.CaptureStored) -> None:
        self.checklist.apply(event)
        self.capture.on_capture_stored(event)
        self.filmstrip.add_capture(event.capture)

    def _on_capture_failed(self, event: ev.CaptureFailed) -> None:
        self.capture.on_capture_failed(event)
        self.status_message.emit(f"Capture failed: {event.reason}")

    def _on_capture_reviewed(self, event: ev.CaptureReviewed) -> None:
        self.checklist.apply(event)
        self.capture.on_capture_reviewed(event)
        self.filmstrip.set_accepted(event.capture_id, event.accepted)

    def _on_original(self, event: ev.Event) -> None:
        """An original after its preview: progress on the filmstrip and the capture panel."""
        if isinstance(event, ev.OriginalProgress):
            self.filmstrip.set_original_progress(event.capture_id, event.received, event.size)
            self.capture.set_originals(event.pending, event.pending_bytes)
        elif isinstance(event, ev.OriginalStored):
            self.filmstrip.original_stored(event.capture)
            self.capture.set_originals(event.pending, None)
        elif isinstance(event, ev.OriginalFailed):
            self.filmstrip.original_failed(event.capture_id, event.retrying)
            self.capture.set_originals(event.pending, None)
            if not event.retrying:
                self.status_message.emit(f"Original not received, preview kept: {event.reason}")

    def _on_joined(self, event: ev.PhoneJoined) -> None:
        self.invite.on_phone_joined(event)
        self.status_message.emit("The seller's phone joined")

    def _on_left(self, event: ev.PhoneLeft) -> None:
        self.invite.on_phone_left(event)
        self.status_message.emit(f"The seller's phone left ({event.reason})")

    def ask_takeover(self, event: ev.TakeoverAsked) -> QMessageBox:
        """Another device asks for the inspection: the operator lets it take over, or not.

        Not modal: the call goes on while the question waits; the new device's page
        waits for the answer and opens by itself when it is yes.
        """
        if self.takeover_prompt is not None:
            self.takeover_prompt.close()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Another device",
            "Another device opened the seller's link and asks to take over this inspection "
            "(the seller may have switched phones).\n\nLet it take over? The phone connected "
            "now will be disconnected.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setWindowModality(Qt.WindowModality.NonModal)
        iid = event.inspection_id

        def answered(button: Any) -> None:
            allow = box.standardButton(button) == QMessageBox.StandardButton.Yes
            self._call(self.engine.answer_takeover(iid, allow))
            said = "may take over" if allow else "was refused"
            self.status_message.emit(f"The other device {said}")

        box.buttonClicked.connect(answered)
        box.finished.connect(lambda _result: setattr(self, "takeover_prompt", None))
        self.takeover_prompt = box
        box.show()
        return box

    def _on_completed(self, event: ev.Completed) -> None:
        self.completed = True
        self.checklist.apply(event)  # the optional shots left are skipped
        self.status_message.emit(
            "Every required shot has a usable photo: the inspection is captured"
        )

    def on_identity_read(self, event: ev.IdentityRead) -> None:
        """The entered value beside the one read; a mismatch in red, a filled entry said."""
        self.identity_readings[event.kind] = event
        lines = []
        for kind in ("vin", "odometer", "plate"):
            e = self.identity_readings.get(kind)
            if e is None:
                continue
            name = _IDENTITY_NAMES[kind]
            read = e.text if e.text is not None else "nothing readable"
            line = f"{name} read from photo: {read} ({e.confidence:.0%})"
            if e.details:
                line += f" · {e.details}"
            if e.filled:
                line += " · entered from the photo"
            elif e.mismatch:
                line = (
                    f"<b style='color:#c62828'>⚠ {line} ≠ entered {e.entered}: ask for a "
                    "retake or correct the entry</b>"
                )
            elif e.entered and e.text is not None:
                line += " · matches the entry"
            lines.append(line)
        self.identity.setText("<br>".join(lines))
        self.identity.show()
        if event.mismatch:
            self.status_message.emit(
                f"{_IDENTITY_NAMES[event.kind]} read from the photo does not match the entry"
            )

    def _on_recording(self, event: ev.RecordingChanged) -> None:
        self.show_recording(event.consent, event.recording)

    def show_recording(self, consent: bool | None, recording: bool) -> None:
        """ "● Recording" while the video is recorded; "Not recorded" after a no."""
        if recording:
            text, colour = "● Recording", "#c62828"
        elif consent is False:
            text, colour = "Not recorded (the seller declined)", theme.MUTED
        elif consent is True:
            text, colour = "Recording stopped", theme.MUTED
        else:
            self.recording.hide()
            return
        self.recording.setText(text)
        self.recording.setStyleSheet(f"font-weight: bold; color: {colour};")
        self.recording.show()
        if recording:
            self.status_message.emit("The seller agreed: the call is being recorded")

    def request_signature(self) -> None:
        """Show the seller the summary to confirm and sign."""
        if self.inspection is not None:
            self._call(self.engine.request_signature(self.inspection.id))

    def on_seller_confirmation(self, event: ev.Event) -> None:
        """Waiting for the seller's signature / signed at 14:32 / remark from the seller."""
        if isinstance(event, ev.SignatureRequested):
            text, colour = "Waiting for the seller's signature…", theme.ACCENT
        elif isinstance(event, ev.SellerSigned):
            when = datetime.fromisoformat(event.signed_at).astimezone().strftime("%H:%M")
            who = f" by {event.seller_name}" if event.seller_name else ""
            text, colour = f"Signed at {when}{who}", "#2e7d32"
            self.status_message.emit(f"The seller signed the summary at {when}")
        elif isinstance(event, ev.SellerRemarked):
            text, colour = f"Remark from the seller: {event.text}", "#b26a00"
            self.status_message.emit("The seller says something is not right")
        else:
            return
        self.signature.setText(text)
        self.signature.setStyleSheet(f"font-weight: bold; color: {colour};")
        self.signature.show()

    def _set_connection(self, state: str) -> None:
        was_live = self.live
        self.connection = state
        self.live_view.set_connection(state)
        self.capture.set_live(self.live)
        self.ask_signature.setEnabled(self.live)
        if state == "closed":
            self.capture.set_torch(False)
        if was_live != self.live:
            self.live_changed.emit(self.live)

    def _title_of(self, shot_id: str) -> str:
        if self.board is None:
            return shot_id
        try:
            return self.board.checklist.shot(shot_id).title.get("en")
        except KeyError:
            return shot_id

    def _show_shot(self) -> None:
        board = self.board
        if board is None:
            self.shot_title.clear()
            self.instruction.clear()
            return
        index = board.index_of(board.current)
        shot = board.shots[index]
        self.shot_title.setText(f"Shot {index + 1} of {len(board.shots)}: {shot.title.get('en')}")
        self.instruction.setText(shot.instruction.get("en"))
        if shot.overlay != self._overlay_name:
            self._overlay_name = shot.overlay
            name = shot.overlay
            run_task(lambda: read_overlay(name), lambda svg: self._set_overlay(name, svg))

    def _set_overlay(self, name: str, svg: bytes | None) -> None:
        if name == self._overlay_name:
            self.live_view.set_overlay_svg(svg)
