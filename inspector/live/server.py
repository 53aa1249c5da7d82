"""The phone-facing HTTP server: join page, signaling WebSocket, static files.

Routes, headers and the device rule are those of ``docs/LIVE_LINK.md``. The
server knows nothing of WebRTC: an offer is handed to a
:class:`SignalingBackend` (the engine) that answers it. Tokens never reach a
log: the access log is off, aiohttp's own error logging (which can quote the
request line) is replaced, and only ``token_tag`` is ever logged.

It faces the internet, so it defends itself (numbers in ``docs/RELIABILITY.md``):
failed token checks are rate-limited per address (:mod:`inspector.ratelimit`),
but a valid token is always admitted (someone else behind the same address may
have failed); connections are capped per address and in all, with the last
slots kept for addresses holding few; a connection that has not completed a
request within ``IDLE_TIMEOUT`` is closed (slow clients), one whose answer makes
no progress for ``WRITE_TIMEOUT`` is cut (slow readers), a plain HTTP
connection lives at most ``CONNECTION_LIFETIME``, and one that queues more
than ``MAX_PIPELINED`` requests is cut; TLS handshakes have a deadline,
request lines and headers are small, and no request may carry a body. Every
response, aiohttp's own error pages included, carries the security headers.

It never waits on the database: tokens are checked against the valid ones kept
in memory (:meth:`Invitations.known`), reloaded every ``TOKEN_REFRESH_SECONDS``
in a worker thread. A token memory does not know (one issued by another
process a moment ago, or a guess) is looked up in the store by a small thread
pool of its own, so a flood of guesses cannot take the engine's workers; a
blocked address gets its 429 without any lookup, and lookups in flight count
against an address's budget of failures, so concurrent guesses cannot
overrun it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import json
import logging
import math
import os
import re
import secrets
import ssl
import stat
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiohttp import WSMsgType, web
from aiohttp.web_protocol import RequestHandler

from inspector.assets import assets_dir as default_assets_dir
from inspector.config import IceServer
from inspector.live.ratelimit import ConnectionGate, FailureLimiter, RequestRate, address_key
from inspector.live.tokens import InvalidToken, Invitations, token_tag

__all__ = [
    "CONNECTION_LIFETIME",
    "CSP",
    "DEVICE_COOKIE",
    "FEW_CONNECTIONS",
    "GRACE_SECONDS",
    "IDLE_TIMEOUT",
    "MAX_CONNECTIONS",
    "MAX_CONNECTIONS_PER_ADDRESS",
    "MAX_PIPELINED",
    "MAX_SDP",
    "MAX_SIGNALING_ERRORS",
    "MAX_SOCKETS_PER_DEVICE",
    "RESERVED_CONNECTIONS",
    "TOKEN_RECHECK_SECONDS",
    "TOKEN_REFRESH_SECONDS",
    "TRUSTED_PROXIES",
    "WRITE_TIMEOUT",
    "PhoneServer",
    "SignalingBackend",
    "SignalingError",
]

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self' wss: ws:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DEVICE_COOKIE = "device"
GRACE_SECONDS = 10.0
MAX_SDP = 100_000
MAX_SIGNALING_ERRORS = 3
MAX_REQUEST_BODY = 1024  # nothing is uploaded over HTTP: any body is refused (413)
MAX_WS_MESSAGE = 128 * 1024
#: A connection is closed when it has not completed a request (or, between requests,
#: sent a new one) for this long: a client trickling header bytes cannot hold it open.
IDLE_TIMEOUT = 10.0
#: A connection with answer bytes waiting that the client has not taken any of for this
#: long is cut: a client that never reads cannot hold a slot with a stuck response.
WRITE_TIMEOUT = 10.0
#: A plain HTTP connection is closed after this long whatever it does (a phone's page
#: loads in seconds); a signaling WebSocket opened with a valid token is exempt.
CONNECTION_LIFETIME = 60.0
#: Requests one connection may queue behind the one being answered (browsers do not
#: pipeline); more and the connection is cut.
MAX_PIPELINED = 4
TLS_HANDSHAKE_TIMEOUT = 5.0
#: Connections the kernel may hold for us to accept. A flood that reconnects as fast as
#: it is cut must not fill it: a phone's connection attempt dropped there is retried by
#: its TCP stack only a second later.
ACCEPT_BACKLOG = 1024
MAX_LINE_SIZE = 4096  # request line (a join URL is about 50 bytes)
MAX_FIELD_SIZE = 4096  # one header line
MAX_HEADERS = 48  # header lines per request (a phone browser sends about 15)
MAX_CONNECTIONS_PER_ADDRESS = 16  # a phone page needs a handful (page, files, WebSocket)
MAX_CONNECTIONS = 512
#: The last slots go only to addresses holding fewer than FEW_CONNECTIONS: however many
#: addresses a flood comes from, a new phone still finds room.
RESERVED_CONNECTIONS = 128
FEW_CONNECTIONS = 4
MAX_SOCKETS_PER_DEVICE = 4  # signaling sockets one device may hold on an inspection
#: How often an open signaling socket re-checks its token (revoked elsewhere, expired);
#: a check reads memory, which ``TOKEN_REFRESH_SECONDS`` keeps in step with the store.
TOKEN_RECHECK_SECONDS = 2.0
TOKEN_REFRESH_SECONDS = 1.0
#: How often connections are checked against WRITE_TIMEOUT and CONNECTION_LIFETIME.
_WATCH_INTERVAL = 0.5
#: Peers whose ``X-Forwarded-For`` (last entry) is believed: a reverse proxy on this host.
TRUSTED_PROXIES = ("127.0.0.1", "::1")
_DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_STATIC_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
_OVERLAY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
}

_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><h1>{fr}</h1><p lang="en">{en}</p></body></html>
"""
_INVALID_PAGE = _PAGE.format(
    title="Lien non valide / Link not valid",
    fr="Ce lien n'est pas valide.",
    en="This link is not valid.",
)
_IN_USE_PAGE = _PAGE.format(
    title="Déjà en cours / Already in use",
    fr="Cette inspection est déjà ouverte sur un autre téléphone.",
    en="This inspection is already open on another phone.",
)
_MISSING_PAGE = _PAGE.format(
    title="Indisponible / Unavailable",
    fr="La page n'est pas installée.",
    en="The phone page is not installed.",
)
_TOO_MANY_PAGE = _PAGE.format(
    title="Trop de tentatives / Too many attempts",
    fr="Trop de tentatives. Réessayez dans quelques minutes.",
    en="Too many attempts. Please try again in a few minutes.",
)
_NO_BODY_PAGE = _PAGE.format(
    title="Refusé / Refused",
    fr="Cette requête n'est pas acceptée.",
    en="This request is not accepted.",
)
_ERROR_PAGE = _PAGE.format(
    title="Erreur / Error",
    fr="Une erreur est survenue. Réessayez.",
    en="Something went wrong. Please try again.",
)
_BAD_REQUEST_PAGE = _PAGE.format(
    title="Requête invalide / Bad request",
    fr="Requête invalide.",
    en="Bad request.",
)


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


