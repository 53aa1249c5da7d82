"""``GET /api/v1/events``: a WebSocket telling a logged-in user which inspections changed.

Each message is one JSON object::

    {"type": "inspection_changed", "id": "…", "status": "invited"}

(``"status": null, "deleted": true`` when it was deleted). Changes are found by
comparing every inspection's status, row version, shots taken and damages (one light
query, :meth:`Store.inspection_states`) every second while someone listens, and at
once after a change made through this process's API: so a change made by another
server process, a desk's command line or a phone's session is told within a second or
so, whichever process made it. A change made through this process's API is told even
when those look the same (a photo accepted whose verdict was good already); made by
another process, such a change is not seen here.

The socket is opened with the ``Authorization: Bearer`` header (a session with the
``view`` permission) and, as the phone's signaling socket, only from the public URL's
origin (or none: not a browser): a page on another site cannot open it with a user's
credentials. The session is checked again every ``RECHECK`` seconds: one that ended
closes the socket (code 4401); a logout through this process's API closes its sockets
at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass

from aiohttp import WSCloseCode, WSMsgType, web

from inspector.domain.accounts import Permission
from inspector.live.server.app import SERVER_KEY
from inspector.live.server.guards import GuardedHandler
from inspector.live.server.proxies import origin_allowed
from inspector.team.api.auth import authenticate, bearer
from inspector.team.api.base import API_KEY, API_PREFIX, Api, ApiError
from inspector.usecases import accounts

__all__ = ["POLL_INTERVAL", "RECHECK", "EventHub", "add_routes"]

log = logging.getLogger(__name__)

POLL_INTERVAL = 1.0
"""Seconds between two looks at the inspections while someone listens."""
RECHECK = 30.0
"""Seconds between two checks of each listener's session."""
SESSION_ENDED = 4401
MAX_LISTENERS = 256


@dataclass(eq=False)  # each one itself, in a set
class _Listener:
    ws: web.WebSocketResponse
    token: str
    checked: float


class EventHub:
    """The listeners of one process and the watcher of the inspections' states."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._listeners: set[_Listener] = set()
        self._states: dict[str, tuple[str, int, str, int, int]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._touched: set[str] = set()

    @property
    def listening(self) -> int:
        return len(self._listeners)

    def look_soon(self, inspection_id: str | None = None) -> None:
        """A change was made here: look now rather than at the next tick (loop thread);
        ``inspection_id`` is told changed even if its state looks the same (a photo
        accepted whose verdict was good already)."""
        if inspection_id is not None and self._listeners:
            self._touched.add(inspection_id)
        self._wake.set()

    async def serve(self, request: web.Request) -> web.StreamResponse:
        server = request.app[SERVER_KEY]
        if not origin_allowed(request, server.public_url, server.https):
            log.warning("an events socket from another origin was refused")
            raise ApiError(
                403, "origin", "this socket may be opened from the server's own pages only"
            )
        identity = await authenticate(request)
        try:
            accounts.require(identity.user, Permission.VIEW)
        except accounts.Forbidden as exc:
            raise ApiError(403, "forbidden", str(exc)) from None
        if len(self._listeners) >= MAX_LISTENERS:
            raise ApiError(503, "busy", "too many listeners on this server; try again later")
        if self._task is None or self._task.done():  # no watcher: now is the baseline
            baseline = await self.api.run(self.api.store.inspection_states)
            if self._task is None or self._task.done():
                self._states = baseline
        ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4096, compress=False)
        await ws.prepare(request)
        if isinstance(request.protocol, GuardedHandler):
            request.protocol.long_lived = True  # a logged-in user's socket: no lifetime limit
        listener = _Listener(ws, bearer(request), time.monotonic())
        self._listeners.add(listener)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="api-events")
        try:
            async for message in ws:  # nothing is expected from the client
                if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self._listeners.discard(listener)
        return ws

    async def _watch(self) -> None:
        while self._listeners:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_INTERVAL)
            self._wake.clear()
            try:
                await self._look()
                await self._recheck()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store not answering: try again at the next tick
                log.warning("cannot look for changed inspections: %s", exc)
        self._states = None

    async def _look(self) -> None:
        now = await self.api.run(self.api.store.inspection_states)
        before = self._states or {}
        self._states = now
        touched, self._touched = self._touched, set()
        messages = []
        for inspection_id, state in now.items():
            if before.get(inspection_id) != state or inspection_id in touched:
                messages.append(
                    {"type": "inspection_changed", "id": inspection_id, "status": state[0]}
                )
        for inspection_id in before.keys() - now.keys():
            messages.append(
                {"type": "inspection_changed", "id": inspection_id, "status": None, "deleted": True}
            )
        for message in messages:
            text = json.dumps(message)
            for listener in list(self._listeners):
                if not listener.ws.closed:
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await listener.ws.send_str(text)

    async def _recheck(self) -> None:
        now = time.monotonic()
        for listener in list(self._listeners):
            if now - listener.checked < RECHECK:
                continue
            listener.checked = now
            try:
                await self.api.run(accounts.validate_session, self.api.store, listener.token)
            except accounts.SessionInvalid:
                await listener.ws.close(code=SESSION_ENDED, message=b"session ended")

    async def session_ended(self, token: str) -> None:
        """The session of ``token`` was ended here (logout): close its sockets (4401)."""
        for listener in list(self._listeners):
            if listener.token == token and not listener.ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await listener.ws.close(code=SESSION_ENDED, message=b"session ended")

    async def close(self) -> None:
        """Close every socket (the server stops) and the watcher."""
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):
                await listener.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


async def events(request: web.Request) -> web.StreamResponse:
    hub = request.app[API_KEY].events
    assert hub is not None
    return await hub.serve(request)


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{API_PREFIX}/events", events)
