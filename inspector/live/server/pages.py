"""The plain bilingual pages the phone server refuses with (404, 409, 429, ...).

They say nothing about the server (no framework name, no error detail): a
phone's browser shows them to the seller, a scanner learns nothing from them.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from html import escape

from aiohttp import web

from inspector.i18n import N_, gettext

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


def _bilingual(title: str, text: str) -> str:
    """A page in French and English (the server cannot know the seller's language yet)."""
    return _PAGE.format(
        title=escape(f"{gettext('fr', title)} / {title}", quote=False),
        fr=escape(gettext("fr", text), quote=False),
        en=escape(text, quote=False),
    )


INVALID_PAGE = _bilingual(N_("Link not valid"), N_("This link is not valid."))
IN_USE_PAGE = _bilingual(
    N_("Already in use"), N_("This inspection is already open on another phone.")
)
MISSING_PAGE = _bilingual(N_("Unavailable"), N_("The phone page is not installed."))
TOO_MANY_PAGE = _bilingual(
    N_("Too many attempts"), N_("Too many attempts. Please try again in a few minutes.")
)
NO_BODY_PAGE = _bilingual(N_("Refused"), N_("This request is not accepted."))
ERROR_PAGE = _bilingual(N_("Error"), N_("Something went wrong. Please try again."))
BAD_REQUEST_PAGE = _bilingual(N_("Bad request"), N_("Bad request."))
NOT_FOUND_PAGE = _bilingual(N_("Not found"), N_("Not found."))


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
