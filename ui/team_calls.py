"""The console's operator-guided calls on a team server.

The console runs the call itself, as at a desk: a :class:`~inspector.team.desk.RemoteDesk`
(its own engine on a working copy of the inspection, every still acknowledged by the
server) made for the session when its first call is taken. Its engine's events reach
the live page through the window's bridge like the console's own engine's (its
``listening`` is dropped: phones reach the team server, not this engine).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from inspector.live import events
from inspector.team.desk import RemoteDesk, cache_folder
from inspector.team.review import TeamCopy
from ui.crossing import EngineBridge, run_task
from ui.team_connection import TeamSession, explain

__all__ = [
    "CALL_ROLES",
    "CALL_STATUSES",
    "REVIEW_ROLES",
    "TeamCalls",
    "link_words",
    "reviews",
    "runs_calls",
]

log = logging.getLogger(__name__)

#: The statuses in which an operator's Open takes the call (later: the details).
CALL_STATUSES = frozenset({"draft", "invited", "live", "captured"})
#: Roles that run calls.
CALL_ROLES = frozenset({"operator", "admin"})

LINK_WORDS = {
    "connecting": "Connecting the call to the team server…",
    "attached": "The team server relays the seller's phone to this console",
    "retrying": "The link to the team server dropped: the phone waits, reconnecting…",
}
STOP_WORDS = {
    "replaced": "Another operator took this call over: it continues on their console",
    "session_ended": "Your session ended — connect again to go on with the call",
    "unauthenticated": "Your session ended — connect again to go on with the call",
    "forbidden": "The team server does not let you run this call",
    "not_found": "The team server no longer has this inspection",
}


#: Roles that review, annotate and report (Open opens the review on a working copy).
REVIEW_ROLES = frozenset({"inspector", "admin"})


def reviews(session: TeamSession | None) -> bool:
    """Whether this user may review a team inspection on this console."""
    return session is not None and session.role in REVIEW_ROLES


def runs_calls(session: TeamSession | None, status: str | None) -> bool:
    """Whether Open takes the call (an operator, an inspection not past its photos)."""
    return session is not None and session.role in CALL_ROLES and status in CALL_STATUSES


def link_words(event: events.DeskLinkChanged) -> str:
    if event.state == "stopped":
        return STOP_WORDS.get(event.reason or "", "The call is no longer relayed to this console")
    return LINK_WORDS.get(event.state, "")


class TeamCalls(QObject):
    """One :class:`RemoteDesk` per session, made when its first call is taken."""

    def __init__(self, bridge: EngineBridge, data_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self._bridge = bridge
        self._data_dir = data_dir
        self.desk: RemoteDesk | None = None
        self.copy: TeamCopy | None = None  # the session's working copies, for review
        self._copy_session: TeamSession | None = None
        self._session: TeamSession | None = None
        self.inspection_id: str | None = None  # the call taken, if any

    def take(
        self,
        session: TeamSession,
        inspection_id: str,
        on_done: Callable[[RemoteDesk, Any], None],
        on_error: Callable[[str], None],
    ) -> None:
        """Take the call (off the UI thread: the working copy is a download); then
        ``on_done(desk, (inspection, checklist, captures, damages))`` on the UI thread."""
        self.leave()
        if self._session is not None and self._session != session:
            self.close()  # another session's desk: its engine goes

        def work() -> tuple[RemoteDesk, Any]:
            from inspector.domain.checklist import load_checklist

            desk = self._desk_for(session)
            if not desk.engine.running:
                desk.start()
            full = desk.take(inspection_id)
            store = desk.store
            inspection = store.get_inspection(full)
            loaded = (
                inspection,
                load_checklist(inspection.checklist),
                store.captures(full),
                store.damages(full),
            )
            return desk, loaded

        def done(result: tuple[RemoteDesk, Any]) -> None:
            self.inspection_id = result[1][0].id
            on_done(*result)

        run_task(work, done, lambda exc: on_error(explain(exc)))

    def review_copy(
        self,
        session: TeamSession,
        on_done: Callable[[TeamCopy], None],
        on_error: Callable[[str], None],
    ) -> None:
        """The session's working copies for review (opened on a worker thread the first
        time: the same cache folder as its calls' copies), then ``on_done(copy)``."""
        if self.copy is not None and self._copy_session == session:
            on_done(self.copy)
            return
        self._close_copy()

        def work() -> TeamCopy:
            return TeamCopy(cache_folder(self._data_dir, session.server), session.client())

        def done(copy: TeamCopy) -> None:
            if self.copy is not None:  # asked twice meanwhile: one is enough
                copy.close()
                on_done(self.copy)
                return
            self.copy, self._copy_session = copy, session
            on_done(copy)

        run_task(work, done, lambda exc: on_error(explain(exc)))

    def copy_of(self, session: TeamSession) -> bool:
        """Whether the working copies open for review are this session's."""
        return self.copy is not None and self._copy_session == session

    def _close_copy(self) -> None:
        copy, self.copy, self._copy_session = self.copy, None, None
        if copy is not None:
            copy.close()

    def leave(self) -> None:
        """Let the call go: the phone waits for a console (this one or another)."""
        self.inspection_id = None
        desk = self.desk
        link = desk.link if desk is not None else None
        if desk is not None and link is not None:
            desk.link = None  # this very link goes, not one a later take makes
            run_task(link.stop, lambda _: None)  # closing the socket: off the UI thread

    def close(self, *, wait: bool = False) -> None:
        """The session ends or the window closes (``wait``): the call goes, the engine
        stops (off the UI thread unless ``wait``)."""
        desk, self.desk, self._session = self.desk, None, None
        self.inspection_id = None
        self._close_copy()
        if desk is None:
            return

        def stop() -> None:
            try:
                desk.close()
            except Exception as exc:  # closing anyway
                log.warning("stopping the team desk: %s", exc)

        if wait:
            stop()
        else:
            run_task(stop, lambda _: None)

    def _desk_for(self, session: TeamSession) -> RemoteDesk:
        """The session's desk (made here, in a worker: it opens the working copies)."""
        if self.desk is not None and self._session == session:
            return self.desk
        bridge = self._bridge

        def on_event(event: events.Event) -> None:
            if not isinstance(event, events.Listening):
                bridge.on_event(event)

        self.desk = RemoteDesk(session.server, session.token, self._data_dir, on_event)
        self._session = session
        return self.desk
