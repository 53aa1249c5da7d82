from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.cli.main import main
from inspector.domain.checklist import load_checklist
from inspector.domain.models import CaptureSource, Part, QualityReport, Verdict
from inspector.live.damages import new_live_damage
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene

ROOT = Path(__file__).resolve().parents[3]

NEW = [
    "new",
    "--make",
    "Peugeot",
    "--model",
    "308",
    "--plate",
    "AB-123-CD",
    "--vin",
    "VF3LBYHZPKS123456",
    "--mileage",
    "84500",
    "--seller-name",
    "Élodie Martin",
    "--seller-lang",
    "fr",
    "--checklist",
    "standard",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_new_list_show_delete(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *NEW)
    assert code == 0
    inspection_id = out.strip()
    assert len(inspection_id) == 12
    assert "check digit" in err  # a European VIN only warns

    code, out, _ = run(capsys, "list")
    assert code == 0
    assert inspection_id in out and "Peugeot 308" in out and "Élodie Martin" in out

    code, out, _ = run(capsys, "list", "--json")
    (row,) = json.loads(out)
    assert row["id"] == inspection_id
    assert row["vehicle"]["mileage_km"] == 84500
    assert row["progress"].startswith("0/")

    code, out, _ = run(capsys, "show", inspection_id[:5], "--json")
    shown = json.loads(out)
    assert shown["seller"]["language"] == "fr"
    assert shown["captures"] == []

    code, out, _ = run(capsys, "show", inspection_id)
    assert "AB-123-CD" in out and "84,500 km" in out

    code, out, _ = run(capsys, "delete", inspection_id)
    assert code == 0
    code, out, _ = run(capsys, "list", "--json")
    assert json.loads(out) == []


def test_new_json_output(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *NEW, "--json")
    data = json.loads(out)
    assert code == 0
    assert data["checklist"] == "standard"
    assert data["warnings"]


def test_data_dir_option_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "elsewhere"
    code, out, _ = run(capsys, "--data-dir", str(other), *NEW)
    assert code == 0
    assert (other / "inspector.db").exists()
    code, out, _ = run(capsys, "list", "--data-dir", str(other), "--json")
    assert len(json.loads(out)) == 1


def test_checklists(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "checklists", "--json")
    data = json.loads(out)
    standard = next(c for c in data if c["id"] == "standard")
    assert len(standard["shots"]) >= 24
    code, out, _ = run(capsys, "checklists")
    assert code == 0
    assert "standard" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["new", "--make", "Fiat", "--vin", "SHORT"], "VIN: must be 17 characters"),
        (["new", "--make", "Fiat", "--mileage", "-5"], "mileage: cannot be negative"),
        (["new", "--make", "Fiat", "--seller-lang", "de"], "must be fr or en"),
        (["new", "--make", "Fiat", "--checklist", "nope"], "nope"),
        (["show", "doesnotexist"], "no inspection 'doesnotexist'"),
        (["delete", "doesnotexist"], "no inspection"),
    ],
)
def test_bad_input_is_one_clear_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code != 0
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_real_process_never_shows_a_traceback(data_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", "new", "--make", "Fiat", "--mileage", "lots"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("inspector: error: mileage")
    assert "Traceback" not in proc.stderr


def test_unusable_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "--data-dir", str(blocker / "sub"), "list")
    assert code != 0
    assert "data directory" in err


def test_a_recorded_pair_without_photos_is_missing_in_list_and_show(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "Add damage" recorded pair 1 but its photos were never taken: 2 shots missing."""
    code, out, _ = run(capsys, *NEW)
    inspection_id = out.strip()
    for i, shot in enumerate(s for s in load_checklist("standard").shots if s.required):
        store.add_capture(
            inspection_id,
            shot.id,
            jpeg_bytes(scene(64, 48, seed=i)),
            width=64,
            height=48,
            source=CaptureSource.STILL,
            quality=QualityReport(Verdict.OK),
        )
    code, out, _ = run(capsys, "list", "--json")
    assert json.loads(out)[0]["progress"] == "23/23"

    damage = store.add_damage(new_live_damage(inspection_id, 1, Part.BONNET))
    for check in ([], ["--check"]):
        code, out, _ = run(capsys, "list", "--json", *check)
        assert code == 0 and json.loads(out)[0]["progress"] == "23/25"
        code, out, _ = run(capsys, "list", *check)
        assert code == 0 and "23/25" in out
        code, out, _ = run(capsys, "show", inspection_id, *check)
        assert code == 0 and "23/25 required shots" in out
    code, out, _ = run(capsys, "show", inspection_id, "--json")
    shown = json.loads(out)
    assert shown["progress"] == {"done": 23, "required": 25}
    assert shown["damages"] == [
        {
            "id": damage.id,
            "part": "bonnet",
            "type": "other",
            "severity": 1,
            "pair": 1,
            "to_complete": True,
        }
    ]
