"""A remote console's operator-guided calls on a team server.

The console has no database password and no key to the photo store: it reaches the
team through the operator API only. For a call it runs its own engine (the media
comes straight from the phone, :mod:`inspector.team.desk_link`) on a **working
copy** of the inspection, kept in a local cache store (SQLite in the console's data
folder, one per server): the copy comes from the server (``GET …/copy``, a bundle
without a report) when the operator takes the call, so the walk resumes at the shot
the last console left.

Every write of the call goes to the server first (:class:`ServerMirror`, the
:class:`~inspector.storage.spool.Mirror` of the engine's live writer): a still counts
only once the server has checked its SHA-256 and stored it, and the phone is told
"saved" only then. A server out of reach refuses the still (the phone keeps it and
sends it again); review marks and status changes wait in the desk's spool and go out
in order when it answers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inspector.config import IceServer, ServerSettings
from inspector.domain.models import Capture, InspectionStatus, QualityReason
from inspector.domain.views import QualityReasonView
from inspector.live import events
from inspector.live.engine import Engine, EventCallback
from inspector.live.session.context import Mode
from inspector.live.turn_reach import reachable_turn_first
from inspector.storage.errors import Conflict, NotFound, StoreError, StoreUnreachable
from inspector.storage.store import Store
from inspector.team.client import Client, RemoteError, SessionEnded
from inspector.team.desk_link import DeskLink
from inspector.usecases.inspections import capture_to_dict

__all__ = ["DeskEngine", "RemoteDesk", "ServerMirror", "cache_folder"]

log = logging.getLogger(__name__)

CACHE_DIR = "team"


def cache_folder(data_dir: Path, server_url: str) -> Path:
    """The folder of the working copies of one server's inspections (one per server:
    two teams' inspections never mix)."""
    key = hashlib.sha256(server_url.rstrip("/").encode()).hexdigest()[:16]
    return Path(data_dir) / CACHE_DIR / key


class ServerMirror:
    """The team server as the engine's :class:`~inspector.storage.spool.Mirror`."""

    def __init__(self, client: Client, store: Store) -> None:
        self.client = client
        self.store = store  # the working copies: which inspection a capture is of

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SessionEnded as exc:  # the operator logs in again; marks wait meanwhile
            raise StoreUnreachable(f"the team server ended the session: {exc.message}") from exc
        except RemoteError as exc:
            if exc.status == 0 or exc.status == 429 or exc.status >= 500:
                raise StoreUnreachable(f"the team server: {exc.message}") from exc
            if exc.status == 409:
                raise Conflict(f"the team server refused: {exc.message}") from exc
            raise StoreError(f"the team server refused: {exc.message}") from exc

    def put_capture(self, capture: Capture, data: bytes) -> None:
        record = capture_to_dict(capture)
        self._call(self.client.put_capture, capture.inspection_id, capture.id, record, data)

    def put_original(
        self,
        inspection_id: str,
        capture_id: str,
        preview_sha256: str,
        data: bytes,
        *,
        width: int,
        height: int,
    ) -> None:
        self._call(self.client.put_original, inspection_id, capture_id, data)

    def review(self, capture_id: str, accepted: bool, note: QualityReason | None) -> None:
        try:
            inspection_id = self.store.get_capture(capture_id).inspection_id
        except NotFound as exc:
            raise StoreError(f"capture {capture_id} is not in the working copy") from exc
        self._call(
            self.client.review,
            inspection_id,
            capture_id,
            "accept" if accepted else "retake",
            note=None if note is None else QualityReasonView.of(note).to_json(),
        )

    def transition(
        self, inspection_id: str, to: InspectionStatus, only_from: list[InspectionStatus]
    ) -> bool:
        try:
            answer = self._call(self.client.set_status, inspection_id, to.value)
        except Conflict:
            return False  # the server's copy is past it already
        return bool(answer.get("moved"))


