"""The checklist during a live call: shots by category, their states, the current one.

``ShotBoard`` is the Qt-free part: it folds engine events (and the captures
already stored) into the same :class:`~inspector.domain.walk.Walk` the session
controller keeps, so a shot's state is decided in one place. ``ChecklistPanel``
shows a board and turns clicks into requests (jump, previous, next, add damage);
it never calls the engine itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.domain.checklist import Checklist, Shot, category_title, parse_damage_shot_id
from inspector.domain.models import Capture, Damage, Verdict
from inspector.domain.walk import ShotState, Walk
from inspector.live import events as ev
from ui import theme

__all__ = ["STATE_LABELS", "ChecklistPanel", "ShotBoard"]

PENDING, OK, WARN, REJECTED, SKIPPED = (s.value for s in ShotState)

# A shot's state in the words and colours of its photo's verdict (ui.theme).
_VERDICT_OF = {OK: Verdict.OK, WARN: Verdict.WARN, REJECTED: Verdict.REJECT}
STATE_LABELS = {
    PENDING: "To do",
    **{state: theme.VERDICT_ADVICE[v] for state, v in _VERDICT_OF.items()},
    SKIPPED: "Skipped",
}
STATE_COLOURS = {
    PENDING: theme.qcolor(theme.MUTED),
    **{state: theme.verdict_colour(v) for state, v in _VERDICT_OF.items()},
    SKIPPED: theme.qcolor(theme.SKIPPED),
}
CURRENT_COLOUR = theme.qcolor(theme.ACCENT)


class ShotBoard:
    """The walk of one inspection as the console sees it: fed by the session's events.

    Built from what the store holds, it starts where the session controller
    starts (the first shot still needing a photo); then every move, capture and
    review the engine reports is folded into its :class:`Walk`.
    """

    def __init__(
        self,
        checklist: Checklist,
        inspection_id: str,
        captures: Iterable[Capture] = (),
        damages: Iterable[Damage] = (),
    ) -> None:
        self.checklist = checklist
        self.inspection_id = inspection_id
        self.walk = Walk(checklist, captures, damages)

    # -- inputs -------------------------------------------------------------------------

    def seed(self, captures: Iterable[Capture], damages: Iterable[Damage] = ()) -> None:
        """More captures (and damages added live) already in the store."""
        for damage in damages:
            if damage.pair is not None:
                self.walk.add_damage_pairs(damage.pair)
        for capture in captures:
            self.walk.add_capture(capture)

    def apply(self, event: ev.Event) -> bool:
        """Fold one engine event in; True when something shown changed."""
        if getattr(event, "inspection_id", None) != self.inspection_id:
            return False
        if isinstance(event, ev.ShotChanged):
            parsed = parse_damage_shot_id(event.shot_id)
            if parsed is not None:
                self.walk.add_damage_pairs(parsed[0])
            index = self.index_of(event.shot_id)
            if index < 0:
                return False  # not a shot of this checklist
            self.walk.go(index)
            return True
        if isinstance(event, ev.CaptureStored):
            self.walk.add_capture(event.capture)
            return True
        if isinstance(event, ev.CaptureReviewed):
            return self.walk.review(event.capture_id, event.accepted) is not None
        if isinstance(event, ev.Completed):
            self.walk.finish()
            return True
        return False

    def add_damage_shots(self, n: int) -> None:
        """Show damage number ``n``'s pair (and the ones before it)."""
        self.walk.add_damage_pairs(n)

    # -- outputs -------------------------------------------------------------------------

    @property
    def shots(self) -> list[Shot]:
        return self.walk.shots

    @property
    def current(self) -> str:
        """The id of the shot the seller is asked for."""
        return self.walk.current.id

    @property
    def damage_count(self) -> int:
        return self.walk.damage_count

    def state(self, shot_id: str) -> str:
        return self.walk.state(shot_id).value

    def states(self) -> dict[str, str]:
        return {shot_id: state.value for shot_id, state in self.walk.states().items()}

    def progress(self) -> tuple[int, int]:
        """(done, required): required shots with a usable capture, damage shots included."""
        p = self.walk.progress
        return p.done, p.required

    def index_of(self, shot_id: str) -> int:
        """Position of a shot on the board, -1 if it has none."""
        try:
            return self.walk.index_of(shot_id)
        except KeyError:
            return -1


def _dot(colour: QColor, ring: bool = False) -> QIcon:
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    if ring:
        p.setPen(CURRENT_COLOUR)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(1, 1, 14, 14)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)
    p.drawEllipse(4, 4, 8, 8)
    p.end()
    return QIcon(pixmap)


