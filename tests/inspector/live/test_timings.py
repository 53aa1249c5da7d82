"""Every live-link default is the one declared in inspector.live.timings."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from inspector.config import ServerSettings
from inspector.live import protocol, timings
from inspector.live.autopilot import Autopilot
from inspector.live.engine import Engine
from inspector.live.peer import PhonePeer
from inspector.live.server import PhoneServer
from inspector.live.session import SessionController
from inspector.live.timings import LiveTimings
from inspector.storage.store import Store


def _default(fn: Callable[..., Any], name: str) -> Any:
    return inspect.signature(fn).parameters[name].default


@pytest.mark.parametrize(
    ("fn", "name", "expected"),
    [
        (SessionController.__init__, "still_timeout", timings.STILL_TIMEOUT),
        (SessionController.__init__, "hint_interval", timings.HINT_INTERVAL),
        (Autopilot.__init__, "steady_seconds", timings.STEADY_SECONDS),
        (Autopilot.__init__, "settle_seconds", timings.SETTLE_SECONDS),
        (Autopilot.__init__, "sample_hz", timings.AUTOPILOT_SAMPLE_HZ),
        (PhonePeer.__init__, "heartbeat_interval", timings.HEARTBEAT_INTERVAL),
        (PhonePeer.__init__, "heartbeat_timeout", timings.HEARTBEAT_TIMEOUT),
        (PhoneServer.__init__, "grace_seconds", timings.GRACE_SECONDS),
        (PhoneServer.__init__, "idle_timeout", timings.IDLE_TIMEOUT),
        (PhoneServer.__init__, "write_timeout", timings.WRITE_TIMEOUT),
        (PhoneServer.__init__, "connection_lifetime", timings.CONNECTION_LIFETIME),
        (Engine.start, "timeout", timings.ENGINE_START_TIMEOUT),
        (Engine.stop, "timeout", timings.ENGINE_STOP_TIMEOUT),
    ],
)
def test_defaults_are_the_declared_timings(
    fn: Callable[..., Any], name: str, expected: float
) -> None:
    assert _default(fn, name) == expected


def test_an_engine_runs_with_the_declared_timings_unless_told(store: Store) -> None:
    engine = Engine(store, ServerSettings(port=0), lambda e: None)
    assert engine.timings == LiveTimings()
    for f in dataclasses.fields(LiveTimings):  # every field is an Engine argument
        assert _default(Engine.__init__, f.name) == getattr(LiveTimings(), f.name)
    quick = Engine(store, ServerSettings(port=0), lambda e: None, still_timeout=1.0)
    assert quick.timings == dataclasses.replace(LiveTimings(), still_timeout=1.0)


def test_the_protocol_names_the_heartbeat_timings_of_timings() -> None:
    # protocol.js mirrors protocol's names (tests/test_protocol_js.py); the values live here.
    assert protocol.HEARTBEAT_INTERVAL is timings.HEARTBEAT_INTERVAL
    assert protocol.HEARTBEAT_TIMEOUT is timings.HEARTBEAT_TIMEOUT
