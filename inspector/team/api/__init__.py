"""The team server's operator API, under ``/api/v1/``: sessions, inspections, bundles
and a WebSocket of changes, for the remote command line (``inspector --server``) and
the remote console.

- :mod:`.base` — its state on the app (:class:`Api`), JSON answers and refusals
  (``{"error": code, "message": text}``), capped bodies, work off the loop;
- :mod:`.auth` — ``Authorization: Bearer`` sessions, the role check of every route,
  ``login`` / ``logout`` / ``me``;
- :mod:`.inspections` — list, show, new, invite, report, export, status, delete;
- :mod:`.captures` — a remote console's stills and originals (hash-checked), review;
- :mod:`.damages` — an inspection's damages, for inspectors at other desks;
- :mod:`.users` — the team's accounts, for admins;
- :mod:`.bundles` — import and verify an uploaded bundle;
- :mod:`.events` — ``/api/v1/events``, which inspections changed.

:func:`install` adds them to the phone server's app (``TeamServer.extend``).
"""

from __future__ import annotations

from aiohttp import web

from inspector.live.server.guards import no_body
from inspector.team.api import auth, bundles, captures, damages, events, ice, inspections, users
from inspector.team.api.base import API_KEY, API_PREFIX, MAX_UPLOAD, Api, api_middleware

__all__ = ["API_KEY", "API_PREFIX", "MAX_UPLOAD", "Api", "install"]


def install(app: web.Application, api: Api) -> None:
    """The API's routes on ``app``; its middleware in place of the phone server's
    no-body rule (which it applies everywhere else)."""
    app[API_KEY] = api
    api.events = events.EventHub(api)
    middlewares = app.middlewares
    if no_body in middlewares:
        middlewares[middlewares.index(no_body)] = api_middleware
    else:
        middlewares.append(api_middleware)
    for module in (auth, inspections, captures, damages, users, bundles, events, ice):
        module.add_routes(app)

    async def closing(app: web.Application) -> None:
        if api.events is not None:
            await api.events.close()

    app.on_shutdown.append(closing)
