"""Who is asking: the session behind ``Authorization: Bearer <token>``, and what their
role lets them do; ``POST login``, ``POST logout``, ``GET me``.

Every route but ``login`` is wrapped by :func:`guarded`: no token, an unknown, ended
or expired session, or a disabled user is 401; a role without the route's
:class:`~inspector.domain.accounts.Permission` is 403. The route then runs as the
session's user: the audit log names them (``acting(user, request_id)``, carried into
the workers by :meth:`Api.run`).

A phone's join token is not a session token (sessions are looked up by the SHA-256 of
theirs, in another table) and a session token opens no phone page: the two never
open each other's doors. Passwords and tokens are never logged: the request log names
the route's pattern, and the login's body is read here only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from inspector.domain.accounts import Permission
from inspector.live.server.app import SERVER_KEY
from inspector.team.api.base import API_KEY, API_PREFIX, ApiError, answer, read_json
from inspector.team.logs import request_id
from inspector.usecases import accounts
from inspector.usecases.audit import acting

__all__ = ["add_routes", "authenticate", "bearer", "guarded"]

Route = Callable[[web.Request, accounts.Identity], Awaitable[web.StreamResponse]]
_NOT_LOGGED_IN = "not logged in: log in first (inspector login)"


def bearer(request: web.Request) -> str:
    """The request's session token (401 without one)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", _NOT_LOGGED_IN, headers=_CHALLENGE)
    return token.strip()


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="inspector"'}


async def authenticate(request: web.Request) -> accounts.Identity:
    """The session's user (401 if there is none valid)."""
    api = request.app[API_KEY]
    token = bearer(request)
    try:
        return await api.run(accounts.validate_session, api.store, token)
    except accounts.SessionInvalid as exc:
        raise ApiError(401, "session_invalid", str(exc), headers=_CHALLENGE) from None


def guarded(
    permission: Permission | tuple[Permission, ...] | None,
) -> Callable[[Route], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """A route for logged-in users whose role allows ``permission`` (None: any role; a
    tuple: any one of them)."""
    wanted = (permission,) if isinstance(permission, Permission) else (permission or ())

    def wrap(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            identity = await authenticate(request)
            if wanted and not any(identity.user.may(p) for p in wanted):
                try:
                    accounts.require(identity.user, wanted[0])
                except accounts.Forbidden as exc:
                    raise ApiError(403, "forbidden", str(exc)) from None
            with acting(identity.actor, request_id.get()):
                return await route(request, identity)

        handler.__name__ = route.__name__
        handler.__doc__ = route.__doc__
        return handler

    return wrap


async def login(request: web.Request) -> web.Response:
    """``{user, password}`` → ``{token, user, role, expires_at}``; 401 refused, 429 with
    ``Retry-After`` while the account or the address has failed too often."""
    api = request.app[API_KEY]
    body = await read_json(request)
    user, password = body.get("user"), body.get("password")
    if not isinstance(user, str) or not isinstance(password, str) or not user or not password:
        raise ApiError(400, "invalid", 'give "user" and "password" (text)')
    address = request.app[SERVER_KEY].client_address(request) or ""
    failures = api.team.metrics.login_failures
    try:
        done = await api.run(accounts.login, api.store, user, password, address=address)
    except accounts.TooManyAttempts as exc:
        failures.labels(reason="limited").inc()
        raise ApiError(
            429, "too_many_attempts", str(exc), headers={"Retry-After": str(exc.retry_after)}
        ) from None
    except accounts.LoginRefused as exc:
        failures.labels(reason=exc.reason).inc()
        raise ApiError(401, "login_refused", str(exc)) from None
    except accounts.AccountError as exc:  # a name that cannot be one, a password too long
        failures.labels(reason="invalid").inc()
        raise ApiError(401, "login_refused", str(exc)) from None
    return answer(
        {
            "token": done.token,
            "user": done.user.name,
            "role": done.user.role.value,
            "expires_at": done.session.expires_at.isoformat(),
        }
    )


@guarded(None)
async def logout(request: web.Request, identity: accounts.Identity) -> web.Response:
    api = request.app[API_KEY]
    token = bearer(request)
    await api.run(accounts.logout, api.store, token)
    if api.events is not None:  # its event sockets on this process end now, not at a recheck
        await api.events.session_ended(token)
    return answer({"logged_out": True})


@guarded(None)
async def me(request: web.Request, identity: accounts.Identity) -> web.Response:
    user = identity.user
    return answer(
        {
            "user": user.name,
            "role": user.role.value,
            "expires_at": identity.session.expires_at.isoformat(),
            "permissions": sorted(p.value for p in accounts.PERMISSIONS[user.role]),
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post(f"{API_PREFIX}/login", login)
    app.router.add_post(f"{API_PREFIX}/logout", logout)
    app.router.add_get(f"{API_PREFIX}/me", me)
