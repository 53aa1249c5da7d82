"""The post-checks of a reading and the mismatch rules (pure: no OCR)."""

from __future__ import annotations

import pytest

from inspector.domain.identity import decode_vin, mismatch, pick_mileage, pick_plate, pick_vin


@pytest.mark.parametrize(
    ("lines", "vin"),
    [
        ([("VF1RFB00X56789012", 0.99)], "VF1RFB00X56789012"),
        ([("VIN: VF1RFBOOX56789012", 0.9)], "VF1RFB00X56789012"),  # O read for 0, a label
        ([("VF1RFB00X5678", 0.9), ("9012", 0.8)], "VF1RFB00X56789012"),  # over two lines
        ([("1HGCM82633A004352", 0.9)], "1HGCM82633A004352"),
        ([("1HGCM82643A004352", 0.9)], None),  # North American: the check digit is enforced
        ([("VF1RFB00X5678901", 0.9)], None),  # 16 characters
        ([("Peugeot 308", 0.99)], None),
    ],
)
def test_a_vin_has_17_characters_without_i_o_q(lines: list[tuple[str, float]], vin: str) -> None:
    assert pick_vin(lines)[0] == vin


def test_a_vin_check_digit_is_a_warning_outside_north_america() -> None:
    vin, _, notes = pick_vin([("VF1RFB00X56789012", 0.9)])
    assert vin == "VF1RFB00X56789012" and "check digit" in notes[0]
    info = decode_vin("VF3LBYHZPKS123456")
    assert (info.manufacturer, info.country) == ("Peugeot", "France") and 2019 in info.years
    assert decode_vin("1HGCM82633A004352").warnings == ()


@pytest.mark.parametrize(
    ("lines", "km"),
    [
        ([("84 500 km", 0.9)], 84500),
        ([("12:30", 0.99), ("084500", 0.8)], 84500),
        ([("TRIP 123.4", 0.95), ("145.230 km", 0.9)], 145230),
        ([("ABS", 0.9)], None),
    ],
)
def test_a_mileage_is_digits(lines: list[tuple[str, float]], km: int | None) -> None:
    assert pick_mileage(lines)[0] == km


@pytest.mark.parametrize(
    ("lines", "plate", "fmt"),
    [
        ([("AB-123-CD", 0.9)], "AB-123-CD", "AA-123-AA"),
        ([("F", 0.4), ("ab 123 cd", 0.9)], "AB-123-CD", "AA-123-AA"),
        ([("1234 AB 56", 0.8)], "1234-AB-56", "unknown"),  # an older (FNI) plate
        ([("PEUGEOT", 0.99)], None, None),
    ],
)
def test_a_french_plate_or_an_unknown_format(
    lines: list[tuple[str, float]], plate: str | None, fmt: str | None
) -> None:
    got, _, got_fmt = pick_plate(lines)
    assert (got, got_fmt) == (plate, fmt)


def test_mismatch_rules() -> None:
    assert not mismatch("odometer", 84500, "85300")  # within 1 %
    assert mismatch("odometer", 84500, "86000")
    assert not mismatch("odometer", None, "86000")  # nothing typed: nothing to contradict
    assert not mismatch("vin", "vf1rfb00x56789012", "VF1RFB00X56789012")
    assert mismatch("vin", "VF1RFB00X56789012", "VF1RFB00X56789013")
    assert not mismatch("plate", "ab 123 cd", "AB-123-CD")
    assert mismatch("plate", "AB-123-CD", "AB-128-CD")
    assert not mismatch("plate", "AB-123-CD", None)
