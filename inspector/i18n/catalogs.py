"""The gettext catalogs of the product: one domain, ``inspector``, read from ``.po`` files.

Message ids are the English text, so English needs no catalog and every language
falls back to English for what its catalog lacks. A language is a folder
``<lang>/LC_MESSAGES/inspector.po`` in ``inspector/locale`` or in a folder named by
``INSPECTOR_LOCALE_PATH`` (``os.pathsep``-separated): adding one needs no code.
The ``.po`` sources are compiled in memory with Babel on first use, so there is
no build step to forget and the files in the repository are the ones that run.
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
import threading
from collections.abc import Sequence
from pathlib import Path

DOMAIN = "inspector"
SOURCE_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
PATH_VARIABLE = "INSPECTOR_LOCALE_PATH"


class Catalogs:
    """The translations found in a list of locale folders, the first one winning."""

    def __init__(self, dirs: Sequence[Path], domain: str = DOMAIN) -> None:
        self.dirs = tuple(Path(d) for d in dirs)
        self.domain = domain
        self._loaded: dict[str, _gettext.NullTranslations] = {}
        self._lock = threading.Lock()

    def po_files(self, lang: str) -> list[Path]:
        """The catalogs of ``lang``, in search order."""
        found = (d / lang / "LC_MESSAGES" / f"{self.domain}.po" for d in self.dirs)
        return [p for p in found if p.is_file()]

    def languages(self) -> tuple[str, ...]:
        """English, then every language with a catalog, sorted."""
        langs = {
            p.parent.parent.name
            for d in self.dirs
            if d.is_dir()
            for p in d.glob(f"*/LC_MESSAGES/{self.domain}.po")
        }
        return (SOURCE_LANGUAGE, *sorted(langs - {SOURCE_LANGUAGE}))

    def translations(self, lang: str) -> _gettext.NullTranslations:
        """The gettext object of ``lang`` ("fr_CA" falls back to "fr", then English)."""
        with self._lock:
            found = self._loaded.get(lang)
            if found is None:
                found = self._load(lang)
                self._loaded[lang] = found
            return found

    def gettext(self, lang: str, message: str) -> str:
        return self.translations(lang).gettext(message)

    def ngettext(self, lang: str, singular: str, plural: str, n: int) -> str:
        return self.translations(lang).ngettext(singular, plural, n)

    def _load(self, lang: str) -> _gettext.NullTranslations:
        chain: list[_gettext.NullTranslations] = []
        tags = [lang.replace("-", "_")]
        if "_" in tags[0]:
            tags.append(tags[0].split("_")[0])
        for tag in tags:
            chain.extend(_compile(path, tag) for path in self.po_files(tag))
        head: _gettext.NullTranslations = _gettext.NullTranslations()
        if chain:
            head = chain[0]
            for more in chain[1:]:
                head.add_fallback(more)
        return head


def _compile(path: Path, lang: str) -> _gettext.GNUTranslations:
    """A ``.po`` file as a gettext object (fuzzy entries are left out, as msgfmt does)."""
    # Babel on first use only: importing it costs a tenth of a second every command pays.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def _default_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(PATH_VARIABLE, "").split(os.pathsep) if p]
    return [*extra, LOCALE_DIR]


_default: Catalogs | None = None


def catalogs() -> Catalogs:
    """The product's catalogs (``INSPECTOR_LOCALE_PATH`` first, then the shipped ones)."""
    global _default
    if _default is None:
        _default = Catalogs(_default_dirs())
    return _default


def reload() -> Catalogs:
    """Forget the loaded catalogs and search again (after a catalog or the path changed)."""
    global _default
    _default = None
    return catalogs()


def gettext(lang: str, message: str) -> str:
    """``message`` (its English text) in ``lang``, or in English if not translated."""
    return catalogs().gettext(lang, message)


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    """The form of a counted message for ``n`` in ``lang``, by that language's plural rule."""
    return catalogs().ngettext(lang, singular, plural, n)


def languages() -> tuple[str, ...]:
    """The languages the product can speak: English and every catalog found."""
    return catalogs().languages()


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it yet."""
    return message
