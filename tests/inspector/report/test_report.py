"""The PDF report, read back with pypdf: text, images, pages; cancel; the CLI command.

Layout checks read every piece of text with its position (pypdf's
``visitor_text``) and measure it with the font it was drawn in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from inspector.cli import main as cli
from inspector.domain.checklist import damage_pair, load_checklist
from inspector.domain.models import (
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Fuel,
    Inspection,
    InspectionStatus,
    Language,
    Part,
    QualityReason,
    QualityReport,
    Region,
    Seller,
    Severity,
    Vehicle,
    Verdict,
)
from inspector.i18n import LocalText
from inspector.live.damages import complete_damage, link_closeup, new_live_damage
from inspector.report.diagram import (
    LABEL_GAP,
    PILL_H,
    LabelGroup,
    VehicleDiagram,
    load_diagram,
    parse_diagram,
    place_labels,
)
from inspector.report.document import PHOTO_MAX_PX, ReportCancelled, ReportError, build_report
from inspector.report.i18n import damage_type_name, part_name, severity_name
from inspector.report.theme import (
    FONT,
    FONT_BOLD,
    FONT_MONO,
    MARGIN_X,
    PAGE_H,
    PAGE_W,
    register_fonts,
)
from inspector.storage import NotFound, StoreError
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene

POLISH = "Łukasz Wiśniewski"
NOTE = "Rayure de 12 cm sur l'aile, réparation estimée à 180 € — à vérifier"
NOTE_SUMMARY = "Véhicule sain, entretien suivi ; prévoir deux pneus avant."


def make_inspection(
    store: Store, *, skip: Sequence[str] = (), size: tuple[int, int] = (160, 120)
) -> tuple[Inspection, dict[str, Capture], list[Damage]]:
    """An inspection with a small photo for every checklist shot (but ``skip``) and damages."""
    inspection = Inspection(
        id="a1b2c3d4e5f6",
        checklist="standard",
        vehicle=Vehicle(
            "Peugeot", "308", 2019, "AB-123-CD", "VF3LBYHZPKS123456", 84500, Fuel.DIESEL, "gris"
        ),
        seller=Seller(POLISH, "+48 600 100 200", "lukasz@example.pl", Language.FR),
        operator="Élodie Martin",
        inspector="Chloé Dubois",
        notes=NOTE_SUMMARY,
    )
    store.create_inspection(inspection)
    checklist = load_checklist("standard")
    shot_ids = [s.id for s in checklist.shots if s.id not in skip]
    shot_ids += [s.id for s in damage_pair(checklist, 1)]
    captures: dict[str, Capture] = {}
    for i, shot_id in enumerate(shot_ids):
        w, h = size if i % 5 else (size[1], size[0])  # some portrait photos too
        captures[shot_id] = store.add_capture(
            inspection.id,
            shot_id,
            jpeg_bytes(scene(w, h, seed=i)),
            width=w,
            height=h,
            source=CaptureSource.FRAME if i == 3 else CaptureSource.STILL,
            quality=QualityReport(Verdict.WARN if i == 4 else Verdict.OK),
        )
    damages = [
        Damage(
            "dmg1",
            inspection.id,
            captures["damage_1_closeup"].id,
            Part.WING_FRONT_LEFT,
            DamageType.SCRATCH,
            Severity.MODERATE,
            Region(0.3, 0.3, 0.3, 0.2),
            NOTE,
        ),
        Damage(
            "dmg2",
            inspection.id,
            captures["front"].id,
            Part.FRONT_BUMPER,
            DamageType.DENT,
            Severity.SEVERE,
            Region(0.5, 0.8),
            "Choc au centre",
        ),
        Damage(
            "dmg3",
            inspection.id,
            captures["front"].id,
            Part.HEADLIGHT_RIGHT,
            DamageType.BROKEN_LIGHT,
            Severity.MINOR,
            None,
            "",
        ),
        Damage(
            "dmg4",
            inspection.id,
            None,
            Part.SEAT_FRONT,
            DamageType.OTHER,
            Severity.MINOR,
            None,
            "Tache sur l'assise",
        ),
    ]
    for d in damages:
        store.add_damage(d)
    return inspection, captures, damages


def pdf_text(path: Path) -> tuple[PdfReader, str]:
    reader = PdfReader(str(path))
    return reader, "\n".join(page.extract_text() or "" for page in reader.pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class Run:
    """A piece of text as drawn: where it starts, how wide and tall it is."""

    text: str
    x: float
    y: float
    width: float
    size: float
    continues: bool = False
    """It continues the run before it on the same line (e.g. plain text after a bold word)."""

    def box(self) -> tuple[float, float, float, float]:
        return self.x, self.y - 0.22 * self.size, self.x + self.width, self.y + 0.76 * self.size


_FONTS = {"DejaVuSans": FONT, "DejaVuSans-Bold": FONT_BOLD, "DejaVuSansMono": FONT_MONO}


def text_runs(page: PageObject) -> list[Run]:
    """Every non-blank text run of a page, measured with the font it uses."""
    register_fonts()
    runs: list[Run] = []
    line_ends: dict[tuple[int, float, float], float] = {}
    block = 0

    def count_blocks(op: bytes, *_args: object) -> None:
        nonlocal block
        if op == b"BT":
            block += 1

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        text = text.strip("\n")
        if not text.strip() or not isinstance(font, dict):
            return
        base = str(font.get("/BaseFont", "")).split("+")[-1]
        a, b, c, d, e, f = cm
        x = a * tm[4] + c * tm[5] + e
        y = b * tm[4] + d * tm[5] + f
        scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (a**2 + b**2) ** 0.5
        width = pdfmetrics.stringWidth(text, _FONTS[base], size) * scale
        # pypdf reports a run that continues a line of the same text object (a bold word,
        # then plain text) where the line starts: it goes after what was drawn there so far.
        start = (block, round(x, 2), round(y, 2))
        continues = start in line_ends
        x = line_ends.get(start, x)
        line_ends[start] = x + width
        runs.append(Run(text, x, y, width, size * scale, continues))

    page.extract_text(visitor_operand_before=count_blocks, visitor_text=visit)
    return runs


def page_of(reader: PdfReader, needle: str) -> int:
    """Index of the first page whose text holds ``needle``."""
    for i, page in enumerate(reader.pages):
        if needle in (page.extract_text() or ""):
            return i
    raise AssertionError(f"{needle!r} is on no page")


@pytest.fixture
def filled(store: Store) -> tuple[Store, Inspection, dict[str, Capture], list[Damage]]:
    return (store, *make_inspection(store))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_report_has_everything(
    filled: tuple[Store, Inspection, dict[str, Capture], list[Damage]], tmp_path: Path, lang: str
) -> None:
    store, inspection, captures, damages = filled
    out = build_report(store, inspection.id[:6], tmp_path / f"r_{lang}.pdf", lang=lang)
    assert out == tmp_path / f"r_{lang}.pdf"
    reader, text = pdf_text(out)
    flat = squash(text)
    checklist = load_checklist("standard")
    for shot_id in captures:
        if shot_id.startswith("damage_"):
            continue  # titled by damage identifier: see test_one_identifier_per_damage
        title = checklist.shot(shot_id).title.get(lang)
        assert title in text, title
    for d in damages:
        for name in (
            part_name(d.part, lang),
            damage_type_name(d.type, lang),
            severity_name(d.severity, lang),
        ):
            assert squash(name) in flat, name  # a table cell may wrap a long name
        if d.note:
            assert squash(d.note) in flat
    for c in captures.values():
        assert c.sha256 in flat, c.shot_id  # in the evidence appendix only
    before_appendix = text[: text.index("Annexe" if lang == "fr" else "Appendix")]
    assert "SHA-256" not in before_appendix and "160 × 120" not in before_appendix
    assert "160 × 120" in text  # the resolution: a technical detail for the appendix
    for needle in (
        POLISH,
        "Élodie Martin",
        "Chloé Dubois",
        "€",
        "AB-123-CD",
        "VF3LBYHZPKS123456",
        inspection.id,
        "inspector verify inspection.zip",
    ):
        assert needle in text, needle
    assert "Rapport d'inspection" in text if lang == "fr" else "Inspection report" in text
    assert ("84 500 km" if lang == "fr" else "84,500 km") in text.replace("\xa0", " ")
    assert NOTE_SUMMARY in text
    # cover, summary, damages, two contact sheet pages, appendix
    assert 6 <= len(reader.pages) <= 9  # the signatures page included
    assert f"1 / {len(reader.pages)}" in text or f"1 of {len(reader.pages)}" in text
    images = sum(len(page.images) for page in reader.pages)
    # every photo, the hero again (same file, one XObject per page), the enlargement
    assert images >= len(captures) + 2
    fonts = {
        str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()
    }
    assert any("DejaVuSans" in f for f in fonts), fonts
    assert reader.metadata is not None and inspection.id in (reader.metadata.subject or "")


def test_photos_are_downscaled_jpeg_files_not_reencoded(store: Store, tmp_path: Path) -> None:
    inspection, _, _ = make_inspection(store, size=(2000, 1500))
    out = build_report(store, inspection.id, tmp_path / "big.pdf", lang="en")
    reader = PdfReader(str(out))
    widths = []
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        for obj in xobjects.values():
            obj = obj.get_object()
            if obj.get("/Subtype") == "/Image":
                assert obj["/Filter"] in ("/DCTDecode", ["/DCTDecode"])  # JPEG as is, no A85
                widths.append(max(int(obj["/Width"]), int(obj["/Height"])))
    assert widths and max(widths) <= PHOTO_MAX_PX
    assert b"ASCII85Decode" not in out.read_bytes()


def test_missing_required_shots_are_listed(store: Store, tmp_path: Path) -> None:
    inspection, _, _ = make_inspection(store, skip=("rear", "odometer"))
    for lang, missing, head in (
        ("fr", ("Arrière", "Compteur kilométrique"), "Photos obligatoires manquantes"),
        ("en", ("Rear", "Odometer"), "Missing required photos"),
    ):
        _, text = pdf_text(build_report(store, inspection.id, tmp_path / f"{lang}.pdf", lang=lang))
        page = text[text.index("Synth" if lang == "fr" else "Summary") :]
        line = next(ln for ln in page.splitlines() if ln.startswith(head))
        for title in missing:
            assert title in line


def test_report_without_photos_or_damage_has_no_grade(store: Store, tmp_path: Path) -> None:
    """The issue's first finding: 0 of 23 photos showed a green "5/5 Excellent"."""
    store.create_inspection(Inspection(id="emptyinspect", checklist="standard"))
    reader, text = pdf_text(build_report(store, "emptyinspect", tmp_path / "e.pdf", lang="en"))
    assert "No damage recorded." in text and "No photo" in text
    cover = reader.pages[0].extract_text()
    assert "Incomplete — 23 of 23 required photos missing" in cover
    assert "Excellent" not in text and "Overall grade" not in text
    assert 4 <= len(reader.pages) <= 5  # the signatures page included


