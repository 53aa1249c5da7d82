"""Which of several TURN URLs this machine can reach, first.

aiortc (through aioice) uses only the **first** TURN URL it understands; a browser tries
them all. A team server hands every console the same list (``--turn-url`` UDP, then TCP,
then TLS, as DEPLOYMENT.md recommends), but consoles sit on different networks: one
behind a company firewall that lets no UDP out would take the UDP URL, fail to allocate
a relay, and the call would never connect. :func:`reachable_turn_first` probes every
TURN URL at once (UDP: a TURN Allocate without credentials, which a TURN server answers
with 401; TCP: a connection; TLS: a connection and its handshake, checked against the
system's authorities as aioice checks it) and moves the first one that answered, in the
given order, to the front. When none answers in time the order is left as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import parse_qs

from aioice import stun

from inspector.config import IceServer

__all__ = ["PROBE_TIMEOUT", "TurnUrl", "parse_turn_url", "reachable_turn_first"]

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.0
"""Seconds the probes get (all at once, name resolution included): a reachable TURN
server answers in one round trip (a UDP probe is sent again every 0.25 s). What a
console behind a firewall that lets no UDP out pays per call when UDP comes first."""
_RESEND = 0.25  # seconds between two UDP probes (a lost datagram is sent again)


@dataclass(frozen=True)
class TurnUrl:
    """A TURN URL as aioice reads it."""

    url: str
    host: str
    port: int
    transport: str  # "udp" or "tcp"
    tls: bool


def parse_turn_url(url: str) -> TurnUrl | None:
    """``turn:HOST[:PORT][?transport=udp|tcp]`` or ``turns:HOST[:PORT][?transport=tcp]``;
    None for what aioice does not use (STUN, ``turns:`` over UDP, anything else)."""
    scheme, _, rest = url.partition(":")
    if scheme not in ("turn", "turns") or not rest:
        return None
    address, _, query = rest.partition("?")
    transport = parse_qs(query).get("transport", ["tcp" if scheme == "turns" else "udp"])[0]
    if transport not in ("udp", "tcp") or (scheme == "turns" and transport != "tcp"):
        return None
    if address.startswith("["):  # [IPv6]:port
        host, _, port_text = address[1:].partition("]")
        port_text = port_text.removeprefix(":")
    elif address.count(":") == 1:
        host, _, port_text = address.partition(":")
    else:
        host, port_text = address, ""
    try:
        port = int(port_text) if port_text else (5349 if scheme == "turns" else 3478)
    except ValueError:
        return None
    if not host or not 0 < port < 65536:
        return None
    return TurnUrl(url, host, port, transport, scheme == "turns")


async def _probe_udp(turn: TurnUrl) -> bool:
    """Until an answer (or cancelled)."""
    loop = asyncio.get_running_loop()
    request = stun.Message(message_method=stun.Method.ALLOCATE, message_class=stun.Class.REQUEST)
    request.attributes["REQUESTED-TRANSPORT"] = 0x11000000  # UDP (17), RFC 5766
    answered = loop.create_future()

    class Probe(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            try:
                ours = stun.parse_message(data).transaction_id == request.transaction_id
            except Exception:  # not STUN: not an answer
                return
            if ours and not answered.done():
                answered.set_result(True)

    transport, _ = await loop.create_datagram_endpoint(Probe, remote_addr=(turn.host, turn.port))
    try:
        while True:
            transport.sendto(bytes(request))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(answered), _RESEND)
                return True
    finally:
        transport.close()


async def _probe_tcp(turn: TurnUrl) -> bool:
    context = ssl.create_default_context() if turn.tls else None
    _, writer = await asyncio.open_connection(
        turn.host, turn.port, ssl=context, server_hostname=turn.host if turn.tls else None
    )
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return True


async def _reachable(turn: TurnUrl, timeout: float) -> bool:
    try:
        probe = _probe_udp(turn) if turn.transport == "udp" else _probe_tcp(turn)
        return await asyncio.wait_for(probe, timeout)
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        log.debug("TURN %s not reachable: %s", turn.url, exc)
        return False


async def reachable_turn_first(
    servers: Sequence[IceServer], *, timeout: float = PROBE_TIMEOUT
) -> tuple[IceServer, ...]:
    """``servers`` with the first reachable TURN URL (in their order) first: its server
    before the others, the URL first in it. Unchanged with fewer than two TURN URLs, or
    when the first one answers, or none."""
    found = [
        (index, turn)
        for index, server in enumerate(servers)
        for turn in (parse_turn_url(url) for url in server.urls)
        if turn is not None
    ]
    if len(found) < 2:
        return tuple(servers)
    probes = [asyncio.ensure_future(_reachable(turn, timeout)) for _, turn in found]
    try:
        chosen: tuple[int, TurnUrl] | None = None
        for (index, turn), probe in zip(found, probes, strict=True):
            if await probe:
                chosen = (index, turn)
                break
    finally:
        for probe in probes:
            probe.cancel()
        await asyncio.gather(*probes, return_exceptions=True)
    if chosen is None:
        log.warning("no TURN server answered in %g s: trying them in the order given", timeout)
        return tuple(servers)
    index, turn = chosen
    if (index, turn) == found[0]:
        return tuple(servers)
    log.info("TURN through %s (the ones before it did not answer from here)", turn.url)
    server = servers[index]
    first = replace(server, urls=(turn.url, *(u for u in server.urls if u != turn.url)))
    return (first, *(s for i, s in enumerate(servers) if i != index))
