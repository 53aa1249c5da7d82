"""``inspector export ID --listing -o FOLDER``: the publishable photos, or one clear line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from inspector.cli.main import main
from inspector.domain.models import Inspection
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from tests.inspector.usecases.test_privacy import LISTING, make_listing_inspection


def one_line(err: str, needle: str) -> None:
    assert "Traceback" not in err, err
    [line] = err.strip().splitlines()
    assert line.startswith("inspector: error: ") and needle in line, err


@pytest.mark.timeout(240)
def test_export_listing(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store(data_dir) as store:
        listed = make_listing_inspection(store)
        empty = store.create_inspection(Inspection(id=new_id(), checklist="standard"))
    out = tmp_path / "listing"
    assert (
        main(["export", listed.inspection_id[:6], "--listing", "-o", str(out), "--size", "400"])
        == 0
    )
    printed = capsys.readouterr()
    assert printed.out.strip() == str(out)
    assert printed.err.startswith(
        f"{len(LISTING)} photos, 4 boxes blurred (5 photos scanned first)"
    )
    names = sorted(os.listdir(out))
    assert [n[3:-4].replace("-", "_") for n in names] == LISTING
    for name in names:
        with Image.open(out / name) as image:
            assert max(image.size) == 400

    assert main(["export", listed.inspection_id, "--listing", "-o", str(out)]) == 1
    one_line(capsys.readouterr().err, "is not empty")
    assert main(["export", "nosuchid", "--listing", "-o", str(tmp_path / "x")]) == 1
    one_line(capsys.readouterr().err, "no inspection 'nosuchid'")
    assert main(["export", empty.id, "--listing", "-o", str(tmp_path / "x")]) == 1
    one_line(capsys.readouterr().err, "no accepted photo")
    assert main(["export", empty.id, "--size", "400", "-o", str(tmp_path / "x.zip")]) == 2
    one_line(capsys.readouterr().err, "go with --listing")
    assert not (tmp_path / "x").exists()
