"""The core never imports Qt or the console: proven on every module."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import importlib, json, pkgutil, sys
import inspector
names = sorted(
    m.name for m in pkgutil.walk_packages(inspector.__path__, "inspector.")
    if not m.name.endswith("__main__")
)
for name in names:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "ui"))
print(json.dumps({"modules": names, "leaked": leaked}))
"""


def test_importing_every_core_module_loads_no_qt() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    assert "inspector.storage.store" in result["modules"]
    assert len(result["modules"]) >= 8
    assert result["leaked"] == []


def test_no_core_source_names_qt_or_ui() -> None:
    """Also catches imports hidden in functions, which the probe would not run."""
    offenders = []
    for path in (ROOT / "inspector").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            offenders += [
                f"{path.name}:{node.lineno} {n}"
                for n in names
                if n.split(".")[0] in ("PySide6", "shiboken6", "ui")
            ]
    assert offenders == []
