"""Keep the translation catalogs in step with the code (a maintainer's tool, not a user step).

    python tools/i18n.py extract   # inspector/locale/inspector.pot from the source
    python tools/i18n.py update    # merge the .pot into every language's .po
    python tools/i18n.py init de   # start a new language's catalog

Marked strings: ``Message("...")``, ``Plural("...", "...")`` and ``N_("...")`` in
``inspector/`` and ``ui/``. The product reads the ``.po`` files directly
(:mod:`inspector.i18n.catalogs`): nothing needs compiling.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "inspector" / "locale"
POT = LOCALE / "inspector.pot"
SOURCES = ("inspector", "ui")
KEYWORDS = {"Message": None, "N_": None, "Plural": (1, 2)}


def extract() -> Catalog:
    """Every marked message of the source, as a template catalog."""
    catalog = Catalog(project="vehicle-inspector", domain="inspector", fuzzy=False)
    for source in SOURCES:
        found = extract_from_dir(
            ROOT / source,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            where = (f"{source}/{filename}", lineno)
            catalog.add(message, locations=[where], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "inspector.po"


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/inspector.po"))


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, include_lineno=False, ignore_obsolete=True)


def update() -> None:
    template = extract()
    _write(POT, template)
    for lang in languages():
        with po_path(lang).open("rb") as f:
            catalog = read_po(f, locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
        _write(po_path(lang), catalog)
        print(f"{lang}: {sum(1 for m in catalog if m.id and not m.string)} untranslated")


def init(lang: str) -> None:
    template = extract()
    catalog = Catalog(locale=lang, domain="inspector", project="vehicle-inspector")
    catalog.update(template, no_fuzzy_matching=True)
    _write(po_path(lang), catalog)
    print(f"wrote {po_path(lang).relative_to(ROOT)}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["extract"]:
        _write(POT, extract())
    elif argv[:1] == ["update"]:
        update()
    elif argv[:1] == ["init"] and len(argv) == 2:
        init(argv[1])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
