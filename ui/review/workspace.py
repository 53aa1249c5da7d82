"""The inspector's review of one inspection: photos, damages, vehicle data (the report
export is :mod:`ui.review.report_export`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from inspector.domain import status as status_rules
from inspector.domain.models import Damage, Inspection, InspectionStatus, Part, Region
from inspector.domain.privacy import MIN_SIDE, BlurBox, clamp_region
from inspector.i18n import Message, Plural
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from inspector.team.review import TeamCopy
from inspector.usecases import status as lifecycle
from inspector.usecases.privacy import ListingResult
from ui.crossing import run_task
from ui.review._qt import alive, place_beside
from ui.review.damage_dialog import DamageDialog
from ui.review.damage_list import DamageListView
from ui.review.diagram import VehicleDiagram
from ui.review.export_dialog import ReportSavedBar
from ui.review.history import HistoryView
from ui.review.history import tab_text as history_tab_text
from ui.review.labels import CONSOLE_LANGUAGE
from ui.review.listing_export import (
    ask_folder,
    failed_text,
    start_listing_export,
    written_text,
)
from ui.review.overview import OverviewView
from ui.review.photo_viewer import PhotoViewer
from ui.review.recording_player import RecordingPlayer
from ui.review.report_export import ReportExport
from ui.review.review_model import ReviewModel
from ui.review.vehicle_panel import VehiclePanel

__all__ = ["CHANGED_ELSEWHERE", "ReviewWorkspace"]

CHANGED_ELSEWHERE = "This inspection was changed by someone else. Reload?"

_WORDS = {
    "add_blur": Message("Add blur box"),
    "add_blur_tip": Message(
        "Box something that must not be published (a plate, a face): drag on the photo"
    ),
    "show_blur": Message("Blur boxes"),
    "show_blur_tip": Message("Show or hide the blur boxes on the photo"),
    "listing": Message("Export listing…"),
    "listing_tip": Message(
        "Write the publishable photos into an empty folder: plates and faces blurred, "
        "resized, without EXIF or GPS"
    ),
}
_SCANNING = Message("Looking for plates and faces: {done} of {total} photos")
_SCANNED = Plural(
    "Plates and faces looked for on {n} photo", "Plates and faces looked for on {n} photos"
)


def _word(key: str) -> str:
    return _WORDS[key].get(CONSOLE_LANGUAGE)


class ReviewWorkspace(QWidget):
    """Review one inspection: accept photos, mark damages, edit the vehicle, export.

    Embeddable (a plain widget with its own toolbar); its shortcuts work while
    it or one of its children has the focus. Everything it reads or writes goes
    through ``ReviewModel`` and the bridge's worker threads.
    """

    loaded = Signal()
    load_failed = Signal(str)
    title_changed = Signal(str)
    status_message = Signal(str)
    report_exported = Signal(object)  # Path of the PDF
    listing_exported = Signal(object)  # ListingResult

    def __init__(
        self,
        store: Store,
        inspection_id: str,
        parent: QWidget | None = None,
        *,
        open_reports: bool = True,
        propose_blur: bool = True,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.inspection_id = inspection_id
        self.team = store if isinstance(store, TeamCopy) else None
        """The team server's copy this review writes through (None: this desk's store)."""
        self.model = ReviewModel(
            store,
            inspection_id,
            propose_blur=propose_blur and self.team is None,
            pull=self.team.pull if self.team is not None else None,
        )
        self._recheck = False  # the server told of a change while writes were under way
        self.damage_dialog: DamageDialog | None = None
        self.changed_box: QMessageBox | None = None  # "changed by someone else. Reload?"
        self._last_part: Part | None = None

        self.title = QLabel("Loading…")
        self.title.setToolTip("The inspection under review")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel()
        self.subtitle.setToolTip("Plate, VIN and inspection id")
        self.banner = QLabel()
        self.banner.setStyleSheet("color: #b0101a; font-weight: bold;")
        self.banner.setToolTip("The last problem met while saving or loading")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.report_bar = ReportSavedBar()

        self.overview = OverviewView(self.model)
        self.viewer = PhotoViewer(self.model)
        self.damage_list = DamageListView(self.model.damages, self._describe_photo)
        self.diagram = VehicleDiagram(self.model.damages)
        self.vehicle_panel = VehiclePanel(self.model)
        self.recording = RecordingPlayer(store, inspection_id, self.model.shot_title)
        team = self.team
        self.history = HistoryView(
            store,
            inspection_id,
            read=(lambda: team.history(inspection_id)) if team is not None else None,
        )
        self.exporter = ReportExport(
            self,
            self.model,
            store,
            self.report_bar,
            self.vehicle_panel.save_notes,
            open_reports=open_reports,
        )

        self._build_actions()
        self.toolbar = QToolBar("Review")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for group in (
            (self.prev_action, self.next_action, self.fit_action, self.actual_size_action),
            (self.accept_action, self.reject_action),
            (self.add_damage_action, self.edit_damage_action, self.delete_damage_action),
            (self.add_blur_action, self.show_blur_action),
            (self.undo_action, self.redo_action),
            (self.reviewed_action, self.export_action, self.listing_action),
        ):
            self.toolbar.addActions(list(group))
            self.toolbar.addSeparator()
        for action in (self.edit_damage_action, self.delete_damage_action):
            self.damage_list.add_action(action)

        damages_tab = QSplitter(Qt.Orientation.Vertical)
        damages_tab.addWidget(self.diagram)
        damages_tab.addWidget(self.damage_list)
        damages_tab.setSizes([380, 220])
        self.side_tabs = QTabWidget()
        self.side_tabs.addTab(damages_tab, "Damages")
        self.side_tabs.addTab(self.vehicle_panel, "Vehicle && grade")
        self.side_tabs.addTab(self.recording, "Recording")
        history_title, history_tip = history_tab_text()
        self.side_tabs.addTab(self.history, history_title)
        self.side_tabs.setTabToolTip(3, history_tip)
        self.side_tabs.setTabToolTip(0, "Where the damages are, and their list")
        self.side_tabs.setTabToolTip(1, "Vehicle data, overall grade and notes")
        self.side_tabs.setTabToolTip(
            2, "The call's recording (with the seller's consent) and its timeline"
        )
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.overview)
        self.splitter.addWidget(self.viewer)
        self.splitter.addWidget(self.side_tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([310, 700, 360])
        self.splitter.setChildrenCollapsible(False)
        self.side_tabs.setMinimumWidth(300)

        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.subtitle)
        header.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(3)
        layout.addLayout(header)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.banner)
        layout.addWidget(self.report_bar)
        layout.addWidget(self.splitter, 1)

        self.viewer.region_drawn.connect(self._region_drawn)
        self.viewer.blur_drawn.connect(self._blur_drawn)
        self.damage_list.open_requested.connect(self.viewer.show_damage)
        self.damage_list.edit_requested.connect(self.edit_damage)
        self.diagram.damage_activated.connect(self.show_damage)
        self.recording.capture_activated.connect(self._show_capture)
        self.side_tabs.currentChanged.connect(self._tab_shown)
        self.model.writer.on_idle.append(self.history.reload_if_shown)
        self.exporter.busy_changed.connect(self._update_actions)
        self.exporter.problem.connect(self._show_error)
        self.exporter.status_message.connect(self.status_message)
        self.exporter.exported.connect(self.report_exported)
        self.exporter.exported.connect(lambda _path: self.history.reload_if_shown())
        model = self.model
        model.loaded.connect(self._loaded)
        model.load_failed.connect(self._load_failed)
        model.error.connect(self._show_error)
        model.changed_elsewhere.connect(self._changed_elsewhere)
        model.inspection_changed.connect(self._inspection_changed)
        model.current_changed.connect(self._update_actions)
        model.capture_changed.connect(self._update_actions)
        model.damages.selection_changed.connect(self._update_actions)
        model.blur.selection_changed.connect(self._update_actions)
        model.blur.visibility_changed.connect(self.show_blur_action.setChecked)
        model.blur_progress.connect(self._blur_progress)
        if self.team is not None:
            self._team_actions()
        self._update_actions()
        model.load()

    def _team_actions(self) -> None:
        """A team inspection: the report is the server's; blur boxes and the listing stay
        at a desk (the server does not keep blur boxes yet)."""
        self.export_action.setStatusTip(
            "Save the team server's report of this inspection (built and sealed there; it "
            "is then marked reported)"
        )
        self.export_action.setToolTip(self.export_action.statusTip() + " (Ctrl+E)")
        for action in (self.add_blur_action, self.listing_action):
            action.setStatusTip("Not on a team inspection: blur boxes are not kept on the server")
            action.setToolTip(action.statusTip())

    def _tab_shown(self, index: int) -> None:
        if self.side_tabs.widget(index) is self.history:
            self.history.reload()

    # -- actions ----------------------------------------------------------

    def _action(
        self,
        text: str,
        shortcuts: str | QKeySequence | list[QKeySequence],
        tip: str,
        slot: Callable[[], Any] | None = None,
        action: QAction | None = None,
    ) -> QAction:
        action = action or QAction(text, self)
        keys = shortcuts if isinstance(shortcuts, list) else [QKeySequence(shortcuts)]
        action.setShortcuts([k for k in keys if not k.isEmpty()])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shown = keys[0].toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shown})" if shown else tip)
        action.setStatusTip(tip)
        if slot is not None:
            action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.prev_action = a(
            "◀ Previous", "Left", "Show the previous photo", lambda: self.model.step(-1)
        )
        self.next_action = a("Next ▶", "Right", "Show the next photo", lambda: self.model.step(1))
        self.fit_action = a("Fit", "F", "Fit the whole photo in the view", self.viewer.view.fit)
        self.actual_size_action = a(
            "100 %", "1", "Show the photo at its real size (100 %)", self.viewer.view.actual_size
        )
        self.accept_action = a(
            "✓ Accept", "A", "Accept this photo for the report", lambda: self._decide(True)
        )
        self.reject_action = a(
            "✗ Reject",
            "X",
            "Reject this photo: it stays out of the report",
            lambda: self._decide(False),
        )
        self.add_damage_action = a(
            "Add damage", "D", "Mark a damage: drag a box or click a point on the photo"
        )
        self.add_damage_action.setCheckable(True)
        self.add_damage_action.toggled.connect(self._marking_damage)
        self.add_blur_action = a(_word("add_blur"), "B", _word("add_blur_tip"))
        self.add_blur_action.setCheckable(True)
        self.add_blur_action.toggled.connect(self._marking_blur)
        self.show_blur_action = a(
            _word("show_blur"),
            "Shift+B",
            _word("show_blur_tip"),
            lambda: self.model.blur.set_visible(self.show_blur_action.isChecked()),
        )
        self.show_blur_action.setCheckable(True)
        self.show_blur_action.setChecked(True)
        self.cancel_mark_action = a(
            "Cancel marking",
            "Esc",
            "Stop marking a damage",
            self._stop_marking,
        )
        self.edit_damage_action = a(
            "Edit…",
            "",
            "Change the selected damage's part, type, severity or note",
            self._edit_selected,
        )
        self.delete_damage_action = a(
            "Delete",
            QKeySequence.StandardKey.Delete,
            "Delete the selected damage",
            self._delete_selected,
        )
        stack = self.model.undo_stack
        self.undo_action = a(
            "Undo",
            "Ctrl+Z",
            "Undo the last change to damages or photos",
            action=stack.createUndoAction(self, "Undo"),
        )
        self.redo_action = a(
            "Redo",
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")],
            "Redo what was undone",
            action=stack.createRedoAction(self, "Redo"),
        )
        self.reviewed_action = a(
            "Mark as reviewed",
            "Ctrl+Shift+R",
            "Say the review is finished: the inspection is marked reviewed",
            self.mark_reviewed,
        )
        self.export_action = a(
            "Export report…",
            "Ctrl+E",
            "Build the PDF report of this inspection (it is then marked reported)",
            lambda: self.export_report(),
        )
        self.listing_action = a(
            _word("listing"), "Ctrl+Shift+E", _word("listing_tip"), lambda: self.export_listing()
        )
        self.review_actions = [
            self.prev_action,
            self.next_action,
            self.fit_action,
            self.actual_size_action,
            self.accept_action,
            self.reject_action,
            self.add_damage_action,
            self.cancel_mark_action,
            self.edit_damage_action,
            self.delete_damage_action,
            self.add_blur_action,
            self.show_blur_action,
            self.undo_action,
            self.redo_action,
            self.reviewed_action,
            self.export_action,
            self.listing_action,
        ]

    def shortcut_list(self) -> list[tuple[str, str]]:
        """(keys, what they do) for a help screen."""
        return [
            (
                ", ".join(
                    k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts()
                ),
                a.statusTip(),
            )
            for a in self.review_actions
            if not a.shortcut().isEmpty()
        ]

    def _update_actions(self, *_args: object) -> None:
        loaded = self.model.is_loaded
        current = self.model.current
        pos, total = self.model.position()
        selected = self.model.damages.selected_id is not None
        blur_selected = self.model.blur.selected_id is not None
        self.prev_action.setEnabled(pos > 1)
        self.next_action.setEnabled(0 < pos < total)
        for action in (
            self.fit_action,
            self.actual_size_action,
            self.add_damage_action,
            self.add_blur_action,
        ):
            action.setEnabled(current is not None)
        if self.team is not None:
            self.add_blur_action.setEnabled(False)
        self.accept_action.setEnabled(current is not None and current.accepted is not True)
        self.reject_action.setEnabled(current is not None and current.accepted is not False)
        self.edit_damage_action.setEnabled(selected)
        self.delete_damage_action.setEnabled(selected or blur_selected)
        self.export_action.setEnabled(loaded and not self.exporter.busy)
        self.listing_action.setEnabled(loaded and self.team is None)
        inspection = self.model.inspection
        order = status_rules.ORDER
        self.reviewed_action.setEnabled(
            inspection is not None
            and order.index(inspection.status) < order.index(InspectionStatus.REVIEWED)
        )
        if current is None:
            self._stop_marking()

    # -- model -> view ----------------------------------------------------

    def _loaded(self) -> None:
        self._update_actions()
        if self.model.checklist_error:
            self._show_error(f"Checklist problem: {self.model.checklist_error}")
        self.loaded.emit()

    def _load_failed(self, message: str) -> None:
        self.title.setText("Cannot open this inspection")
        self._show_error(message)
        self.load_failed.emit(message)

    def _inspection_changed(self, inspection: Inspection) -> None:
        v = inspection.vehicle
        title = v.title() or v.plate or "Vehicle"
        self.title.setText(title)
        parts = [p for p in (v.plate, v.vin) if p]
        parts.append(f"inspection {inspection.id} · {inspection.status.value}")
        if self.team is not None:
            parts.append(f"team server {self.team.client.url}")
        self.subtitle.setText("  ·  ".join(parts))
        self.title_changed.emit(f"Review — {title}")

    def _show_error(self, message: str) -> None:
        self.banner.setText(message)
        self.banner.show()
        self.status_message.emit(message)

    def _changed_elsewhere(self, message: str) -> None:
        """A save was refused: someone else changed the inspection. Offer to reload it
        (one question at a time, however many saves were refused)."""
        self.status_message.emit(message)  # which change, in the status bar
        box = self.changed_box
        if box is not None and box.isVisible():
            return
        buttons = QMessageBox.StandardButton
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Changed elsewhere",
            CHANGED_ELSEWHERE,
            buttons.Yes | buttons.No,
            self,
        )
        box.setInformativeText(
            "Your last change was not saved. Reloading shows the inspection as it is "
            "now; make your change again there."
        )
        box.button(buttons.Yes).setText("Reload")
        box.button(buttons.No).setText("Not now")
        box.setDefaultButton(buttons.Yes)
        box.finished.connect(self._changed_elsewhere_answer)
        box.open()
        self.changed_box = box

    def _changed_elsewhere_answer(self, result: int) -> None:
        if result == QMessageBox.StandardButton.Yes:
            self.model.load()
        else:
            self._show_error(
                "Not saved: this inspection was changed by someone else. Your changes "
                "are refused until it is reloaded (the next one asks again)."
            )

    def colleague_changed(self) -> None:
        """The team server says this inspection changed (perhaps by this console's own
        write): read it again, and show it again if it differs from the copy."""
        team = self.team
        if team is None:
            return
        if self.model.pending_writes:  # the echo of a write under way, or not: after it
            if not self._recheck:
                self._recheck = True
                self.model.when_saved(self._recheck_now)
            return
        inspection_id = self.inspection_id

        def pulled(changed: bool) -> None:
            if alive(self) and changed:
                self.status_message.emit(
                    "A colleague changed this inspection on the team server: shown as it is now"
                )
                self.model.load()

        def failed(exc: BaseException) -> None:
            if alive(self):
                self._show_error(f"Not read again from the team server: {exc}")

        run_task(lambda: team.pull(inspection_id), pulled, failed)

    def _recheck_now(self) -> None:
        self._recheck = False
        if alive(self):
            self.colleague_changed()

    def _describe_photo(self, capture_id: str) -> str:
        try:
            return self.model.shot_title(self.model.capture(capture_id).shot_id)
        except KeyError:
            return "a photo no longer in the inspection"

    # -- photos -----------------------------------------------------------

    def _decide(self, accepted: bool) -> None:
        current = self.model.current
        if current is not None:
            self.model.set_accepted(current.id, accepted)

    # -- damages ----------------------------------------------------------

    def show_damage(self, damage_id: str) -> None:
        """Select a damage and open its photo zoomed on its mark."""
        self.viewer.show_damage(damage_id)

    def _region_drawn(self, capture_id: str, region: Region) -> None:
        self.add_damage_action.setChecked(False)
        self.ask_new_damage(capture_id, region)

    def ask_new_damage(self, capture_id: str | None, region: Region | None) -> DamageDialog:
        """Open the damage form for a new damage (non-blocking); saves it on OK."""
        shot_part = None
        where = ""
        if capture_id is not None:
            shot_id = self.model.capture(capture_id).shot_id
            shot_part = self.model.shot(shot_id).part
            mark = "" if region is None else (" (point)" if region.is_point else " (box)")
            where = self.model.shot_title(shot_id) + mark
        dialog = DamageDialog(self, part=shot_part or self._last_part, where=where)

        def save() -> None:
            fields = dialog.fields()
            self._last_part = fields.part
            self.model.damages.add(
                Damage(
                    id=new_id(),
                    inspection_id=self.inspection_id,
                    capture_id=capture_id,
                    part=fields.part,
                    type=fields.type,
                    severity=fields.severity,
                    region=region,
                    note=fields.note,
                )
            )

        self._open_dialog(dialog, save)
        if region is not None and capture_id == self.viewer.shown_capture_id:
            place_beside(dialog, self.viewer.view.region_on_screen(region))  # not over the box
        return dialog

    def edit_damage(self, damage_id: str) -> DamageDialog:
        """Open the damage form on an existing damage; saves the change on OK."""
        damage = self.model.damages.get(damage_id)
        photo = self.model.damage_photo(damage)
        where = self._describe_photo(photo.id) if photo is not None else ""
        dialog = DamageDialog(self, damage=damage, where=where)

        def save() -> None:
            f = dialog.fields()
            self.model.damages.edit(
                dataclasses.replace(
                    damage,
                    part=f.part,
                    type=f.type,
                    severity=f.severity,
                    note=f.note,
                    to_complete=False,  # the inspector said what it is
                )
            )

        return self._open_dialog(dialog, save)

    def _open_dialog(self, dialog: DamageDialog, on_accept: Callable[[], None]) -> DamageDialog:
        if self.damage_dialog is not None:
            self.damage_dialog.reject()
        self.damage_dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        dialog.open()
        return dialog

    def _dialog_closed(self, dialog: DamageDialog) -> None:
        if self.damage_dialog is dialog:
            self.damage_dialog = None

    def _edit_selected(self) -> None:
        if self.model.damages.selected_id is not None:
            self.edit_damage(self.model.damages.selected_id)

    def _delete_selected(self) -> None:
        if self.model.blur.selected_id is not None:
            self.model.blur.remove(self.model.blur.selected_id)
        elif self.model.damages.selected_id is not None:
            self.model.damages.delete(self.model.damages.selected_id)

    # -- blur boxes and the listing -----------------------------------------

    def _marking_damage(self, on: bool) -> None:
        if on:
            self.add_blur_action.setChecked(False)
        self.viewer.set_annotating(on or self.add_blur_action.isChecked(), "damage")

    def _marking_blur(self, on: bool) -> None:
        if on:
            self.add_damage_action.setChecked(False)
            self.model.blur.set_visible(True)
        self.viewer.set_annotating(on, "blur" if on else "damage")

    def _stop_marking(self) -> None:
        self.add_damage_action.setChecked(False)
        self.add_blur_action.setChecked(False)

    def _blur_drawn(self, capture_id: str, region: Region) -> None:
        self.add_blur_action.setChecked(False)
        if region.w < MIN_SIDE or region.h < MIN_SIDE:
            return
        self.model.blur.add(
            BlurBox(
                id=new_id(),
                inspection_id=self.inspection_id,
                capture_id=capture_id,
                region=clamp_region(region.x, region.y, region.w, region.h),
                kind="other",
                origin="inspector",
            )
        )

    def _blur_progress(self, done: int, total: int) -> None:
        if done < total:
            text = _SCANNING.bind(done=done, total=total).get(CONSOLE_LANGUAGE)
        else:
            text = _SCANNED.get(CONSOLE_LANGUAGE, total)
        self.status_message.emit(text)

    def export_listing(self, folder: Path | None = None) -> None:
        """Write the listing's photos into ``folder`` (asked when None) once the edits made
        so far are saved; ``listing_exported`` or an error follows."""
        folder = folder or ask_folder(self)
        if folder is None:
            return
        store, inspection_id = self.store, self.inspection_id

        def done(result: ListingResult) -> None:
            if alive(self):
                self.status_message.emit(written_text(result))
                self.listing_exported.emit(result)

        def failed(exc: BaseException) -> None:
            if alive(self):
                self._show_error(failed_text(exc))

        self.model.when_saved(
            lambda: start_listing_export(store, inspection_id, folder, done, failed)
        )

    # -- report -----------------------------------------------------------

    def export_report(self, path: Path | None = None, lang: str | None = None) -> None:
        """Export the report (:meth:`ReportExport.export_report`)."""
        self.exporter.export_report(path, lang)

    def cancel_export(self) -> None:
        """Ask a running export to stop."""
        self.exporter.cancel_export()

    def mark_reviewed(self) -> None:
        """The inspector finished the review: mark the inspection reviewed, once the edits
        made so far are saved. A refusal (a call still going on) is shown as an error."""
        inspection = self.model.inspection
        if inspection is None:
            return
        self.vehicle_panel.save_notes()
        store, inspection_id = self.store, inspection.id

        def mark() -> InspectionStatus:
            lifecycle.reviewed(store, inspection_id)
            return store.get_inspection(inspection_id).status

        self.model.when_saved(lambda: run_task(mark, self._marked, self._mark_failed))

    def _marked(self, status: InspectionStatus) -> None:
        if not alive(self):
            return
        self.model.status_changed(status)
        self._update_actions()
        self.history.reload_if_shown()
        if status is InspectionStatus.REVIEWED:
            self.status_message.emit("The inspection is marked reviewed")
        else:
            self.status_message.emit(f"The inspection is already {status.value}")

    def _mark_failed(self, exc: BaseException) -> None:
        if alive(self):
            self._show_error(str(exc))

    # -- lifecycle --------------------------------------------------------

    def _show_capture(self, capture_id: str) -> None:
        """A photo chosen on the recording's timeline: show it, if the review has it."""
        if any(c.id == capture_id for c in self.model.captures()):
            self.model.set_current(capture_id)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.recording.stop()
        self.vehicle_panel.save_notes()
        self.cancel_export()
        super().closeEvent(event)
