"""A third language is a catalog, not code: a small German one speaks, English fills the rest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector import i18n
from inspector.domain.models import DamageType, Part, Severity
from inspector.domain.vocabulary import damage_type_name, part_name, severity_name
from inspector.report.document import build_report
from inspector.report.i18n import label, plural, report_languages
from inspector.storage.store import Store
from tests.inspector.report.test_report import make_inspection, pdf_text

GERMAN = Path(__file__).parent / "locale"


@pytest.fixture
def german(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test catalog found the way a deployment adds one: on INSPECTOR_LOCALE_PATH."""
    monkeypatch.setenv(i18n.PATH_VARIABLE, str(GERMAN))
    i18n.reload()
    yield
    monkeypatch.delenv(i18n.PATH_VARIABLE)
    i18n.reload()


def test_without_the_catalog_there_is_no_german() -> None:
    assert "de" not in report_languages()


@pytest.mark.usefixtures("german")
def test_german_words_come_from_its_catalog_and_the_rest_from_english() -> None:
    assert report_languages() == ("en", "de", "fr")
    assert part_name(Part.FRONT_BUMPER, "de") == "Stoßstange vorne"
    assert part_name(Part.SEAT_FRONT, "de-AT") == "Vordersitze"  # a region falls back
    assert damage_type_name(DamageType.SCRATCH, "de") == "Kratzer"
    assert part_name(Part.BONNET, "de") == "Bonnet"  # not translated: English
    assert severity_name(Severity.SEVERE, "de") == "Severe"
    assert label("vehicle", "de") == "Fahrzeug"
    assert plural("damages_count", 1, "de") == "1 Schaden"
    assert plural("damages_count", 0, "de") == "0 Schäden"  # German's rule, not French's
    assert plural("damages_count", 0, "fr") == "0 dommage"
    assert part_name(Part.FRONT_BUMPER, "fr") == "Pare-chocs avant"  # French untouched


@pytest.mark.usefixtures("german")
@pytest.mark.timeout(120)
def test_a_german_report_is_written_with_english_for_the_rest(store: Store, tmp_path: Path) -> None:
    inspection, _, _ = make_inspection(store)
    out = build_report(store, inspection.id, tmp_path / "de.pdf", lang="de")
    _, text = pdf_text(out)
    assert "FAHRZEUGPRÜFBERICHT" in text and "Fahrzeug" in text
    assert "Stoßstange vorne" in text and "Vordersitze" in text
    assert "Inspection id" in text  # a label the small catalog lacks: English
    assert "84.500" in text  # German digit grouping, from the locale, not the catalog
