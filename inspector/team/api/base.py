"""What every route of the operator API shares: its state on the app, JSON answers and
errors, bodies read with a cap, blocking work run off the loop.

Every answer under ``/api/`` is JSON (a PDF or a zip aside); every refusal is
``{"error": code, "message": text}`` with its HTTP status, never a traceback nor an
HTML page. A failure nobody expected is logged (with the request id) and answered
``500 {"error": "internal", ...}``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import json
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from inspector.bundle import BundleError
from inspector.domain.status import IllegalTransition
from inspector.live.server.guards import no_body
from inspector.storage import ChangedElsewhere, Conflict, NotFound, StoreError
from inspector.usecases.accounts import AccountError

if TYPE_CHECKING:
    from inspector.team.api.events import EventHub
    from inspector.team.server import TeamServer

__all__ = [
    "API_KEY",
    "API_PREFIX",
    "MAX_JSON_BODY",
    "MAX_UPLOAD",
    "Api",
    "ApiError",
    "answer",
    "api_middleware",
    "discard",
    "read_json",
    "receive_file",
]

log = logging.getLogger("inspector.team.api")

API_PREFIX = "/api/v1"
MAX_JSON_BODY = 64 * 1024
"""A JSON request body larger than this is refused (413): no route needs more."""
MAX_UPLOAD = 2 * 1024**3
"""A bundle larger than this is refused (413) before it is read."""

_T = TypeVar("_T")
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A refusal: its status, code and message become the JSON answer."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.field = field
        """The input field at fault, when one is (its name in the answer's ``field``)."""


class Api:
    """The operator API's state, one per team server: its workers, limits, events."""

    def __init__(self, team: TeamServer, *, max_upload: int = MAX_UPLOAD, workers: int = 4) -> None:
        self.team = team
        self.max_upload = max_upload
        # Its own threads: a slow report or import never holds the engine's workers.
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="api")
        self.events: EventHub | None = None

    @property
    def store(self) -> Any:
        return self.team.store

    async def run(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """``fn`` in a worker, with this task's context (the audit log's actor, the
        request id): the loop never blocks."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def scratch(self) -> Path:
        """The folder for the files being made or received (the working folder's)."""
        folder = Path(self.team.store.data_dir) / "tmp" / "api"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


#: The operator API an app serves (``request.app[API_KEY]``).
API_KEY = web.AppKey("operator_api", Api)


def answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    response = web.Response(
        text=json.dumps(data, ensure_ascii=False),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def refusal(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    field: str | None = None,
) -> web.Response:
    body = {"error": code, "message": message}
    if field is not None:
        body["field"] = field
    return answer(body, status, headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
}


@web.middleware
async def api_middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Under ``/api/``: bodies allowed (each route caps its own) and every failure as a
    JSON refusal. Elsewhere: the phone server's rule, no body at all."""
    if not request.path.startswith("/api/"):
        return await no_body(request, handler)
    try:
        return await handler(request)
    except ApiError as exc:
        return refusal(exc.status, exc.code, exc.message, exc.headers, field=exc.field)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "error")
        return refusal(exc.status, code, exc.reason or code.replace("_", " "))
    except NotFound as exc:
        return refusal(404, "not_found", str(exc))
    except BundleError as exc:
        return refusal(422, "bad_bundle", str(exc))
    except AccountError as exc:
        return refusal(400, "refused", str(exc))
    except (Conflict, ChangedElsewhere) as exc:  # someone else's change, an id taken
        return refusal(409, "conflict", str(exc))
    except IllegalTransition as exc:
        return refusal(409, "illegal_transition", str(exc))
    except StoreError as exc:
        log.warning("the store refused an API request: %s", exc)
        return refusal(503, "store", str(exc))
    except ValueError as exc:
        return refusal(400, "invalid", str(exc))
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        log.exception("an API request failed")
        return refusal(500, "internal", "the server failed to answer; see its log")


async def read_json(request: web.Request, limit: int = MAX_JSON_BODY) -> dict[str, Any]:
    """The request's body as a JSON object (400 if it is not one, 413 if too long)."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", f"the request body is larger than {limit} bytes")
    raw = bytearray()
    while chunk := await request.content.read(16 * 1024):
        raw += chunk
        if len(raw) > limit:
            raise ApiError(413, "too_large", f"the request body is larger than {limit} bytes")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_json", "the request body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "the request body must be a JSON object")
    return data


async def receive_file(request: web.Request, api: Api, name: str) -> Path:
    """The request's body as ``name`` in a new folder of the scratch folder, at most
    ``api.max_upload`` bytes (413 beyond, nothing kept). The caller calls :func:`discard`."""
    limit = api.max_upload
    too_large = f"the file is larger than {limit / 2**20:g} MiB"
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", too_large)
    path = Path(tempfile.mkdtemp(dir=api.scratch())) / name
    try:
        with open(path, "wb") as f:
            size = 0
            while chunk := await request.content.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, "too_large", too_large)
                await api.run(f.write, chunk)
        if size == 0:
            raise ApiError(400, "empty", "no file was sent (the request body is empty)")
    except BaseException:
        discard(path)
        raise
    return path


def discard(path: Path) -> None:
    """Delete a file :func:`receive_file` made, and its folder."""
    shutil.rmtree(path.parent, ignore_errors=True)
