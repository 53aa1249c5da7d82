"""What the internet-facing phone server holds every connection to.

Connections are capped per address and in all, with the last slots kept for
addresses holding few (:class:`~inspector.live.server.ratelimit.ConnectionGate`);
requests per address are rate-limited; a connection that has not completed a
request within ``IDLE_TIMEOUT`` is closed (slow clients), one whose answer
makes no progress for ``WRITE_TIMEOUT`` is cut (slow readers), a plain HTTP
connection lives at most ``CONNECTION_LIFETIME``, and one that queues more than
``MAX_PIPELINED`` requests is cut; TLS handshakes have a deadline, request
lines and headers are small, and no request may carry a body. Every response,
aiohttp's own error pages included, carries the security headers.

aiohttp offers no hook for most of this, so the connection handler and the
site are aiohttp's own, subclassed (:class:`GuardedHandler`,
:class:`GuardedSite`); the limits and the open connections are kept by one
:class:`ConnectionGuard` per server.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from inspector.live.server.pages import refusal
from inspector.live.server.proxies import TrustedProxies
from inspector.live.server.ratelimit import ConnectionGate, RequestRate, address_key
from inspector.live.timings import TLS_HANDSHAKE_TIMEOUT, WATCH_INTERVAL

__all__ = [
    "CSP",
    "FEW_CONNECTIONS",
    "MAX_CONNECTIONS",
    "MAX_CONNECTIONS_PER_ADDRESS",
    "MAX_PIPELINED",
    "MAX_REQUEST_BODY",
    "RESERVED_CONNECTIONS",
    "ConnectionGuard",
    "GuardedHandler",
    "GuardedSite",
    "no_body",
    "security_headers",
]

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self' wss: ws:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
MAX_REQUEST_BODY = 1024  # nothing is uploaded over HTTP: any body is refused (413)
#: Requests one connection may queue behind the one being answered (browsers do not
#: pipeline); more and the connection is cut.
MAX_PIPELINED = 4
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
#: A refused connection is logged at most this often (a flood must not flood the log).
_GATE_LOG_INTERVAL = 10.0


def security_headers(response: web.StreamResponse, https: bool) -> None:
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


@web.middleware
async def no_body(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Nothing is uploaded over HTTP: a request with a body is refused before it is read."""
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if request.content_length or chunked:
        response = refusal(request, "not_found", 413, actions=False)
        response.force_close()
        return response
    return await handler(request)


class ConnectionGuard:
    """One server's connection limits and deadlines, and the connections open now."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None,
        requests: RequestRate,
        trusted_proxies: TrustedProxies,
        idle_timeout: float,
        write_timeout: float,
        connection_lifetime: float,
        max_connections_per_address: int,
        max_connections: int,
        reserved_connections: int,
    ) -> None:
        self.ssl_context = ssl_context
        self.https = ssl_context is not None
        self.requests = requests
        self.trusted_proxies = trusted_proxies
        self.idle_timeout = idle_timeout
        self.write_timeout = write_timeout
        self.connection_lifetime = connection_lifetime
        self.gate = ConnectionGate(
            max_connections_per_address,
            max_connections,
            reserve=min(reserved_connections, max_connections - 1),
            few=FEW_CONNECTIONS,
        )
        self.connections: set[GuardedHandler] = set()
        self.gate_logged_at = -1e9

    async def watch_loop(self) -> None:
        """Cut stuck answers and old connections (until cancelled)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            now = loop.time()
            for handler in list(self.connections):
                handler.watch(now, self.write_timeout, self.connection_lifetime)


