"""Helpers for the security battery: a real server, raw sockets, hostile JPEGs, a live engine.

Loopback has a whole /8: a client bound to 127.0.0.2 is "another address" for the
server's per-address limits, which is how these tests play several attackers and
an innocent phone on one machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import struct
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from inspector.config import ServerSettings
from inspector.live import events as ev
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.live.engine import Engine
from inspector.live.server import CSP, PhoneServer
from inspector.live.tokens import Invitations
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene

from .live_fixtures import TEST_CHECKLIST, EventLog, make_assets, make_inspection, use_live_assets

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self)",
    "Cache-Control": "no-store",
}


def assert_security_headers(headers: Any, https: bool = False, where: str = "") -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, f"{where}: {name} is {headers.get(name)!r}"
    if https:
        assert str(headers.get("Strict-Transport-Security", "")).startswith("max-age="), where
    else:
        assert "Strict-Transport-Security" not in headers, where


class Backend:
    """The engine's side of signaling, reduced to what these tests observe."""

    def __init__(self) -> None:
        self.offers: list[tuple[str, str]] = []
        self.byes: list[str] = []

    def mode(self, inspection_id: str) -> str:
        return "operator"

    async def offer(self, inspection_id: str, sdp: str, device: str) -> str:
        self.offers.append((inspection_id, sdp))
        return "v=0 answer"

    async def bye(self, inspection_id: str, device: str) -> None:
        self.byes.append(inspection_id)

    def last_seen(self, inspection_id: str) -> float | None:
        return None

    def language(self, inspection_id: str) -> str | None:
        return None

    def takeover_asked(self, inspection_id: str) -> None:
        return None


@dataclass
class Env:
    server: PhoneServer
    inv: Invitations
    store: Store
    backend: Backend

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self) -> str:
        return self.inv.issue(make_inspection(self.store).id)[0]


@contextlib.asynccontextmanager
async def serve(store: Store, tmp_path: Path, **kw: Any) -> AsyncIterator[Env]:
    """A real PhoneServer on loopback with a stub backend."""
    inv = Invitations(store, 3600)
    backend = Backend()
    kw.setdefault("assets", make_assets(tmp_path))
    kw.setdefault("grace_seconds", 0.5)
    server = PhoneServer(inv, backend, **kw)
    await server.start("127.0.0.1", 0)
    try:
        yield Env(server, inv, store, backend)
    finally:
        await server.close()


def client(source: str = "127.0.0.1") -> aiohttp.ClientSession:
    """An HTTP client whose connections come from ``source`` (a loopback address)."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def raw_request(
    port: int, data: bytes, *, source: str = "127.0.0.1", timeout: float = 5.0
) -> bytes:
    """Send raw bytes, return everything the server answers until it closes (or timeout)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(data)
        await writer.drain()
        chunks = []
        with contextlib.suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(timeout):
                while chunk := await reader.read(65536):
                    chunks.append(chunk)
        return b"".join(chunks)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def parse_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one raw HTTP/1.1 response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return status, headers, body


# -- hostile JPEGs -----------------------------------------------------------------------------

SMALL_JPEG = jpeg_bytes(scene(96, 64))


def with_segment(jpeg: bytes, marker: int, payload: bytes, count: int = 1) -> bytes:
    """The JPEG with ``count`` extra segments inserted right after SOI."""
    segment = struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload
    return jpeg[:2] + segment * count + jpeg[2:]


def tiff_ifd(entries: list[tuple[int, int, int, bytes]], *, offset: int = 8) -> bytes:
    """A little-endian TIFF header + one IFD: (tag, type, count, 4-byte value field)."""
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\0")[:4]
    ifd += struct.pack("<I", 0)
    return b"II*\0" + struct.pack("<I", offset) + ifd


def exif_jpeg(tiff: bytes, jpeg: bytes = SMALL_JPEG) -> bytes:
    return with_segment(jpeg, 0xE1, b"Exif\0\0" + tiff)


def orientation_jpeg(value: int, typ: int = 3) -> bytes:
    """EXIF Orientation tag (0x0112) with ``value`` stored as SHORT (3) or another type."""
    raw = struct.pack("<H", value & 0xFFFF) if typ == 3 else struct.pack("<I", value)
    return exif_jpeg(tiff_ifd([(0x0112, typ, 1, raw)]))


def pillow_exif_jpeg(orientation: int) -> bytes:
    img = Image.new("RGB", (64, 48), (120, 60, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


# -- a live engine -----------------------------------------------------------------------------


@dataclass
class Live:
    engine: Engine
    log: EventLog
    store: Store
    inspection_id: str
    join_url: str

    def phone(self, url: str | None = None, **kw: Any) -> SimulatedPhone:
        options: dict[str, Any] = {"width": 160, "height": 120, "fps": 10, "still_size": (320, 240)}
        options.update(kw)
        return SimulatedPhone(url or self.join_url, **options)

    async def invite(self) -> tuple[str, str]:
        """Another inspection and its join URL."""
        inspection = make_inspection(self.store, TEST_CHECKLIST)
        invite = await asyncio.wrap_future(self.engine.invite(inspection.id))
        return inspection.id, invite.join_url

    def refusals(self) -> list[ev.Event]:
        return [e for e in self.log.events if isinstance(e, ev.CaptureFailed)]


@contextlib.contextmanager
def _engine(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any
) -> Iterator[tuple[Engine, EventLog]]:
    root = use_live_assets(tmp_path, monkeypatch)
    log = EventLog()
    kw.setdefault("still_timeout", 1.0)
    kw.setdefault("heartbeat_timeout", 2.0)
    settings = kw.pop("settings", ServerSettings(port=0))
    engine = Engine(store, settings, log, assets=root, **kw)
    engine.start()
    try:
        yield engine, log
    finally:
        engine.stop(timeout=5)


@contextlib.asynccontextmanager
async def live_engine(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any
) -> AsyncIterator[Live]:
    with _engine(store, tmp_path, monkeypatch, **kw) as (engine, log):
        inspection = make_inspection(store, TEST_CHECKLIST)
        invite = await asyncio.wrap_future(engine.invite(inspection.id))
        yield Live(engine, log, store, inspection.id, invite.join_url)
