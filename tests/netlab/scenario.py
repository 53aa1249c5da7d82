"""One short call through the lab, shared by the tests: connect through TURN, see the video
flow, take one still and see it stored intact and acknowledged, see the video go on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.netlab.peers import Operator, PhonePage

FRAMES_TO_SEE = 30  # frames the engine must decode after a point, to say video flows


@dataclass
class CallResult:
    phone_pair: dict[str, Any]
    engine_pair: dict[str, Any]
    capture: dict[str, Any]
    acknowledged: dict[str, Any]
    engine_path: str  # what the engine reports (link statistics, the metrics' calls by path)


def wait_frames(operator: Operator, phone: PhonePage, more: int, timeout: float) -> int:
    """Wait until the engine has decoded ``more`` frames after now; the new count."""
    start = operator.frames()
    handle = phone.page  # keep the page's event loop turning while we poll the engine
    seen = start
    for _ in range(int(timeout * 4)):
        seen = operator.frames()
        if seen >= start + more:
            return seen
        handle.wait_for_timeout(250)
    raise AssertionError(f"video stalled: {seen - start} frames in {timeout:g} s (wanted {more})")


def call_through_turn(
    operator: Operator, phone: PhonePage, *, still_timeout: float = 60.0
) -> CallResult:
    phone.join(operator.join_url)
    operator.wait(
        lambda e: e.get("event") == "connection" and e["state"] == "connected", 30, "connected"
    )
    phone_pair = phone.selected_pair()
    engine_pair = operator.ask("pair", "pair")
    reported = operator.wait(
        lambda e: e.get("event") == "stats" and e.get("path") is not None, 10, "the media path"
    )
    wait_frames(operator, phone, FRAMES_TO_SEE, 40)
    capture_id = operator.ask("capture", "capture_requested")["capture_id"]
    capture = operator.wait(
        lambda e: e.get("event") in ("capture", "capture_failed") and e["capture_id"] == capture_id,
        still_timeout,
        "the still",
    )
    assert capture["event"] == "capture", capture
    acknowledged = phone.wait_capture_result(capture_id, 20)
    wait_frames(operator, phone, FRAMES_TO_SEE, 40)
    return CallResult(phone_pair, engine_pair, capture, acknowledged, reported["path"])


def assert_relayed(result: CallResult) -> None:
    """Both sides' nominated pairs go through coturn, and the still arrived whole."""
    assert "relay" in (result.phone_pair["local"], result.phone_pair["remote"]), result.phone_pair
    assert result.engine_path == "relay", result.engine_path
    assert "relay" in (result.engine_pair["local"], result.engine_pair["remote"]), (
        result.engine_pair
    )
    capture = result.capture
    assert capture["source"] == "still", capture
    assert capture["sha256"] == capture["file_sha256"], capture
    assert (capture["width"], capture["height"]) == (1280, 720), capture
    assert result.acknowledged["stored"] is True, result.acknowledged
