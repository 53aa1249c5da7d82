"""The phone-facing HTTP server: join page, signaling WebSocket, static files.

Routes, headers and the device rule are those of ``docs/LIVE_LINK.md``. The
server knows nothing of WebRTC: an offer is handed to a
:class:`SignalingBackend` (the engine) that answers it. Tokens never reach a
log: the access log is off and only ``token_tag`` is ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from aiohttp import WSMsgType, web

from inspector.assets import assets_dir as default_assets_dir
from inspector.config import IceServer
from inspector.tokens import InvalidToken, Invitations, token_tag

__all__ = [
    "CSP",
    "DEVICE_COOKIE",
    "GRACE_SECONDS",
    "MAX_SDP",
    "MAX_SIGNALING_ERRORS",
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
MAX_REQUEST_BODY = 1024  # nothing is uploaded over HTTP
MAX_WS_MESSAGE = 128 * 1024
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
    sockets: set[web.WebSocketResponse] = field(default_factory=set)


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
    ) -> None:
        self.invitations = invitations
        self.backend = backend
        self.ice_servers = tuple(ice_servers)
        self.ssl_context = ssl_context
        self.https = ssl_context is not None
        self.secure_cookies = self.https if secure_cookies is None else secure_cookies
        self.grace_seconds = grace_seconds
        root = Path(assets) if assets is not None else default_assets_dir()
        self.phone_dir = root / "phone"
        self.overlays_dir = root / "overlays"
        self.static_names = _allow_list(self.phone_dir)
        self._holders: dict[str, _Holder] = {}
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.app = self._make_app()

    # -- application --------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BODY, middlewares=[_errors_as_pages])
        app.router.add_get("/j/{token}", self._join)
        app.router.add_get("/ws/{token}", self._signaling)
        app.router.add_get("/static/overlays/{name}", self._overlay)
        app.router.add_get("/static/{name}", self._static)
        app.on_response_prepare.append(self._headers)
        return app

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        h = response.headers
        h["Content-Security-Policy"] = CSP
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["X-Frame-Options"] = "DENY"
        h["Cache-Control"] = "no-store"
        h["Permissions-Policy"] = "camera=(self)"
        if self.https:
            h["Strict-Transport-Security"] = "max-age=31536000"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; returns the actual port (``port=0`` picks a free one)."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port, ssl_context=self.ssl_context)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        return self.port

    async def close(self) -> None:
        """Close every WebSocket and stop listening."""
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

    def _check(self, request: web.Request) -> str | None:
        try:
            return self.invitations.check(request.match_info["token"])
        except InvalidToken:
            return None

    async def _join(self, request: web.Request) -> web.StreamResponse:
        inspection_id = self._check(request)
        if inspection_id is None:
            return _page(_INVALID_PAGE, 404)
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
        return _file(self.phone_dir, name)

    async def _overlay(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        stem = name[:-4] if name.endswith(".svg") else ""
        if not _OVERLAY_RE.match(stem):
            raise web.HTTPNotFound()
        return _file(self.overlays_dir, name)

    async def _signaling(self, request: web.Request) -> web.StreamResponse:
        inspection_id = self._check(request)
        if inspection_id is None:
            return _page(_INVALID_PAGE, 404)
        device = _device(request) or f"anon-{secrets.token_urlsafe(12)}"
        if self._conflict(inspection_id, device):
            return _page(_IN_USE_PAGE, 409)
        tag = token_tag(request.match_info["token"])
        ws = web.WebSocketResponse(max_msg_size=MAX_WS_MESSAGE, heartbeat=20.0)
        await ws.prepare(request)
        holder = self._holders.get(inspection_id)
        if holder is None or holder.device != device:
            if holder is not None:  # the previous device is long gone: take over
                for old in list(holder.sockets):
                    await _close_ws(old)
            holder = _Holder(device)
            self._holders[inspection_id] = holder
        holder.sockets.add(ws)
        log.info("phone signaling open (token %s)", tag)
        try:
            await self._signaling_loop(ws, inspection_id, device, tag)
        finally:
            holder.sockets.discard(ws)
            holder.left_at = time.monotonic()
            log.info("phone signaling closed (token %s)", tag)
        return ws

    async def _signaling_loop(
        self, ws: web.WebSocketResponse, inspection_id: str, device: str, tag: str
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

        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                if not await refuse("binary frames are not accepted"):
                    return
                continue
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
            except ValueError:
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


def _file(folder: Path, name: str) -> web.StreamResponse:
    """A regular file directly inside ``folder`` with a known type, or 404."""
    suffix = Path(name).suffix.lower()
    ctype = _TYPES.get(suffix)
    path = folder / name
    if ctype is None or path.parent != folder or path.is_symlink() or not path.is_file():
        raise web.HTTPNotFound()
    try:
        body = path.read_bytes()
    except OSError:
        raise web.HTTPNotFound() from None
    charset = "utf-8" if ctype.startswith("text/") or suffix in (".svg", ".json") else None
    return web.Response(body=body, content_type=ctype, charset=charset)


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
