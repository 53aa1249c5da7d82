from __future__ import annotations

from typing import Any

import pytest

from inspector.domain.models import Fuel, Language, QualityThresholds, Region
from inspector.domain.validation import (
    ValidationError,
    check_mileage,
    check_seller,
    check_text,
    check_vehicle,
    check_vin,
    check_year,
    vin_check_digit,
)


def test_valid_north_american_vin_has_no_warning() -> None:
    checked = check_vin(" 1m8gdm9a-xkp042788 ")
    assert checked.value == "1M8GDM9AXKP042788"
    assert checked.warnings == []
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"


def test_european_vin_with_other_check_digit_only_warns() -> None:
    checked = check_vin("WVWZZZ1JZXW000001")
    assert checked.value == "WVWZZZ1JZXW000001"
    assert len(checked.warnings) == 1
    assert "check digit" in checked.warnings[0]


@pytest.mark.parametrize(
    ("vin", "message"),
    [
        ("WVWZZZ1JZXW00000", "17 characters, got 16"),
        ("WVWZZZ1JZXW0000012", "17 characters, got 18"),
        ("WVWZZZ1JZXWO00001", "I, O or Q .found O"),
        ("IVWZZZ1JZXWQ00001", "found I, Q"),
        ("WVWZZZ1JZXW00000!", "only letters and digits"),
    ],
)
def test_bad_vins_are_explained(vin: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        check_vin(vin)
    assert info.value.field == "VIN"


def test_empty_vin_is_allowed() -> None:
    assert check_vin("").value == ""


@pytest.mark.parametrize("raw", ["-1", "12.5", "lots", True])
def test_bad_mileage(raw: Any) -> None:
    with pytest.raises(ValidationError, match="mileage"):
        check_mileage(raw)


def test_mileage_forms() -> None:
    assert check_mileage("84 500") == 84500
    assert check_mileage(0) == 0
    assert check_mileage("") is None
    with pytest.raises(ValidationError, match="implausibly"):
        check_mileage(10**9)


def test_year_bounds() -> None:
    assert check_year("2019") == 2019
    with pytest.raises(ValidationError, match="between 1886"):
        check_year(1700)
    with pytest.raises(ValidationError, match="year such as"):
        check_year("soon")


def test_vehicle_and_seller(vehicle_input: dict[str, Any], seller_input: dict[str, Any]) -> None:
    checked = check_vehicle(**vehicle_input)
    assert checked.value.fuel is Fuel.DIESEL
    assert checked.value.plate == "AB-123-CD"
    seller = check_seller(**seller_input)
    assert seller.language is Language.FR
    assert seller.name == "Élodie Martin"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fuel": "steam"}, "fuel: must be one of"),
        ({"plate": "AB/123"}, "plate: may contain only"),
        ({"make": "", "plate": "", "vin": ""}, "at least a make"),
        ({"make": "x" * 61}, "make: is too long"),
        ({"model": "bad\x00"}, "control characters"),
    ],
)
def test_bad_vehicle_input(
    vehicle_input: dict[str, Any], changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        check_vehicle(**{**vehicle_input, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"language": "de"}, "must be fr or en"),
        ({"email": "not-an-address"}, "not an e-mail"),
        ({"phone": "call me"}, "not a phone number"),
    ],
)
def test_bad_seller_input(
    seller_input: dict[str, Any], changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        check_seller(**{**seller_input, **changes})


def test_notes_may_span_lines_but_names_may_not() -> None:
    assert check_text("notes", " line one\nline two ", multiline=True) == "line one\nline two"
    with pytest.raises(ValidationError, match="control characters"):
        check_text("make", "Peu\ngeot")


def test_region_and_thresholds_validate() -> None:
    assert Region(0.5, 0.5).is_point
    with pytest.raises(ValueError, match="within the photo"):
        Region(1.5, 0.2)
    with pytest.raises(ValueError, match="stay within"):
        Region(0.8, 0.2, 0.5, 0.1)
    with pytest.raises(ValueError, match="min_sharpness"):
        QualityThresholds(min_sharpness=200, warn_sharpness=100)