class DeskEngine(Engine):
    """The console's engine for a team server's calls: invitations are the server's
    (the phone joins the server, which relays the call here), writes go to the server
    first (``mirror``)."""

    def __init__(
        self,
        store: Store,
        settings: ServerSettings,
        on_event: EventCallback,
        *,
        client: Client,
        **options: Any,
    ) -> None:
        super().__init__(
            store,
            settings,
            on_event,
            mirror=ServerMirror(client, store),
            # What another console left live is not this one's to settle.
            settle_interrupted=False,
            **options,
        )
        self.client = client
        self._own_ice = self.settings.ice_servers

    async def offer(self, inspection_id: str, sdp: str, device: str) -> str:
        """Answer a relayed offer with the team's STUN/TURN servers besides the console's
        own: a console behind a company firewall reaches a phone on 4G through the
        team's TURN (credentials minted for this console, for this call), through the
        first of its URLs that answers from here (aiortc uses one: a firewall that lets
        no UDP out must not leave the console with the team's UDP URL)."""
        try:
            found = await self.thread.run(self.client.ice_servers)
            team = tuple(
                IceServer(tuple(s["urls"]), s.get("username"), s.get("credential")) for s in found
            )
        except (RemoteError, KeyError, TypeError, ValueError) as exc:
            log.warning("no ICE servers from the team server (%s): the console's own only", exc)
        else:
            own = tuple(s for s in self._own_ice if s not in team)
            servers = await reachable_turn_first((*own, *team))
            self.settings = dataclasses.replace(self.settings, ice_servers=servers)
        return await super().offer(inspection_id, sdp, device)

    async def _invite(
        self,
        inspection_id: str,
        mode: Mode | None,
        actor: str | None = None,
        request_id: str | None = None,
    ) -> events.Invite:
        if mode == "self":
            raise ValueError("a self-inspection is guided by the team server: invite it there")
        found = await self.thread.run(self.client.invite, inspection_id)
        await self._mark(inspection_id, InspectionStatus.INVITED)
        invite = events.Invite(inspection_id, str(found["join_url"]), str(found["expires_at"]))
        self.emit(invite)
        return invite


class RemoteDesk:
    """One console's calls on one team server: the working copies, the desk engine,
    and the link of the call being run (:meth:`take`, :meth:`leave`). The link's
    state comes as :class:`~inspector.live.events.DeskLinkChanged` events."""

    def __init__(
        self,
        server_url: str,
        token: str,
        data_dir: Path,
        on_event: EventCallback,
        *,
        settings: ServerSettings | None = None,
        **engine_options: Any,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.client = Client(self.server_url, token)
        self.store = Store(cache_folder(data_dir, self.server_url))
        self._on_event = on_event
        self._path_told: set[str] = set()  # inspections whose current call's path was told
        # The engine's own phone server is not what phones reach (they reach the team
        # server): loopback only.
        self.engine = DeskEngine(
            self.store,
            settings or ServerSettings(host="127.0.0.1", port=0),
            self._event,
            client=self.client,
            **engine_options,
        )
        self._token = token
        self.link: DeskLink | None = None

    def start(self) -> None:
        self.engine.start()

    def _event(self, event: events.Event) -> None:
        """The engine's events, on to the console; each call's media path to the server
        once ICE has chosen it (a reconnect is a new call, maybe on a new path)."""
        if isinstance(event, events.ConnectionChanged) and event.state != "connected":
            self._path_told.discard(event.inspection_id)
        elif (
            isinstance(event, events.LinkStats)
            and event.path is not None
            and event.inspection_id not in self._path_told
        ):
            link = self.link
            if link is not None and link.inspection_id == event.inspection_id:
                self._path_told.add(event.inspection_id)
                link.report_path(event.path)
        self._on_event(event)

    def take(self, inspection_id: str) -> str:
        """Run this inspection's call here: its working copy fetched (unless writes for
        it still wait to reach the server), then attached to its calls. Blocking (the
        copy is a download): call it from a worker thread. Returns the full id."""
        self.leave()
        writer = self.engine.writer
        if writer is not None:
            writer.flush()
        if self._unsent(inspection_id):
            log.warning("%s: writes still wait for the server; the desk's copy is kept",
                        inspection_id)  # fmt: skip
        else:
            self._fetch(inspection_id)
        full = self.store.find_inspection(inspection_id).id
        engine = self.engine

        def said(state: str, reason: str | None) -> None:  # on the engine's loop
            if state == "stopped" and reason not in (None, "stopped"):
                # Taken over, or no longer ours to run: the phone's link to this engine
                # closes, and the server relays its next call to whoever holds it now.
                engine.let_go(full)
            engine.emit(events.DeskLinkChanged(full, state, reason))

        self.link = DeskLink(self.server_url, self._token, full, engine, on_state=said)
        self.link.start()
        return full

    def leave(self) -> None:
        """Let the call go (the server tells the phone to wait for a console)."""
        link, self.link = self.link, None
        if link is not None:
            link.stop()

    def close(self) -> None:
        self.leave()
        self.engine.stop()
        self.store.close()

    def _unsent(self, inspection_id: str) -> bool:
        writer = self.engine.writer
        return writer is not None and writer.waiting_for(inspection_id)

    def _fetch(self, inspection_id: str) -> None:
        from inspector.team.review import fetch_copy

        fetch_copy(self.store, self.client, inspection_id)
