"""The PDF report, read back with pypdf: text, images, pages; cancel; the CLI command."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from inspector import cli
from inspector.checklist import ChecklistError, damage_pair, load_checklist
from inspector.models import (
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Fuel,
    Inspection,
    InspectionStatus,
    Language,
    Part,
    QualityReport,
    Region,
    Seller,
    Severity,
    Vehicle,
    Verdict,
)
from inspector.report import PHOTO_MAX_PX, ReportCancelled, ReportError, build_report
from inspector.report_diagram import (
    VehicleDiagram,
    load_diagram,
    parse_diagram,
    parse_path,
)
from inspector.report_i18n import damage_type_name, part_name, severity_name
from inspector.store import NotFound, Store, StoreError
from inspector.validation import ValidationError
from tests.data import jpeg_bytes, scene

POLISH = "Łukasz Wiśniewski"
NOTE = "Rayure de 12 cm sur l'aile, réparation estimée à 180 € — à vérifier"


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
        assert c.sha256 in flat, c.shot_id
        assert c.sha256[:12] in text
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
    assert ("84 500 km" if lang == "fr" else "84,500 km") in text.replace("\u202f", " ")
    # cover, summary, damages, at least 6 photo pages, appendix
    assert 10 <= len(reader.pages) <= 30
    assert f"1 / {len(reader.pages)}" in text or f"1 of {len(reader.pages)}" in text
    images = sum(len(page.images) for page in reader.pages)
    # every photo, the hero again (same file, one XObject per page), damage crops
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
    for lang, missing in (
        ("fr", ("Arrière", "Compteur kilométrique")),
        ("en", ("Rear", "Odometer")),
    ):
        _, text = pdf_text(build_report(store, inspection.id, tmp_path / f"{lang}.pdf", lang=lang))
        page = text[text.index("Synth" if lang == "fr" else "Summary") :]
        line = next(ln for ln in page.splitlines() if "manquantes" in ln or "Missing" in ln)
        for title in missing:
            assert title in line


def test_report_without_photos_or_damage(store: Store, tmp_path: Path) -> None:
    store.create_inspection(Inspection(id="emptyinspect", checklist="standard"))
    reader, text = pdf_text(build_report(store, "emptyinspect", tmp_path / "e.pdf", lang="en"))
    assert "No damage recorded." in text and "No photo" in text
    assert "Excellent" in text  # suggested grade 5
    assert 3 <= len(reader.pages) <= 6


def test_inspector_grade_wins_over_the_suggestion(
    filled: tuple[Store, Inspection, dict[str, Capture], list[Damage]], tmp_path: Path
) -> None:
    store, inspection, _, _ = filled
    inspection.grade = 4
    store.update_inspection(inspection)
    _, text = pdf_text(
        build_report(store, inspection.id, tmp_path / "g.pdf", lang="en", inspector_name=POLISH)
    )
    assert "set by the inspector" in text and "Good" in text


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


# -- diagram -------------------------------------------------------------------------


def test_svg_path_parser_handles_every_command() -> None:
    (sub,) = parse_path("M10 10 h 20 v20 H10 z")
    assert sub[0] == (10, 10) and sub[2] is True
    assert [s[-1] for s in sub[1]] == [(30, 10), (30, 30), (10, 30)]
    subs = parse_path("m0,0 c1,1 2,2 3,3 s1,1 2,2 q1-1 2,0 t2,0 a5 5 0 0110 10 l-1-1")
    ends = [s[-1] for s in subs[0][1]]
    assert ends[0] == (3, 3) and ends[1] == (5, 5) and ends[2] == (7, 5) and ends[3] == (9, 5)
    assert ends[-2] == pytest.approx((19, 15)) and ends[-1] == pytest.approx((18, 14))


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
    assert diagram.view == (0, 0, 200, 400)
    assert diagram.boxes[Part.BONNET] == pytest.approx((40, 30, 140, 90))
    assert diagram.boxes[Part.DOOR_FRONT_LEFT] == pytest.approx((10, 170, 30, 240))
    assert diagram.boxes[Part.WHEEL_FRONT_LEFT] == pytest.approx((-10, 200, 30, 240))
    assert Part.ROOF not in diagram.boxes and Part.BOOT_LID not in diagram.boxes


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
    """Through ``inspector.cli.main`` once it registers these commands, else the same way."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "report" in sub.choices:
        code = cli.main(list(argv))
    else:
        from inspector import cli_review

        common = argparse.ArgumentParser(add_help=False)
        common.add_argument("--data-dir", default=argparse.SUPPRESS)
        parser = argparse.ArgumentParser(prog="inspector", parents=[common])
        subs = parser.add_subparsers(dest="command")

        def add(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
            p = subs.add_parser(name, parents=[common], help=help_text)
            p.set_defaults(handler=handler)
            return p

        cli_review.register(add)
        args = parser.parse_args(list(argv))
        if not hasattr(args, "data_dir"):
            args.data_dir = None
        try:
            code = args.handler(args)
        except (ValidationError, ChecklistError, StoreError, cli.CliError) as exc:
            print(f"inspector: error: {exc}", file=sys.stderr)
            code = exc.code if isinstance(exc, cli.CliError) else 1
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
