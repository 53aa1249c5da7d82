"""The main window's menus and shortcuts, declared as a table and built by one loop.

Each :class:`ActionSpec` names the window attribute the action is kept in
(``window.capture_action``), its text, keys, tip, and the slot it calls: a
method name on the window, dotted for one of its parts (``"live.capture_now"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from inspector.i18n import Message
from ui import settings
from ui.review.labels import CONSOLE_LANGUAGE

__all__ = ["MENUS", "SEPARATOR", "ActionSpec", "build_menus"]


@dataclass(frozen=True)
class ActionSpec:
    """One menu entry. ``live``: enabled only while an inspection's live page is shown."""

    name: str
    text: str
    tip: str
    slot: str
    keys: tuple[str, ...] = ()
    live: bool = False
    checkable: bool = False
    setting: str | None = None  # a checkable action's initial state (a bool setting)


SEPARATOR = None
Entry = ActionSpec | None

MENUS: tuple[tuple[str, tuple[Entry, ...]], ...] = (
    (
        "&File",
        (
            ActionSpec(
                "new_action",
                "&New inspection…",
                "Create an inspection",
                "new_inspection",
                ("Ctrl+N",),
            ),
            ActionSpec(
                "open_action",
                "&Open inspection",
                "Open the selected inspection's live page (Enter)",
                "open_selected",
            ),
            ActionSpec(
                "review_action",
                "&Review and report…",
                "Review the photos, mark damages and export the report of the selected inspection",
                "review_selected",
                ("Ctrl+R",),
            ),
            ActionSpec(
                "self_invite_action",
                "&Self-inspection link…",
                "A link for the seller to photograph the car alone, guided by the team "
                "server (the selected team inspection)",
                "invite_self_selected",
                ("Ctrl+Shift+L",),
            ),
            ActionSpec(
                "listing_action",
                Message("Export &listing photos…").get(CONSOLE_LANGUAGE),
                Message(
                    "Write the selected inspection's publishable photos into an empty folder: "
                    "plates and faces blurred, resized, without EXIF or GPS"
                ).get(CONSOLE_LANGUAGE),
                "export_listing_selected",
            ),
            ActionSpec(
                "delete_action",
                "&Delete inspection…",
                "Delete the selected inspection and its photos",
                "delete_selected",
                ("Del",),
            ),
            ActionSpec(
                "home_action",
                "&Back to inspections",
                "Leave the live or review page (ends the call)",
                "go_home",
                ("Ctrl+W",),
            ),
            SEPARATOR,
            ActionSpec(
                "refresh_action", "&Refresh", "Reload the list of inspections", "refresh", ("F5",)
            ),
            SEPARATOR,
            ActionSpec(
                "connect_action",
                "&Connect to a team server…",
                "Log in to your team's server: the home then shows the team's inspections",
                "connect_to_team",
                ("Ctrl+K",),
            ),
            ActionSpec(
                "disconnect_action",
                "D&isconnect from the team server",
                "Log out of the team server and show this desk's inspections again",
                "disconnect_from_team",
            ),
            SEPARATOR,
            ActionSpec("quit_action", "&Quit", "Close the console", "close", ("Ctrl+Q",)),
        ),
    ),
    (
        "&Live",
        (
            ActionSpec(
                "demo_action",
                "&Demo phone",
                "Connect a simulated phone to try without a phone",
                "live.start_demo_phone",
                ("Ctrl+Shift+D",),
                live=True,
            ),
            ActionSpec(
                "invite_action",
                "New &link",
                "Make a new join link for the seller",
                "live.request_invite",
                ("Ctrl+L",),
                live=True,
            ),
            SEPARATOR,
            ActionSpec(
                "capture_action",
                "&Capture",
                "Take a photo with the seller's phone",
                "live.capture_now",
                ("Space",),
                live=True,
            ),
            ActionSpec(
                "accept_action",
                "&Accept photo",
                "Keep the last photo and go on",
                "live.accept_capture",
                ("Return", "Enter"),
                live=True,
            ),
            ActionSpec(
                "retake_action",
                "&Retake photo",
                "Discard the last photo and take it again",
                "live.retake_capture",
                ("R",),
                live=True,
            ),
            ActionSpec(
                "torch_action",
                "&Torch",
                "Switch the phone's torch on or off",
                "live.toggle_torch",
                ("T",),
                live=True,
            ),
            SEPARATOR,
            ActionSpec(
                "next_action",
                "&Next shot",
                "Guide the seller to the next shot",
                "live.next_shot",
                ("PgDown",),
                live=True,
            ),
            ActionSpec(
                "previous_action",
                "&Previous shot",
                "Guide the seller to the previous shot",
                "live.previous_shot",
                ("PgUp",),
                live=True,
            ),
            ActionSpec(
                "damage_action",
                "Add &damage",
                "Add a damage (wide view and close-up)",
                "live.add_damage",
                ("Ctrl+D",),
                live=True,
            ),
            SEPARATOR,
            ActionSpec(
                "freeze_action",
                "&Freeze frame",
                "Hold the current picture on screen",
                "live.toggle_freeze",
                ("F",),
                live=True,
            ),
            ActionSpec(
                "overlay_action",
                "Framing &overlay",
                "Show or hide the framing overlay",
                "live.toggle_overlay",
                ("O",),
                live=True,
            ),
            SEPARATOR,
            ActionSpec(
                "end_action",
                "&End call",
                "Hang up: close the connection with the phone",
                "live.end_call",
                ("Ctrl+E",),
                live=True,
            ),
        ),
    ),
    (
        "&Settings",
        (
            ActionSpec(
                "operator_action",
                "&Operator name…",
                "Your name, recorded on new inspections",
                "ask_operator",
            ),
            ActionSpec(
                "lan_action",
                "&LAN mode (HTTPS on the local network)",
                "Let phones on the local network join (takes effect after a restart)",
                "_set_lan",
                checkable=True,
                setting="server/lan",
            ),
            ActionSpec(
                "auto_advance_action",
                "&Auto-advance after accept",
                "Go to the next missing shot after Accept",
                "_set_auto_advance",
                checkable=True,
                setting="live/auto_advance",
            ),
        ),
    ),
    (
        "&Help",
        (
            ActionSpec(
                "shortcuts_action",
                "&Keyboard shortcuts",
                "List every keyboard shortcut",
                "show_shortcuts",
                ("F1",),
            ),
        ),
    ),
)


