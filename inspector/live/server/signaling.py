"""The signaling WebSocket (``/ws/{token}``) and the device rule.

The server knows nothing of WebRTC: an offer is handed to a
:class:`SignalingBackend` (the engine) that answers it. The device rule of
``docs/LIVE_LINK.md``: one device (its ``device`` cookie) holds an inspection;
another device is refused (409) while the holder has a socket open, or left
less than the grace period ago (by the server's or the backend's account),
unless it asked to take over and the operator agreed (:meth:`Signaling.ask_takeover`,
:meth:`Signaling.answer_takeover`). A
device may hold a few sockets at once (a reloading page), the oldest making
room. An open socket re-checks its token now and then and before every offer:
a link revoked or expired ends its session. A phone that keeps sending what
the protocol refuses is cut after ``MAX_SIGNALING_ERRORS``.

A team server relays the calls its operators guide (:mod:`inspector.team.relay`):
with a :class:`Relay` set (``Signaling.relay``), a socket whose token is an
"operator" link is served by the relay instead of the backend: its offers go to
the operator's console, and while no console is attached the phone is told
``{"type": "wait"}``, then ``{"type": "resume"}`` (offer again) when one attaches.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import WSMsgType, web

from inspector.config import IceServer
from inspector.live.server.guards import GuardedHandler
from inspector.live.timings import SIGNALING_PING
from inspector.live.tokens import Invitations, token_tag

__all__ = [
    "DEVICE_COOKIE",
    "MAX_SDP",
    "MAX_SIGNALING_ERRORS",
    "MAX_SOCKETS_PER_DEVICE",
    "MAX_WS_MESSAGE",
    "TAKEOVER_WAIT",
    "Relay",
    "Signaling",
    "SignalingBackend",
    "SignalingError",
    "close_ws",
    "device_of",
]

log = logging.getLogger(__name__)

DEVICE_COOKIE = "device"
MAX_SDP = 100_000
MAX_SIGNALING_ERRORS = 3
MAX_WS_MESSAGE = 128 * 1024
MAX_SOCKETS_PER_DEVICE = 4  # signaling sockets one device may hold on an inspection
#: Seconds a request to take over waits for the operator's answer before it is asked anew.
TAKEOVER_WAIT = 120.0
_DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class SignalingError(Exception):
    """An offer the backend refuses; the message goes back to the phone."""


class SignalingBackend(Protocol):
    """What the server needs from the engine."""

    def mode(self, inspection_id: str) -> str:
        """``"operator"`` or ``"self"``."""
        ...

    async def offer(self, inspection_id: str, sdp: str, device: str) -> str:
        """Answer an offer (replacing any previous connection); returns the answer SDP."""
        ...

    async def bye(self, inspection_id: str, device: str) -> None: ...

    def last_seen(self, inspection_id: str) -> float | None:
        """Monotonic time the phone was last known connected (now if it is)."""
        ...

    def language(self, inspection_id: str) -> str | None:
        """The language the inspection's session speaks, if it has one (no I/O)."""
        ...

    def takeover_asked(self, inspection_id: str) -> None:
        """Another device asks for the inspection: the operator is to answer."""
        ...


class Relay(Protocol):
    """Where the offers of operator-guided links go (the team server's relay)."""

    async def phone_open(self, inspection_id: str, ws: web.WebSocketResponse) -> None:
        """A phone's socket is open (its config sent): tell it to wait if need be."""
        ...

    def phone_closed(self, inspection_id: str, ws: web.WebSocketResponse) -> None: ...

    async def offer(
        self, inspection_id: str, ws: web.WebSocketResponse, sdp: str, device: str
    ) -> str | None:
        """The console's answer, or None when the phone was told to wait instead."""
        ...

    async def bye(self, inspection_id: str, device: str) -> None: ...


@dataclass
class _Holder:
    device: str
    left_at: float = field(default_factory=time.monotonic)
    # Ordered (oldest first) so the oldest can make room: a dict used as an ordered set.
    sockets: dict[web.WebSocketResponse, None] = field(default_factory=dict)


@dataclass
class _Takeover:
    device: str
    asked_at: float = field(default_factory=time.monotonic)
    allowed: bool | None = None  # the operator's answer, None while waiting
    answered_at: float = 0.0


def device_of(request: web.Request) -> str | None:
    """The request's device cookie, if it is a well-formed one."""
    value = request.cookies.get(DEVICE_COOKIE)
    return value if value and _DEVICE_RE.match(value) else None


async def close_ws(ws: web.WebSocketResponse) -> None:
    """Say bye and close (going away); never raises, never hangs."""
    with contextlib.suppress(Exception):
        if not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json({"type": "bye"})
            await asyncio.wait_for(ws.close(code=1001, message=b"going away"), 2.0)


