"""Per-address limits for the phone-facing server: failed token attempts and connections.

Both are kept in memory, bounded in size, and keyed by :func:`address_key`: an
IPv4 address as is, an IPv6 address by its /64 network (one phone, or one
attacker, usually owns a whole /64, so keying by full address would let a
single host rotate through 2**64 identities).
"""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

__all__ = [
    "BLOCK_SECONDS",
    "FAILURE_LIMIT",
    "FAILURE_WINDOW",
    "REQUEST_BURST",
    "REQUEST_RATE",
    "ConnectionGate",
    "FailureLimiter",
    "RequestRate",
    "address_key",
]

_V = TypeVar("_V")

#: Failed token attempts from one address within ``FAILURE_WINDOW`` seconds ...
FAILURE_LIMIT = 20
FAILURE_WINDOW = 60.0
#: ... block every token check from that address (HTTP 429) for this long.
BLOCK_SECONDS = 300.0
#: Addresses remembered at most (oldest forgotten first); bounds memory under a flood.
MAX_TRACKED = 10_000
#: HTTP requests one address may make: a burst (a phone page and its files is about 20,
#: a few phones behind one NAT a few times that), then this many a second.
REQUEST_BURST = 60
REQUEST_RATE = 10.0


def address_key(address: str | None) -> str:
    """What limits are counted by: the IPv4 address, or the /64 of an IPv6 one."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class FailureLimiter:
    """Counts failures per key in a sliding window; too many → blocked for a while.

    ``failure(key)`` records one failed attempt and says whether the key is now
    blocked; ``blocked(key)`` gives the seconds left (0 when free). Success does not
    clear the count: an attacker holding one valid link must not be able to reset
    its budget by interleaving it with guesses.
    """

    def __init__(
        self,
        limit: int = FAILURE_LIMIT,
        window: float = FAILURE_WINDOW,
        block: float = BLOCK_SECONDS,
        *,
        max_tracked: int = MAX_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0 or block <= 0 or max_tracked < 1:
            raise ValueError("limits must be positive")
        self.limit = limit
        self.window = window
        self.block = block
        self.max_tracked = max_tracked
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._failures) + len(self._blocked_until)

    def blocked(self, key: str) -> float:
        until = self._blocked_until.get(key)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._blocked_until[key]
            return 0.0
        return left

    def recent(self, key: str) -> int:
        """Failures of ``key`` within the window (0 once forgotten)."""
        times = self._failures.get(key)
        if not times:
            return 0
        now = self._clock()
        return sum(1 for t in times if now - t <= self.window)

    def failure(self, key: str) -> bool:
        now = self._clock()
        if self.blocked(key):
            return True
        times = self._failures.pop(key, None)
        if times is None:
            times = deque(maxlen=self.limit)
        times.append(now)
        while times and now - times[0] > self.window:
            times.popleft()
        if len(times) >= self.limit:
            self._blocked_until[key] = now + self.block
            self._bound(self._blocked_until)
            return True
        self._failures[key] = times  # re-inserted: the dict stays ordered by last failure
        self._bound(self._failures)
        return False

    def _bound(self, table: dict[str, _V]) -> None:
        while len(table) > self.max_tracked:
            del table[next(iter(table))]  # the least recently touched


class RequestRate:
    """A token bucket per key: ``burst`` requests at once, then ``rate`` a second.

    ``allow(key)`` takes one token and says whether there was one. Keys not
    seen for a while are forgotten first when more than ``max_tracked`` are kept.
    """

    def __init__(
        self,
        rate: float = REQUEST_RATE,
        burst: int = REQUEST_BURST,
        *,
        max_tracked: int = MAX_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1 or max_tracked < 1:
            raise ValueError("limits must be positive")
        self.rate = rate
        self.burst = burst
        self.max_tracked = max_tracked
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, at)

    def allow(self, key: str) -> bool:
        now = self._clock()
        tokens, at = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)  # most recent last
        while len(self._buckets) > self.max_tracked:
            del self._buckets[next(iter(self._buckets))]
        return allowed


class ConnectionGate:
    """At most ``per_address`` open connections per key and ``total`` in all.

    The last ``reserve`` slots only go to keys holding fewer than ``few``
    connections: a flood from many addresses, each at its cap, still leaves
    room for a phone that comes along. ``exempt`` keys (a trusted reverse proxy,
    whose connections carry many phones) only count towards the total.
    """

    def __init__(
        self,
        per_address: int,
        total: int,
        exempt: frozenset[str] = frozenset(),
        *,
        reserve: int = 0,
        few: int = 1,
    ) -> None:
        if not 0 <= reserve < total:
            raise ValueError("the reserve must be smaller than the total")
        self.per_address = per_address
        self.total = total
        self.exempt = exempt
        self.reserve = reserve
        self.few = few
        self._open: dict[str, int] = {}
        self._count = 0

    @property
    def open(self) -> int:
        return self._count

    def acquire(self, key: str, *, exempt: bool = False) -> bool:
        """Take a slot for ``key`` (``exempt``: a trusted proxy's, counted in the total only)."""
        if self._count >= self.total:
            return False
        n = self._open.get(key, 0)
        if not exempt and key not in self.exempt:
            if n >= self.per_address:
                return False
            if n >= self.few and self._count >= self.total - self.reserve:
                return False  # the reserve is for addresses holding few
        self._open[key] = n + 1
        self._count += 1
        return True

    def release(self, key: str) -> None:
        if self._leave_address(key):
            self._count -= 1

    def vouch(self, key: str) -> bool:
        """One of ``key``'s connections proved itself (a phone's signaling socket opened
        with a valid link, bounded per inspection where it is opened): it
        stops counting towards the address, so many sellers behind one carrier-grade
        NAT address are not refused, and still counts in the total. False if ``key``
        held none. Its end is :meth:`release_vouched`."""
        return self._leave_address(key)

    def release_vouched(self) -> None:
        if self._count > 0:
            self._count -= 1

    def _leave_address(self, key: str) -> bool:
        n = self._open.get(key, 0)
        if n <= 0:
            return False
        if n == 1:
            del self._open[key]
        else:
            self._open[key] = n - 1
        return True
