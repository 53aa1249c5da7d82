"""The suite's own worker scheduling (``tests/conftest.py``): a worker that crashes
(a segfault in a native library) fails its test, the rest of its module still runs on
a new worker, and the run ends instead of hanging."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MODULES = {
    "test_a.py": "def test_one(): pass\ndef test_two(): pass\ndef test_three(): pass\n",
    "test_b.py": (
        "import os\n"
        "def test_before(): pass\n"
        "def test_crash(): os._exit(1)\n"
        "def test_after(): pass\n"
    ),
    "test_c.py": "def test_c(): pass\n",
}


@pytest.mark.timeout(120)
def test_a_crashed_worker_fails_its_test_and_the_run_goes_on(tmp_path: Path) -> None:
    for name, text in MODULES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_configure\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q", "-rf"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=100,
    )
    out = run.stdout
    assert run.returncode == 1, out
    assert "1 failed, 6 passed" in out, out
    assert "crashed while running 'test_b.py::test_crash'" in out, out
