"""The pages the phone server refuses with (404, 409, 429, 503, ...), styled like the phone page.

A refusal is the phone page's own error screen, written by the server: the same
stylesheet, the words of the same catalogs (:data:`PHONE_STRINGS`), in the
seller's language, saying what to do next, with a "Try again" link where
retrying helps. No script: the page's CSP allows none inline, and a refusal
must work where the page's script would not.

The language is the inspection's when a valid token says which (409), else
the browser's ``Accept-Language``: a page refusing a token never depends on
anything the token names, so it tells a guesser nothing (an invalid, expired
or revoked link gets the same page). They say nothing about the server either
(no framework name, no error detail).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape

from aiohttp import web

from inspector.i18n import gettext, languages
from inspector.live.phone_words import PHONE_STRINGS

__all__ = [
    "REFUSALS",
    "Refusal",
    "errors_as_pages",
    "page_language",
    "refusal",
    "refusal_html",
    "too_many",
]

DEFAULT_LANGUAGE = "en"  # as the phone page: English when the browser asks for nothing we speak


@dataclass(frozen=True)
class Refusal:
    """What a refusal says (keys of :data:`PHONE_STRINGS`) and whether retrying can help."""

    title: str
    text: str
    retry: bool = False
    takeover: bool = False  # another device holds the inspection: this one may ask for it
    refresh: int = 0  # seconds before the page reloads by itself (0: never)


REFUSALS: dict[str, Refusal] = {
    "invalid": Refusal("invalid_title", "invalid_text"),
    "in_use": Refusal("in_use_title", "in_use_text", retry=True, takeover=True),
    "takeover_asked": Refusal("takeover_asked_title", "takeover_asked_text", refresh=3),
    "takeover_declined": Refusal("takeover_declined_title", "takeover_declined_text", retry=True),
    "too_many": Refusal("too_many_title", "too_many_text", retry=True),
    "error": Refusal("server_error_title", "server_error_text", retry=True),
    "not_found": Refusal("not_found_title", "not_found_text"),
}

_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="dark">
<meta name="theme-color" content="#000000">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">{refresh}
<title>{title}</title>
<link rel="icon" href="/static/icon-car.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/phone.css">
</head>
<body>
<main id="app" data-state="refused" data-refusal="{kind}">
  <section id="screen-error" class="screen">
    <div class="card">
      <img class="logo" src="/static/icon-car.svg" alt="">
      <h1 id="error-title">{title}</h1>
      <p id="error-text">{text}</p>{actions}
    </div>
  </section>
</main>
</body>
</html>
"""


def _quality(part: str) -> tuple[str, float]:
    tag, _, params = part.strip().partition(";")
    q = 1.0
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
    return tag.strip().lower().split("-")[0], q


def page_language(request: web.BaseRequest, preferred: str | None = None) -> str:
    """``preferred`` (the inspection's) if the catalogs speak it, else the browser's best."""
    spoken = languages()
    if preferred in spoken:
        return str(preferred)
    header = request.headers.get("Accept-Language", "")[:256]
    ranked = sorted((_quality(part) for part in header.split(",")[:16]), key=lambda tq: -tq[1])
    for tag, q in ranked:
        if q > 0 and tag in spoken:
            return tag
    return DEFAULT_LANGUAGE


def refusal_html(kind: str, lang: str, *, actions: bool = True) -> str:
    """The page of one refusal, with its buttons unless ``actions`` is false.

    The buttons are links relative to the page's own address ("?": the same link
    again; "?takeover=1": ask for it), so no token is ever written into a page.
    """
    spec = REFUSALS[kind]

    def say(key: str) -> str:
        return escape(gettext(lang, PHONE_STRINGS[key]), quote=False)

    buttons = ""
    if actions and spec.retry:
        buttons += f'\n      <a id="retry" class="big" href="?">{say("retry")}</a>'
    if actions and spec.takeover:
        buttons += (
            '\n      <a id="takeover" class="big secondary" href="?takeover=1">'
            f"{say('takeover')}</a>"
        )
    refresh = f'\n<meta http-equiv="refresh" content="{spec.refresh}">' if spec.refresh else ""
    return _PAGE.format(
        lang=escape(lang, quote=True),
        kind=kind,
        refresh=refresh,
        title=say(spec.title),
        text=say(spec.text),
        actions=buttons,
    )


def refusal(
    request: web.BaseRequest,
    kind: str,
    status: int,
    *,
    language: str | None = None,
    actions: bool = True,
) -> web.Response:
    """The refusal page ``kind`` with its HTTP status, in the seller's language."""
    lang = page_language(request, language)
    html = refusal_html(kind, lang, actions=actions)
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Language"] = lang
    return response


def too_many(request: web.BaseRequest, seconds_left: float) -> web.Response:
    """429 with the seconds to wait (rounded up, at least 1)."""
    response = refusal(request, "too_many", 429)
    response.headers["Retry-After"] = str(max(1, math.ceil(seconds_left)))
    return response


@web.middleware
async def errors_as_pages(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Styled pages for 404/405; nothing about the server leaks."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        kind = "invalid" if request.path.startswith("/j/") else "not_found"
        return refusal(request, kind, 404)
    except web.HTTPMethodNotAllowed:
        return refusal(request, "not_found", 405)
