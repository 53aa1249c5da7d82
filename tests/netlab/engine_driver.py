"""The operator's side of the network lab: a real ``Engine`` in its own process, run in the
operator's namespace (``ip netns exec NS python -m tests.netlab.engine_driver ...``).

It creates an inspection, invites the phone in operator mode and then speaks JSON lines:
events on stdout (``listening``, ``invite``, ``joined``, ``connection``, ``stats``,
``capture``, ``capture_failed``, ``frames``), commands on stdin:

* ``{"cmd": "capture"}`` → ``{"event": "capture_requested", "capture_id"}`` (the still
  arrives as a ``capture`` event: its SHA-256 as stored, the stored file's own hash, size);
* ``{"cmd": "accept", "capture_id"}`` → ``{"event": "accepted"}``;
* ``{"cmd": "pair"}`` → ``{"event": "pair", "local": TYPE, "remote": TYPE, ...}``: the
  candidate pair aiortc's ICE nominated (read from aioice, which aiortc does not expose);
* ``{"cmd": "stop"}``.

TURN credentials come as options: ``--ice-server SPEC`` (static) and ``--turn-url URL``
with ``INSPECTOR_TURN_SECRET`` in the environment (minted per peer), as ``inspector serve``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from inspector.config import IceServer, ServerSettings, TurnRest, resolve_turn_secret
from inspector.live import events
from inspector.live.contrib.simphone import read_stamp
from inspector.live.engine import Engine
from inspector.live.timings import STILL_TIMEOUT
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection

_out_lock = threading.Lock()


def say(**data: Any) -> None:
    with _out_lock:
        sys.stdout.write(json.dumps(data, default=str) + "\n")
        sys.stdout.flush()


class Reporter:
    """Engine events → JSON lines (called on the engine's thread)."""

    def __init__(self) -> None:
        self.frames = 0
        self.started = time.monotonic()

    def __call__(self, event: events.Event) -> None:
        if isinstance(event, events.Listening):
            say(event="listening", url=event.url)
        elif isinstance(event, events.PhoneJoined):
            say(event="joined", user_agent=event.user_agent, camera=event.camera)
        elif isinstance(event, events.ConnectionChanged):
            say(event="connection", state=event.state, t=time.monotonic())
        elif isinstance(event, events.LinkStats):
            say(
                event="stats",
                fps=event.fps,
                width=event.width,
                height=event.height,
                rtt_ms=event.rtt_ms,
                bitrate_kbps=event.bitrate_kbps,
                path=event.path,
                t=time.monotonic(),
            )
        elif isinstance(event, events.FrameAvailable):
            self.frames = max(self.frames, event.seq)
        elif isinstance(event, events.CaptureStored):
            c = event.capture
            data = Path(event.path).read_bytes()
            say(
                event="capture",
                capture_id=c.id,
                shot_id=c.shot_id,
                sha256=c.sha256,
                file_sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                width=c.width,
                height=c.height,
                source=str(c.source),
                spooled=event.spooled,
                t=time.monotonic(),
            )
        elif isinstance(event, events.OriginalStored):
            c = event.capture
            say(
                event="original_stored",
                capture_id=c.id,
                sha256=c.sha256,
                size=c.size,
                width=c.width,
                height=c.height,
                t=time.monotonic(),
            )
        elif isinstance(event, events.OriginalFailed):
            say(
                event="original_failed",
                capture_id=event.capture_id,
                reason=event.reason,
                retrying=event.retrying,
            )
        elif isinstance(event, events.CaptureFailed):
            say(event="capture_failed", capture_id=event.capture_id, reason=event.reason)
        elif isinstance(event, events.EngineError):
            say(event="engine_error", message=event.message)
        elif isinstance(event, events.DeskLinkChanged):  # a remote console's (desk_driver)
            say(event="desk_link", state=event.state, reason=event.reason)


class StampReader:
    """Polls the newest frame at ~200 Hz (as the console paints) and notes, for each new
    one, the frame number the simulated phone stamped in it and when it was seen."""

    def __init__(self, engine: Engine, inspection_id: str) -> None:
        self.engine, self.inspection_id = engine, inspection_id
        self.samples: list[tuple[int, float, float]] = []  # number, seen, received
        self.unreadable = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stamps", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last = -1
        while not self._stop.wait(0.005):
            frame = self.engine.latest_frame(self.inspection_id)
            if frame is None or frame.seq == last:
                continue
            seen = time.monotonic()
            last = frame.seq
            number = read_stamp(frame.bgr())
            if number is None:
                self.unreadable += 1
            else:
                self.samples.append((number, seen, frame.received))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def selected_pair(engine: Engine, inspection_id: str) -> dict[str, Any]:
    """The nominated ICE candidate pair of the session's current peer."""

    async def read() -> dict[str, Any]:
        session = engine._sessions.get(inspection_id)
        peer = session.peer if session is not None else None
        if peer is None:
            return {"error": "no peer"}
        sctp = peer.pc.sctp
        if sctp is None:
            return {"error": "no SCTP transport"}
        connection = sctp.transport.transport._connection
        pair = connection._nominated.get(1)
        if pair is None:
            return {"error": "nothing nominated yet"}
        local, remote = pair.local_candidate, pair.remote_candidate
        return {
            "local": local.type,
            "remote": remote.type,
            "local_address": f"{local.host}:{local.port}",
            "remote_address": f"{remote.host}:{remote.port}",
            "local_candidates": sorted({c.type for c in connection.local_candidates}),
            "turn_transport": ("tls" if connection.turn_ssl else connection.turn_transport)
            if connection.turn_server
            else None,
        }

    return engine.call(read()).result(10)


def serve_commands(engine: Engine, inspection_id: str, reporter: Reporter) -> None:
    """Answer the test's commands (stdin, see the module docstring) until ``stop``."""
    stamps: StampReader | None = None
    try:
        for line in sys.stdin:
            try:
                cmd = json.loads(line)
                name = cmd.get("cmd")
                if name == "capture":
                    say(
                        event="capture_requested",
                        capture_id=engine.capture(inspection_id).result(10),
                    )
                elif name == "accept":
                    engine.accept(inspection_id, cmd["capture_id"]).result(10)
                    say(event="accepted", capture_id=cmd["capture_id"])
                elif name == "pair":
                    say(event="pair", **selected_pair(engine, inspection_id))
                elif name == "stamps_begin":
                    if stamps is not None:
                        stamps.stop()
                    stamps = StampReader(engine, inspection_id)
                    say(event="stamps_begun")
                elif name == "stamps":
                    assert stamps is not None, "stamps_begin first"
                    say(event="stamps", samples=stamps.samples, unreadable=stamps.unreadable)
                elif name == "frames":
                    say(event="frames", frames=reporter.frames, t=time.monotonic())
                elif name == "stop":
                    break
            except Exception as exc:  # reported to the test, which decides
                say(event="command_error", error=f"{type(exc).__name__}: {exc}")
    finally:
        if stamps is not None:
            stamps.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--public-url", required=True)
    parser.add_argument("--ice-server", action="append", default=[])
    parser.add_argument("--turn-url", action="append", default=[])
    parser.add_argument("--still-timeout", type=float, default=STILL_TIMEOUT)
    args = parser.parse_args()
    if os.environ.get("NETLAB_DEBUG"):  # aioice's checks and TURN on stderr (the test's log)
        logging.basicConfig(
            level=logging.DEBUG,
            stream=sys.stderr,
            format="%(relativeCreated)d %(name)s %(message)s",
        )

    secret = resolve_turn_secret()
    settings = ServerSettings(
        host="0.0.0.0",
        port=args.port,
        public_url=args.public_url,
        ice_servers=tuple(IceServer.parse(s) for s in args.ice_server),
        turn_rest=TurnRest(secret, tuple(args.turn_url)) if args.turn_url and secret else None,
        record_calls=False,
    )
    store = Store(Path(args.data))
    inspection, _ = create_inspection(
        store,
        checklist="quick",
        vehicle={"make": "Peugeot", "model": "308", "year": 2019, "plate": "AB-123-CD"},
        seller={"name": "Camille Martin", "phone": "+33612345678", "language": "en"},
    )
    reporter = Reporter()
    engine = Engine(store, settings, reporter, still_timeout=args.still_timeout)
    engine.start()
    invite = engine.invite(inspection.id, "operator").result(10)
    say(event="invite", inspection_id=inspection.id, join_url=invite.join_url)
    try:
        serve_commands(engine, inspection.id, reporter)
    finally:
        engine.stop()
        store.close()
        say(event="stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
