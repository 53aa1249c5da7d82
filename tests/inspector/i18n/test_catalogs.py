"""The catalogs: in step with the code, complete in French, compilable, placeholders kept."""

from __future__ import annotations

import importlib.util
import io
import re
from gettext import GNUTranslations
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from inspector.i18n import LOCALE_DIR, gettext, languages

ROOT = Path(__file__).resolve().parents[3]
FIELD = re.compile(r"\{(\w*)[^}]*\}")


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def _ids(catalog: Catalog) -> set[object]:
    return {m.id for m in catalog if m.id}


def _shipped() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/inspector.po"))


def test_the_template_lists_every_message_of_the_code() -> None:
    extracted = _ids(_tool().extract())
    template = _ids(_read(LOCALE_DIR / "inspector.pot"))
    assert extracted - template == set(), "run: python tools/i18n.py update"
    assert template - extracted == set(), "run: python tools/i18n.py update"
    assert len(template) > 150


def test_french_is_shipped_and_english_needs_no_catalog() -> None:
    assert _shipped() == ["fr"]
    assert languages()[:2] == ("en", "fr")


@pytest.mark.parametrize("lang", _shipped())
def test_every_message_is_translated_with_the_same_fields(lang: str) -> None:
    template = _ids(_read(LOCALE_DIR / "inspector.pot"))
    catalog = _read(LOCALE_DIR / lang / "LC_MESSAGES" / "inspector.po", lang)
    assert _ids(catalog) == template
    assert not catalog.obsolete
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), f"untranslated: {message.id!r}"
        fields = {f for i in ids for f in FIELD.findall(i)}
        for s in strings:
            assert set(FIELD.findall(s)) <= fields, (message.id, s)
        if not isinstance(message.id, tuple):  # a plural may say "1" instead of {n}
            assert set(FIELD.findall(strings[0])) == fields, (message.id, strings[0])


@pytest.mark.parametrize("lang", _shipped())
def test_the_catalog_compiles(lang: str) -> None:
    catalog = _read(LOCALE_DIR / lang / "LC_MESSAGES" / "inspector.po", lang)
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert problems == []
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    compiled = GNUTranslations(buffer)
    assert compiled.gettext("Front bumper") == gettext(lang, "Front bumper") != "Front bumper"
    assert compiled.ngettext("{n} damage", "{n} damages", 2) != "{n} damages"


def test_a_message_the_catalog_lacks_stays_in_english() -> None:
    assert gettext("fr", "Not a message of the product") == "Not a message of the product"
    assert gettext("fr_CA", "Front bumper") == "Pare-chocs avant"
    assert gettext("xx", "Front bumper") == "Front bumper"
