"""The console's end of the relay: an engine attached to an inspection's calls on a team server.

:class:`DeskLink` opens the desk socket (``/api/v1/inspections/{id}/desk``, see
:mod:`inspector.team.relay`) with the operator's session token and answers every
offer the server relays with the console's own engine (:meth:`Engine.offer`): the
phone's media then comes straight to this engine (or through TURN), and the session
(the checklist walk, the captures) runs here as it does at a desk.

The link keeps itself up: a dropped socket (network, a server process restarting) is
opened again after a backoff of 0.5, 1, 2, 4, then 5 s at most, and the server tells
the waiting phone to offer again. It stops for good, and says why through
``on_state``, when the server closes it with 4409 (another console took the
inspection: this one must not take it back), 4401 (the session ended: log in again),
or refuses it outright (401, 403, 404, 400: retrying would change nothing).

Qt-free and thread-safe at its edges: :meth:`start` and :meth:`stop` from any thread
but the engine's (stop it before the engine);
the link runs on the engine's loop; ``on_state(state, reason)`` is called on that
loop's thread (the console's bridge turns it into a signal). States: "connecting",
"attached", "retrying", "stopped"; reasons when stopped: "replaced",
"session_ended", "unauthenticated", "forbidden", "not_found", "refused", "stopped".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import ssl as ssl_module
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import WSMsgType

from inspector.live.engine import Engine

__all__ = ["BACKOFF", "DeskLink", "StateCallback"]

log = logging.getLogger(__name__)

#: Seconds before each new attempt after a drop (the last one repeats).
BACKOFF = (0.5, 1.0, 2.0, 4.0, 5.0)
REPLACED = 4409
SESSION_ENDED = 4401
#: Refusals of the handshake that no retry would change, and how they are reported.
_FINAL_STATUS = {
    400: "refused",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
}

StateCallback = Callable[[str, "str | None"], None]


class DeskLink:
    """See the module docstring."""

    def __init__(
        self,
        server_url: str,
        session_token: str,
        inspection_id: str,
        engine: Engine,
        *,
        on_state: StateCallback | None = None,
        ssl: ssl_module.SSLContext | None = None,
        backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        base = server_url.rstrip("/")
        scheme, sep, rest = base.partition("://")
        if not sep or scheme not in ("http", "https"):
            raise ValueError(f"the server's URL must start with http:// or https://: {server_url}")
        ws_scheme = "wss" if scheme == "https" else "ws"
        self.url = f"{ws_scheme}://{rest}/api/v1/inspections/{quote(inspection_id, safe='')}/desk"
        self.inspection_id = inspection_id
        self.engine = engine
        self._token = session_token
        self._on_state = on_state
        self._ssl = ssl
        self._backoff = backoff
        self.state = "stopped"
        #: Why the link stopped for good (None while it runs).
        self.reason: str | None = None
        #: Offers answered since the start.
        self.answered = 0
        self._future: concurrent.futures.Future[None] | None = None
        self._stopping = False
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    # -- lifecycle (any thread) -----------------------------------------------------

    def start(self) -> None:
        """Attach (on the engine's loop) and keep attached until :meth:`stop` or a final
        refusal; returns at once."""
        if self._future is not None and not self._future.done():
            raise RuntimeError("the desk link is already running")
        self._stopping = False
        self.reason = None
        self.state = "connecting"  # from now on: "stopped" means stopped again
        self._future = self.engine.call(self.run())

    def stop(self, timeout: float = 5.0) -> None:
        """Detach (the server tells the phone to wait) and stop; returns within ~timeout."""
        future = self._future
        if future is None or future.done():
            return
        self._stopping = True
        with contextlib.suppress(Exception):
            self.engine.call(self._close_socket()).result(timeout)
        future.cancel()
        with contextlib.suppress(Exception):
            concurrent.futures.wait([future], timeout)

    def report_path(self, path: str) -> None:
        """Tell the server the media path of the call just connected ("direct" or
        "relay"): it counts the call in ``inspector_calls_total{path}``, as it counts the
        calls its own engine runs. From any thread; dropped while the socket is down."""
        if self.running:
            self.engine.call(self._send({"type": "path", "path": path}))

    async def _send(self, message: dict[str, Any]) -> None:
        ws = self._ws
        if ws is not None and not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json(message)

    def _stop_asked(self) -> bool:
        return self._stopping

    @property
    def running(self) -> bool:
        return self._future is not None and not self._future.done()

    # -- the link (engine's loop) -------------------------------------------------------

    async def run(self) -> None:
        """Attach, answer offers, come back after drops; returns once stopped for good."""
        attempt = 0
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            async with aiohttp.ClientSession() as http:
                while not self._stop_asked():
                    self._say("connecting" if attempt == 0 else "retrying")
                    try:
                        ws = await http.ws_connect(
                            self.url,
                            headers=headers,
                            heartbeat=10.0,
                            ssl=self._ssl if self._ssl is not None else True,
                            max_msg_size=1 << 20,
                        )
                    except aiohttp.WSServerHandshakeError as exc:
                        final = _FINAL_STATUS.get(exc.status)
                        if final is not None:
                            self._stop_for_good(final)
                            return
                        log.warning("desk socket refused (HTTP %s): trying again", exc.status)
                    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                        log.warning("cannot reach the server for the desk socket: %s", exc)
                    else:
                        attempt = 0
                        final = await self._serve(ws)
                        if final is not None:
                            self._stop_for_good(final)
                            return
                    if self._stop_asked():  # during the last attempt
                        break
                    delay = self._backoff[min(attempt, len(self._backoff) - 1)]
                    attempt += 1
                    await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self._stop_for_good("stopped")
            raise
        self._stop_for_good("stopped")

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> str | None:
        """Answer offers until the socket ends: the final reason, or None to come back."""
        self._ws = ws
        tasks: set[asyncio.Task[None]] = set()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    break
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
                kind = data.get("type")
                if kind == "attached":
                    self._say("attached")
                elif kind == "offer":
                    task = asyncio.get_running_loop().create_task(self._answer(ws, data))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                elif kind == "bye":
                    with contextlib.suppress(Exception):
                        await asyncio.wrap_future(
                            self.engine.call(
                                self.engine.bye(self.inspection_id, str(data.get("device", "")))
                            )
                        )
        finally:
            self._ws = None
            for task in tasks:
                task.cancel()
        code = ws.close_code
        if code == REPLACED:
            return "replaced"
        if code == SESSION_ENDED:
            return "session_ended"
        return None

    async def _answer(self, ws: aiohttp.ClientWebSocketResponse, data: dict[str, Any]) -> None:
        offer_id, sdp = data.get("id"), data.get("sdp")
        if not isinstance(sdp, str):
            return
        device = str(data.get("device", ""))
        try:
            answer = await asyncio.wrap_future(
                self.engine.call(self.engine.offer(self.inspection_id, sdp, device))
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("the engine refused a relayed offer: %s", exc)
            reply = {"type": "error", "id": offer_id, "message": str(exc)[:200]}
        else:
            self.answered += 1
            reply = {"type": "answer", "id": offer_id, "sdp": answer}
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_json(reply)

    async def _close_socket(self) -> None:
        ws = self._ws
        if ws is not None and not ws.closed:
            await ws.close()

    def _stop_for_good(self, reason: str) -> None:
        if self.state == "stopped" and self.reason is not None:
            return
        self.reason = reason
        self._say("stopped", reason)

    def _say(self, state: str, reason: str | None = None) -> None:
        self.state = state
        if state == "stopped":
            log.info("desk link of %s stopped (%s)", self.inspection_id, reason)
        if self._on_state is not None:
            try:
                self._on_state(state, reason)
            except Exception:
                log.exception("the desk link's listener failed")
