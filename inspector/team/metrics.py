"""The team server's Prometheus metrics, fed by the live engine's events.

One registry per :class:`Metrics` (not prometheus-client's global one), so a
process (or a test) may hold several. Each server process exposes its own at
``/metrics``; Prometheus scrapes every process and sums. Names follow
Prometheus' conventions (``_total`` counters, ``_seconds`` histograms).
"""

from __future__ import annotations

import threading
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from inspector.live import events

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

#: A still's round trip: the request to the phone, its bytes, the checks, the store.
_ROUND_TRIP_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0)
#: Making a photo and its row durable (object storage and database, or the spool).
_STORE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Counters, gauges and histograms of one server process; :meth:`observe` takes events.

    ``observe`` is called on the engine's thread, ``render`` on any: the
    metrics are thread-safe, the bookkeeping here is under a lock.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.live_sessions = Gauge(
            "inspector_live_sessions",
            "Phones connected now (a session's link up or reconnecting).",
            registry=r,
        )
        self.phones_joined = Counter(
            "inspector_phones_joined_total", "Phones that joined a session.", registry=r
        )
        self.captures_stored = Counter(
            "inspector_captures_stored_total",
            "Captures made durable, by source (still or frame) and whether spooled.",
            ["source", "spooled"],
            registry=r,
        )
        self.captures_failed = Counter(
            "inspector_captures_failed_total",
            "Capture requests that ended without a stored photo.",
            registry=r,
        )
        self.still_round_trip = Histogram(
            "inspector_still_round_trip_seconds",
            "From a capture request to its photo stored (phone, transfer, checks, store).",
            buckets=_ROUND_TRIP_BUCKETS,
            registry=r,
        )
        self.store_latency = Histogram(
            "inspector_store_seconds",
            "Making one capture durable: its photo and its row (or the spool).",
            buckets=_STORE_BUCKETS,
            registry=r,
        )
        self.calls = Counter(
            "inspector_calls_total",
            "Calls by media path, counted once the ICE pair is chosen: direct or relay (TURN).",
            ["path"],
            registry=r,
        )
        self.desks_attached = Gauge(
            "inspector_desks_attached",
            "Operators' consoles attached to an inspection on this process (the relay).",
            registry=r,
        )
        self.relayed_offers = Counter(
            "inspector_relayed_offers_total",
            "Phones' offers of operator-guided calls, by outcome: answered (by the console), "
            "waited (no console attached), dropped (the console left before answering), "
            "refused (the console's engine refused it), timeout.",
            ["outcome"],
            registry=r,
        )
        #: Defined here for the accounts' work to increment (a wrong password, a
        #: disabled or unknown user); nothing counts them yet.
        self.login_failures = Counter(
            "inspector_login_failures_total",
            "Refused operator logins, by reason.",
            ["reason"],
            registry=r,
        )
        self.engine_errors = Counter(
            "inspector_engine_errors_total", "Errors the live engine reported.", registry=r
        )
        self.ready = Gauge(
            "inspector_ready",
            "1 when the last readiness check found the database and photo store answering.",
            registry=r,
        )
        self._lock = threading.Lock()
        self._connected: set[str] = set()
        self._paths: set[str] = set()  # inspections whose current call was counted by path
        self._requested: dict[str, float] = {}  # capture id -> when it was asked for

    def observe(self, event: events.Event) -> None:
        """Count what an engine event says (called for every event, on the engine's thread)."""
        if isinstance(event, events.ConnectionChanged):
            with self._lock:
                if event.state in ("connected", "reconnecting", "connecting"):
                    self._connected.add(event.inspection_id)
                else:
                    self._connected.discard(event.inspection_id)
                self.live_sessions.set(len(self._connected))
                if event.state != "connected":  # a reconnect is a new call, maybe a new path
                    self._paths.discard(event.inspection_id)
        elif isinstance(event, events.LinkStats):
            with self._lock:
                new = event.path is not None and event.inspection_id not in self._paths
                if new:
                    self._paths.add(event.inspection_id)
            if new:
                self.calls.labels(path=event.path).inc()
        elif isinstance(event, events.PhoneJoined):
            self.phones_joined.inc()
        elif isinstance(event, events.CaptureRequested):
            with self._lock:
                if len(self._requested) > 10_000:  # requests never settled: forget the oldest
                    self._requested.pop(next(iter(self._requested)))
                self._requested[event.capture_id] = time.monotonic()
        elif isinstance(event, events.CaptureStored):
            capture = event.capture
            self.captures_stored.labels(
                source=capture.source.value, spooled=str(event.spooled).lower()
            ).inc()
            if event.store_seconds is not None:
                self.store_latency.observe(event.store_seconds)
            with self._lock:
                asked = self._requested.pop(capture.id, None)
            if asked is not None:
                self.still_round_trip.observe(time.monotonic() - asked)
        elif isinstance(event, events.CaptureFailed):
            self.captures_failed.inc()
            with self._lock:
                self._requested.pop(event.capture_id, None)
        elif isinstance(event, events.EngineError):
            self.engine_errors.inc()

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
