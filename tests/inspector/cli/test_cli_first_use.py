"""The command line as someone meets it the first time: help, errors, no display."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.cli.console import display_missing
from inspector.cli.main import build_parser, main
from inspector.domain.models import CaptureSource, QualityReport, Verdict
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene

ROOT = Path(__file__).resolve().parents[3]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no commands")


def test_every_option_of_every_command_has_help() -> None:
    parser = build_parser()
    missing = []
    for name, sub in _subparsers(parser).items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if not (action.help or "").strip():
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_defaults_are_shown_and_invite_does_not_listen(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv, expected in (
        (["serve", "--help"], "default: 8080"),
        (["report", "--help"], "default: the seller's"),
        (["console", "--help"], "--port"),
    ):
        with pytest.raises(SystemExit):
            main(argv)
        assert expected in capsys.readouterr().out, argv
    with pytest.raises(SystemExit):
        main(["invite", "--help"])
    assert "listen" not in capsys.readouterr().out  # invite listens on nothing


def test_new_reports_every_invalid_field_at_once(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "new",
        "--make",
        "Fiat",
        "--vin",
        "123",
        "--mileage",
        "-5",
        "--seller-email",
        "nope",
    )
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    for field in ("VIN: must be 17 characters", "mileage: cannot be negative", "e-mail:"):
        assert field in err, err
    with Store(data_dir) as store:
        assert store.list_inspections() == []


def test_the_readme_example_is_a_valid_vehicle(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", readme)  # continuation lines joined
    match = re.search(r"inspector new ([^\n#]*)", joined)
    assert match, "the README shows `inspector new`"
    argv = shlex.split(match.group(1))
    code, out, err = run(capsys, "new", *argv, "--json")
    assert code == 0, err
    assert json.loads(out)["warnings"] == [] and "warning" not in err


def test_report_into_a_missing_folder_says_so_and_creates_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inspection_id = run(capsys, "new", "--make", "Fiat")[1].strip()
    missing = tmp_path / "missing" / "folder"
    for command, name in (("report", "x.pdf"), ("export", "x.zip")):
        code, _, err = run(capsys, command, inspection_id, "-o", str(missing / name))
        assert code == 1
        assert f"the folder {missing} does not exist" in err, err
    assert not (tmp_path / "missing").exists()


def test_verify_counts_in_good_english(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(data_dir) as store:
        from inspector.usecases.inspections import create_inspection

        inspection, _ = create_inspection(
            store, checklist="quick", vehicle={"make": "Fiat"}, seller={}
        )
        store.add_capture(
            inspection.id,
            "front_left",
            jpeg_bytes(scene(160, 120)),
            width=160,
            height=120,
            source=CaptureSource.STILL,
            quality=QualityReport(Verdict.OK),
        )
    bundle = tmp_path / "b.zip"
    assert run(capsys, "export", inspection.id, "-o", str(bundle), "--no-report")[0] == 0
    code, out, _ = run(capsys, "verify", str(bundle))
    assert code == 0
    assert "(inspection" in out and "1 file matches the manifest" in out, out


def test_display_missing_is_detected_before_qt_aborts(tmp_path: Path) -> None:
    assert display_missing({})
    assert display_missing({"DISPLAY": ":4242"})  # no such X server here
    assert not display_missing({"QT_QPA_PLATFORM": "offscreen"})
    assert not display_missing({"WAYLAND_DISPLAY": "wayland-0"})
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", "--data-dir", str(tmp_path / "d")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == (
        "inspector: error: no display available; the console needs one — every other "
        "command works headless (`inspector --help`)"
    )


def test_a_reader_that_goes_away_is_not_an_error(data_dir: Path, tmp_path: Path) -> None:
    """`inspector list --json | head`: the closed pipe is the reader's choice."""
    with Store(data_dir) as store:
        from inspector.usecases.inspections import create_inspection

        for i in range(300):
            create_inspection(store, vehicle={"make": f"Fiat {i}"}, seller={})
    err = tmp_path / "err.txt"
    command = (
        f"{shlex.quote(sys.executable)} -m inspector --data-dir {shlex.quote(str(data_dir))} "
        f"list --json 2>{shlex.quote(str(err))} | head -c 10 >/dev/null"
    )
    subprocess.run(["bash", "-c", command], cwd=ROOT, check=True, timeout=60)
    assert err.read_text() == ""


def test_the_report_speaks_the_sellers_language_by_default(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypdf import PdfReader

    for lang, word in (("en", "Incomplete"), ("fr", "Incomplet")):
        inspection_id = run(capsys, "new", "--make", "Fiat", "--seller-lang", lang)[1].strip()
        pdf = tmp_path / f"{lang}.pdf"
        code, _, err = run(capsys, "report", inspection_id, "-o", str(pdf), "--allow-incomplete")
        assert code == 0, err
        text = PdfReader(pdf).pages[0].extract_text()
        assert word in text and (lang == "fr" or "Incomplet " not in text), text[:300]
