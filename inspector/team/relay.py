"""The signaling relay of operator-guided calls: phone ⇄ this server ⇄ operator's console.

For an operator-guided call the team server does not decode the video: the media
flows between the seller's phone and the operator's console (directly, or through
TURN), and the server only carries the offer and the answer between them. The
console's engine runs the peer and the session as it does at a desk.

- A **desk** is an operator's console attached to one inspection: a WebSocket on
  ``GET /api/v1/inspections/{id}/desk`` (``Authorization: Bearer`` session with the
  ``run_live`` permission: operators and admins; the public URL's origin only, as the
  events socket). One desk per inspection and per process: a second one replaces the
  first, which is closed with code 4409 (its client stops for good, and lets the call
  go); the phones in a call with the replaced desk are told ``wait`` then ``resume``:
  they hang up and call the new desk at once. A session that
  ended (logged out, expired, its user disabled) closes the desk with 4401; it is
  checked before every offer relayed and every ``RECHECK`` seconds.
- A **phone** with an "operator" link (:meth:`Invitations.mode_of`) on ``/ws/{token}``
  is served here (:class:`~inspector.live.server.signaling.Relay`): its offer goes to
  the desk, the desk's answer comes back. With no desk attached, or when the desk
  leaves, the phone is told ``{"type": "wait"}`` (the page says "your advisor will be
  back in a moment"); when a desk attaches, the phones told to wait (those only) are
  told ``{"type": "resume"}`` and offer again (so is a phone whose offer a replaced
  desk left unanswered: its successor never saw it). The session (the checklist walk) lives
  in the console's engine: the new call goes on at the same shot.

The desk's messages (JSON objects):

- server → desk: ``{"type": "attached", "inspection_id"}`` once;
  ``{"type": "offer", "id", "sdp", "device"}`` (``device``: a tag of the phone's
  device cookie, never the cookie); ``{"type": "bye", "device"}`` (the phone left).
- desk → server: ``{"type": "answer", "id", "sdp"}`` or ``{"type": "error", "id",
  "message"}`` (the phone gets the message); ``{"type": "path", "path": "direct" |
  "relay"}`` once per call, when the console's ICE has chosen its pair (counted in
  ``inspector_calls_total{path}``, once per offer it answered: the server sees no media
  of these calls).

The registry is per process: the phone and the desk of one call must reach the same
process. Behind the reverse proxy of ``deploy/nginx/inspector.conf`` they do (the
join page sets the cookie ``inspector_call``, on which the proxy hashes ``/ws/``,
and it hashes the desk route on the inspection id in its path).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from inspector.domain.accounts import Permission
from inspector.live.server.app import SERVER_KEY
from inspector.live.server.guards import GuardedHandler
from inspector.live.server.proxies import origin_allowed
from inspector.live.server.signaling import SignalingError
from inspector.team.api.auth import authenticate, bearer
from inspector.team.api.base import API_KEY, API_PREFIX, Api, ApiError
from inspector.team.metrics import Metrics
from inspector.usecases import accounts

__all__ = [
    "ANSWER_TIMEOUT",
    "DESK_REPLACED",
    "RECHECK",
    "SESSION_ENDED",
    "CallRelay",
    "add_routes",
]

log = logging.getLogger(__name__)

DESK_REPLACED = 4409
"""Close code: another desk attached to the inspection (the client must not come back)."""
SESSION_ENDED = 4401
"""Close code: the desk's session ended (logged out, expired, user disabled)."""
ANSWER_TIMEOUT = 20.0
"""Seconds a relayed offer waits for the desk's answer."""
RECHECK = 30.0
"""Seconds between two checks of a quiet desk's session."""
MAX_DESK_MESSAGE = 256 * 1024


def device_tag(device: str) -> str:
    """What the desk is told of a phone's device (its cookie never leaves the server)."""
    return hashlib.sha256(device.encode("utf-8", "replace")).hexdigest()[:16]


@dataclass(eq=False)
class _Desk:
    ws: web.WebSocketResponse
    token: str
    user: str
    checked: float = field(default_factory=time.monotonic)
    pending: dict[str, asyncio.Future[str]] = field(default_factory=dict)
    #: Calls answered whose media path the desk has not told yet (each counts once).
    unreported: int = 0


