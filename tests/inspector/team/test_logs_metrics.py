"""The JSON log's masking and shape, and the metrics fed by real engine events."""

from __future__ import annotations

import io
import json
import logging
import secrets

from inspector.domain.models import Capture, CaptureSource, QualityReport, Verdict
from inspector.live import events
from inspector.storage.store import Store
from inspector.team import logs
from inspector.team.metrics import Metrics
from inspector.usecases.inspections import create_inspection

from ..security_fixtures import SMALL_JPEG


def test_redact_masks_tokens_url_passwords_and_password_values() -> None:
    token = secrets.token_urlsafe(32)
    line = (
        f"GET /j/{token}?takeover=1 then /ws/{token}; route /j/{{token}}; "
        "postgresql://inspector:db-pw-1@db/inspector turn:seller:turn-pw-2@turn.example:3478 "
        "password=pw-3 PASSWORD: 'pw 4' api_key=pw-5 secret=\"pw 6\""
    )
    masked = logs.redact(line)
    for secret in (token, "db-pw-1", "turn-pw-2", "pw-3", "pw 4", "pw-5", "pw 6"):
        assert secret not in masked, secret
    assert "/j/{token}" in masked  # a route's pattern is not a token
    assert "postgresql://inspector:…@db/inspector" in masked


def test_json_lines_carry_the_request_id_and_mask_nested_fields() -> None:
    stream = io.StringIO()
    logs.configure(json_lines=True, stream=stream)
    try:
        log = logging.getLogger("inspector.test")
        token = logs.request_id.set("req-0123456789")
        try:
            log.warning(
                "abcdef012345: capture refused",
                extra={"fields": {"event": "x", "urls": [{"u": "/j/SECRETTOKEN"}]}},
            )
        finally:
            logs.request_id.reset(token)
        log.info("outside any request")
    finally:
        logging.getLogger().handlers.clear()
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["request_id"] == "req-0123456789"
    assert first["inspection_id"] == "abcdef012345"
    assert first["level"] == "warning" and first["event"] == "x"
    assert "SECRETTOKEN" not in stream.getvalue()
    assert second["request_id"] == "-" and "inspection_id" not in second


def _capture(store: Store) -> Capture:
    inspection, _ = create_inspection(
        store, checklist="quick", vehicle={"make": "Peugeot"}, seller={"language": "fr"}
    )
    report = QualityReport(Verdict.OK, (), {"sharpness": 1.0})
    return store.add_capture(
        inspection.id,
        "front",
        SMALL_JPEG,
        width=64,
        height=48,
        source=CaptureSource.STILL,
        quality=report,
    )


def _sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels or None)
    return 0.0 if value is None else value


def test_metrics_count_what_the_engine_reports(store: Store) -> None:
    metrics = Metrics()
    capture = _capture(store)
    iid = capture.inspection_id
    metrics.observe(events.ConnectionChanged(iid, "connected"))
    assert _sample(metrics, "inspector_live_sessions") == 1
    metrics.observe(events.CaptureRequested(iid, capture.id, capture.shot_id))
    metrics.observe(events.CaptureStored(iid, capture, path="", store_seconds=0.04))
    metrics.observe(events.CaptureRequested(iid, "other", capture.shot_id))
    metrics.observe(events.CaptureFailed(iid, "other", "still timeout"))
    metrics.observe(events.ConnectionChanged(iid, "closed"))
    assert _sample(metrics, "inspector_live_sessions") == 0
    stored = _sample(
        metrics,
        "inspector_captures_stored_total",
        source=capture.source.value,
        spooled="false",
    )
    assert stored == 1
    assert _sample(metrics, "inspector_captures_failed_total") == 1
    assert _sample(metrics, "inspector_still_round_trip_seconds_count") == 1
    assert _sample(metrics, "inspector_store_seconds_count") == 1
    assert _sample(metrics, "inspector_store_seconds_sum") == 0.04
    assert b"inspector_login_failures_total" in metrics.render()


def test_calls_are_counted_once_per_connection_by_media_path(store: Store) -> None:
    metrics = Metrics()
    iid = _capture(store).inspection_id

    def stats(path: str | None) -> events.LinkStats:
        return events.LinkStats(iid, 30.0, 640, 480, 20.0, 900.0, path)

    metrics.observe(events.ConnectionChanged(iid, "connected"))
    metrics.observe(stats(None))  # ICE not settled yet: not counted
    metrics.observe(stats("direct"))
    metrics.observe(stats("direct"))  # the same call, reported every second
    assert _sample(metrics, "inspector_calls_total", path="direct") == 1
    # The phone drops and comes back through TURN: a new call on another path.
    metrics.observe(events.ConnectionChanged(iid, "reconnecting"))
    metrics.observe(events.ConnectionChanged(iid, "connected"))
    metrics.observe(stats("relay"))
    assert _sample(metrics, "inspector_calls_total", path="relay") == 1
    assert _sample(metrics, "inspector_calls_total", path="direct") == 1
