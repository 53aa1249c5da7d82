"""Bundles sent to the server: ``POST bundles`` imports one (``import``), ``POST
bundles/verify`` checks one (``verify --json``).

The body is the zip itself (``Content-Type: application/zip``), at most
``Api.max_upload`` bytes (413 beyond, refused from its ``Content-Length`` before a
byte is read); it is written to the server's working folder, checked there, and
deleted. A file that is not a bundle, or a hostile one (paths outside the bundle,
a zip bomb, a manifest that lies), is refused with 422 and what is wrong: the
bundle's own checks (:mod:`inspector.bundle`) decide, as at a desk.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from inspector.domain.accounts import Permission
from inspector.team.api.auth import guarded
from inspector.team.api.base import API_KEY, API_PREFIX, answer, discard, receive_file
from inspector.team.api.inspections import _long
from inspector.usecases.accounts import Identity

__all__ = ["add_routes"]


def _name(request: web.Request) -> str:
    """The file's name as the client gave it (for the messages and the audit log)."""
    given = Path(request.query.get("name", "").replace("\\", "/")).name
    cleaned = "".join(c for c in given if c.isprintable())[:128].strip(". ")
    return cleaned or "bundle.zip"


@guarded(Permission.IMPORT)
async def import_(request: web.Request, identity: Identity) -> web.Response:
    from inspector.bundle import import_bundle
    from inspector.usecases.inspections import inspection_to_dict

    api = request.app[API_KEY]
    _long(request)
    path = await receive_file(request, api, _name(request))
    try:
        inspection = await api.run(import_bundle, api.store, path)
    finally:
        discard(path)
    if api.events is not None:
        api.events.look_soon()
    return answer(inspection_to_dict(inspection), 201)


@guarded(Permission.VIEW)
async def verify(request: web.Request, identity: Identity) -> web.Response:
    from inspector.bundle import verify_bundle

    api = request.app[API_KEY]
    _long(request)
    path = await receive_file(request, api, _name(request))
    try:
        result = await api.run(verify_bundle, path)
    finally:
        discard(path)
    data = result.to_dict()
    data["path"] = _name(request)
    return answer(data)


def add_routes(app: web.Application) -> None:
    app.router.add_post(f"{API_PREFIX}/bundles", import_)
    app.router.add_post(f"{API_PREFIX}/bundles/verify", verify)
