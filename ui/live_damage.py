"""The live page's "what is this damage?" form, asked right after "Add damage".

The engine has already stored the damage ("to complete"); this small, non-blocking
form lets the operator say what it is, or leave it for the inspector ("Later"),
while the call goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from inspector.live.session import DamagePair
from ui.engine_commands import EngineCommands
from ui.review.damage_dialog import DamageDialog
from ui.review.labels import part_label, severity_label, type_label

__all__ = ["LiveDamageForm"]

Call = Callable[[Future[Any], Callable[[Any], None] | None], None]
"""How the page sends an engine command (its future's outcome comes back on the UI thread)."""


class LiveDamageForm(QObject):
    """At most one open form; asking a new one leaves the unanswered one to complete."""

    status_message = Signal(str)

    def __init__(self, page: QWidget, engine: EngineCommands, call: Call) -> None:
        super().__init__(page)
        self._page = page
        self.engine = engine  # the page may switch engines (a team call)
        self._call = call
        self.dialog: DamageDialog | None = None

    def ask(self, pair: DamagePair) -> DamageDialog:
        """The small, non-blocking form of a damage just added; "Later" leaves it to complete."""
        if self.dialog is not None:
            self.dialog.reject()  # an unanswered one stays to complete
        dialog = DamageDialog(
            self._page,
            part=pair.guess,
            where=f"Damage {pair.number}: the wide view and the close-up to take next",
            title=f"Damage {pair.number} — what is it?",
            later=True,
            ask_part=True,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setModal(False)
        inspection_id, damage_id, number = pair.damage.inspection_id, pair.damage.id, pair.number

        def answered() -> None:
            f = dialog.fields()
            future = self.engine.complete_damage(
                inspection_id,
                damage_id,
                part=f.part,
                type=f.type,
                severity=f.severity,
                note=f.note,
            )
            said = f"{part_label(f.part)}, {type_label(f.type).lower()}, "
            said += severity_label(f.severity).lower()
            self._call(future, lambda _damage: self.status_message.emit(f"Damage {number}: {said}"))

        def closed(result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
                self._page.window().activateWindow()  # Space and Enter drive the call again
            if result != DamageDialog.DialogCode.Accepted:
                self.status_message.emit(f"Damage {number} is left for the inspector to complete")

        dialog.accepted.connect(answered)
        dialog.finished.connect(closed)
        self.dialog = dialog
        dialog.show()
        return dialog
