"""The JSON views: one declared shape each, round trips, times as isoformat, clear refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from inspector.domain import validation
from inspector.domain.models import (
    Capture,
    CaptureSource,
    Fuel,
    Inspection,
    InspectionStatus,
    Language,
    QualityReason,
    QualityReport,
    Seller,
    Vehicle,
    Verdict,
)
from inspector.domain.views import CaptureView, InspectionView, QualityReportView, VehicleView
from inspector.i18n import LocalText
from inspector.usecases.inspections import capture_to_dict, inspection_to_dict

VEHICLE = Vehicle("Peugeot", "308", 2019, "AB-123-CD", "VF3LBYHZPKS123456", 84500, Fuel.DIESEL)
SELLER = Seller("Élodie Martin", "+33 6 12 34 56 78", "elodie@example.fr", Language.FR)
QUALITY = QualityReport(
    Verdict.WARN,
    (QualityReason("blurry", LocalText.of({"fr": "Photo floue", "en": "Blurry photo"})),),
    {"glare": 0.5},
)
CAPTURE = Capture(
    "c1",
    "i1",
    "front",
    "0" * 64,
    2000,
    1500,
    CaptureSource.STILL,
    QUALITY,
    captured_at=datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
    phone_time=datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
    accepted=True,
    size=1234,
)
INSPECTION = Inspection(
    "i1",
    "standard",
    VEHICLE,
    SELLER,
    InspectionStatus.REVIEWED,
    grade=4,
    created_at=datetime(2024, 5, 1, tzinfo=UTC),
    updated_at=datetime(2024, 5, 2, tzinfo=UTC),
)


def test_the_dataclasses_round_trip_through_their_views() -> None:
    assert Vehicle.from_dict(VEHICLE.to_dict()) == VEHICLE
    assert Seller.from_dict(SELLER.to_dict()) == SELLER
    assert QualityReport.from_dict(QUALITY.to_dict()) == QUALITY
    assert CaptureView.of(CAPTURE).capture("i1") == CAPTURE
    with_captures = InspectionView.model_validate(inspection_to_dict(INSPECTION, [CAPTURE]))
    assert with_captures.inspection() == INSPECTION
    assert with_captures.captures is not None and with_captures.captures[0].capture("i1") == CAPTURE


def test_the_json_shapes() -> None:
    assert VEHICLE.to_dict() == {
        "make": "Peugeot",
        "model": "308",
        "year": 2019,
        "plate": "AB-123-CD",
        "vin": "VF3LBYHZPKS123456",
        "mileage_km": 84500,
        "fuel": "diesel",
        "colour": "",
    }
    assert QUALITY.to_dict() == {
        "verdict": "warn",
        "reasons": [{"code": "blurry", "fr": "Photo floue", "en": "Blurry photo"}],
        "metrics": {"glare": 0.5},
    }
    data = capture_to_dict(CAPTURE)
    assert list(data) == [
        "id",
        "shot_id",
        "sha256",
        "width",
        "height",
        "size",
        "mime",
        "source",
        "captured_at",
        "phone_time",
        "accepted",
        "retake_of",
        "quality",
    ]
    # Times as isoformat() writes them, never pydantic's "Z".
    assert data["captured_at"] == "2024-05-01T12:00:00.123456+00:00"
    assert data["phone_time"] == "2024-05-01T14:00:00+02:00"
    view = inspection_to_dict(INSPECTION)
    assert "captures" not in view and view["status"] == "reviewed"
    assert view["created_at"] == "2024-05-01T00:00:00+00:00"
    assert inspection_to_dict(INSPECTION, [])["captures"] == []
    json.dumps(inspection_to_dict(INSPECTION, [CAPTURE]))  # plain JSON


def test_older_data_without_optional_keys_and_with_unknown_ones_still_reads() -> None:
    assert QualityReport.from_dict({"verdict": "ok"}) == QualityReport(Verdict.OK)
    data = {**VEHICLE.to_dict(), "added_by_a_newer_version": 1}
    assert Vehicle.from_dict(data) == VEHICLE


@pytest.mark.parametrize(
    "bad",
    [{"verdict": "perfect"}, {"reasons": []}, {"verdict": "ok", "metrics": {"glare": "high"}}],
)
def test_bad_data_is_a_value_error(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"verdict|glare"):
        QualityReport.from_dict(bad)
    with pytest.raises(ValueError, match="make"):
        VehicleView.model_validate({"model": "308"})
    with pytest.raises(ValueError):
        QualityReportView.model_validate({"verdict": "ok", "reasons": [{"code": "x"}]})


def test_field_limits_are_named_once() -> None:
    """The rules use the constants the console and the bundle import."""
    v = validation
    with pytest.raises(validation.ValidationError, match=f"{v.PLATE_MAX} characters"):
        v.check_plate("A" * (v.PLATE_MAX + 1))
    for name, limit in (("make", v.MAKE_MAX), ("model", v.MODEL_MAX), ("colour", v.COLOUR_MAX)):
        assert v.check_vehicle(**{name: "x" * limit, "plate": "AB"})
        with pytest.raises(validation.ValidationError, match=f"^{name}: is too long"):
            v.check_vehicle(**{name: "x" * (limit + 1), "plate": "AB"})
    assert v.check_phone("+" + "1" * (v.PHONE_MAX - 1))
    with pytest.raises(validation.ValidationError, match="phone"):
        v.check_phone("+" + "1" * v.PHONE_MAX)
    with pytest.raises(validation.ValidationError, match=f"{v.VIN_LENGTH} characters"):
        v.check_vin("VF3LBYHZPKS12345")
    assert v.check_seller(name="x" * v.SELLER_NAME_MAX).name
    assert v.check_mileage(v.MILEAGE_MAX_KM) == v.MILEAGE_MAX_KM
    assert v.check_year(v.YEAR_MIN) == v.YEAR_MIN