@dataclass
class _Holder:
    device: str
    left_at: float = field(default_factory=time.monotonic)
    # Ordered (oldest first) so the oldest can make room: a dict used as an ordered set.
    sockets: dict[web.WebSocketResponse, None] = field(default_factory=dict)


class PhoneServer:
    """The aiohttp application and its lifecycle (``start``/``close``)."""

    def __init__(
        self,
        invitations: Invitations,
        backend: SignalingBackend,
        *,
        ice_servers: Sequence[IceServer] = (),
        ssl_context: ssl.SSLContext | None = None,
        secure_cookies: bool | None = None,
        assets: Path | None = None,
        grace_seconds: float = GRACE_SECONDS,
        limiter: FailureLimiter | None = None,
        requests: RequestRate | None = None,
        trusted_proxies: Sequence[str] = TRUSTED_PROXIES,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections_per_address: int = MAX_CONNECTIONS_PER_ADDRESS,
        max_connections: int = MAX_CONNECTIONS,
        token_recheck_seconds: float | None = None,
        write_timeout: float = WRITE_TIMEOUT,
        connection_lifetime: float = CONNECTION_LIFETIME,
        reserved_connections: int = RESERVED_CONNECTIONS,
    ) -> None:
        self.invitations = invitations
        self.backend = backend
        self.ice_servers = tuple(ice_servers)
        self.ssl_context = ssl_context
        self.https = ssl_context is not None
        self.secure_cookies = self.https if secure_cookies is None else secure_cookies
        self.grace_seconds = grace_seconds
        self.limiter = limiter if limiter is not None else FailureLimiter()
        self.requests = requests if requests is not None else RequestRate()
        self.trusted_proxies = frozenset(address_key(a) for a in trusted_proxies)
        self.idle_timeout = idle_timeout
        self.token_recheck_seconds = (
            TOKEN_RECHECK_SECONDS if token_recheck_seconds is None else token_recheck_seconds
        )
        self.write_timeout = write_timeout
        self.connection_lifetime = connection_lifetime
        self.gate = ConnectionGate(
            max_connections_per_address,
            max_connections,
            exempt=self.trusted_proxies,
            reserve=min(reserved_connections, max_connections - 1),
            few=FEW_CONNECTIONS,
        )
        self.connections: set[_GuardedHandler] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._refreshing: asyncio.Future[None] | None = None
        self._lookups: dict[str, int] = {}  # store lookups in flight per address
        self._token_pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.gate_logged_at = -1e9
        root = Path(assets) if assets is not None else default_assets_dir()
        self.phone_dir = root / "phone"
        self.overlays_dir = root / "overlays"
        self.static_names = _allow_list(self.phone_dir)
        self._files = _Files()
        self._holders: dict[str, _Holder] = {}
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.app = self._make_app()

    # -- application --------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_REQUEST_BODY, middlewares=[_errors_as_pages, _no_body]
        )
        app.router.add_get("/j/{token}", self._join)
        app.router.add_get("/ws/{token}", self._signaling)
        app.router.add_get("/static/overlays/{name}", self._overlay)
        app.router.add_get("/static/{name}", self._static)
        app.on_response_prepare.append(self._headers)
        return app

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        _security_headers(response, self.https)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; returns the actual port (``port=0`` picks a free one)."""
        self._token_pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="tokens")
        await self.refresh_tokens()  # a failure here is a failure to start: say it now
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = _GuardedSite(runner, self, host, port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = site.bound_port if site.bound_port is not None else port
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._refresh_loop(), name="token-refresh"),
            loop.create_task(self._watch_loop(), name="connection-watch"),
        ]
        return self.port

    async def close(self) -> None:
        """Close every WebSocket and stop listening."""
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        if self._token_pool is not None:
            self._token_pool.shutdown(wait=False, cancel_futures=True)
        sockets = [ws for h in self._holders.values() for ws in h.sockets]
        if sockets:
            await asyncio.wait(
                [asyncio.ensure_future(_close_ws(ws)) for ws in sockets], timeout=2.0
            )
        self._holders.clear()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runner.cleanup(), 5.0)

    async def disconnect(self, inspection_id: str) -> None:
        """Close the phone's sockets of an inspection (revoked, ended) and forget its holder."""
        holder = self._holders.pop(inspection_id, None)
        if holder is not None:
            for ws in list(holder.sockets):
                await _close_ws(ws)

    # -- tokens, off the loop -------------------------------------------------

    async def refresh_tokens(self) -> None:
        """Reload the valid tokens in a worker thread; concurrent callers share one reload."""
        if self._refreshing is None or self._refreshing.done():
            loop = asyncio.get_running_loop()
            self._refreshing = loop.run_in_executor(self._token_pool, self.invitations.refresh)
            # Read by whoever waits; retrieved here too so a failure nobody awaited is quiet.
            self._refreshing.add_done_callback(lambda f: f.cancelled() or f.exception())
        await asyncio.shield(self._refreshing)

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(TOKEN_REFRESH_SECONDS)
            try:
                await self.refresh_tokens()
            except Exception as exc:  # keep serving from what memory knows
                log.warning("cannot reload the join tokens: %s", exc)

    # -- slow readers and long connections ---------------------------------------

    async def _watch_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(_WATCH_INTERVAL)
            now = loop.time()
            for handler in list(self.connections):
                handler.watch(now, self.write_timeout, self.connection_lifetime)

    # -- who is asking ------------------------------------------------------

    def client_key(self, request: web.Request) -> str:
        """The address limits are counted by (the proxy's client when it is trusted)."""
        key = address_key(request.remote)
        if key in self.trusted_proxies:
            forwarded = request.headers.get("X-Forwarded-For", "")
            last = forwarded.rsplit(",", 1)[-1].strip()
            if last:
                try:
                    ipaddress.ip_address(last)
                except ValueError:
                    return key
                return address_key(last)
        return key

    # -- the device rule ----------------------------------------------------

    def _conflict(self, inspection_id: str, device: str | None) -> bool:
        """Whether another device holds the inspection right now."""
        holder = self._holders.get(inspection_id)
        if holder is None or holder.device == device:
            return False
        if holder.sockets:
            return True
        last = max(holder.left_at, self.backend.last_seen(inspection_id) or 0.0)
        return time.monotonic() - last < self.grace_seconds

    # -- handlers -----------------------------------------------------------

    async def _authorize(self, request: web.Request) -> str | web.Response:
        """The inspection the token opens, or the refusal to send (404, 429, 503).

        A valid token is always admitted, even from an address blocked for failures:
        sellers behind a carrier's NAT or a dealership's Wi-Fi share an address with
        strangers, and a 256-bit token cannot be guessed, so admitting it tells a
        guesser nothing. A blocked address with any other token gets its 429 from
        memory alone: no database, no reload.
        """
        token = request.match_info["token"]
        inspection_id = self.invitations.known(token)
        if inspection_id is not None:
            return inspection_id
        key = self.client_key(request)
        left = self.limiter.blocked(key)
        if left:
            return _too_many(left)
        in_flight = self._lookups.get(key, 0)
        if self.limiter.recent(key) + in_flight >= self.limiter.limit:
            return _too_many(1.0)  # as many guesses on their way as the budget allows
        self._lookups[key] = in_flight + 1
        try:  # perhaps issued by another process since the last reload
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._token_pool, self.invitations.check, token)
        except InvalidToken:
            if self.limiter.failure(key):
                log.warning("too many invalid links from %s: refused for a while", key)
            return _page(_INVALID_PAGE, 404)
        except Exception as exc:
            log.warning("cannot check a link right now: %s", exc)
            return _page(_ERROR_PAGE, 503)
        finally:
            if self._lookups[key] <= 1:
                del self._lookups[key]
            else:
                self._lookups[key] -= 1

    async def _join(self, request: web.Request) -> web.StreamResponse:
        inspection_id = await self._authorize(request)
        if isinstance(inspection_id, web.Response):
            return inspection_id
        device = _device(request)
        if self._conflict(inspection_id, device):
            return _page(_IN_USE_PAGE, 409)
        index = self.phone_dir / "index.html"
        try:
            body = index.read_bytes()
        except OSError:
            log.error("phone page missing: %s", index)
            return _page(_MISSING_PAGE, 503)
        response = web.Response(body=body, content_type="text/html", charset="utf-8")
        if device is None:
            response.set_cookie(
                DEVICE_COOKIE,
                secrets.token_urlsafe(24),
                path="/",
                httponly=True,
                samesite="Strict",
                secure=self.secure_cookies,
            )
        return response

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self.static_names:
            raise web.HTTPNotFound()
        return self._files.response(self.phone_dir, name)

    async def _overlay(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        stem = name[:-4] if name.endswith(".svg") else ""
        if not _OVERLAY_RE.match(stem):
            raise web.HTTPNotFound()
        return self._files.response(self.overlays_dir, name)

    async def _signaling(self, request: web.Request) -> web.StreamResponse:
        inspection_id = await self._authorize(request)
        if isinstance(inspection_id, web.Response):
            return inspection_id
        device = _device(request) or f"anon-{secrets.token_urlsafe(12)}"
        if self._conflict(inspection_id, device):
            return _page(_IN_USE_PAGE, 409)
        token = request.match_info["token"]
        tag = token_tag(token)
        ws = web.WebSocketResponse(max_msg_size=MAX_WS_MESSAGE, heartbeat=20.0)
        await ws.prepare(request)
        if isinstance(request.protocol, _GuardedHandler):
            request.protocol.long_lived = True  # a phone's session, with a valid token
        holder = self._holders.get(inspection_id)
        if holder is None or holder.device != device:
            if holder is not None:  # the previous device is long gone: take over
                for old in list(holder.sockets):
                    await _close_ws(old)
            holder = _Holder(device)
            self._holders[inspection_id] = holder
        while len(holder.sockets) >= MAX_SOCKETS_PER_DEVICE:  # the oldest make room
            oldest = next(iter(holder.sockets))
            holder.sockets.pop(oldest, None)
            await _close_ws(oldest)
        holder.sockets[ws] = None
        log.info("phone signaling open (token %s)", tag)
        try:
            await self._signaling_loop(ws, inspection_id, device, token, tag)
        finally:
            holder.sockets.pop(ws, None)
            holder.left_at = time.monotonic()
            log.info("phone signaling closed (token %s)", tag)
        return ws

    def _still_valid(self, token: str, inspection_id: str) -> bool:
        return self.invitations.known(token) == inspection_id

    async def _signaling_loop(
        self,
        ws: web.WebSocketResponse,
        inspection_id: str,
        device: str,
        token: str,
        tag: str,
    ) -> None:
        await ws.send_json(
            {
                "type": "config",
                "ice_servers": [s.to_dict() for s in self.ice_servers],
                "mode": self.backend.mode(inspection_id),
            }
        )
        errors = 0

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
                await self.backend.bye(inspection_id, device)
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
                    answer = await self.backend.offer(inspection_id, sdp, device)
                except SignalingError as exc:
                    if not await refuse(str(exc)[:200]):
                        return
                    continue
                except Exception:
                    log.exception("answering an offer failed (token %s)", tag)
                    if not await refuse("the offer could not be answered"):
                        return
                    continue
                await ws.send_json({"type": "answer", "sdp": answer})
            elif kind == "bye":
                await self.backend.bye(inspection_id, device)
                await ws.close()
                return
            elif not await refuse("unknown message type"):
                return


class _GuardedHandler(RequestHandler):
    """aiohttp's connection handler with the connection gate and quiet, headed error pages.

    aiohttp's own error pages (malformed request, header too large, ...) are made
    here, before any route: they get the security headers and a plain body, and the
    parser's message (which can quote the request line, token included) is never
    logged nor echoed.
    """

    __slots__ = (
        "_born",
        "_gate_key",
        "_guard_owner",
        "_stall_bytes",
        "_stalled_since",
        "long_lived",
    )

    def __init__(self, manager: web.Server, owner: PhoneServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard_owner = owner
        self._gate_key: str | None = None
        self._born = 0.0
        self._stalled_since: float | None = None
        self._stall_bytes = 0
        #: A signaling WebSocket opened with a valid token: no lifetime limit.
        self.long_lived = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        key = address_key(str(peer[0]) if isinstance(peer, tuple) and peer else None)
        if self._guard_owner.gate.acquire(key):
            self._gate_key = key
            self._born = asyncio.get_running_loop().time()
            self._guard_owner.connections.add(self)
        else:
            owner = self._guard_owner
            now = time.monotonic()
            if now - owner.gate_logged_at > 10.0:  # a flood must not flood the log too
                owner.gate_logged_at = now
                log.warning("connections from %s refused: too many open connections", key)
            if isinstance(transport, asyncio.Transport):
                transport.abort()
            else:  # pragma: no cover - TCP and TLS transports are Transports
                transport.close()

    def connection_lost(self, exc: BaseException | None) -> None:
        key, self._gate_key = self._gate_key, None
        if key is not None:
            self._guard_owner.gate.release(key)
        self._guard_owner.connections.discard(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        queued = getattr(self, "_messages", ())  # aiohttp's parsed requests not yet handled
        before = len(queued)
        super().data_received(data)
        if len(queued) > MAX_PIPELINED:
            self._cut(f"more than {MAX_PIPELINED} pipelined requests")
            return
        key = self._gate_key
        owner = self._guard_owner
        if key is None or key in owner.trusted_proxies:
            return  # the proxy's requests are many phones': counted by the proxy, not here
        for _ in range(len(queued) - before):
            if not owner.requests.allow(key):
                self._cut("too many requests from its address")
                return

    def watch(self, now: float, write_timeout: float, lifetime: float) -> None:
        """Cut the connection if its answer is stuck or it has lived too long."""
        transport = self.transport
        if transport is None:
            return
        pending = transport.get_write_buffer_size()
        if pending == 0:
            self._stalled_since = None
        elif self._stalled_since is None or pending < self._stall_bytes:
            self._stalled_since = now  # bytes waiting, or the client took some: a new start
        self._stall_bytes = pending
        if self._stalled_since is not None and now - self._stalled_since > write_timeout:
            self._cut(f"answer not read for {write_timeout:g} s")
        elif not self.long_lived and now - self._born > lifetime:
            self._cut(f"connection older than {lifetime:g} s")

    def _cut(self, why: str) -> None:
        """Close at once, dropping unsent bytes (a graceful close would wait for a reader)."""
        log.debug("connection from %s cut: %s", self._gate_key, why)
        transport = self.transport
        self.force_close()
        if transport is not None:
            transport.abort()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            log.error("internal error handling a request (HTTP %d)", status, exc_info=exc)
        else:
            log.debug("malformed request refused (HTTP %d)", status)
        if request.writer.output_size > 0:
            raise ConnectionError("response already started: cannot send an error page")
        response = _page(_BAD_REQUEST_PAGE if status < 500 else _ERROR_PAGE, status)
        _security_headers(response, self._guard_owner.https)
        response.force_close()
        return response


class _GuardedSite(web.BaseSite):
    """A TCP site (TLS in LAN mode) whose connections are :class:`_GuardedHandler`."""

    def __init__(self, runner: web.AppRunner, owner: PhoneServer, host: str, port: int) -> None:
        super().__init__(runner, ssl_context=owner.ssl_context)
        self._owner = owner
        self._host = host
        self._port = port
        self.bound_port: int | None = None

    @property
    def name(self) -> str:
        scheme = "https" if self._owner.https else "http"
        return f"{scheme}://{self._host}:{self.bound_port or self._port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        manager = self._runner.server
        assert manager is not None
        owner = self._owner

        def factory() -> _GuardedHandler:
            return _GuardedHandler(
                manager,
                owner,
                loop=loop,
                access_log=None,
                keepalive_timeout=owner.idle_timeout,
                max_line_size=MAX_LINE_SIZE,
                max_field_size=MAX_FIELD_SIZE,
                max_headers=MAX_HEADERS,
                lingering_time=1.0,
            )

        server = await loop.create_server(
            factory,
            self._host,
            self._port,
            ssl=owner.ssl_context,
            ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT if owner.https else None,
            backlog=ACCEPT_BACKLOG,
            reuse_address=True,
        )
        self._server = server
        sockets = server.sockets
        self.bound_port = int(sockets[0].getsockname()[1]) if sockets else self._port


def _security_headers(response: web.StreamResponse, https: bool) -> None:
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["X-Frame-Options"] = "DENY"
    h["Cache-Control"] = "no-store"
    h["Permissions-Policy"] = "camera=(self)"
    h["Server"] = "inspector"  # not aiohttp's name and version
    if https:
        h["Strict-Transport-Security"] = "max-age=31536000"


def _too_many(seconds_left: float) -> web.Response:
    response = _page(_TOO_MANY_PAGE, 429)
    response.headers["Retry-After"] = str(max(1, math.ceil(seconds_left)))
    return response


async def _close_ws(ws: web.WebSocketResponse) -> None:
    with contextlib.suppress(Exception):
        if not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json({"type": "bye"})
            await asyncio.wait_for(ws.close(code=1001, message=b"going away"), 2.0)


def _allow_list(folder: Path) -> frozenset[str]:
    """The phone page's files that may be served, fixed when the server is made."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return frozenset()
    return frozenset(
        p.name
        for p in entries
        if _STATIC_RE.match(p.name)
        and p.suffix.lower() in _TYPES
        and p.is_file()
        and not p.is_symlink()
    )


def _device(request: web.Request) -> str | None:
    value = request.cookies.get(DEVICE_COOKIE)
    return value if value and _DEVICE_RE.match(value) else None


def _page(html: str, status: int) -> web.Response:
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


class _Files:
    """The phone page's files, kept in memory once read (one ``lstat`` a request).

    A flood of GETs then costs no reads; a file changed on disk is read again.
    Small files only, and a bounded number of them.
    """

    MAX_FILE = 1024 * 1024
    MAX_FILES = 512

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[int, int, bytes]] = {}

    def response(self, folder: Path, name: str) -> web.StreamResponse:
        """A regular file directly inside ``folder`` with a known type, or 404."""
        suffix = Path(name).suffix.lower()
        ctype = _TYPES.get(suffix)
        path = folder / name
        if ctype is None or path.parent != folder:
            raise web.HTTPNotFound()
        try:
            st = os.lstat(path)  # a symlink is not a regular file here
        except OSError:
            raise web.HTTPNotFound() from None
        if not stat.S_ISREG(st.st_mode):
            raise web.HTTPNotFound()
        cached = self._cache.get(path)
        if cached is not None and cached[:2] == (st.st_mtime_ns, st.st_size):
            body = cached[2]
        else:
            try:
                body = path.read_bytes()
            except OSError:
                raise web.HTTPNotFound() from None
            if len(body) <= self.MAX_FILE:
                if len(self._cache) >= self.MAX_FILES:
                    self._cache.clear()
                self._cache[path] = (st.st_mtime_ns, st.st_size, body)
        charset = "utf-8" if ctype.startswith("text/") or suffix in (".svg", ".json") else None
        return web.Response(body=body, content_type=ctype, charset=charset)


@web.middleware
async def _no_body(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Nothing is uploaded over HTTP: a request with a body is refused before it is read."""
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if request.content_length or chunked:
        response = _page(_NO_BODY_PAGE, 413)
        response.force_close()
        return response
    return await handler(request)


@web.middleware
async def _errors_as_pages(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Plain bilingual pages for 404/405; nothing about the server leaks."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return _page(_INVALID_PAGE if request.path.startswith("/j/") else _not_found(), 404)
    except web.HTTPMethodNotAllowed:
        return _page(_not_found(), 405)


def _not_found() -> str:
    return _PAGE.format(title="Introuvable / Not found", fr="Page introuvable.", en="Not found.")
