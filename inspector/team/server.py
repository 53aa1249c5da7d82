"""``TeamServer``: one team-server process on the shared store.

The live engine (:class:`~inspector.live.engine.Engine`) serves the phones of
every invited inspection in the shared database: its phone server reloads the
valid join tokens every second, whichever process issued them, and a session
opens its inspection from the database, so a phone may join (or come back to)
any process. Self-inspections run here (the engine's autopilot). Added to the
engine's app: the operations routes (:mod:`.ops`) and the request log with its
request id (:mod:`.logs`); its events feed the metrics and the log.

Differences from ``inspector serve`` (one desk): an inspection marked live in
the database at start is left alone (on a shared database another process may
be holding its call); instead, every process keeps the device rule in the
database (:mod:`inspector.live.server.claims`) and settles the inspections a
process that died left "live" (no claim renewed for 30 s). The data folder is
this process's working folder only (spool, locks), so every process needs its
own.

Shutdown (:meth:`TeamServer.shutdown`, on SIGTERM): ``/readyz`` says 503 at
once, the listener closes, the autopilots stop, stills on their way are
stored (at most ``drain_timeout``), every phone is told ``bye`` on its
signaling socket (the page reconnects by itself, through the proxy, to
another process), then the engine stops.

The operator API (:mod:`inspector.team.api`, ``/api/v1/``) is added there too, and
the relay of operator-guided calls (:mod:`inspector.team.relay`): a phone whose link
is an "operator" one is not served by this process's engine; its signaling goes to
the operator's console attached to the inspection (``/api/v1/inspections/{id}/desk``).
Extension points: :meth:`TeamServer.extend` is where
routes and middlewares are added to the app (before it starts);
``request.app[SERVER_KEY]`` is the phone server (``client_address``,
``trusted_proxies``) and ``request.app[TEAM_KEY]`` this object (store, engine,
metrics); :data:`inspector.team.logs.request_id` is the current request's id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from inspector.config import ServerSettings
from inspector.live import events
from inspector.live.engine import Engine
from inspector.live.server.app import SERVER_KEY
from inspector.live.timings import DRAIN_TIMEOUT
from inspector.storage.store import Store
from inspector.team.api import Api
from inspector.team.api import install as install_api
from inspector.team.logs import request_log
from inspector.team.metrics import Metrics
from inspector.team.ops import Ops
from inspector.team.relay import CallRelay
from inspector.team.relay import add_routes as add_relay_routes

__all__ = ["TEAM_KEY", "TeamServer"]

if TYPE_CHECKING:
    from inspector.seal import Sealer

log = logging.getLogger(__name__)
events_log = logging.getLogger("inspector.team.events")

#: Events too frequent for the log (statistics, frames, live hints).
_QUIET_EVENTS = {"frame", "stats", "hint"}


class TeamServer:
    """The engine, its operations routes, metrics and structured event log."""

    def __init__(
        self,
        store: Store,
        settings: ServerSettings,
        *,
        on_event: Callable[[events.Event], None] | None = None,
        drain_timeout: float = DRAIN_TIMEOUT,
        sealer: Sealer | None = None,
        **engine_options: object,
    ) -> None:
        self.store = store
        #: Who seals the reports and bundles this process makes (None: the data
        #: folder's own key, made on first use).
        self.sealer = sealer
        self.metrics = Metrics()
        self.ops = Ops(store, self.metrics)
        self.drain_timeout = drain_timeout
        self._on_event = on_event
        self.api = Api(self)
        #: Operator-guided calls: the phone's signaling relayed to the operator's console.
        self.relay = CallRelay(self.api, self.metrics)
        self.engine = Engine(
            store,
            settings,
            self._event,
            autopilot=True,
            extend_app=self.extend,
            settle_interrupted=False,
            shared_claims=True,
            relayed_calls=self.relay.attached_calls,
            **engine_options,  # type: ignore[arg-type]
        )

    def extend(self, app: web.Application) -> None:
        """Add the team server's routes and middlewares to the phone server's app."""
        server = app[SERVER_KEY]
        app[TEAM_KEY] = self
        app.middlewares.insert(0, request_log(server.client_address))
        self.ops.add_routes(app)
        install_api(app, self.api)
        add_relay_routes(app, self.relay)
        server.signaling.relay = self.relay

    def start(self) -> str:
        """Listen; returns the base URL (raises ``EngineStartError`` with the reason)."""
        return self.engine.start()

    def shutdown(self) -> None:
        """The graceful shutdown described in the module docstring."""
        self.ops.shutting_down = True
        waited = self.engine.drain(self.drain_timeout)
        log.info("shutting down: %d capture(s) waited for; phones told to reconnect", waited)
        self.engine.stop()
        self.ops.close()
        self.api.close()

    def _event(self, event: events.Event) -> None:
        self.metrics.observe(event)
        if event.name not in _QUIET_EVENTS:
            data = event.to_dict()
            data.pop("join_url", None)  # holds a token
            level = logging.WARNING if event.name in ("error", "capture_failed") else logging.INFO
            events_log.log(
                level,
                "%s",
                event.name,
                extra={
                    "fields": data,
                    "inspection_id": getattr(event, "inspection_id", None),
                },
            )
        if self._on_event is not None:
            self._on_event(event)


#: The team server an app belongs to (``request.app[TEAM_KEY]``): store, engine, metrics.
TEAM_KEY = web.AppKey("team", TeamServer)
