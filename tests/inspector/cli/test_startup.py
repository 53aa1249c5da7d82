"""Start-up: building the parser imports no heavy library (docs/PERFORMANCE.md).

Every command, ``--help`` included, builds the whole parser; each command imports what
it runs (the store, the seal, the report, the live engine, OCR, the privacy filters)
when it runs. A module-level import of any of them in a command module would make every
command pay seconds again.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "PySide6",
    "aiohttp",
    "aiortc",
    "alembic",
    "av",
    "boto3",
    "botocore",
    "cv2",
    "numpy",
    "onnxruntime",
    "pydantic",
    "pyhanko",
    "rapidocr",
    "reportlab",
    "sqlalchemy",
)

_PROBE = """
import json, sys
{imports}
print(json.dumps(sorted({{m for m in sys.modules if m.split(".")[0] in {heavy!r}}})))
"""


def _loaded(imports: str) -> list[str]:
    code = _PROBE.format(imports=imports, heavy=set(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    loaded: list[str] = json.loads(done.stdout)
    return loaded


@pytest.mark.timeout(150)
def test_building_the_parser_imports_no_heavy_library() -> None:
    assert _loaded("from inspector.cli.main import build_parser; build_parser()") == []


@pytest.mark.timeout(150)
def test_help_imports_no_heavy_library() -> None:
    # --help exits through SystemExit after printing: nothing more may be loaded by then.
    imports = (
        "import contextlib, io\n"
        "from inspector.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['serve', '--help'])"
    )
    assert _loaded(imports) == []


@pytest.mark.timeout(60)
def test_version_is_read_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    import inspector
    from inspector.cli.main import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"inspector {inspector.__version__}\n"


@pytest.mark.timeout(150)
def test_the_remote_client_imports_no_heavy_library() -> None:
    # ``--server``: the command line talks to the team server over the standard library.
    assert _loaded("import inspector.team.client, inspector.cli.remote") == []