class GuardedHandler(RequestHandler):
    """aiohttp's connection handler with the connection gate and quiet, headed error pages.

    aiohttp's own error pages (malformed request, header too large, ...) are made
    here, before any route: they get the security headers and a plain body, and the
    parser's message (which can quote the request line, token included) is never
    logged nor echoed.
    """

    __slots__ = (
        "_born",
        "_gate_key",
        "_guard",
        "_proxy",
        "_stall_bytes",
        "_stalled_since",
        "_vouched",
        "long_lived",
    )

    def __init__(self, manager: web.Server, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard = guard
        self._gate_key: str | None = None
        #: The peer is a trusted reverse proxy: its connections carry many phones.
        self._proxy = False
        self._born = 0.0
        self._stalled_since: float | None = None
        self._stall_bytes = 0
        #: A session socket or a logged-in user's transfer: no lifetime limit.
        self.long_lived = False
        #: Counted in the total only, not against its address (see :meth:`vouch`).
        self._vouched = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else None
        key = address_key(address)
        guard = self._guard
        proxy = guard.trusted_proxies.trusts(address)
        if guard.gate.acquire(key, exempt=proxy):
            self._gate_key = key
            self._proxy = proxy
            self._born = asyncio.get_running_loop().time()
            guard.connections.add(self)
        else:
            now = time.monotonic()
            if now - guard.gate_logged_at > _GATE_LOG_INTERVAL:
                guard.gate_logged_at = now
                log.warning("connections from %s refused: too many open connections", key)
            if isinstance(transport, asyncio.Transport):
                transport.abort()
            else:  # pragma: no cover - TCP and TLS transports are Transports
                transport.close()

    def vouch(self) -> None:
        """This connection is a phone's signaling socket, opened with a valid link (at
        most ``MAX_SOCKETS_PER_DEVICE`` per inspection): no lifetime limit, and it leaves
        its address's count, so sellers sharing one carrier-grade NAT address are not
        refused for each other's calls. The address's slots stay for page loads and
        connections not yet proved. (A logged-in user's sockets are not vouched for: one
        account could open them by the hundred; behind the reverse proxy, the deployment
        DEPLOYMENT describes, no address cap applies to them anyway.)"""
        self.long_lived = True
        key = self._gate_key
        if key is not None and not self._vouched and not self._proxy:
            self._vouched = self._guard.gate.vouch(key)

    def connection_lost(self, exc: BaseException | None) -> None:
        key, self._gate_key = self._gate_key, None
        if key is not None:
            if self._vouched:
                self._guard.gate.release_vouched()
            else:
                self._guard.gate.release(key)
        self._guard.connections.discard(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        queued = getattr(self, "_messages", ())  # aiohttp's parsed requests not yet handled
        before = len(queued)
        super().data_received(data)
        if len(queued) > MAX_PIPELINED:
            self._cut(f"more than {MAX_PIPELINED} pipelined requests")
            return
        key = self._gate_key
        guard = self._guard
        if key is None or self._proxy:
            return  # the proxy's requests are many phones': counted by the proxy, not here
        for _ in range(len(queued) - before):
            if not guard.requests.allow(key):
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
        if status < 500:
            response = refusal(request, "not_found", status, actions=False)
        else:
            response = refusal(request, "error", status)
        security_headers(response, self._guard.https)
        response.force_close()
        return response


class GuardedSite(web.BaseSite):
    """A TCP site (TLS in LAN mode) whose connections are :class:`GuardedHandler`."""

    def __init__(self, runner: web.AppRunner, guard: ConnectionGuard, host: str, port: int) -> None:
        super().__init__(runner, ssl_context=guard.ssl_context)
        self._guard = guard
        self._host = host
        self._port = port
        self.bound_port: int | None = None

    @property
    def name(self) -> str:
        scheme = "https" if self._guard.https else "http"
        return f"{scheme}://{self._host}:{self.bound_port or self._port}"

    def stop_listening(self) -> None:
        """Close the listening socket; open connections are left alone."""
        if self._server is not None:
            self._server.close()

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        manager = self._runner.server
        assert manager is not None
        guard = self._guard

        def factory() -> GuardedHandler:
            return GuardedHandler(
                manager,
                guard,
                loop=loop,
                access_log=None,
                keepalive_timeout=guard.idle_timeout,
                max_line_size=MAX_LINE_SIZE,
                max_field_size=MAX_FIELD_SIZE,
                max_headers=MAX_HEADERS,
                lingering_time=1.0,
            )

        server = await loop.create_server(
            factory,
            self._host,
            self._port,
            ssl=guard.ssl_context,
            ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT if guard.https else None,
            backlog=ACCEPT_BACKLOG,
            reuse_address=True,
        )
        self._server = server
        sockets = server.sockets
        self.bound_port = int(sockets[0].getsockname()[1]) if sockets else self._port
