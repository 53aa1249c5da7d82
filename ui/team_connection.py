"""The console's link to a team server: the session, the team's inspections, and the
events socket that keeps them current.

- Logging in, the list and one inspection go through the synchronous
  :class:`inspector.team.client.Client` on worker threads (``ui.crossing.run_task``);
  the session's token (never the password) is kept where the command line keeps its
  own (:mod:`inspector.team.sessions`), and the server's address in the console's
  settings, so the next start reconnects without asking.
- The events socket (``/api/v1/events``) is a ``QWebSocket``: it lives on the main
  thread and delivers its signals there, so nothing crosses threads. Each
  ``inspection_changed`` message asks for the list again (coalesced: one request
  in flight, one more after it if something changed meanwhile). A dropped socket
  is opened again after 0.25, 0.5, 1, 2, 4, then every 5 s, and the list read
  again (changes made meanwhile were not told). A ping unanswered for ``PING_S``
  seconds is a drop too (a network gone without a word). Close code 4401 (the
  session ended or expired) stops it: the user is asked to connect again.

Every failure a user can meet is said in words by :func:`explain`, never a traceback.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtNetwork import QAbstractSocket, QNetworkRequest, QSslCertificate
from PySide6.QtWebSockets import QWebSocket, QWebSocketProtocol

from inspector.team import sessions
from inspector.team.client import API, Client, RemoteError, SessionEnded
from ui import settings
from ui.crossing import run_task

__all__ = [
    "BACKOFF_S",
    "PING_S",
    "SESSION_ENDED_CODE",
    "SESSION_ENDED_TEXT",
    "TeamConnection",
    "TeamEvents",
    "TeamSession",
    "explain",
]

log = logging.getLogger(__name__)

SESSION_ENDED_CODE = 4401
SESSION_ENDED_TEXT = "Your session ended — connect again"
BACKOFF_S = (0.25, 0.5, 1.0, 2.0, 4.0, 5.0)
"""Seconds before each new attempt to open the events socket; the last repeats."""
PING_S = 15.0
"""Seconds between two pings on an open socket: one unanswered by the next is a drop
(a network gone without closing the connection, a server that hangs)."""


@dataclass(frozen=True)
class TeamSession:
    """Who the console is on a team server."""

    server: str
    user: str
    role: str
    token: str
    expires_at: str

    def client(self) -> Client:
        return Client(self.server, self.token, timeout=30.0)

    def to_saved(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "role": self.role,
            "token": self.token,
            "expires_at": self.expires_at,
        }


def explain(exc: BaseException) -> str:
    """What a user reads when connecting or talking to the server failed."""
    if isinstance(exc, ValueError):
        return "That is not a server address: give it as https://HOST or http://HOST:PORT."
    if isinstance(exc, sessions.SessionsUnreadable):
        return f"Cannot keep the session on this computer: {exc}"
    if isinstance(exc, OSError):
        return f"Cannot keep the session on this computer: {exc}"
    if not isinstance(exc, RemoteError):
        return f"Unexpected error: {exc}"
    server = exc.server or "the server"
    if exc.code == "login_refused":
        if "disabled" in exc.message:
            return f"This account is disabled on {server}: ask your administrator."
        return "Wrong user name or password."
    if exc.code == "too_many_attempts":
        found = re.search(r"in (\d+) s", exc.message)
        wait = ""
        if found:
            minutes = max(1, round(int(found.group(1)) / 60))
            wait = f" in {minutes} minute{'s' if minutes != 1 else ''}"
        return f"Too many failed attempts: try again{wait}."
    why = exc.message.split(f"{server}: ", 1)[-1]  # the client's reason, without the URL
    if exc.code == "unreachable":
        return f"Cannot reach {server}: check the address and the network. ({why})"
    if exc.code == "tls":
        return (
            f"No secure connection to {server}: its certificate is not trusted by this "
            "computer, or it does not speak HTTPS. Check the address, or ask your "
            f"administrator. ({why})"
        )
    if exc.code == "not_team_server":
        return f"{server} is not an inspector team server: check the address."
    if exc.code == "unavailable":
        return f"The team server at {server} does not answer (HTTP {exc.status}). Try again later."
    if isinstance(exc, SessionEnded):
        return SESSION_ENDED_TEXT
    if exc.status == 403:
        return f"Not allowed: {exc.message}"
    if exc.status >= 500:
        return f"The team server failed (HTTP {exc.status}): {exc.message}. Try again later."
    return f"The team server refused: {exc.message}"


def python_trusted() -> list[QSslCertificate]:
    """The certificates Python's ``ssl`` trusts beyond Qt's system store (its CA file:
    ``SSL_CERT_FILE`` or OpenSSL's default), so the login (``urllib``) and the events
    socket (Qt) trust the same servers."""
    cafile = ssl.get_default_verify_paths().cafile
    return QSslCertificate.fromPath(cafile) if cafile else []


def events_url(server: str) -> QUrl:
    scheme, _, rest = server.partition("://")
    return QUrl(f"{'wss' if scheme == 'https' else 'ws'}://{rest}{API}/events")


def _log_out(session: TeamSession) -> None:
    """End ``session`` on its server and forget it here (worker thread)."""
    try:
        session.client().logout()
    except RemoteError as exc:
        if exc.status not in (0, 401):  # unreachable or already ended: forget it all the same
            log.warning("logging out of %s: %s", session.server, exc)
    sessions.forget_session(session.server)


class TeamEvents(QObject):
    """The events socket of one session, opened again after every drop until
    :meth:`stop` or a 4401 close (``session_ended``)."""

    changed = Signal(str)  # the inspection's id
    opened = Signal()  # (again): what changed meanwhile is not known
    dropped = Signal(float, str)  # seconds before the next attempt, why (may be "")
    session_ended = Signal()
    failed_to_open = Signal()  # never opened: the owner checks the session

    def __init__(self, session: TeamSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.attempts = 0  # failed opens in a row
        self.is_open = False
        self._stopped = False
        self._was_open = False
        self._tls_ready = False
        self._awaiting_pong = False
        self.socket = QWebSocket("", QWebSocketProtocol.Version.VersionLatest, self)
        self.socket.connected.connect(self._on_connected)
        self.socket.disconnected.connect(self._on_disconnected)
        self.socket.textMessageReceived.connect(self._on_message)
        self.socket.pong.connect(self._on_pong)
        self._retry = QTimer(self, singleShot=True)
        self._retry.timeout.connect(self.open)
        self._ping = QTimer(self, interval=int(PING_S * 1000))
        self._ping.timeout.connect(self._check_alive)

    def open(self) -> None:
        if self._stopped:
            return
        url = events_url(self.session.server)
        request = QNetworkRequest(url)
        request.setRawHeader(b"Authorization", f"Bearer {self.session.token}".encode())
        if url.scheme() == "wss" and not self._tls_ready:
            tls = self.socket.sslConfiguration()
            tls.addCaCertificates(python_trusted())
            self.socket.setSslConfiguration(tls)
            self._tls_ready = True
        self._was_open = False
        self.socket.open(request)

    def stop(self) -> None:
        """Close for good (disconnect, another session, the window closes)."""
        self._stopped = True
        self._retry.stop()
        self._ping.stop()
        self.is_open = False
        if self.socket.state() != QAbstractSocket.SocketState.UnconnectedState:
            self.socket.abort()

    def close_code(self) -> int:
        """The last close's code (PySide6 gives an enum, not an int, for 4401)."""
        code = self.socket.closeCode()
        return int(getattr(code, "value", code))

    def _on_connected(self) -> None:
        self.attempts = 0
        self.is_open = self._was_open = True
        self._awaiting_pong = False
        self._ping.start()
        self.opened.emit()

    def _check_alive(self) -> None:
        if self._awaiting_pong:  # nothing since the last ping: the link is dead
            self._ping.stop()
            self.socket.abort()  # disconnected → a new attempt
            return
        self._awaiting_pong = True
        self.socket.ping()

    def _on_pong(self, _elapsed: int, _payload: bytes) -> None:
        self._awaiting_pong = False

    def _on_message(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("type") == "inspection_changed":
            self.changed.emit(str(message.get("id", "")))

    def _on_disconnected(self) -> None:
        self.is_open = False
        self._ping.stop()
        if self._stopped:
            return
        if self.close_code() == SESSION_ENDED_CODE:
            self._stopped = True
            self.session_ended.emit()
            return
        if not self._was_open:
            self.attempts += 1
            if self.attempts in (1, 4):  # refused at once? the token may be dead: ask
                self.failed_to_open.emit()
        delay = BACKOFF_S[min(self.attempts, len(BACKOFF_S) - 1)]
        self._retry.start(int(delay * 1000))
        why = self.socket.errorString()
        self.dropped.emit(delay, "" if why in ("", "Unknown error") else why)


class TeamConnection(QObject):
    """The console's session on a team server, its inspections and their changes.

    States (``state_changed``): ``"offline"`` (no server), ``"connecting"``,
    ``"live"`` (the list current, changes arriving), ``"reconnecting"`` (the events
    socket dropped), ``"ended"`` (the session ended: connect again).
    """

    state_changed = Signal(str, str)  # state, text for the user
    rows_loaded = Signal(list)  # the team's inspections (the list route's entries)
    ask_login = Signal(str)  # a message: the dialog should be shown with it
    connected = Signal()
    inspection_changed = Signal(str)  # its id: the events socket told a change of it

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session: TeamSession | None = None
        self.events: TeamEvents | None = None
        self.state = "offline"
        self.entries: list[dict[str, Any]] = []
        self._loading = False
        self._again = False
        self._closed = False
        self._reload = QTimer(self, singleShot=True, interval=30)
        self._reload.timeout.connect(self.reload)

    @property
    def active(self) -> bool:
        return self.session is not None

    # -- logging in and out -------------------------------------------------------------

    def login(
        self,
        server: str,
        user: str,
        password: str,
        on_done: Callable[[], None],
        on_error: Callable[[str], None],
        still_wanted: Callable[[], bool] = lambda: True,
    ) -> None:
        """Open a session (worker thread) and keep its token; ``on_error(text)`` if not.
        A session opened after ``still_wanted()`` turned False (Cancel) is ended again.
        An address without its scheme is taken as HTTPS."""
        server = server.strip().rstrip("/")
        if server and "://" not in server:
            server = f"https://{server}"

        def work() -> TeamSession:
            answer = Client(server, timeout=30.0).login(user.strip(), password)
            found = TeamSession(
                server,
                str(answer["user"]),
                str(answer["role"]),
                str(answer["token"]),
                str(answer["expires_at"]),
            )
            sessions.save_session(server, found.to_saved())
            return found

        def done(found: TeamSession) -> None:
            if self._closed or not still_wanted():  # cancelled meanwhile: undone
                run_task(lambda: _log_out(found), lambda _: None, lambda _exc: None)
                return
            settings.set_value("team/server", server)
            settings.set_value("team/last_server", server)
            settings.set_value("team/last_user", found.user)
            self._start(found)
            on_done()

        def failed(exc: BaseException) -> None:
            if not self._closed and still_wanted():
                on_error(explain(exc))

        run_task(work, done, failed)

    def restore(self) -> None:
        """At start: the session kept for the server of last time, without asking; an
        expired or unreadable one asks again (``ask_login``). The file is read on a
        worker thread."""
        server = settings.value("team/server")
        if not server:
            return

        def failed(exc: BaseException) -> None:
            if not self._closed:
                self.ask_login.emit(f"{exc}. Connect again.")

        run_task(
            lambda: sessions.saved_session(server),
            lambda saved: None if self._closed else self._restored(server, saved),
            failed,
        )

    def _restored(self, server: str, saved: dict[str, Any] | None) -> None:
        if self.session is not None:  # connected meanwhile
            return
        if saved is None:
            self.ask_login.emit(f"You are no longer connected to {server}: connect again.")
            return
        expired = sessions.expired_at(saved)
        if expired is not None:
            self.ask_login.emit(
                f"Your session on {server} expired at {expired.astimezone():%Y-%m-%d %H:%M}: "
                "connect again."
            )
            return
        self._start(
            TeamSession(
                server,
                str(saved.get("user", "")),
                str(saved.get("role", "")),
                str(saved["token"]),
                str(saved.get("expires_at", "")),
            )
        )

    def disconnect_from_server(self) -> None:
        """Log out (on a worker: the server may not answer), forget the token, go back
        to this desk's inspections."""
        session = self.session
        self._stop()
        settings.set_value("team/server", "")
        self._set_state("offline", "")
        if session is None:
            return

        run_task(
            lambda: _log_out(session), lambda _: None, lambda exc: log.warning("logout: %s", exc)
        )

    def close(self) -> None:
        """The window closes: the socket closes, the session stays kept for next time."""
        self._closed = True
        self._reload.stop()
        if self.events is not None:
            self.events.stop()

    def _start(self, session: TeamSession) -> None:
        self._stop()
        self.session = session
        self.entries = []
        self._set_state("connecting", f"Connecting to {session.server}…")
        events = TeamEvents(session, self)
        events.changed.connect(lambda _id: self.reload_soon())
        events.changed.connect(self.inspection_changed)
        events.opened.connect(self._events_opened)
        events.dropped.connect(self._events_dropped)
        events.session_ended.connect(lambda: self._ended(SESSION_ENDED_TEXT))
        events.failed_to_open.connect(self._check_session)
        self.events = events
        events.open()
        self.reload()
        self.connected.emit()

    def _stop(self) -> None:
        if self.events is not None:
            self.events.stop()
            self.events.deleteLater()
            self.events = None
        self.session = None
        self._again = False

    def _ended(self, text: str) -> None:
        session = self.session
        if session is None:
            return
        if self.events is not None:
            self.events.stop()
        self._set_state("ended", text)
        run_task(
            lambda: sessions.forget_session(session.server),
            lambda _: None,
            lambda exc: log.warning("cannot forget the session: %s", exc),
        )

    # -- the list and its changes ------------------------------------------------------------

    def reload_soon(self) -> None:
        """Read the list again shortly (changes told together are read once)."""
        if not self._reload.isActive():
            self._reload.start()

    def reload(self) -> None:
        session = self.session
        if session is None or self.state == "ended":
            return
        if self._loading:
            self._again = True
            return
        self._loading = True
        self._again = False
        run_task(
            session.client().inspections,
            lambda entries: self._loaded(session, entries),
            lambda exc: self._load_failed(session, exc),
        )

    def _loaded(self, session: TeamSession, entries: list[dict[str, Any]]) -> None:
        self._loading = False
        if self._closed or session is not self.session:
            return
        self.entries = entries
        self.rows_loaded.emit(entries)
        if self.state != "live" and self.events is not None and self.events.is_open:
            self._live()
        if self._again:
            self.reload()

    def _load_failed(self, session: TeamSession, exc: BaseException) -> None:
        self._loading = False
        if self._closed or session is not self.session:
            return
        if isinstance(exc, SessionEnded):
            self._ended(SESSION_ENDED_TEXT)
            self.ask_login.emit(f"{SESSION_ENDED_TEXT}.")
            return
        self._set_state("reconnecting", f"{explain(exc)} Retrying…")
        if self.events is not None and self.events.is_open:
            QTimer.singleShot(2000, self.reload)  # the socket is up: try the list again
        if self._again:
            self.reload()

    def _events_opened(self) -> None:
        self.reload()  # what changed while the socket was closed; then "live"

    def _live(self) -> None:
        session = self.session
        if session is None:
            return
        self._set_state("live", f"{session.server} — {session.user} ({session.role})")

    def _events_dropped(self, delay: float, why: str) -> None:
        session = self.session
        if session is None or self.state == "ended":
            return
        because = f" ({why})" if why else ""
        self._set_state(
            "reconnecting",
            f"Connection to {session.server} lost{because} — trying again in {delay:g} s",
        )

    def _check_session(self) -> None:
        """The socket was refused: a dead session says so on the ``me`` route."""
        session = self.session
        if session is None:
            return

        def failed(exc: BaseException) -> None:
            if session is self.session and isinstance(exc, SessionEnded):
                self._ended(SESSION_ENDED_TEXT)

        run_task(session.client().me, lambda _: None, failed)

    def _set_state(self, state: str, text: str) -> None:
        self.state = state
        self.state_changed.emit(state, text)

    # -- one inspection ------------------------------------------------------------------

    def inspection(
        self,
        inspection_id: str,
        on_done: Callable[[dict[str, Any]], None],
        on_error: Callable[[str], None],
    ) -> None:
        session = self.session
        if session is None:
            on_error("Not connected to a team server.")
            return
        run_task(
            lambda: session.client().inspection(inspection_id),
            lambda found: None if self._closed else on_done(found),
            lambda exc: None if self._closed else on_error(explain(exc)),
        )

    def create(
        self,
        fields: dict[str, Any],
        on_done: Callable[[dict[str, Any]], None],
        on_error: Callable[[str], None],
    ) -> None:
        """A new inspection on the team server, its operator this user."""
        session = self.session
        if session is None:
            on_error("Not connected to a team server.")
            return
        body = {**fields, "operator": session.user}
        run_task(
            lambda: session.client().create(body),
            lambda found: None if self._closed else on_done(found),
            lambda exc: None if self._closed else on_error(explain(exc)),
        )
