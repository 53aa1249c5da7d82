"""The team server: ``inspector server``, one of several processes on a shared store.

It serves the phone-facing endpoints of the live link (:mod:`inspector.live.server`)
for every invited inspection in the shared database, runs the self-inspections
(autopilot), and adds what an operations team expects of a service:

- :mod:`.ops` — ``/healthz``, ``/readyz`` and ``/metrics`` routes;
- :mod:`.metrics` — the Prometheus metrics, fed by the engine's events;
- :mod:`.logs` — one JSON line per event, with a request id, never a secret;
- :mod:`.server` — :class:`TeamServer`: the engine with those, and the graceful
  shutdown (SIGTERM) that tells every phone to reconnect elsewhere;
- :mod:`.api` — the operator API (``/api/v1/``: sessions, inspections, bundles, a
  WebSocket of changes) for logged-in users;
- :mod:`.client` — a small synchronous client of that API (the remote command line).

This layer sits above :mod:`inspector.bundle` and below :mod:`inspector.cli`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspector.team.metrics import Metrics
    from inspector.team.server import TeamServer

__all__ = ["Metrics", "TeamServer"]


def __getattr__(name: str) -> Any:
    # Imported when asked for: the remote command line imports ``inspector.team.client``
    # alone, and must not pay for the engine (aiortc) nor the store (SQLAlchemy).
    if name == "Metrics":
        from inspector.team.metrics import Metrics

        return Metrics
    if name == "TeamServer":
        from inspector.team.server import TeamServer

        return TeamServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
