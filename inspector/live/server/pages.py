"""The plain bilingual pages the phone server refuses with (404, 409, 429, ...).

They say nothing about the server (no framework name, no error detail): a
phone's browser shows them to the seller, a scanner learns nothing from them.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

from aiohttp import web

__all__ = [
    "BAD_REQUEST_PAGE",
    "ERROR_PAGE",
    "INVALID_PAGE",
    "IN_USE_PAGE",
    "MISSING_PAGE",
    "NOT_FOUND_PAGE",
    "NO_BODY_PAGE",
    "TOO_MANY_PAGE",
    "errors_as_pages",
    "page",
    "too_many",
]

_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><h1>{fr}</h1><p lang="en">{en}</p></body></html>
"""
INVALID_PAGE = _PAGE.format(
    title="Lien non valide / Link not valid",
    fr="Ce lien n'est pas valide.",
    en="This link is not valid.",
)
IN_USE_PAGE = _PAGE.format(
    title="Déjà en cours / Already in use",
    fr="Cette inspection est déjà ouverte sur un autre téléphone.",
    en="This inspection is already open on another phone.",
)
MISSING_PAGE = _PAGE.format(
    title="Indisponible / Unavailable",
    fr="La page n'est pas installée.",
    en="The phone page is not installed.",
)
TOO_MANY_PAGE = _PAGE.format(
    title="Trop de tentatives / Too many attempts",
    fr="Trop de tentatives. Réessayez dans quelques minutes.",
    en="Too many attempts. Please try again in a few minutes.",
)
NO_BODY_PAGE = _PAGE.format(
    title="Refusé / Refused",
    fr="Cette requête n'est pas acceptée.",
    en="This request is not accepted.",
)
ERROR_PAGE = _PAGE.format(
    title="Erreur / Error",
    fr="Une erreur est survenue. Réessayez.",
    en="Something went wrong. Please try again.",
)
BAD_REQUEST_PAGE = _PAGE.format(
    title="Requête invalide / Bad request",
    fr="Requête invalide.",
    en="Bad request.",
)
NOT_FOUND_PAGE = _PAGE.format(
    title="Introuvable / Not found", fr="Page introuvable.", en="Not found."
)


def page(html: str, status: int) -> web.Response:
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def too_many(seconds_left: float) -> web.Response:
    """429 with the seconds to wait (rounded up, at least 1)."""
    response = page(TOO_MANY_PAGE, 429)
    response.headers["Retry-After"] = str(max(1, math.ceil(seconds_left)))
    return response


@web.middleware
async def errors_as_pages(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Plain bilingual pages for 404/405; nothing about the server leaks."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return page(INVALID_PAGE if request.path.startswith("/j/") else NOT_FOUND_PAGE, 404)
    except web.HTTPMethodNotAllowed:
        return page(NOT_FOUND_PAGE, 405)
