"""Dates, numbers and distances written the way a reader of ``lang`` expects (CLDR, Babel).

Times are shown in the machine's local zone, as an inspector reading the report
lived them; the zone itself is written out where a time is evidence.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from inspector.i18n.catalogs import N_, SOURCE_LANGUAGE, gettext

if TYPE_CHECKING:
    from babel import Locale

# Babel is imported where it is used: a command that formats nothing does not pay for it.

NBSP = "\u00a0"
_NARROW_NBSP = "\u202f"


_BRITISH = "en_GB"
"""The product's English is British ("bonnet", "tyre"): so are its dates (day first, 24 h)."""


def locale_of(lang: str) -> Locale:
    """Babel's locale for a language tag; British English for "en" or an unknown tag."""
    from babel import Locale, UnknownLocaleError

    tag = lang.replace("-", "_")
    try:
        return Locale.parse(_BRITISH if tag == SOURCE_LANGUAGE else tag)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(_BRITISH)


def _plain(text: str) -> str:
    # reportlab may break a line at U+202F, and some fonts lack it: a no-break space.
    return text.replace(_NARROW_NBSP, NBSP)


def format_day(value: datetime, lang: str) -> str:
    """The local date, short numeric form of the locale ("31/12/2026", "12/31/26")."""
    from babel.dates import format_date

    return _plain(format_date(value.astimezone(), "short", locale=locale_of(lang)))


def format_clock(value: datetime, lang: str, *, seconds: bool = False) -> str:
    """The local time of day, 24 h or 12 h as the locale writes it."""
    from babel.dates import format_time

    width = "medium" if seconds else "short"
    return _plain(format_time(value.astimezone(), width, locale=locale_of(lang)))


def format_moment(value: datetime, lang: str, *, seconds: bool = False) -> str:
    """The local date and time together, in the locale's order."""
    from babel.dates import format_datetime

    width = "medium" if seconds else "short"
    return _plain(format_datetime(value.astimezone(), width, locale=locale_of(lang)))


def format_number(value: float, lang: str) -> str:
    """A number with the locale's grouping and decimal signs."""
    from babel.numbers import format_decimal

    return _plain(format_decimal(value, locale=locale_of(lang)))


def format_km(value: float, lang: str) -> str:
    """A distance in kilometres, e.g. "84 500 km" in French, "84,500 km" in English."""
    from babel.units import format_unit

    text = format_unit(value, "length-kilometer", "short", locale=locale_of(lang))
    return _plain(text).replace(" ", NBSP)


def language_name(lang: str) -> str:
    """A language named in itself, as a menu lists it: "Français", "English", "Deutsch"."""
    from babel import Locale

    locale = locale_of(lang) if lang != SOURCE_LANGUAGE else Locale.parse(SOURCE_LANGUAGE)
    name = locale.get_language_name(locale) or lang
    return name[:1].upper() + name[1:]


# TRANSLATORS: between a label and its value ("Date: 3 May 2026"). French typography
# wants a no-break space before the colon.
_COLON = N_(": ")


def colon(lang: str) -> str:
    """The separator after a label, as the language's typography wants it."""
    return gettext(lang, _COLON)
