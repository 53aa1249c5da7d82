"""Translations: gettext catalogs managed with Babel, and locale-aware formatting.

One domain (``inspector``) serves the core, the console, the report and the phone
page. Message ids are English; see :mod:`inspector.i18n.catalogs` for where the
catalogs live and how a language is added.
"""

from inspector.i18n.catalogs import (
    DOMAIN,
    LOCALE_DIR,
    N_,
    PATH_VARIABLE,
    SOURCE_LANGUAGE,
    Catalogs,
    catalogs,
    gettext,
    languages,
    ngettext,
    reload,
)
from inspector.i18n.formats import (
    colon,
    format_clock,
    format_day,
    format_km,
    format_moment,
    format_number,
    language_name,
    locale_of,
)
from inspector.i18n.text import Localized, LocalText, Message, Plural, stored_text

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "N_",
    "PATH_VARIABLE",
    "SOURCE_LANGUAGE",
    "Catalogs",
    "LocalText",
    "Localized",
    "Message",
    "Plural",
    "catalogs",
    "colon",
    "format_clock",
    "format_day",
    "format_km",
    "format_moment",
    "format_number",
    "gettext",
    "language_name",
    "languages",
    "locale_of",
    "ngettext",
    "reload",
    "stored_text",
]
