"""The phone-facing HTTP server: join page, signaling WebSocket, static files.

It faces the internet, so it defends itself (numbers in ``docs/RELIABILITY.md``).
One module per concern:

- :mod:`.app` — :class:`PhoneServer`: routes, token checks, lifecycle;
- :mod:`.signaling` — the signaling WebSocket and the one-device rule;
- :mod:`.guards` — connection gate, deadlines, request rate, slow readers,
  security headers;
- :mod:`.ratelimit` — the per-address counters the guards and token checks use;
- :mod:`.proxies` — trusted reverse proxies (whose client addresses are believed) and
  the WebSocket origin check;
- :mod:`.files` — the phone page's files; :mod:`.pages` — the refusal pages.

Its timings are in :mod:`inspector.live.timings`.
"""

from inspector.live.server.app import PhoneServer
from inspector.live.server.guards import (
    CSP,
    FEW_CONNECTIONS,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_ADDRESS,
    MAX_PIPELINED,
    RESERVED_CONNECTIONS,
)
from inspector.live.server.proxies import LOOPBACK, TrustedProxies
from inspector.live.server.signaling import (
    DEVICE_COOKIE,
    MAX_SDP,
    MAX_SIGNALING_ERRORS,
    MAX_SOCKETS_PER_DEVICE,
    MAX_WS_MESSAGE,
    SignalingBackend,
    SignalingError,
)

__all__ = [
    "CSP",
    "DEVICE_COOKIE",
    "FEW_CONNECTIONS",
    "LOOPBACK",
    "MAX_CONNECTIONS",
    "MAX_CONNECTIONS_PER_ADDRESS",
    "MAX_PIPELINED",
    "MAX_SDP",
    "MAX_SIGNALING_ERRORS",
    "MAX_SOCKETS_PER_DEVICE",
    "MAX_WS_MESSAGE",
    "RESERVED_CONNECTIONS",
    "PhoneServer",
    "SignalingBackend",
    "SignalingError",
    "TrustedProxies",
]