class CallRelay:
    """The desks attached to this process and the phones of operator-guided links."""

    def __init__(
        self, api: Api, metrics: Metrics, *, answer_timeout: float = ANSWER_TIMEOUT
    ) -> None:
        self.api = api
        self.metrics = metrics
        self.answer_timeout = answer_timeout
        self._desks: dict[str, _Desk] = {}
        # inspection → its phones' sockets → whether that phone was told to wait
        self._phones: dict[str, dict[web.WebSocketResponse, bool]] = {}
        self._ids = itertools.count(1)

    def attached(self, inspection_id: str) -> bool:
        return inspection_id in self._desks

    def attached_calls(self) -> list[str]:
        """The inspections whose console is attached here: their calls go on through
        this process even when no phone socket (and so no device claim) is left on it,
        e.g. after the phone's process died; they are not abandoned."""
        return list(self._desks)

    # -- desks ----------------------------------------------------------------------

    async def serve_desk(self, request: web.Request) -> web.StreamResponse:
        """The desk route: check who asks, attach, relay until the socket ends."""
        server = request.app[SERVER_KEY]
        if not origin_allowed(request, server.public_url, server.https):
            log.warning("a desk socket from another origin was refused")
            raise ApiError(
                403, "origin", "this socket may be opened from the server's own pages only"
            )
        identity = await authenticate(request)
        try:
            accounts.require(identity.user, Permission.RUN_LIVE)
        except accounts.Forbidden as exc:
            raise ApiError(403, "forbidden", str(exc)) from None
        given = request.match_info["id"]
        inspection = await self.api.run(self.api.store.find_inspection, given)
        if inspection.id != given:
            raise ApiError(
                400, "invalid", f"give the inspection's full id ({inspection.id}), not a prefix"
            )
        ws = web.WebSocketResponse(heartbeat=10.0, max_msg_size=MAX_DESK_MESSAGE, compress=False)
        await ws.prepare(request)
        if isinstance(request.protocol, GuardedHandler):
            request.protocol.long_lived = True  # a logged-in operator's call: no lifetime limit
        desk = _Desk(ws, bearer(request), identity.user.name)
        previous = self._desks.get(inspection.id)
        self._desks[inspection.id] = desk
        self._count_desks()
        if previous is not None:
            log.info("%s: a desk replaces the one attached", inspection.id)
            await self._close_desk(previous, DESK_REPLACED, b"another desk took the inspection")
            await self._switch_phones(inspection.id)
        log.info("%s: desk attached (%s)", inspection.id, desk.user)
        try:
            await ws.send_json({"type": "attached", "inspection_id": inspection.id})
            await self._resume_phones(inspection.id)
            await self._run_desk(inspection.id, desk)
        finally:
            self._detach(inspection.id, desk)
            await self._tell_phones_to_wait(inspection.id, desk)
        return ws

    async def _run_desk(self, inspection_id: str, desk: _Desk) -> None:
        ws = desk.ws
        while not ws.closed:
            try:
                msg = await ws.receive(timeout=RECHECK)
            except TimeoutError:
                await self._session_valid(desk)
                continue
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
            except (ValueError, RecursionError):
                log.warning("%s: a desk sent what is not JSON", inspection_id)
                continue
            if not isinstance(data, dict):
                continue
            if data.get("type") == "path":
                if data.get("path") in ("direct", "relay") and desk.unreported > 0:
                    desk.unreported -= 1
                    self.metrics.calls.labels(path=data["path"]).inc()
                continue
            future = desk.pending.get(str(data.get("id")))
            if future is None or future.done():
                continue  # late (timed out), or not an answer to anything
            if data.get("type") == "answer" and isinstance(data.get("sdp"), str):
                future.set_result(data["sdp"])
                desk.unreported += 1
            elif data.get("type") == "error":
                future.set_exception(SignalingError(str(data.get("message", "refused"))[:200]))

    async def _session_valid(self, desk: _Desk) -> bool:
        """Whether the desk's session still holds; closes it with 4401 if not."""
        desk.checked = time.monotonic()
        try:
            identity = await self.api.run(accounts.validate_session, self.api.store, desk.token)
            accounts.require(identity.user, Permission.RUN_LIVE)
        except (accounts.SessionInvalid, accounts.Forbidden):
            log.info("a desk's session ended: closing it")
            await self._close_desk(desk, SESSION_ENDED, b"session ended")
            return False
        except Exception as exc:  # the store not answering: keep the desk, check later
            log.warning("cannot check a desk's session: %s", exc)
        return True

    async def _close_desk(self, desk: _Desk, code: int, message: bytes) -> None:
        for future in desk.pending.values():
            if not future.done():
                future.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(desk.ws.close(code=code, message=message), 2.0)

    def _detach(self, inspection_id: str, desk: _Desk) -> None:
        for future in desk.pending.values():
            if not future.done():
                future.cancel()
        if self._desks.get(inspection_id) is desk:
            del self._desks[inspection_id]
            log.info("%s: desk detached (%s)", inspection_id, desk.user)
        self._count_desks()

    def _count_desks(self) -> None:
        self.metrics.desks_attached.set(len(self._desks))

    async def _resume_phones(self, inspection_id: str) -> None:
        """A desk attached: the phones told to wait (only those) offer again."""
        phones = self._phones.get(inspection_id, {})
        for ws, waiting in list(phones.items()):
            if waiting:
                phones[ws] = False
                await _send(ws, {"type": "resume"})

    async def _switch_phones(self, inspection_id: str) -> None:
        """A desk took the call over: the phones in a call with the one it replaced hang
        up (``wait``) and, told ``resume`` right after, call the new one at once rather
        than when their link to the old console times out."""
        phones = self._phones.get(inspection_id, {})
        for ws, waiting in list(phones.items()):
            if not waiting:
                phones[ws] = True
                await _send(ws, {"type": "wait"})

    async def _tell_phones_to_wait(self, inspection_id: str, desk: _Desk) -> None:
        """The desk left (replaced: its successor serves the phones, nothing to say)."""
        if inspection_id in self._desks:
            return
        phones = self._phones.get(inspection_id, {})
        for ws in list(phones):
            phones[ws] = True
            await _send(ws, {"type": "wait"})

    # -- phones (the Relay protocol of inspector.live.server.signaling) ---------------

    async def phone_open(self, inspection_id: str, ws: web.WebSocketResponse) -> None:
        waiting = inspection_id not in self._desks
        self._phones.setdefault(inspection_id, {})[ws] = waiting
        if waiting:
            await _send(ws, {"type": "wait"})

    def phone_closed(self, inspection_id: str, ws: web.WebSocketResponse) -> None:
        phones = self._phones.get(inspection_id)
        if phones is not None:
            phones.pop(ws, None)
            if not phones:
                del self._phones[inspection_id]

    async def offer(
        self, inspection_id: str, ws: web.WebSocketResponse, sdp: str, device: str
    ) -> str | None:
        desk = self._desks.get(inspection_id)
        if desk is not None and not await self._session_valid(desk):
            desk = None
        if desk is None or desk.ws.closed:
            await self._wait(inspection_id, ws, "waited")
            return None
        offer_id = str(next(self._ids))
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        desk.pending[offer_id] = future
        try:
            message = {"type": "offer", "id": offer_id, "sdp": sdp, "device": device_tag(device)}
            await desk.ws.send_json(message)
            answer = await asyncio.wait_for(asyncio.shield(future), self.answer_timeout)
        except asyncio.CancelledError:
            if future.cancelled():  # the desk left (or was replaced) before answering
                await self._wait(inspection_id, ws, "dropped")
                return None
            raise
        except TimeoutError:
            self._count_offer("timeout")
            raise SignalingError("the operator's console did not answer") from None
        except SignalingError:
            self._count_offer("refused")
            raise
        except (ConnectionError, RuntimeError):  # the desk's socket broke while sending
            await self._wait(inspection_id, ws, "dropped")
            return None
        finally:
            desk.pending.pop(offer_id, None)
        self._count_offer("answered")
        return answer

    async def _wait(self, inspection_id: str, ws: web.WebSocketResponse, outcome: str) -> None:
        self._count_offer(outcome)
        if inspection_id in self._desks and outcome == "dropped":
            # A new desk took the inspection while this offer waited: offer to it.
            await _send(ws, {"type": "resume"})
            return
        phones = self._phones.get(inspection_id)
        if phones is not None and ws in phones:
            phones[ws] = True
        await _send(ws, {"type": "wait"})

    def _count_offer(self, outcome: str) -> None:
        self.metrics.relayed_offers.labels(outcome=outcome).inc()

    async def bye(self, inspection_id: str, device: str) -> None:
        desk = self._desks.get(inspection_id)
        if desk is not None:
            await _send(desk.ws, {"type": "bye", "device": device_tag(device)})

    async def close(self) -> None:
        """Close every desk (the server stops): their clients come back elsewhere."""
        for desk in list(self._desks.values()):
            await self._close_desk(desk, WSCloseCode.GOING_AWAY, b"server stopping")
        self._desks.clear()
        self._count_desks()


async def _send(ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
    if not ws.closed:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_json(message)


def add_routes(app: web.Application, relay: CallRelay) -> None:
    async def desk(request: web.Request) -> web.StreamResponse:
        return await relay.serve_desk(request)

    async def closing(app: web.Application) -> None:
        await relay.close()

    app.router.add_get(f"{API_PREFIX}/inspections/{{id}}/desk", desk)
    app.on_shutdown.append(closing)
    assert API_KEY in app  # the API (its middleware, its store) is installed first
