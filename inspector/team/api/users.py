"""The team's accounts over the API, for admins: what ``inspector users`` does at the
server's own command line.

=====================================  ============  ======================================
route                                  permission    answer
=====================================  ============  ======================================
``GET users``                          manage_users  ``users list --json``
``POST users``                         manage_users  ``{name, role, password}`` → the user
                                                     (201)
``POST users/{name}/disable``          manage_users  the user (every session of theirs
                                                     ends at once)
``POST users/{name}/enable``           manage_users  the user
``POST users/{name}/password``         manage_users  ``{password}`` → the user (their
                                                     sessions end)
=====================================  ============  ======================================

A password travels only in a request's body (never a URL, which logs keep), is checked
as at the command line (at least ``PASSWORD_MIN`` characters) and is never answered,
logged nor written to the audit log. An admin cannot disable their own account (the
team would risk losing its last admin): another admin does.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inspector.domain.accounts import Permission, User, check_name
from inspector.team.api.auth import guarded
from inspector.team.api.base import API_KEY, API_PREFIX, Api, ApiError, answer, read_json
from inspector.usecases import accounts
from inspector.usecases.accounts import Identity, user_to_dict

__all__ = ["add_routes"]


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ApiError(400, "invalid", f'give "{key}" (text)')
    return value


def _known(api: Api, name: str) -> str:
    """The stored form of ``name`` if such a user exists (404 if not, 400 if no name)."""
    try:
        checked = check_name(name)
    except ValueError as exc:
        raise ApiError(400, "invalid", str(exc)) from None
    if api.store.accounts.user(checked) is None:
        raise ApiError(404, "not_found", f"no user {checked!r}")
    return checked


@guarded(Permission.MANAGE_USERS)
async def list_users(request: web.Request, identity: Identity) -> web.Response:
    api = request.app[API_KEY]
    users = await api.run(accounts.list_users, api.store)
    return answer([user_to_dict(u) for u in users])


@guarded(Permission.MANAGE_USERS)
async def add(request: web.Request, identity: Identity) -> web.Response:
    api = request.app[API_KEY]
    body = await read_json(request)
    unknown = sorted(set(body) - {"name", "role", "password"})
    if unknown:
        raise ApiError(400, "invalid", f"unknown field(s): {', '.join(unknown)}")
    name, role, password = _text(body, "name"), _text(body, "role"), _text(body, "password")
    user = await api.run(accounts.add_user, api.store, name, role, password)
    return answer(user_to_dict(user), 201)


def _disable(api: Api, name: str, me: str) -> User:
    checked = _known(api, name)
    if checked == me:
        raise ApiError(409, "conflict", "you cannot disable your own account: ask another admin")
    return accounts.disable_user(api.store, checked)


@guarded(Permission.MANAGE_USERS)
async def disable(request: web.Request, identity: Identity) -> web.Response:
    api = request.app[API_KEY]
    user = await api.run(_disable, api, request.match_info["name"], identity.user.name)
    return answer(user_to_dict(user))


def _enable(api: Api, name: str) -> User:
    return accounts.enable_user(api.store, _known(api, name))


@guarded(Permission.MANAGE_USERS)
async def enable(request: web.Request, identity: Identity) -> web.Response:
    api = request.app[API_KEY]
    user = await api.run(_enable, api, request.match_info["name"])
    return answer(user_to_dict(user))


def _password(api: Api, name: str, password: str) -> User:
    return accounts.set_password(api.store, _known(api, name), password)


@guarded(Permission.MANAGE_USERS)
async def password(request: web.Request, identity: Identity) -> web.Response:
    api = request.app[API_KEY]
    body = await read_json(request)
    user = await api.run(_password, api, request.match_info["name"], _text(body, "password"))
    return answer(user_to_dict(user))


def add_routes(app: web.Application) -> None:
    base = f"{API_PREFIX}/users"
    app.router.add_get(base, list_users)
    app.router.add_post(base, add)
    app.router.add_post(base + "/{name}/disable", disable)
    app.router.add_post(base + "/{name}/enable", enable)
    app.router.add_post(base + "/{name}/password", password)
