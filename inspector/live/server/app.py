"""The phone server's routes and lifecycle: join page, signaling, static files.

Routes and headers are those of ``docs/LIVE_LINK.md``. Tokens never reach a
log: the access log is off, aiohttp's own error logging (which can quote the
request line) is replaced (:mod:`.guards`), and only ``token_tag`` is ever
logged.

Failed token checks are rate-limited per address (:mod:`.ratelimit`), but a
valid token is always admitted (someone else behind the same address may have
failed). The server never waits on the database: tokens are checked against
the valid ones kept in memory (:meth:`Invitations.known`), reloaded every
``TOKEN_REFRESH_SECONDS`` in a worker thread. A token memory does not know
(one issued by another process a moment ago, or a guess) is looked up in the
store by a small thread pool of its own, so a flood of guesses cannot take
the engine's workers; a blocked address gets its 429 without any lookup, and
lookups in flight count against an address's budget of failures, so
concurrent guesses cannot overrun it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import secrets
import ssl
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from aiohttp import web

from inspector.assets import assets_dir as default_assets_dir
from inspector.config import IceServer
from inspector.live.phone_words import phone_strings_json
from inspector.live.server.claims import SharedClaims
from inspector.live.server.files import OVERLAY_STEM, Files, allow_list
from inspector.live.server.guards import (
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_ADDRESS,
    MAX_REQUEST_BODY,
    RESERVED_CONNECTIONS,
    ConnectionGuard,
    GuardedSite,
    no_body,
    security_headers,
)
from inspector.live.server.pages import errors_as_pages, refusal, too_many
from inspector.live.server.proxies import LOOPBACK, TrustedProxies, origin_allowed
from inspector.live.server.ratelimit import ConnectionGate, FailureLimiter, RequestRate, address_key
from inspector.live.server.signaling import DEVICE_COOKIE, Signaling, SignalingBackend, device_of
from inspector.live.timings import (
    CLAIM_RENEW,
    CONNECTION_LIFETIME,
    GRACE_SECONDS,
    IDLE_TIMEOUT,
    TOKEN_RECHECK_SECONDS,
    TOKEN_REFRESH_SECONDS,
    WRITE_TIMEOUT,
)
from inspector.live.tokens import InvalidToken, Invitations

__all__ = ["CALL_COOKIE", "SERVER_KEY", "STRINGS_SLOT", "PhoneServer"]

CALL_COOKIE = "inspector_call"
"""The join page's cookie naming the inspection (``Path=/ws/``): what a reverse proxy
hashes the signaling socket on, to meet the operator's console on one process."""

STRINGS_SLOT = b'<script id="phone-strings" type="application/json"></script>'
"""Where the phone page (index.html) takes its words; the server fills it in."""

log = logging.getLogger(__name__)


