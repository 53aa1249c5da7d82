"""One vocabulary: the console, the report and the phone page name parts and damages alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from inspector.domain.models import DamageType, Part, Severity, Verdict
from inspector.domain.vocabulary import (
    damage_type_name,
    part_name,
    severity_name,
    verdict_name,
)
from inspector.live.phone_words import phone_strings
from inspector.report.document import build_report
from inspector.storage.store import Store
from tests.inspector.report.test_report import make_inspection, pdf_text, squash
from ui import theme
from ui.review.damage_dialog import DamageDialog
from ui.review.labels import part_label, severity_label, type_label


def _items(combo: object) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]  # type: ignore[attr-defined]


def test_the_console_uses_the_words_the_report_prints(qtbot: QtBot) -> None:
    dialog = DamageDialog()
    qtbot.addWidget(dialog)
    assert _items(dialog.part) == [part_name(p, "en") for p in Part]
    assert _items(dialog.type) == [damage_type_name(t, "en") for t in DamageType]
    assert [severity_label(s) for s in Severity] == [severity_name(s, "en") for s in Severity]
    assert [theme.VERDICT_WORDS[v] for v in Verdict] == [verdict_name(v, "en") for v in Verdict]


def test_the_words_that_used_to_disagree() -> None:
    assert part_label(Part.SEAT_FRONT) == "Front seats"  # the console said "Front seat"
    assert part_label(Part.TAILLIGHT_LEFT) == "Left tail light"  # it said "Left taillight"
    assert type_label(DamageType.BROKEN_GLASS) == "Broken glass"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_phone_page_gets_the_same_words(lang: str) -> None:
    words = phone_strings()["words"][lang]
    assert words["parts"] == {p.value: part_name(p, lang) for p in Part}
    assert words["damage_types"] == {t.value: damage_type_name(t, lang) for t in DamageType}
    assert words["severities"] == {str(s.value): severity_name(s, lang) for s in Severity}
    assert words["verdicts"] == {v.value: verdict_name(v, lang) for v in Verdict}


@pytest.mark.timeout(120)
def test_the_report_prints_the_console_words(store: Store, tmp_path: Path) -> None:
    inspection, _, damages = make_inspection(store)
    _, text = pdf_text(build_report(store, inspection.id, tmp_path / "r.pdf", lang="en"))
    flat = squash(text)
    for d in damages:
        assert squash(part_label(d.part)) in flat, d.part
        assert squash(type_label(d.type)) in flat, d.type
    assert "Front seats" in text
