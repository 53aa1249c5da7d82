"""Who a request is really from, behind a reverse proxy, and where its WebSocket came from.

Behind a reverse proxy every phone arrives from the proxy's address, so the
per-address limits (failed tokens, connections, request rate) would count every
seller as one. The proxy says who its client was (``X-Forwarded-For``, or the
standard ``Forwarded``), but anybody can send those headers: they are believed
only when the connection comes from a configured trusted proxy
(:class:`TrustedProxies`, addresses or networks). Then the client is the
right-most address of the chain that is not itself a trusted proxy (each proxy
appends the address it saw; what the client wrote itself is on the left and is
never believed).

A WebSocket upgrade carries the ``Origin`` of the page that opened it: a page
on another site must not open a phone's (or, later, an operator's) socket with
the victim's cookies, so the origin must be the public URL's (or, with no
public URL, the server's own, as the request names it). A request without an
``Origin`` is not a browser page (browsers always send one on a WebSocket): it
carries nobody's cookies and is let through to the token check.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp import web

__all__ = [
    "LOOPBACK",
    "TrustedProxies",
    "forwarded_chain",
    "origin_allowed",
    "origin_of",
]

#: A reverse proxy on this host (the embedded default; ``serve --public-url`` too).
LOOPBACK = ("127.0.0.1", "::1")

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address from a header's or a socket's form (``[v6]:port``, ``v4:port``, zone)."""
    text = text.strip().strip('"')
    if text.startswith("["):  # [2001:db8::1]:4711 (Forwarded's quoted IPv6)
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # 192.0.2.60:4711
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class TrustedProxies:
    """The reverse proxies whose forwarding headers are believed: addresses and networks.

    ``TrustedProxies(["127.0.0.1", "10.0.0.0/8", "::1"])``; a malformed entry raises
    ``ValueError`` naming it.
    """

    def __init__(self, entries: Iterable[str] = ()) -> None:
        networks: list[_Network] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(f"not an IP address or network (CIDR): {entry!r}") from None
        self.networks: tuple[_Network, ...] = tuple(networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __repr__(self) -> str:
        return f"TrustedProxies({[str(n) for n in self.networks]!r})"

    def trusts(self, address: str | None) -> bool:
        """Whether the peer ``address`` (as the socket gives it) is a trusted proxy."""
        if not address or not self.networks:
            return False
        ip = _address(address)
        return ip is not None and any(ip in network for network in self.networks)

    def client(self, peer: str | None, headers: web.BaseRequest | None) -> str | None:
        """The client's address: the peer's, or the proxies' chain's when the peer is trusted.

        None when the peer is trusted but names no client usably (no header, or a
        malformed entry): the caller keeps the peer's own address then.
        """
        if headers is None or not self.trusts(peer):
            return peer
        chain = forwarded_chain(headers)
        if not chain:
            return None
        for entry in reversed(chain):
            ip = _address(entry)
            if ip is None:
                return None  # "unknown", an obfuscated name, garbage: believe nothing
            if not any(ip in network for network in self.networks):
                return str(ip)
        first = _address(chain[0])
        return None if first is None else str(first)


def forwarded_chain(request: web.BaseRequest) -> list[str]:
    """The addresses the proxies recorded, left (first) to right (last proxy's peer).

    ``X-Forwarded-For`` (what nginx and most proxies send) wins; else the ``for=``
    parameters of RFC 7239 ``Forwarded``. Several header lines are joined in order.
    """
    xff = request.headers.getall("X-Forwarded-For", [])
    if xff:
        return [part.strip() for line in xff for part in line.split(",") if part.strip()]
    chain: list[str] = []
    for line in request.headers.getall("Forwarded", []):
        for element in line.split(","):
            for pair in element.split(";"):
                name, _, value = pair.strip().partition("=")
                if name.strip().lower() == "for" and value:
                    chain.append(value.strip())
    return chain


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, default ports left out."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    port = parts.port
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


def origin_allowed(request: web.BaseRequest, public_url: str | None, https: bool) -> bool:
    """Whether a WebSocket upgrade's ``Origin`` is ours (see the module docstring)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    if public_url:
        return origin_of(origin) == origin_of(public_url)
    host = request.headers.get("Host")
    if not host:
        return False
    scheme = "https" if https else "http"
    return origin_of(origin) == origin_of(f"{scheme}://{host}")
