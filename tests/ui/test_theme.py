"""Verdict and severity colours and words: defined once, the same in the console and report."""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtGui import QColor

from inspector.domain import palette
from inspector.domain.models import Severity, Verdict
from inspector.report import theme as report_theme
from ui import theme

UI = Path(theme.__file__).parent


def test_the_console_and_the_report_share_the_severity_colours() -> None:
    for severity in Severity:
        hex_rgb = palette.SEVERITY_COLOURS[severity]
        assert theme.severity_colour(severity) == QColor(hex_rgb)
        assert report_theme.SEVERITY_COLOURS[severity].hexval().upper() == "0X" + hex_rgb[1:]
    to_complete = theme.severity_colour(Severity.SEVERE, to_complete=True)
    assert to_complete == QColor(palette.TO_COMPLETE_COLOUR)
    assert report_theme.TO_CONFIRM.hexval().upper() == "0X" + palette.TO_COMPLETE_COLOUR[1:]


def test_every_verdict_has_a_colour_and_its_words() -> None:
    for verdict in Verdict:
        assert theme.verdict_colour(verdict) == QColor(palette.VERDICT_COLOURS[verdict])
        assert theme.VERDICT_WORDS[verdict] and theme.VERDICT_ADVICE[verdict]
    translucent = theme.verdict_colour(Verdict.OK, 50)
    assert translucent.alpha() == 50
    assert theme.verdict_colour(Verdict.OK).alpha() == 255  # a new colour each time


def _defines_a_look(node: ast.Dict) -> bool:
    """A dict literal giving ``Verdict.X`` or ``Severity.X`` a colour, or a verdict its words."""
    keys = {
        k.value.id
        for k in node.keys
        if isinstance(k, ast.Attribute) and isinstance(k.value, ast.Name)
    }

    def look(value: ast.expr) -> bool:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return "Verdict" in keys or value.value.startswith("#")
        if isinstance(value, ast.Tuple):
            return any(look(v) for v in value.elts)
        return isinstance(value, ast.Call) and getattr(value.func, "id", "") == "QColor"

    return bool(keys & {"Verdict", "Severity"}) and any(look(v) for v in node.values)


def test_no_other_console_module_defines_verdict_or_severity_looks() -> None:
    """Four modules used to define them, with four different greens and reds."""
    found = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "theme.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found += [
            f"{path.relative_to(UI.parent)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Dict) and _defines_a_look(node)
        ]
    assert found == []