class PhoneServer:
    """The aiohttp application and its lifecycle (``start``/``close``)."""

    def __init__(
        self,
        invitations: Invitations,
        backend: SignalingBackend,
        *,
        ice_servers: Sequence[IceServer] | Callable[[str], Sequence[IceServer]] = (),
        ssl_context: ssl.SSLContext | None = None,
        secure_cookies: bool | None = None,
        assets: Path | None = None,
        grace_seconds: float = GRACE_SECONDS,
        ask_recording: bool = False,
        limiter: FailureLimiter | None = None,
        requests: RequestRate | None = None,
        trusted_proxies: Sequence[str] | TrustedProxies = LOOPBACK,
        public_url: str | None = None,
        extend: Callable[[web.Application], None] | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections_per_address: int = MAX_CONNECTIONS_PER_ADDRESS,
        max_connections: int = MAX_CONNECTIONS,
        token_recheck_seconds: float | None = None,
        write_timeout: float = WRITE_TIMEOUT,
        connection_lifetime: float = CONNECTION_LIFETIME,
        reserved_connections: int = RESERVED_CONNECTIONS,
        claims: SharedClaims | None = None,
        on_claim_lost: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.invitations = invitations
        #: The device rule shared with the other processes on the database (None: this
        #: process alone serves its inspections); ``on_claim_lost`` ends a call whose
        #: inspection another process's device took (see :mod:`.claims`).
        self.claims = claims
        self._on_claim_lost = on_claim_lost
        self.backend = backend
        self.https = ssl_context is not None
        self.secure_cookies = self.https if secure_cookies is None else secure_cookies
        self.limiter = limiter if limiter is not None else FailureLimiter()
        self.trusted_proxies = (
            trusted_proxies
            if isinstance(trusted_proxies, TrustedProxies)
            else TrustedProxies(trusted_proxies)
        )
        #: WebSocket upgrades must come from this origin (else the served one's).
        self.public_url = public_url
        self._extend = extend
        self.guard = ConnectionGuard(
            ssl_context=ssl_context,
            requests=requests if requests is not None else RequestRate(),
            trusted_proxies=self.trusted_proxies,
            idle_timeout=idle_timeout,
            write_timeout=write_timeout,
            connection_lifetime=connection_lifetime,
            max_connections_per_address=max_connections_per_address,
            max_connections=max_connections,
            reserved_connections=reserved_connections,
        )
        self.signaling = Signaling(
            invitations,
            backend,
            ice_servers=ice_servers,
            grace_seconds=grace_seconds,
            token_recheck_seconds=(
                TOKEN_RECHECK_SECONDS if token_recheck_seconds is None else token_recheck_seconds
            ),
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._refreshing: asyncio.Future[None] | None = None
        self._lookups: dict[str, int] = {}  # store lookups in flight per address
        self._token_pool: concurrent.futures.ThreadPoolExecutor | None = None
        root = Path(assets) if assets is not None else default_assets_dir()
        self.phone_dir = root / "phone"
        self.overlays_dir = root / "overlays"
        self.static_names = allow_list(self.phone_dir)
        self.vendor_names = allow_list(self.phone_dir / "vendor")  # third-party, as released
        self._files = Files()
        self._runner: web.AppRunner | None = None
        self._site: GuardedSite | None = None
        self._strings: bytes | None = None
        self.ask_recording = ask_recording  # the page asks whether the call may be recorded
        self.port: int | None = None
        self.app = self._make_app()

    @property
    def gate(self) -> ConnectionGate:
        """The open connections, per address and in all."""
        return self.guard.gate

    # -- application --------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_REQUEST_BODY, middlewares=[errors_as_pages, no_body]
        )
        app.router.add_get("/j/{token}", self._join)
        app.router.add_get("/ws/{token}", self._signaling)
        app.router.add_get("/static/overlays/{name}", self._overlay)
        app.router.add_get("/static/vendor/{name}", self._vendor)
        app.router.add_get("/static/{name}", self._static)
        app.on_response_prepare.append(self._headers)
        app[SERVER_KEY] = self
        if self._extend is not None:  # the team server's routes and middlewares
            self._extend(app)
        return app

    def _strings_element(self) -> bytes:
        """The page's words from the catalogs, as the element i18n.js reads (made once)."""
        if self._strings is None:
            words = phone_strings_json(ask_recording=self.ask_recording)
            filled = f'<script id="phone-strings" type="application/json">{words}'
            self._strings = filled.encode() + b"</script>"
        return self._strings

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        security_headers(response, self.https)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; returns the actual port (``port=0`` picks a free one)."""
        self._token_pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="tokens")
        await self.refresh_tokens()  # a failure here is a failure to start: say it now
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = GuardedSite(runner, self.guard, host, port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._site = site
        self.port = site.bound_port if site.bound_port is not None else port
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._refresh_loop(), name="token-refresh"),
            loop.create_task(self.guard.watch_loop(), name="connection-watch"),
        ]
        if self.claims is not None:
            self._tasks.append(loop.create_task(self._claims_loop(), name="device-claims"))
        return self.port

    def stop_accepting(self) -> None:
        """Stop listening for new connections; those open go on (a graceful shutdown's first
        step: a proxy sends new phones to another server meanwhile)."""
        site = self._site
        if site is not None:
            site.stop_listening()

    async def close(self) -> None:
        """Close every WebSocket (each phone is told ``bye``: it reconnects) and stop."""
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        if self._token_pool is not None:
            self._token_pool.shutdown(wait=False, cancel_futures=True)
        await self.signaling.close()
        if self.claims is not None:
            for inspection_id in list(self.claims.held):  # another process may take them now
                await self.claims.release(inspection_id)
            self.claims.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runner.cleanup(), 5.0)

    async def disconnect(self, inspection_id: str) -> None:
        """Close the phone's sockets of an inspection (revoked, ended) and forget its holder."""
        await self.signaling.disconnect(inspection_id)

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

    # -- the device rule across processes --------------------------------------

    async def _claims_loop(self) -> None:
        assert self.claims is not None
        while True:
            await asyncio.sleep(CLAIM_RENEW)
            try:
                lost = await self.claims.renew(self.signaling.present())
                for inspection_id in lost:
                    log.warning("another device took an inspection over on another server")
                    await self.signaling.disconnect(inspection_id)
                    if self._on_claim_lost is not None:
                        await self._on_claim_lost(inspection_id)
            except Exception:  # the next round tries again
                log.exception("renewing the device claims failed")

    async def _claimed_elsewhere(self, inspection_id: str, device: str | None) -> bool:
        return self.claims is not None and await self.claims.held_elsewhere(inspection_id, device)

    # -- who is asking ------------------------------------------------------

    def client_address(self, request: web.BaseRequest) -> str | None:
        """The client's address: the peer's, or what a trusted proxy says it forwarded."""
        client = self.trusted_proxies.client(request.remote, request)
        return request.remote if client is None else client

    def client_key(self, request: web.BaseRequest) -> str:
        """The address limits are counted by (the proxy's client when it is trusted)."""
        return address_key(self.client_address(request))

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
            return too_many(request, left)
        in_flight = self._lookups.get(key, 0)
        if self.limiter.recent(key) + in_flight >= self.limiter.limit:
            return too_many(request, 1.0)  # as many guesses on their way as the budget allows
        self._lookups[key] = in_flight + 1
        try:  # perhaps issued by another process since the last reload
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._token_pool, self.invitations.check, token)
        except InvalidToken:
            if self.limiter.failure(key):
                log.warning("too many invalid links from %s: refused for a while", key)
            return refusal(request, "invalid", 404)
        except Exception as exc:
            log.warning("cannot check a link right now: %s", exc)
            return refusal(request, "error", 503)
        finally:
            if self._lookups[key] <= 1:
                del self._lookups[key]
            else:
                self._lookups[key] -= 1

    async def _join(self, request: web.Request) -> web.StreamResponse:
        inspection_id = await self._authorize(request)
        if isinstance(inspection_id, web.Response):
            return inspection_id
        device = device_of(request)
        new_device = None if device is not None else secrets.token_urlsafe(24)
        response = self._refused(request, inspection_id, device)
        if response is None and await self._claimed_elsewhere(inspection_id, device):
            language = self.backend.language(inspection_id)
            response = refusal(request, "in_use", 409, language=language)
        if response is None:
            response = self._page(request)
            # Which call this phone is on, for a reverse proxy in front of several server
            # processes to send its signaling where the operator's console is attached
            # (deploy/nginx/inspector.conf hashes /ws/ on it). Not a secret: an id.
            response.set_cookie(
                CALL_COOKIE,
                inspection_id,
                path="/ws/",
                httponly=True,
                samesite="Lax",
                secure=self.secure_cookies,
            )
        if new_device is not None:  # on a refusal too: the device may ask to take over
            response.set_cookie(
                DEVICE_COOKIE,
                new_device,
                path="/",
                httponly=True,
                # Lax, not Strict: a seller opens the link from a message or a mail (a
                # cross-site navigation) and must be known as the same phone then.
                samesite="Lax",
                secure=self.secure_cookies,
            )
        return response

    def _refused(
        self, request: web.Request, inspection_id: str, device: str | None
    ) -> web.Response | None:
        """The 409 page for a device the inspection is not for now (None: let it in)."""
        if not self.signaling.conflict(inspection_id, device):
            return None
        language = self.backend.language(inspection_id)
        if device is not None and "takeover" in request.query:
            answer = self.signaling.ask_takeover(inspection_id, device)
            if answer == "allowed":
                return None
            kind = "takeover_asked" if answer == "asked" else "takeover_declined"
            return refusal(request, kind, 409, language=language)
        self.signaling.forget_declined(inspection_id, device)
        return refusal(request, "in_use", 409, language=language)

    def _page(self, request: web.Request) -> web.Response:
        """The phone page with its words (or the error page if it is not installed)."""
        index = self.phone_dir / "index.html"
        try:
            body = index.read_bytes()
        except OSError:
            log.error("phone page missing: %s", index)
            return refusal(request, "error", 503)
        body = body.replace(STRINGS_SLOT, self._strings_element())
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self.static_names:
            raise web.HTTPNotFound()
        return self._files.response(self.phone_dir, name)

    async def _vendor(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self.vendor_names:
            raise web.HTTPNotFound()
        return self._files.response(self.phone_dir / "vendor", name)

    async def _overlay(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        stem = name[:-4] if name.endswith(".svg") else ""
        if not OVERLAY_STEM.match(stem):
            raise web.HTTPNotFound()
        return self._files.response(self.overlays_dir, name)

    async def _signaling(self, request: web.Request) -> web.StreamResponse:
        if not origin_allowed(request, self.public_url, self.https):
            log.warning("a signaling socket from another origin was refused")
            return refusal(request, "not_found", 403, actions=False)
        inspection_id = await self._authorize(request)
        if isinstance(inspection_id, web.Response):
            return inspection_id
        device = device_of(request) or f"anon-{secrets.token_urlsafe(12)}"
        if self.signaling.conflict(inspection_id, device) or (
            self.claims is not None and not await self.claims.take(inspection_id, device)
        ):
            return refusal(request, "in_use", 409, language=self.backend.language(inspection_id))
        return await self.signaling.serve(request, inspection_id, device)


#: The phone server an app belongs to (``request.app[SERVER_KEY]``): what added routes use.
SERVER_KEY = web.AppKey("phone_server", PhoneServer)
