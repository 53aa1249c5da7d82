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


LOGGED = (
    "import os, time\n"
    "def _log(name):\n"
    "    with open(os.environ['ORDER_LOG'], 'a') as f:\n"
    "        f.write(name + '\\n')\n"
    "    time.sleep(0.1)\n"
)


@pytest.mark.timeout(120)
def test_the_long_units_start_first(tmp_path: Path) -> None:
    # xdist queues units by test count; the network lab (few tests, minutes each) came
    # last and ran alone at the end. Three modules of five tests, a lab of one, two workers.
    suite = tmp_path / "tests"
    (suite / "netlab").mkdir(parents=True)
    (suite / "netlab" / "test_lab.py").write_text(LOGGED + "def test_lab(): _log('lab')\n")
    for m in "abc":
        tests = "".join(f"def test_{m}{i}(): _log('{m}{i}')\n" for i in range(5))
        (suite / f"test_{m}.py").write_text(LOGGED + tests)
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_configure\n")
    log = tmp_path / "order.log"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q", "tests"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "ORDER_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert run.returncode == 0, run.stdout
    order = log.read_text().split()
    assert len(order) == 16
    assert order.index("lab") < 2, order