def test_inspector_grade_wins_over_the_suggestion(
    filled: tuple[Store, Inspection, dict[str, Capture], list[Damage]], tmp_path: Path
) -> None:
    store, inspection, _, _ = filled
    inspection.grade = 4
    store.update_inspection(inspection)
    _, text = pdf_text(
        build_report(store, inspection.id, tmp_path / "g.pdf", lang="en", inspector_name=POLISH)
    )
    assert "Overall grade: 4/5 — Good" in text and "Set by the inspector." in text


@pytest.mark.parametrize("after", [0, 3, 20])
def test_cancel_leaves_no_file(
    filled: tuple[Store, Inspection, dict[str, Capture], list[Damage]],
    tmp_path: Path,
    after: int,
) -> None:
    store, inspection, _, _ = filled
    calls = 0

    def cancelled() -> bool:
        nonlocal calls
        calls += 1
        return calls > after

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(ReportCancelled):
        build_report(store, inspection.id, out_dir / "r.pdf", cancelled=cancelled)
    assert list(out_dir.iterdir()) == []


def test_progress_goes_to_the_end(
    filled: tuple[Store, Inspection, dict[str, Capture], list[Damage]], tmp_path: Path
) -> None:
    store, inspection, _, _ = filled
    seen: list[tuple[int, int]] = []
    build_report(
        store, inspection.id, tmp_path / "p.pdf", progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_damaged_photo_file_stops_the_report(
    filled: tuple[Store, Inspection, dict[str, Capture], list[Damage]], tmp_path: Path
) -> None:
    store, inspection, captures, _ = filled
    path = store.photo_path(captures["rear"].sha256)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ReportError, match="fingerprint"):
        build_report(store, inspection.id, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
    path.unlink()
    with pytest.raises(StoreError, match="missing"):
        build_report(store, inspection.id, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_bad_arguments(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        build_report(store, "nope", tmp_path / "x.pdf")
    with pytest.raises(ReportError, match="language"):
        build_report(store, "nope", tmp_path / "x.pdf", lang="de")


# -- a standard inspection as a buyer reads it ---------------------------------------

LONG_NOTES = (
    "Véhicule globalement en bon état pour son âge, entretien suivi selon le carnet "
    "(courroie de distribution remplacée à 80 000 km, facture présentée). Pneus avant à "
    "remplacer sous 5 000 km ; légère odeur de tabac dans l'habitacle.\n"
    "À prévoir : reprise du pare-chocs avant et polissage de l'aile arrière droite."
)


def standard_inspection(
    store: Store,
    *,
    skip: Sequence[str] = (),
    damages: Sequence[tuple[str | None, Part, Severity, Region | None]] = (),
    pairs: int = 0,
    quality: dict[str, tuple[Verdict, str]] | None = None,
    notes: str = LONG_NOTES,
) -> tuple[Inspection, dict[str, Capture]]:
    """The standard checklist (all shots but ``skip``), ``pairs`` live damage photo pairs,
    and damages marked on the named shots' photos (None: a damage without a photo)."""
    inspection = Inspection(
        id="f00dfeed0001",
        checklist="standard",
        vehicle=Vehicle(
            "Mercedes-Benz",
            "Classe E Break 220 d 4MATIC Avantgarde Line",
            2021,
            "GH-987-ZY",
            "WDD2132041A123456",
            123456,
            Fuel.DIESEL,
            "Gris sélénite métallisé",
        ),
        seller=Seller("Marie-Éléonore de La Rochefoucauld-Wiśniewska", "", "", Language.FR),
        operator="Jean-Baptiste Lefèvre-Dumont",
        inspector="Anne-Sophie Château-Vasseur",
        notes=notes,
    )
    store.create_inspection(inspection)
    checklist = load_checklist("standard")
    shot_ids = [s.id for s in checklist.shots if s.id not in skip]
    for n in range(1, pairs + 1):
        shot_ids += [s.id for s in damage_pair(checklist, n) if s.id not in skip]
    captures: dict[str, Capture] = {}
    for i, shot_id in enumerate(shot_ids):
        verdict, reason = (quality or {}).get(shot_id, (Verdict.OK, ""))
        reasons = (
            (QualityReason(reason, LocalText.of({"fr": "à vérifier", "en": "to check"})),)
            if reason
            else ()
        )
        captures[shot_id] = store.add_capture(
            inspection.id,
            shot_id,
            jpeg_bytes(scene(320, 240, seed=i)),
            width=320,
            height=240,
            source=CaptureSource.STILL,
            quality=QualityReport(verdict, reasons),
        )
        if verdict is Verdict.REJECT:
            store.set_capture_accepted(captures[shot_id].id, True)  # kept anyway
    for k, (shot_id, part, severity, region) in enumerate(damages, start=1):
        note = (
            f"Dommage n° {k} : enfoncement avec éclat de peinture jusqu'à l'apprêt, "
            "réparation estimée à 340 € par le carrossier consulté par le vendeur"
        )
        capture_id = captures[shot_id].id if shot_id else None
        store.add_damage(
            Damage(
                f"dmg{k}", inspection.id, capture_id, part, DamageType.DENT, severity, region, note
            )
        )
    return inspection, captures


THREE_DAMAGES: list[tuple[str | None, Part, Severity, Region | None]] = [
    # Recorded in another order than photographed: pair 2 is D1, pair 3 is D2, pair 1 is D3.
    ("damage_2_closeup", Part.WING_REAR_RIGHT, Severity.MINOR, Region(0.3, 0.3, 0.3, 0.2)),
    ("damage_3_closeup", Part.DOOR_FRONT_LEFT, Severity.MODERATE, Region(0.5, 0.5)),
    ("damage_1_wide", Part.HEADLIGHT_LEFT, Severity.SEVERE, Region(0.6, 0.1, 0.3, 0.3)),
]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_standard_inspection_with_three_damages_fits_eight_pages(
    store: Store, tmp_path: Path, lang: str
) -> None:
    inspection, _ = standard_inspection(store, damages=THREE_DAMAGES, pairs=3)
    reader, _text = pdf_text(build_report(store, inspection.id, tmp_path / "r.pdf", lang=lang))
    assert len(reader.pages) <= 9  # the signatures page included
    assert ("Note globale" if lang == "fr" else "Overall grade") in reader.pages[0].extract_text()


def _incomplete_words(lang: str, missing: int, required: int) -> str:
    if lang == "fr":
        return f"Incomplet — {missing} photos obligatoires manquantes sur {required}"
    return f"Incomplete — {missing} of {required} required photos missing"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_incomplete_inspection_has_no_grade(store: Store, tmp_path: Path, lang: str) -> None:
    inspection, _ = standard_inspection(
        store, skip=("rear", "odometer", "damage_1_closeup"), damages=THREE_DAMAGES[2:], pairs=1
    )
    inspection.grade = 5  # even a grade the inspector chose is not shown
    store.update_inspection(inspection)
    reader, text = pdf_text(build_report(store, inspection.id, tmp_path / "i.pdf", lang=lang))
    words = _incomplete_words(lang, 3, 25)  # 23 + the damage pair, 3 missing
    cover, summary = (reader.pages[i].extract_text() for i in (0, 1))
    assert words in cover and words in summary
    for grade in ("Excellent", "Mauvais", "Bad", "Overall grade", "Note globale"):
        assert grade not in text
    no_page_numbers = re.sub(r"Page \d+ (/|of) \d+", "", cover + summary)
    assert not re.search(r"\b[1-5]\s*/\s*5\b", no_page_numbers)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_counts_agree_with_the_missing_list(store: Store, tmp_path: Path, lang: str) -> None:
    """ "20 of 25 present" must list 5 missing, damage photos included."""
    inspection, _ = standard_inspection(
        store,
        skip=("rear", "keys", "damage_2_closeup"),
        pairs=2,
        damages=[("damage_2_wide", Part.BONNET, Severity.MINOR, Region(0.2, 0.2, 0.2, 0.2))],
    )
    reader, _ = pdf_text(build_report(store, inspection.id, tmp_path / "c.pdf", lang=lang))
    summary = reader.pages[1].extract_text()
    present = "24 photos obligatoires sur 27 présentes" if lang == "fr" else "24 of 27 required"
    assert present in summary
    head = "Photos obligatoires manquantes" if lang == "fr" else "Missing required photos"
    line = squash(summary[summary.index(head) :].split("\n", 1)[0])
    closeup = "D1–grosplan" if lang == "fr" else "D1–close-up"
    assert line.count(";") == 2 and closeup in line, line


def test_photos_below_the_quality_bar_are_listed_and_cap_the_grade(
    store: Store, tmp_path: Path
) -> None:
    inspection, _ = standard_inspection(store, quality={"odometer": (Verdict.WARN, "blur")})
    _, text = pdf_text(build_report(store, inspection.id, tmp_path / "w.pdf", lang="en"))
    assert "Overall grade: 4/5 — Good" in text and "Excellent" not in text
    assert "Capped at 4/5 (instead of 5): 1 photo is below the quality bar." in text
    assert "Photos to check (below the quality bar): Odometer (to check)" in text
    assert "Quality to check" in text  # on the photo itself

    store.delete_inspection(inspection.id)
    inspection, _ = standard_inspection(
        store, quality={"vin_windscreen": (Verdict.REJECT, "kept_after_attempts")}
    )
    _, text = pdf_text(build_report(store, inspection.id, tmp_path / "r.pdf", lang="fr"))
    assert "Note globale : 3/5 — Correct" in text
    assert "Photos à vérifier (sous le seuil de qualité) : Numéro VIN (pare-brise)" in text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_inspector_notes_are_in_the_summary(store: Store, tmp_path: Path, lang: str) -> None:
    inspection, _ = standard_inspection(store)
    reader, _ = pdf_text(build_report(store, inspection.id, tmp_path / "n.pdf", lang=lang))
    summary = squash(reader.pages[1].extract_text())
    assert ("Observationsdel'inspecteur" if lang == "fr" else "Inspector'snotes") in summary
    for paragraph in LONG_NOTES.split("\n"):
        assert squash(paragraph) in summary


def test_one_identifier_per_damage(store: Store, tmp_path: Path) -> None:
    """D-numbers agree between the list, the diagram, the photo marks and the photo titles."""
    damages = [*THREE_DAMAGES, ("front", Part.FRONT_BUMPER, Severity.MINOR, Region(0.4, 0.6))]
    damages.append((None, Part.SEAT_FRONT, Severity.MINOR, None))
    inspection, _ = standard_inspection(store, damages=damages, pairs=4)  # pair 4: unrecorded
    reader, text = pdf_text(build_report(store, inspection.id, tmp_path / "d.pdf", lang="en"))
    parts = {f"D{k}": part_name(d[1], "en") for k, d in enumerate(damages, start=1)}

    # The list on the summary page: each D-number on the row of its part.
    summary = text_runs(reader.pages[1])
    diagram_left = MARGIN_X + 100 * mm
    for ref, part in parts.items():
        (pill,) = [r for r in summary if r.text == ref and r.x < diagram_left]
        row = [r.text for r in summary if abs(r.y - pill.y) < 3 and r is not pill]
        assert part in row, (ref, row)
    # The diagram: a label for each damage on an exterior part, none for the seat.
    on_diagram = sorted(r.text for r in summary if r.x > diagram_left and r.text in parts)
    assert on_diagram == ["D1", "D2", "D3", "D4"]
    assert "Not on the diagram: D5" in reader.pages[1].extract_text()

    # The photo pairs are titled by the damage marked on them, not by the call's pair number.
    assert not re.search(r"Damage \d", text)
    titles = {"D1": "damage_2", "D2": "damage_3", "D3": "damage_1"}
    for ref in titles:
        page = reader.pages[page_of(reader, f"{ref} – close-up")]
        runs = text_runs(page)
        assert f"{ref} – wide view" in page.extract_text()
        # the block's heading names the same part, and its photo carries the same mark
        heading = next(r for r in runs if r.text == ref and r.x < MARGIN_X + 10 * mm)
        assert any(r.text == parts[ref] and abs(r.y - heading.y) < 4 for r in runs)
        assert sum(r.text == ref for r in runs) >= 2
    assert "D4 – enlarged" in text  # marked on the front photo: no pair, an enlargement
    assert "Marks: D4" in text  # under the front photo of the contact sheet
    assert "Unrecorded damage photo (pair 4) – close-up" in text
    assert "1 unrecorded damage photo pair" in text


# -- damages added live ("Add damage") ------------------------------------------------


def live_damage(store: Store, inspection: Inspection, pair: int, *, linked: bool) -> Damage:
    """A damage recorded by "Add damage" on pair ``pair``, its close-up linked or not yet."""
    damage = store.add_damage(new_live_damage(inspection.id, pair, Part.WING_REAR_LEFT))
    if linked:
        closeup = next(c for c in store.captures(inspection.id) if c.shot_id.endswith("closeup"))
        linked_damage = link_closeup(store, damage, closeup)
        assert linked_damage is not None and linked_damage.capture_id == closeup.id
        damage = linked_damage
    return damage


GRADE_WORDS = ("Overall grade", "Note globale", "Excellent")


@pytest.mark.parametrize("linked", [True, False], ids=["closeup-linked", "not-linked"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_damage_to_complete_is_not_graded_nor_printed_as_a_fact(
    store: Store, tmp_path: Path, lang: str, linked: bool
) -> None:
    inspection, _ = standard_inspection(store, pairs=1)  # every photo, the pair's too
    live_damage(store, inspection, 1, linked=linked)
    reader, text = pdf_text(build_report(store, inspection.id, tmp_path / "t.pdf", lang=lang))
    cover, summary = (reader.pages[i].extract_text() for i in (0, 1))
    words = "Dommages à compléter — 1" if lang == "fr" else "Damages to complete — 1"
    assert words in cover and words in summary
    for grade in GRADE_WORDS:
        assert grade not in text
    no_page_numbers = re.sub(r"Page \d+ (/|of) \d+", "", cover + summary)
    assert not re.search(r"\b[1-5]\s*/\s*5\b", no_page_numbers)
    # Listed as to be confirmed: its placeholder type and severity are not printed.
    assert ("À confirmer" if lang == "fr" else "To be confirmed") in summary
    assert damage_type_name(DamageType.OTHER, lang) not in text
    assert severity_name(Severity.MINOR, lang) not in text
    # Its photo pair is titled by its D-number, whether its close-up was linked or not.
    wide, closeup = ("vue d'ensemble", "gros plan") if lang == "fr" else ("wide view", "close-up")
    page = reader.pages[page_of(reader, f"D1 – {closeup}")].extract_text()
    assert f"D1 – {wide}" in page
    assert "paire 1" not in text and "pair 1" not in text  # not an "unrecorded" pair


@pytest.mark.parametrize("linked", [True, False], ids=["closeup-linked", "not-linked"])
def test_a_completed_live_damage_is_graded_and_titles_its_pair(
    store: Store, tmp_path: Path, linked: bool
) -> None:
    inspection, _ = standard_inspection(store, pairs=1)
    damage = live_damage(store, inspection, 1, linked=linked)
    complete_damage(
        store,
        inspection.id,
        damage.id,
        part=Part.WING_REAR_LEFT,
        type=DamageType.DENT,
        severity=Severity.SEVERE,
    )
    reader, text = pdf_text(build_report(store, inspection.id, tmp_path / "c.pdf", lang="en"))
    assert "Overall grade: 2/5 — Poor" in reader.pages[0].extract_text()
    assert "To be confirmed" not in text and "to complete" not in text
    index = page_of(reader, "D1 – close-up")
    page = reader.pages[index].extract_text()
    assert "D1 – wide view" in page and "Rear left wing · Dent · Severe" in page
    assert "Unrecorded" not in text


def test_a_recorded_pair_without_photos_is_missing_in_the_report(
    store: Store, tmp_path: Path
) -> None:
    inspection, _ = standard_inspection(store)  # every checklist photo, no damage pair
    damage = live_damage(store, inspection, 1, linked=False)
    complete_damage(
        store,
        inspection.id,
        damage.id,
        part=Part.BONNET,
        type=DamageType.SCRATCH,
        severity=Severity.MINOR,
    )
    reader, text = pdf_text(build_report(store, inspection.id, tmp_path / "m.pdf", lang="en"))
    summary = reader.pages[1].extract_text()
    assert _incomplete_words("en", 2, 25) in reader.pages[0].extract_text()
    assert "23 of 25 required photos present" in summary
    line = squash(summary[summary.index("Missing required photos") :].split("\n", 1)[0])
    assert "D1–wideview;D1–close-up" in line, line
    assert "No photo of this damage." in text


def _check_layout(reader: PdfReader) -> None:
    """Every text run inside the page's margins, and no two runs on top of each other."""
    for number, page in enumerate(reader.pages, start=1):
        assert float(page.mediabox.width) == pytest.approx(PAGE_W)
        runs = text_runs(page)
        assert runs, f"page {number} is blank"
        for r in runs:
            x0, y0, x1, y1 = r.box()
            where = f"page {number}: {r.text!r} at ({x0:.0f}, {y0:.0f})-({x1:.0f}, {y1:.0f})"
            assert x0 >= MARGIN_X - 0.5 and x1 <= PAGE_W - MARGIN_X + 0.5, where
            assert 8 * mm <= y0 and y1 <= PAGE_H - 8 * mm, where
        for i, a in enumerate(runs):
            ax0, ay0, ax1, ay1 = a.box()
            for b in runs[i + 1 :]:
                bx0, by0, bx1, by1 = b.box()
                # Separate pieces of text keep a gap; a continued line may touch.
                limit = 0.5 if b.continues else -3.0
                overlap_x = min(ax1, bx1) - max(ax0, bx0)
                overlap_y = min(ay1, by1) - max(ay0, by0)
                assert overlap_x < limit or overlap_y < 0.5, (
                    f"page {number}: {a.text!r} overlaps or touches {b.text!r}"
                )


@pytest.mark.parametrize("complete", [True, False], ids=["graded", "incomplete"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_text_outside_the_page_or_overlapping(
    store: Store, tmp_path: Path, lang: str, complete: bool
) -> None:
    """The longest words (French), long names and notes, two damages marked on one spot."""
    spot = Region(0.9, 0.9)
    damages = [
        *THREE_DAMAGES,
        ("front", Part.FRONT_BUMPER, Severity.MINOR, spot),
        ("front", Part.BONNET, Severity.SEVERE, spot),
    ]
    inspection, _ = standard_inspection(
        store,
        skip=() if complete else ("keys",),
        damages=damages,
        pairs=4,
        quality={"vin_door_jamb": (Verdict.WARN, "glare")},
        notes=LONG_NOTES * 3,
    )
    reader = PdfReader(build_report(store, inspection.id, tmp_path / "l.pdf", lang=lang))
    _check_layout(reader)
    assert len(reader.pages) <= 10  # the signatures page included


# -- diagram -------------------------------------------------------------------------


def test_svg_diagram_parts_and_transforms() -> None:
    svg = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 400">
      <path d="M20 20 L180 20 L180 380 L20 380 Z"/>
      <g transform="translate(10 20)">
        <rect id="bonnet" x="30" y="10" width="100" height="60" rx="8"/>
        <g id="door_front_left"><polygon points="0,150 20,150 20,220 0,220"/></g>
        <circle id="wheel_front_left" cx="0" cy="100" r="10" transform="scale(2)"/>
      </g>
      <text id="roof">ignored</text>
      <rect id="boot_lid" x="0" y="0" width="10" height="10" style="display: none"/>
    </svg>"""
    diagram = parse_diagram(svg)
    k = 0.75  # svglib draws SVG pixels as points, y upwards

    def on_drawing(x0: float, y0: float, x1: float, y1: float) -> tuple[float, ...]:
        return x0 * k, (400 - y1) * k, x1 * k, (400 - y0) * k

    assert diagram.size == (200 * k, 400 * k)
    assert diagram.boxes[Part.BONNET] == pytest.approx(on_drawing(40, 30, 140, 90))
    assert diagram.boxes[Part.DOOR_FRONT_LEFT] == pytest.approx(on_drawing(10, 170, 30, 240))
    assert diagram.boxes[Part.WHEEL_FRONT_LEFT] == pytest.approx(on_drawing(-10, 200, 30, 240))
    assert Part.ROOF not in diagram.boxes and Part.BOOT_LID not in diagram.boxes


def test_diagram_labels_never_overlap() -> None:
    """Many damages on neighbouring parts: every label inside the diagram, none on another."""
    width, height = 160.0, 320.0
    bonnet, wing = (30.0, 100.0, 130.0, 200.0), (10.0, 120.0, 28.0, 200.0)
    door = (10.0, 60.0, 28.0, 118.0)
    groups = [
        LabelGroup(80.0, 150.0, bonnet, (16.0,) * 3),
        LabelGroup(19.0, 160.0, wing, (16.0, 18.0, 18.0)),
        LabelGroup(19.0, 89.0, door, (18.0,) * 5),
        LabelGroup(2.0, 2.0, (0.0, 0.0, 4.0, 4.0), (16.0,)),
    ]
    placed = place_labels(groups, width, height)
    boxes = [
        (x - w / 2, y - PILL_H / 2, x + w / 2, y + PILL_H / 2)
        for group, block in zip(groups, placed, strict=True)
        for (x, y), w in zip(block.centres, group.widths, strict=True)
    ]
    for k, a in enumerate(boxes):
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= width and a[3] <= height
        for b in boxes[k + 1 :]:
            apart = max(b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3])
            assert apart >= LABEL_GAP - 1e-9, (a, b)
    # on a wide part, a row centred on the part
    assert [y for _, y in placed[0].centres] == [150.0] * 3
    assert placed[0].centres[1][0] == pytest.approx(80.0)
    # on a narrow part, a column on the part
    assert len({x for x, _ in placed[1].centres}) == 1
    assert all(wing[1] <= y <= wing[3] for _, y in placed[1].centres)


def test_damage_labels_on_neighbouring_parts_do_not_overlap_in_the_report(
    store: Store, tmp_path: Path
) -> None:
    """Read back from the PDF: the diagram's labels, several per part on adjacent parts."""
    parts = [Part.WING_FRONT_LEFT] * 3 + [Part.DOOR_FRONT_LEFT, Part.WINDOW_FRONT_LEFT]
    parts += [Part.MIRROR_LEFT, Part.SILL_LEFT, Part.HEADLIGHT_LEFT, Part.FRONT_BUMPER]
    damages = [(None, part, Severity.MINOR, None) for part in parts]
    inspection, _ = standard_inspection(store, damages=damages)
    reader = PdfReader(build_report(store, inspection.id, tmp_path / "d.pdf", lang="en"))
    refs = {f"D{k}" for k in range(1, len(parts) + 1)}
    labels = [r for r in text_runs(reader.pages[1]) if r.text in refs and r.x > MARGIN_X + 100 * mm]
    assert sorted(r.text for r in labels) == sorted(refs)
    boxes = [(r.x - 3.5, r.y - 3, r.x + r.width + 3.5, r.y - 3 + PILL_H) for r in labels]
    for k, a in enumerate(boxes):
        for b in boxes[k + 1 :]:
            assert max(b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3]) > 0, (a, b)


def test_shipped_vehicle_diagram_has_the_body_parts() -> None:
    diagram = load_diagram()
    assert not isinstance(diagram, str), diagram
    exterior = {
        Part.FRONT_BUMPER,
        Part.REAR_BUMPER,
        Part.BONNET,
        Part.ROOF,
        Part.DOOR_FRONT_LEFT,
        Part.DOOR_REAR_RIGHT,
        Part.WHEEL_FRONT_LEFT,
    }
    assert exterior <= set(diagram.boxes)


def test_missing_diagram_degrades_gracefully(tmp_path: Path) -> None:
    flow = VehicleDiagram(
        100,
        100,
        [(1, Part.BONNET, None)],
        "Helvetica",
        "Helvetica",
        None,
        path=tmp_path / "none.svg",
    )
    assert isinstance(flow.diagram, str) and "missing" in flow.diagram
    assert not flow.has(Part.BONNET)
    bad = tmp_path / "bad.svg"
    bad.write_text("<svg><path d='M 0 0 X'/></svg>")
    assert isinstance(load_diagram(bad), str)


# -- CLI -------------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_report(
    filled: tuple[Store, Inspection, dict[str, Capture], list[Damage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store, inspection, _, _ = filled
    out = tmp_path / "report.pdf"
    code, stdout, err = run_cli(capsys, "report", inspection.id, "-o", str(out), "--lang", "en")
    assert code == 0, err
    assert stdout.strip() == str(out)
    assert "Inspection report" in pdf_text(out)[1]
    assert store.get_inspection(inspection.id).status is InspectionStatus.REPORTED

    code, _, err = run_cli(capsys, "report", "zzzz", "-o", str(tmp_path / "n.pdf"))
    assert code == 1 and err.count("\n") == 1 and "no inspection 'zzzz'" in err
    code, _, err = run_cli(capsys, "report", inspection.id, "-o", str(tmp_path / "n.txt"))
    assert code == 1 and err.count("\n") == 1 and ".pdf" in err
    with pytest.raises(SystemExit):
        run_cli(capsys, "report", inspection.id, "-o", str(out), "--lang", "de")
    assert not (tmp_path / "n.pdf").exists()


def test_cli_refuses_an_incomplete_inspection(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inspection, _, _ = make_inspection(store, skip=("rear",))
    out = tmp_path / "r.pdf"
    code, stdout, err = run_cli(capsys, "report", inspection.id, "-o", str(out))
    assert code == 4 and stdout == ""
    assert err.count("\n") == 1 and "incomplete: 1 of 25 required photos missing (rear)" in err
    assert "--allow-incomplete" in err
    assert not out.exists()
    assert store.get_inspection(inspection.id).status is not InspectionStatus.REPORTED

    code, stdout, err = run_cli(
        capsys, "report", inspection.id, "-o", str(out), "--lang", "en", "--allow-incomplete"
    )
    assert code == 0 and stdout.strip() == str(out)
    assert err.startswith("warning: inspection a1b2c3d4e5f6 is incomplete")
    assert "Incomplete — 1 of 25 required photos missing" in pdf_text(out)[1]


def test_cli_refuses_damages_to_complete(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inspection, _ = standard_inspection(store, pairs=1)  # every photo: only the damage lacks
    damage = live_damage(store, inspection, 1, linked=True)
    out = tmp_path / "r.pdf"
    code, stdout, err = run_cli(capsys, "report", inspection.id, "-o", str(out))
    assert code == 4 and stdout == ""
    assert err.count("\n") == 1
    assert f"inspection {inspection.id} is incomplete: 1 damage to complete (D1)" in err
    assert "--allow-incomplete" in err and "required photos" not in err
    assert not out.exists()

    code, stdout, err = run_cli(
        capsys, "report", inspection.id, "-o", str(out), "--lang", "en", "--allow-incomplete"
    )
    assert code == 0 and stdout.strip() == str(out)
    assert err.startswith(f"warning: inspection {inspection.id} is incomplete: 1 damage")
    assert "Damages to complete — 1" in pdf_text(out)[1]

    # Photos missing too: one line gives both reasons.
    store.add_damage(new_live_damage(inspection.id, 2, None))
    code, _, err = run_cli(capsys, "report", inspection.id, "-o", str(out))
    assert code == 4 and err.count("\n") == 1
    assert (
        "2 of 27 required photos missing (damage_2_wide, damage_2_closeup); "
        "2 damages to complete (D1, D2)"
    ) in err

    store.delete_damage(store.damages(inspection.id)[1].id)
    complete_damage(
        store,
        inspection.id,
        damage.id,
        part=Part.WING_REAR_LEFT,
        type=DamageType.DENT,
        severity=Severity.MINOR,
    )
    code, stdout, err = run_cli(capsys, "report", inspection.id, "-o", str(out), "--lang", "en")
    assert code == 0 and err == "", err
    assert "Overall grade: 4/5 — Good" in pdf_text(out)[1]


def test_a_photo_whose_original_never_arrived_says_so(store: Store, tmp_path: Path) -> None:
    """Issue 15: a capture still showing its preview is a real photo, marked in the
    evidence table as a preview only."""
    inspection, _, _ = make_inspection(store, skip=("rear",))
    store.add_capture(
        inspection.id,
        "rear",
        jpeg_bytes(scene(160, 120, seed=99)),
        width=160,
        height=120,
        source=CaptureSource.PREVIEW,
        quality=QualityReport(Verdict.OK),
    )
    for lang, words in (("en", "preview only"), ("fr", "aperçu seulement")):
        _, text = pdf_text(build_report(store, inspection.id, tmp_path / f"{lang}.pdf", lang=lang))
        assert words in " ".join(text.split()), lang
