"""``GET ice``: the STUN/TURN servers a remote console's engine uses for a call.

The phone gets the team's ICE servers from the server with each join (TURN credentials
minted per peer from the secret shared with coturn); a console behind a company
firewall needs the same relay, and has no secret: it asks here before each call and
gets credentials minted for it (``desk-USER``), valid as long as the phone's.
"""

from __future__ import annotations

from aiohttp import web

from inspector.domain.accounts import Permission
from inspector.team.api.auth import guarded
from inspector.team.api.base import API_KEY, API_PREFIX, answer
from inspector.usecases.accounts import Identity

__all__ = ["add_routes"]


@guarded(Permission.RUN_LIVE)
async def ice(request: web.Request, identity: Identity) -> web.Response:
    settings = request.app[API_KEY].team.engine.settings
    servers = settings.ice_servers_for(f"desk-{identity.actor}"[:64])
    return answer({"ice_servers": [s.to_dict() for s in servers]})


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{API_PREFIX}/ice", ice)
