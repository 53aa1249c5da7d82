"""The phone's protocol.js must say exactly what inspector/protocol.py says.

protocol.js keeps its tables as one JSON object between the markers
``/* PROTOCOL-TABLES-BEGIN */`` and ``/* PROTOCOL-TABLES-END */``; this test
parses it and compares every constant, message type and field spec with the
Python tables, so the twins cannot drift. When node is installed it also
imports the module and runs its validate() on a few messages.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import textwrap
from typing import Any

import pytest

from inspector.assets import asset_path
from inspector.live import protocol
from tests.unavailable import unavailable

PROTOCOL_JS = asset_path("phone", "protocol.js")
BEGIN = "/* PROTOCOL-TABLES-BEGIN */"
END = "/* PROTOCOL-TABLES-END */"
CONSTANTS = (
    "VERSION",
    "CHANNEL_LABEL",
    "CONTROL_LABEL",
    "ORIGINALS_LABEL",
    "MAX_TEXT_MESSAGE",
    "CHUNK_SIZE",
    "MAX_PHOTO_BYTES",
    "MAX_PHOTO_SIDE",
    "HEARTBEAT_INTERVAL",
    "HEARTBEAT_TIMEOUT",
)


def js_tables() -> dict[str, Any]:
    text = PROTOCOL_JS.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1, "markers missing or repeated"
    body = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    tables = json.loads(body)
    assert isinstance(tables, dict)
    return tables


def as_fields(table: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """JS specs (only what differs from the defaults) as protocol.Field objects."""
    known = {f.name for f in dataclasses.fields(protocol.Field)}
    out: dict[str, dict[str, Any]] = {}
    for kind, fields in table.items():
        out[kind] = {}
        for name, spec in fields.items():
            unknown = set(spec) - known
            assert not unknown, f"{kind}.{name}: unknown spec keys {unknown}"
            out[kind][name] = protocol.Field(**spec)
    return out


def test_constants_match() -> None:
    tables = js_tables()
    for name in CONSTANTS:
        assert tables[name] == getattr(protocol, name), name
        assert type(tables[name]) is type(getattr(protocol, name)), name


@pytest.mark.parametrize("direction", ["TO_PHONE", "FROM_PHONE"])
def test_message_tables_match(direction: str) -> None:
    js = as_fields(js_tables()[direction])
    py = getattr(protocol, direction)
    assert list(js) == list(py), "message types differ"
    for kind, fields in py.items():
        assert list(js[kind]) == list(fields), f"{kind}: field names differ"
        for name, spec in fields.items():
            assert js[kind][name] == spec, f"{direction}.{kind}.{name}"


def test_every_field_kind_is_known_to_the_js_validator() -> None:
    text = PROTOCOL_JS.read_text(encoding="utf-8")
    kinds = {
        spec.kind
        for table in (protocol.TO_PHONE, protocol.FROM_PHONE)
        for fields in table.values()
        for spec in fields.values()
    }
    for kind in kinds:
        assert f'case "{kind}":' in text, f"protocol.js validate() lacks kind {kind!r}"


# Messages both validators must judge alike: (table, message, valid?).
CASES: list[tuple[str, Any, bool]] = [
    ("TO_PHONE", {"v": 1, "type": "pointer", "x": 0.5, "y": 1}, True),
    ("TO_PHONE", {"v": 1, "type": "pointer", "x": None, "y": None}, True),
    ("TO_PHONE", {"v": 1, "type": "pointer", "x": 1.5, "y": 0}, False),
    ("TO_PHONE", {"v": 1, "type": "pointer", "x": True, "y": 0}, False),
    ("TO_PHONE", {"v": 2, "type": "torch", "on": True}, False),
    ("TO_PHONE", {"v": 1, "type": "torch", "on": 1}, False),
    ("TO_PHONE", {"v": 1, "type": "torch"}, False),
    ("TO_PHONE", {"v": 1, "type": "nope"}, False),
    ("TO_PHONE", {"v": 1, "type": "__proto__"}, False),
    ("TO_PHONE", {"v": 1, "type": "toString"}, False),
    ("TO_PHONE", [1, 2], False),
    ("TO_PHONE", {"v": 1, "type": "message", "text": "é" * 500}, True),
    ("TO_PHONE", {"v": 1, "type": "message", "text": "😀" * 500}, True),
    ("TO_PHONE", {"v": 1, "type": "message", "text": "x" * 501}, False),
    ("TO_PHONE", {"v": 1, "type": "hint", "code": None, "text": ""}, True),
    ("TO_PHONE", {"v": 1, "type": "heartbeat", "ts": 12.5}, True),
    (
        "TO_PHONE",
        {
            "v": 1,
            "type": "shot",
            "index": -1,
            "total": 3,
            "id": "a",
            "category": "c",
            "title": "t",
            "instruction": "i",
            "overlay": "o",
        },
        False,
    ),
    (
        "TO_PHONE",
        {
            "v": 1,
            "type": "capture_result",
            "id": "a",
            "verdict": "ok",
            "reasons": [],
            "stored": True,
            "retake": False,
        },
        True,
    ),
    ("FROM_PHONE", {"v": 1, "type": "shutter"}, True),
    ("FROM_PHONE", {"v": 1, "type": "heartbeat", "ts": 1, "echo": None}, True),
    (
        "FROM_PHONE",
        {
            "v": 1,
            "type": "photo_begin",
            "id": "c1",
            "size": 10,
            "sha256": "a" * 64,
            "width": 1280,
            "height": 720,
            "mime": "image/jpeg",
        },
        True,
    ),
    (
        "FROM_PHONE",
        {
            "v": 1,
            "type": "photo_begin",
            "id": "c1",
            "size": protocol.MAX_PHOTO_BYTES + 1,
            "sha256": "A" * 64,
            "width": 1280,
            "height": 720,
            "mime": "image/jpeg",
        },
        False,
    ),
]


def python_verdict(table: str, message: Any) -> bool:
    try:
        protocol.validate(message, getattr(protocol, table))
    except protocol.ProtocolError:
        return False
    return True


def test_python_side_of_the_shared_cases() -> None:
    for table, message, valid in CASES:
        assert python_verdict(table, message) is valid, message


def test_node_imports_protocol_js_and_agrees() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        unavailable("node is not installed: the JavaScript side is only compared as text")
    script = textwrap.dedent(
        """
        import { pathToFileURL } from "node:url";
        const P = await import(pathToFileURL(process.argv[1]).href);
        const cases = JSON.parse(process.argv[2]);
        const verdicts = cases.map(([table, message]) => {
          try { P.validate(message, P[table]); return true; }
          catch (e) { if (e instanceof P.ProtocolError) return false; throw e; }
        });
        const hello = P.encode("hello", {
          user_agent: "ua", language: "fr-FR",
          camera: {width: 1280, height: 720, torch: false, image_capture: true},
          resume_shot: null,
        });
        let rejected = false;
        try { P.encode("heartbeat", {}); } catch (e) { rejected = e instanceof P.ProtocolError; }
        console.log(JSON.stringify({
          version: P.VERSION, chunk: P.CHUNK_SIZE, max: P.MAX_PHOTO_BYTES,
          verdicts, hello: JSON.parse(hello), rejected,
          decoded: P.decode('{"v":1,"type":"torch","on":true}'),
        }));
        """
    )
    cases = [[table, message] for table, message, _ in CASES]
    run = subprocess.run(
        [node, "--input-type=module", "-e", script, str(PROTOCOL_JS), json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["version"] == protocol.VERSION
    assert out["chunk"] == protocol.CHUNK_SIZE
    assert out["max"] == protocol.MAX_PHOTO_BYTES
    expected = [valid for _, _, valid in CASES]
    mismatches = [
        CASES[i][1]
        for i, (js, py) in enumerate(zip(out["verdicts"], expected, strict=True))
        if js != py
    ]
    assert not mismatches, f"JS and Python disagree on {mismatches}"
    protocol.validate(out["hello"], protocol.FROM_PHONE)  # what JS builds, Python accepts
    assert out["rejected"]
    assert out["decoded"] == {"v": 1, "type": "torch", "on": True}
