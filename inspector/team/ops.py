"""What an operations team asks of the service: ``/healthz``, ``/readyz``, ``/metrics``.

- ``GET /healthz``: the process answers (its loop runs); touches nothing else. 200.
- ``GET /readyz``: the database answers a query and the photo store answers
  (a bucket's HEAD, a folder's access), both within ``READY_TIMEOUT``; 200
  ``{"ready": true}``, else 503 ``{"ready": false, "reason": "database: …"}``
  (one short line, no password: the store's messages hide it). Also 503 while
  the server shuts down, so a load balancer stops sending phones here. One
  check at a time: probes arriving meanwhile share its answer.
- ``GET /metrics``: the Prometheus text format (:mod:`.metrics`). Keep it off the
  internet: the nginx site in ``deploy/`` refuses it from outside.

The checks run in a thread of their own, never on the loop nor in the engine's workers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
from collections.abc import Callable

from aiohttp import web

from inspector.storage.store import Store
from inspector.team.metrics import CONTENT_TYPE, Metrics

__all__ = ["READY_TIMEOUT", "Ops"]

log = logging.getLogger(__name__)

#: A readiness check slower than this is a failure (the probe's own timeout is longer).
READY_TIMEOUT = 3.0


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


class Ops:
    """The three routes, over one store and one set of metrics."""

    def __init__(
        self, store: Store, metrics: Metrics, *, ready_timeout: float = READY_TIMEOUT
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.ready_timeout = ready_timeout
        self.shutting_down = False
        self._check: asyncio.Future[str | None] | None = None
        # Its own thread: a store that hangs holds this one, never the engine's workers
        # (probes meanwhile time out: "no answer").
        self._probes = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="readyz")

    def close(self) -> None:
        self._probes.shutdown(wait=False, cancel_futures=True)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics_page)

    async def healthz(self, request: web.Request) -> web.Response:
        return _json({"alive": True}, 200)

    async def readyz(self, request: web.Request) -> web.Response:
        if self.shutting_down:
            return _json({"ready": False, "reason": "shutting down"}, 503)
        reason = await self._shared_check()
        self.metrics.ready.set(0 if reason else 1)
        if reason:
            return _json({"ready": False, "reason": reason}, 503)
        return _json({"ready": True}, 200)

    async def metrics_page(self, request: web.Request) -> web.Response:
        body = self.metrics.render()
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    async def _shared_check(self) -> str | None:
        if self._check is None or self._check.done():
            self._check = asyncio.ensure_future(self._run_check())
        return await asyncio.shield(self._check)

    async def _run_check(self) -> str | None:
        loop = asyncio.get_running_loop()
        for what, probe in (
            ("database", self.store.ping_database),
            ("photo store", self.store.ping_photos),
        ):
            reason = await self._probe(loop, what, probe)
            if reason is not None:
                log.warning("not ready: %s", reason)
                return reason
        return None

    async def _probe(
        self, loop: asyncio.AbstractEventLoop, what: str, probe: Callable[[], None]
    ) -> str | None:
        try:
            await asyncio.wait_for(loop.run_in_executor(self._probes, probe), self.ready_timeout)
        except TimeoutError:
            return f"{what}: no answer within {self.ready_timeout:g} s"
        except Exception as exc:
            return f"{what}: {_reason(exc)}"
        return None


def _json(data: dict[str, object], status: int) -> web.Response:
    return web.Response(
        text=json.dumps(data), status=status, content_type="application/json", charset="utf-8"
    )
