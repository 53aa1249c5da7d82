"""The team server: ``inspector server``, one of several processes on a shared store.

It serves the phone-facing endpoints of the live link (:mod:`inspector.live.server`)
for every invited inspection in the shared database, runs the self-inspections
(autopilot), and adds what an operations team expects of a service:

- :mod:`.ops` — ``/healthz``, ``/readyz`` and ``/metrics`` routes;
- :mod:`.metrics` — the Prometheus metrics, fed by the engine's events;
- :mod:`.logs` — one JSON line per event, with a request id, never a secret;
- :mod:`.server` — :class:`TeamServer`: the engine with those, and the graceful
  shutdown (SIGTERM) that tells every phone to reconnect elsewhere.

This layer sits above :mod:`inspector.bundle` and below :mod:`inspector.cli`: the
operator API (accounts, sessions, inspections over HTTPS) goes here too.
"""

from inspector.team.metrics import Metrics
from inspector.team.server import TeamServer

__all__ = ["Metrics", "TeamServer"]
