"""Structured logs: one JSON object per line, with a request id, never a secret.

``configure(json_lines=True)`` sends every log record to standard error as one
JSON line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, and
the ``request_id`` of the HTTP request being answered (a context variable the
request middleware sets; copied into the engine's tasks a request starts) and
the ``inspection_id`` (the session) when the record names one.

Nothing secret is ever written: join tokens live in URL paths (``/j/<token>``,
``/ws/<token>``) and the request log writes the route's pattern, never the
path; and every line goes through :func:`redact` anyway, which masks a path's
token, a URL's password (``postgresql://user:…@``, ``turn:user:…@``), and any
``password=``/``token=``/``secret=`` value. A test feeds a real token and a
password-like value through a real server and reads the log.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from aiohttp import web

__all__ = [
    "REQUEST_ID_HEADER",
    "JsonFormatter",
    "configure",
    "redact",
    "request_id",
    "request_log",
]

REQUEST_ID_HEADER = "X-Request-Id"
#: The request being answered (``-`` outside any request).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
#: A proxy's request id is kept when it looks like one (nginx's ``$request_id``: 32 hex).
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

_SECRETS = [
    # A join token in a path: /j/<token>, /ws/<token> (and ?query after it).
    (re.compile(r"(/(?:j|ws)/)(?!\{token\})[^/?#\s\"']+"), r"\1…"),
    # user:password@ in any URL (postgresql://, turn:, https://).
    (re.compile(r"([A-Za-z][A-Za-z0-9+.-]*:(?://)?[^:/@\s\"']+):[^@\s\"']+@"), r"\1:…@"),
    # password=…, token=…, secret=… (query strings, key=value text, JSON-ish).
    (
        re.compile(
            r"((?:pass(?:word|wd)?|token|secret|api[_-]?key|credential)s?\"?\s*[=:]\s*)"
            r"(?:\"[^\"]*\"|'[^']*'|[^\s&\"',}]+)",
            re.IGNORECASE,
        ),
        r"\1…",
    ),
]
#: The engine's lines about one session start with its inspection's id: "1f0a9c3e5b7d: …".
_INSPECTION = re.compile(r"^([0-9a-f]{12}):")


def redact(text: str) -> str:
    """``text`` with join tokens, URL passwords and ``password=`` values masked."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(message),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        inspection = getattr(record, "inspection_id", None)
        if inspection is None:
            found = _INSPECTION.search(message)
            inspection = found.group(1) if found else None
        if inspection is not None:
            data["inspection_id"] = inspection
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                data.setdefault(key, _clean(value))
        return json.dumps(data, ensure_ascii=False, default=str)


def _clean(value: Any) -> Any:
    """``value`` with every string in it redacted (lists and dicts walked)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


#: Libraries whose INFO lines are noise to an operations team.
_QUIET = (
    "aioice",
    "aiortc",
    "alembic",
    "botocore",
    "boto3",
    "urllib3",
    "s3transfer",
    "asyncio",
)


def configure(*, json_lines: bool, level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every log record to ``stream`` (standard error), as JSON lines or text."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


_log = logging.getLogger("inspector.team.requests")

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_log(client_address: Callable[[web.Request], str | None]) -> Any:
    """The middleware giving each request its id and writing one log line for it.

    The id is the proxy's ``X-Request-Id`` when it looks like one (nginx sets
    ``$request_id``: the proxy's log and ours then share it), else a new one; it
    is sent back in the response's ``X-Request-Id``. The line names the route's
    pattern (``/j/{token}``), never the path, and the client's address as the
    trusted-proxy rule gives it.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        rid = given if _GOOD_ID.match(given) else secrets.token_hex(16)
        token = request_id.set(rid)
        started = time.monotonic()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            if not response.prepared:  # a WebSocket's answer is long sent by now
                response.headers[REQUEST_ID_HEADER] = rid
            return response
        except web.HTTPException as exc:
            status = exc.status
            exc.headers[REQUEST_ID_HEADER] = rid
            raise
        finally:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "(no route)"
            _log.info(
                "%s %s %d",
                request.method,
                route,
                status,
                extra={
                    "fields": {
                        "event": "request",
                        "method": request.method,
                        "route": route,
                        "status": status,
                        "ms": round((time.monotonic() - started) * 1000, 1),
                        "client": client_address(request) or "unknown",
                    }
                },
            )
            request_id.reset(token)

    return middleware
