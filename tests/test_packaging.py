"""The installed package (``pip install .``, not editable) finds its assets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.storage.sql import head

ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import json, inspector.assets as a, inspector.i18n as i18n
from inspector.domain.checklist import available_checklists, load_checklist
from inspector.storage.sql.revisions import MIGRATIONS_DIR, head
print(json.dumps({
    "migrations": str(MIGRATIONS_DIR), "schema_head": head(),
    "locale": str(i18n.LOCALE_DIR),
    "french": i18n.gettext("fr", "Front bumper"),
    "assets": str(a.assets_dir()),
    "checklists": available_checklists(),
    "overlay": a.asset_path("overlays", load_checklist("standard").shots[0].overlay + ".svg")
        .is_file(),
}))
"""


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_wheel_install_carries_assets(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=200,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["assets"].startswith(str(target))
    assert "standard" in result["checklists"]
    assert result["overlay"] is True
    assert result["locale"].startswith(str(target))  # the catalogs travel with the code
    assert result["french"] == "Pare-chocs avant"
    # The Alembic revisions travel with the code too (no alembic.ini needed).
    assert result["migrations"].startswith(str(target))
    assert result["schema_head"] == head()  # every revision is in the wheel