def make_action(window: QMainWindow, spec: ActionSpec) -> QAction:
    """The action of ``spec``, added to ``window`` so its keys work on every page."""
    action = QAction(spec.text, window)
    action.setShortcuts([QKeySequence(k) for k in spec.keys])
    action.setToolTip(spec.tip)
    action.setStatusTip(spec.tip)
    action.setCheckable(spec.checkable)
    if spec.setting is not None:
        action.setChecked(bool(settings.value(spec.setting)))  # before connecting: no echo
    slot: Any = attrgetter(spec.slot)(window)
    (action.toggled if spec.checkable else action.triggered).connect(slot)
    window.addAction(action)
    return action


def build_menus(window: QMainWindow) -> dict[str, tuple[QAction, ActionSpec]]:
    """Every menu of :data:`MENUS` on ``window``'s menu bar; the actions by name, in order."""
    actions: dict[str, tuple[QAction, ActionSpec]] = {}
    bar = window.menuBar()
    for title, entries in MENUS:
        menu = bar.addMenu(title)
        menu.setObjectName(title.replace("&", "").lower())
        for spec in entries:
            if spec is SEPARATOR:
                menu.addSeparator()
                continue
            action = make_action(window, spec)
            menu.addAction(action)
            actions[spec.name] = (action, spec)
    return actions
