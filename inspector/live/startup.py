"""The engine's start-up steps and the background loops it leaves running.

In order, on the engine's loop, once the engine holds the data folder's live
lock: :func:`recover` what a crashed owner of the folder left (the spool's
writes, inspections still marked live), then :func:`listen` (the LAN
certificate, the phone server, the URLs phones are given). While listening,
:func:`spool_loop` retries the writes the spool kept and :func:`stats_loop`
reports each link's statistics. A failing step of a loop is reported as an
``EngineError`` event and the loop goes on.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from inspector.config import ServerSettings
from inspector.domain.models import Inspection, InspectionStatus
from inspector.live import events
from inspector.live.loop import LoopThread
from inspector.live.phone_session import PhoneSession
from inspector.live.server import PhoneServer, SignalingBackend
from inspector.live.server.claims import SharedClaims
from inspector.live.timings import (
    ABANDONED_CHECK,
    RETENTION_INTERVAL,
    SPOOL_RETRY,
    STATS_INTERVAL,
)
from inspector.live.tls import lan_addresses, ssl_context
from inspector.live.tokens import Invitations
from inspector.storage.spool import LiveWriter
from inspector.storage.store import Store

__all__ = [
    "EngineStartError",
    "Listening",
    "flush_spool",
    "listen",
    "recover",
    "retention_loop",
    "spool_loop",
    "stats_loop",
    "sweep_recordings",
]

log = logging.getLogger(__name__)

Emit = Callable[[events.Event], None]


class EngineStartError(RuntimeError):
    """The engine could not start (port taken, certificate, ...); the message says why."""


@dataclass(frozen=True)
class Listening:
    """The started phone server and the addresses it is reached at."""

    server: PhoneServer
    port: int
    base_url: str  # what join links start with
    lan_url: str | None
    local_url: str  # where this process listens


async def flush_spool(writer: LiveWriter | None, thread: LoopThread, emit: Emit) -> None:
    """Write what the spool kept to the database; a refused write is reported."""
    if writer is None or not writer.pending():
        return
    try:
        result = await thread.run(writer.flush)
    except Exception as exc:
        log.exception("writing the spool failed")
        emit(events.EngineError(f"writing the spool failed: {exc}"[:500]))
        return
    if result.written:
        log.info("%d spooled write(s) now in the database", result.written)
    for failure in result.failed:
        emit(events.EngineError(f"a spooled write was refused: {failure}"[:500]))


async def recover(
    store: Store,
    thread: LoopThread,
    flush: Callable[[], Awaitable[None]],
    settle: Callable[[str], Awaitable[InspectionStatus | None]],
    emit: Emit,
) -> None:
    """What a crashed owner of the folder left: the spool, inspections still live."""
    await flush()
    try:
        inspections = await thread.run(store.list_inspections)
    except Exception as exc:
        emit(events.EngineError(f"cannot look for interrupted calls: {exc}"[:500]))
        return
    for inspection in inspections:
        if inspection.status is InspectionStatus.LIVE:
            await _settle_interrupted(inspection, settle, emit)
            try:  # the dead process's claim: the seller's next device need not wait for it
                await thread.run(store.claims.clear, inspection.id)
            except Exception as exc:
                log.warning("%s: cannot clear the device claim: %s", inspection.id, exc)


async def _settle_interrupted(
    inspection: Inspection,
    settle: Callable[[str], Awaitable[InspectionStatus | None]],
    emit: Emit,
) -> None:
    status = await settle(inspection.id)
    if status is not None:
        log.warning("%s: a call was interrupted; now %s", inspection.id, status.value)
        v = inspection.vehicle
        vehicle = " ".join(p for p in (v.title(), v.plate) if p)
        emit(events.CallInterrupted(inspection.id, status.value, vehicle))


async def abandoned_loop(
    claims: SharedClaims,
    local: Callable[[], Iterable[str]],
    store: Store,
    thread: LoopThread,
    settle: Callable[[str], Awaitable[InspectionStatus | None]],
    emit: Emit,
) -> None:
    """On a shared database, at start and every ``ABANDONED_CHECK`` seconds: settle the
    inspections a process that died left "live" (no claim renewed for twice
    ``CLAIM_STALE``), as :func:`recover` does for this folder's own at start."""
    while True:  # at once first: a process restarted after a crash settles its own too
        try:
            for inspection_id in await claims.abandoned_live(local()):
                inspection = await thread.run(store.get_inspection, inspection_id)
                if inspection.status is InspectionStatus.LIVE:
                    await _settle_interrupted(inspection, settle, emit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the next round tries again
            log.warning("cannot settle abandoned calls: %s", exc)
        await asyncio.sleep(ABANDONED_CHECK)


async def sweep_recordings(store: Store, thread: LoopThread, days: int, emit: Emit) -> None:
    """The retention rule, applied when the engine starts (and by :func:`retention_loop`)."""
    try:
        gone = await thread.run(store.delete_expired_recordings, days)
    except Exception as exc:
        emit(events.EngineError(f"cannot apply the recordings' retention: {exc}"[:500]))
        return
    if gone:
        log.info("deleted %d call recording(s) older than %d days", gone, days)


async def listen(
    settings: ServerSettings,
    invitations: Invitations,
    backend: SignalingBackend,
    *,
    data_dir: Path,
    thread: LoopThread,
    assets: Path | None,
    grace_seconds: float,
    extend: Callable[[web.Application], None] | None = None,
    claims: SharedClaims | None = None,
    on_claim_lost: Callable[[str], Awaitable[None]] | None = None,
) -> Listening:
    """Start the phone server (TLS on the LAN); errors worded for the user."""
    s = settings
    ctx = None
    host = s.host
    lan_ip = None
    if s.lan:
        addresses = lan_addresses()
        lan_ip = addresses[0] if addresses else None
        try:
            ctx = await thread.run(ssl_context, data_dir, addresses)
        except Exception as exc:
            raise EngineStartError(f"cannot prepare the TLS certificate: {exc}") from exc
        if host in ("127.0.0.1", "localhost"):
            host = "0.0.0.0"
    server = PhoneServer(
        invitations,
        backend,
        ice_servers=lambda inspection_id: s.ice_servers_for(f"phone-{inspection_id[:8]}"),
        ssl_context=ctx,
        secure_cookies=ctx is not None or bool(s.public_url and s.public_url.startswith("https")),
        assets=assets,
        grace_seconds=grace_seconds,
        ask_recording=s.record_calls,
        trusted_proxies=s.trusted_proxies,
        public_url=s.public_url,
        extend=extend,
        claims=claims,
        on_claim_lost=on_claim_lost,
    )
    try:
        port = await server.start(host, s.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise EngineStartError(
                f"port {s.port} on {host} is already in use; choose another port"
            ) from None
        raise EngineStartError(f"cannot listen on {host}:{s.port}: {exc}") from None
    scheme = "https" if ctx is not None else "http"
    url_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    local = f"{scheme}://{url_host}:{port}"
    lan_url = f"{scheme}://{lan_ip}:{port}" if lan_ip else None
    if s.public_url:
        base_url = s.public_url.rstrip("/")
    elif lan_url:
        base_url = lan_url
    else:
        base_url = local
    return Listening(server, port, base_url, lan_url, local)


async def spool_loop(flush: Callable[[], Awaitable[None]]) -> None:
    """Retry the spool's writes every ``SPOOL_RETRY`` seconds (until cancelled)."""
    while True:
        await asyncio.sleep(SPOOL_RETRY)
        await flush()


async def retention_loop(store: Store, thread: LoopThread, days: int, emit: Emit) -> None:
    """Apply the retention rule every ``RETENTION_INTERVAL`` seconds (until cancelled)."""
    while True:
        await asyncio.sleep(RETENTION_INTERVAL)
        await sweep_recordings(store, thread, days, emit)


async def stats_loop(sessions: Callable[[], Iterable[PhoneSession]], emit: Emit) -> None:
    """Report every open link's statistics every ``STATS_INTERVAL`` seconds."""
    while True:
        await asyncio.sleep(STATS_INTERVAL)
        try:
            await _stats_round(sessions(), emit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one bad round must not end the stats for good
            log.exception("engine: link statistics failed")
            emit(events.EngineError(f"link statistics failed: {exc}"[:500]))


async def _stats_round(sessions: Iterable[PhoneSession], emit: Emit) -> None:
    for session in sessions:
        peer = session.peer
        if peer is None or peer.closed:
            continue
        st = await peer.stats()
        emit(
            events.LinkStats(
                session.inspection_id,
                st.fps,
                st.width,
                st.height,
                st.rtt_ms,
                st.bitrate_kbps,
                st.path,
            )
        )