class Signaling:
    """The phones' signaling sockets, one holder (device) per inspection."""

    def __init__(
        self,
        invitations: Invitations,
        backend: SignalingBackend,
        *,
        ice_servers: Sequence[IceServer] | Callable[[str], Sequence[IceServer]],
        grace_seconds: float,
        token_recheck_seconds: float,
    ) -> None:
        self.invitations = invitations
        self.backend = backend
        # Fixed servers, or a function of the inspection (TURN credentials minted per socket).
        self.ice_servers = ice_servers if callable(ice_servers) else tuple(ice_servers)
        self.grace_seconds = grace_seconds
        self.token_recheck_seconds = token_recheck_seconds
        self._holders: dict[str, _Holder] = {}
        self._takeovers: dict[str, _Takeover] = {}
        #: Serves the sockets of "operator" links when set (a team server's relay).
        self.relay: Relay | None = None

    def conflict(self, inspection_id: str, device: str | None) -> bool:
        """Whether another device holds the inspection right now."""
        holder = self._holders.get(inspection_id)
        if holder is None or holder.device == device:
            return False
        takeover = self._takeovers.get(inspection_id)
        if (
            takeover is not None
            and takeover.allowed
            and takeover.device == device
            and time.monotonic() - takeover.answered_at < TAKEOVER_WAIT
        ):
            return False  # the operator let this device take over (a while ago at most)
        if holder.sockets:
            return True
        last = max(holder.left_at, self.backend.last_seen(inspection_id) or 0.0)
        return time.monotonic() - last < self.grace_seconds

    def present(self) -> list[str]:
        """The inspections whose device is still here: a socket open, or gone for less
        than the grace period (it holds the inspection, see :meth:`conflict`)."""
        now = time.monotonic()
        found = []
        for inspection_id, holder in self._holders.items():
            last = max(holder.left_at, self.backend.last_seen(inspection_id) or 0.0)
            if holder.sockets or now - last < self.grace_seconds:
                found.append(inspection_id)
        return found

    def ask_takeover(self, inspection_id: str, device: str) -> str:
        """This device asks for the inspection: "asked", "allowed" or "declined".

        The operator is asked once per request (the waiting page reloads itself and
        asks again: that is the same request), anew after ``TAKEOVER_WAIT`` unanswered.
        """
        now = time.monotonic()
        takeover = self._takeovers.get(inspection_id)
        stale = takeover is not None and (
            now - (takeover.asked_at if takeover.allowed is None else takeover.answered_at)
            > TAKEOVER_WAIT
        )
        if takeover is None or takeover.device != device or stale:
            takeover = _Takeover(device, now)
            self._takeovers[inspection_id] = takeover
            log.info("another device asks to take over an inspection")
            self.backend.takeover_asked(inspection_id)
        if takeover.allowed is None:
            return "asked"
        return "allowed" if takeover.allowed else "declined"

    def forget_declined(self, inspection_id: str, device: str | None) -> None:
        """The device is back on the plain link: its declined request is over."""
        takeover = self._takeovers.get(inspection_id)
        if takeover is not None and takeover.device == device and takeover.allowed is False:
            del self._takeovers[inspection_id]

    def answer_takeover(self, inspection_id: str, allow: bool) -> bool:
        """The operator's answer to the pending request; False if none is pending."""
        takeover = self._takeovers.get(inspection_id)
        if takeover is None or takeover.allowed is not None:
            return False
        takeover.allowed = allow
        takeover.answered_at = time.monotonic()
        return True

    async def disconnect(self, inspection_id: str) -> None:
        """Close the phone's sockets of an inspection (revoked, ended) and forget its holder."""
        self._takeovers.pop(inspection_id, None)
        holder = self._holders.pop(inspection_id, None)
        if holder is not None:
            for ws in list(holder.sockets):
                await close_ws(ws)

    async def close(self) -> None:
        """Close every socket (within about 2 s) and forget every holder."""
        sockets = [ws for h in self._holders.values() for ws in h.sockets]
        if sockets:
            await asyncio.wait([asyncio.ensure_future(close_ws(ws)) for ws in sockets], timeout=2.0)
        self._holders.clear()
        self._takeovers.clear()

    async def serve(
        self, request: web.Request, inspection_id: str, device: str
    ) -> web.WebSocketResponse:
        """Open the socket of an admitted device (the token checked) and run it to its end."""
        token = request.match_info["token"]
        tag = token_tag(token)
        ws = web.WebSocketResponse(max_msg_size=MAX_WS_MESSAGE, heartbeat=SIGNALING_PING)
        await ws.prepare(request)
        if isinstance(request.protocol, GuardedHandler):
            request.protocol.vouch()  # a phone's session, with a valid token
        holder = self._holders.get(inspection_id)
        if holder is None or holder.device != device:
            if holder is not None:  # the previous device is long gone: take over
                for old in list(holder.sockets):
                    await close_ws(old)
            holder = _Holder(device)
            self._holders[inspection_id] = holder
            takeover = self._takeovers.get(inspection_id)
            if takeover is not None and takeover.device == device:
                del self._takeovers[inspection_id]  # done: it holds the inspection now
        while len(holder.sockets) >= MAX_SOCKETS_PER_DEVICE:  # the oldest make room
            oldest = next(iter(holder.sockets))
            holder.sockets.pop(oldest, None)
            await close_ws(oldest)
        holder.sockets[ws] = None
        log.info("phone signaling open (token %s)", tag)
        try:
            await self._run(ws, inspection_id, device, token, tag)
        finally:
            holder.sockets.pop(ws, None)
            holder.left_at = time.monotonic()
            log.info("phone signaling closed (token %s)", tag)
        return ws

    def _ice_servers(self, inspection_id: str) -> Sequence[IceServer]:
        servers = self.ice_servers
        return servers(inspection_id) if callable(servers) else servers

    def _still_valid(self, token: str, inspection_id: str) -> bool:
        return self.invitations.known(token) == inspection_id

    async def _run(
        self,
        ws: web.WebSocketResponse,
        inspection_id: str,
        device: str,
        token: str,
        tag: str,
    ) -> None:
        relay = self.relay if self.invitations.mode_of(token) == "operator" else None
        await ws.send_json(
            {
                "type": "config",
                "ice_servers": [s.to_dict() for s in self._ice_servers(inspection_id)],
                "mode": "operator" if relay is not None else self.backend.mode(inspection_id),
            }
        )
        if relay is not None:
            await relay.phone_open(inspection_id, ws)
            try:
                await self._serve_messages(ws, inspection_id, device, token, tag, relay)
            finally:
                relay.phone_closed(inspection_id, ws)
        else:
            await self._serve_messages(ws, inspection_id, device, token, tag, None)

    async def _serve_messages(
        self,
        ws: web.WebSocketResponse,
        inspection_id: str,
        device: str,
        token: str,
        tag: str,
        relay: Relay | None,
    ) -> None:
        errors = 0

        async def bye() -> None:
            if relay is not None:
                await relay.bye(inspection_id, device)
            else:
                await self.backend.bye(inspection_id, device)

        async def answer(sdp: str) -> str | None:
            if relay is not None:
                return await relay.offer(inspection_id, ws, sdp, device)
            return await self.backend.offer(inspection_id, sdp, device)

        async def refuse(message: str) -> bool:
            nonlocal errors
            errors += 1
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json({"type": "error", "message": message})
            if errors >= MAX_SIGNALING_ERRORS:
                await ws.close(code=1008, message=b"too many errors")
                return False
            return True

        async def revoked() -> None:
            """The link was revoked (perhaps by another process) or expired: end it."""
            log.info("link no longer valid: closing its session (token %s)", tag)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json({"type": "error", "message": "this link is not valid"})
            try:
                await bye()
            finally:
                await ws.close(code=1008, message=b"link not valid")

        while True:
            try:
                msg = await ws.receive(timeout=self.token_recheck_seconds)
            except TimeoutError:
                if not self._still_valid(token, inspection_id):
                    await revoked()
                    return
                continue
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return
            if msg.type == WSMsgType.ERROR:
                return
            if msg.type == WSMsgType.BINARY:
                if not await refuse("binary frames are not accepted"):
                    return
                continue
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
            except (ValueError, RecursionError):
                if not await refuse("not valid JSON"):
                    return
                continue
            kind = data.get("type") if isinstance(data, dict) else None
            if kind == "offer":
                sdp = data.get("sdp")
                if not isinstance(sdp, str) or not sdp or len(sdp) > MAX_SDP:
                    if not await refuse("the offer is missing or too large"):
                        return
                    continue
                if not self._still_valid(token, inspection_id):
                    await revoked()
                    return
                try:
                    answered = await answer(sdp)
                except SignalingError as exc:
                    if not await refuse(str(exc)[:200]):
                        return
                    continue
                except Exception:
                    log.exception("answering an offer failed (token %s)", tag)
                    if not await refuse("the offer could not be answered"):
                        return
                    continue
                if answered is not None:  # None: the relay told the phone to wait
                    await ws.send_json({"type": "answer", "sdp": answered})
            elif kind == "bye":
                await bye()
                await ws.close()
                return
            elif not await refuse("unknown message type"):
                return