class ChecklistPanel(QWidget):
    """Shots grouped by category; click one to guide the seller there."""

    shot_requested = Signal(str)
    previous_requested = Signal()
    next_requested = Signal()
    add_damage_requested = Signal()

    def __init__(self, parent: QWidget | None = None, language: str = "en") -> None:
        super().__init__(parent)
        self.language = language
        self.board: ShotBoard | None = None
        self._items: dict[str, QTreeWidgetItem] = {}
        self._icons = {state: _dot(colour) for state, colour in STATE_COLOURS.items()}
        self._current_icons = {s: _dot(c, ring=True) for s, c in STATE_COLOURS.items()}

        self.title = QLabel("Checklist")
        self.title.setStyleSheet("font-weight: bold;")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)  # text drawn over the fill is cut by it
        self.progress.setMaximumHeight(8)
        self.progress_label = QLabel("")
        self.progress.setFormat("%v / %m required shots")
        self.progress.setToolTip("Required shots with a usable photo")
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setIconSize(QSize(16, 16))
        self.tree.setToolTip("Click a shot to guide the seller to it")
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep Space/Enter for the live actions
        self.tree.itemClicked.connect(self._clicked)
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.setToolTip("Guide the seller to the previous shot (Page Up)")
        self.previous_button.clicked.connect(self.previous_requested)
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("Guide the seller to the next shot (Page Down)")
        self.next_button.clicked.connect(self.next_requested)
        self.add_damage_button = QPushButton("Add damage")
        self.add_damage_button.setToolTip(
            "Add a damage: a wide view and a close-up, then guide the seller there"
        )
        self.add_damage_button.clicked.connect(self.add_damage_requested)
        for button in (self.previous_button, self.next_button, self.add_damage_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        nav = QHBoxLayout()
        nav.addWidget(self.previous_button)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.tree, 1)
        layout.addLayout(nav)
        layout.addWidget(self.add_damage_button)
        self.set_board(None)

    def set_board(self, board: ShotBoard | None) -> None:
        self.board = board
        enabled = board is not None
        for w in (self.previous_button, self.next_button, self.add_damage_button):
            w.setEnabled(enabled)
        if board is not None:
            self.add_damage_button.setEnabled(bool(board.checklist.damage_shots))
            self.title.setText(board.checklist.title.get(self.language))
        self._rebuild()

    def apply(self, event: ev.Event) -> None:
        """Feed an engine event (from the bridge)."""
        if self.board is None:
            return
        shots_before = len(self.board.shots)
        if self.board.apply(event):
            if len(self.board.shots) != shots_before:
                self._rebuild()
            else:
                self.refresh()

    def _rebuild(self) -> None:
        self.tree.clear()
        self._items.clear()
        board = self.board
        if board is None:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress_label.setText("")
            return
        groups: dict[str, QTreeWidgetItem] = {}
        bold = QFont(self.font())
        bold.setBold(True)
        for shot in board.shots:
            group = groups.get(shot.category)
            if group is None:
                group = QTreeWidgetItem([category_title(shot.category).get(self.language)])
                group.setFont(0, bold)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.tree.addTopLevelItem(group)
                group.setExpanded(True)
                groups[shot.category] = group
            title = shot.title.get(self.language) + ("" if shot.required else " (optional)")
            item = QTreeWidgetItem([title])
            item.setData(0, Qt.ItemDataRole.UserRole, shot.id)
            group.addChild(item)
            self._items[shot.id] = item
        self.refresh()

    def refresh(self) -> None:
        """Re-read states from the board."""
        board = self.board
        if board is None:
            return
        bold = QFont(self.font())
        bold.setBold(True)
        normal = QFont(self.font())
        for shot in board.shots:
            item = self._items.get(shot.id)
            if item is None:
                continue
            state = board.state(shot.id)
            current = shot.id == board.current
            item.setIcon(0, (self._current_icons if current else self._icons)[state])
            item.setFont(0, bold if current else normal)
            item.setBackground(
                0,
                QBrush(theme.qcolor(theme.ACCENT, 50))
                if current
                else QBrush(Qt.BrushStyle.NoBrush),
            )
            label = STATE_LABELS[state] + (" — current shot" if current else "")
            # The full title first: a long one is elided in a narrow panel.
            item.setToolTip(0, f"{item.text(0)}\n{label}\n{shot.instruction.get(self.language)}")
            item.setData(0, Qt.ItemDataRole.AccessibleDescriptionRole, label)
        if board.current in self._items:
            self.tree.scrollToItem(self._items[board.current])
        done, required = board.progress()
        self.progress.setRange(0, max(required, 1))
        self.progress.setValue(done)
        self.progress_label.setText(f"{done} / {required} required shots")

    def item_for(self, shot_id: str) -> QTreeWidgetItem | None:
        return self._items.get(shot_id)

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        shot_id = item.data(0, Qt.ItemDataRole.UserRole)
        if shot_id:
            self.shot_requested.emit(shot_id)
