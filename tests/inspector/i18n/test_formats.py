"""Dates, numbers and distances as each locale writes them (Babel's CLDR data)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from inspector.i18n import (
    colon,
    format_clock,
    format_day,
    format_km,
    format_moment,
    format_number,
    language_name,
)

NOON = datetime(2026, 3, 4, 12, 0, 5, tzinfo=UTC)  # the same day in every time zone but a few


def test_distances() -> None:
    assert format_km(84500, "fr") == "84\u00a0500\u00a0km"
    assert format_km(84500, "en") == "84,500\u00a0km"
    assert format_km(84500, "de") == "84.500\u00a0km"
    assert format_km(1, "fr") == "1\u00a0km"


def test_numbers() -> None:
    assert format_number(1234.5, "fr") == "1\u00a0234,5"
    assert format_number(1234.5, "en") == "1,234.5"


def test_dates_day_first_in_french_and_british_english() -> None:
    assert format_day(NOON, "fr") == "04/03/2026"
    assert format_day(NOON, "en") == "04/03/2026"  # the product's English is British
    assert format_day(NOON, "en_US") == "3/4/26"


def test_times_on_a_24_hour_clock_where_the_locale_uses_one() -> None:
    assert re.fullmatch(r"\d\d:\d\d", format_clock(NOON, "fr"))
    assert re.fullmatch(r"\d\d:\d\d:05", format_clock(NOON, "en", seconds=True))
    assert "PM" in format_clock(NOON, "en_US") or "AM" in format_clock(NOON, "en_US")
    moment = format_moment(NOON, "fr", seconds=True)
    assert moment.startswith("4 mars 2026") and moment.endswith(":05")


def test_no_narrow_space_reaches_the_pdf_fonts() -> None:
    for lang in ("fr", "en", "de", "en_US"):
        for text in (format_moment(NOON, lang), format_km(12345, lang), format_clock(NOON, lang)):
            assert "\u202f" not in text


def test_the_colon_follows_each_language_typography() -> None:
    assert colon("fr") == "\u00a0: "
    assert colon("en") == ": "
    assert colon("xx") == ": "  # an unknown language: English


def test_languages_are_named_in_themselves() -> None:
    assert [language_name(x) for x in ("en", "fr", "de")] == ["English", "Français", "Deutsch"]
