"""Where the data files live, both in a source checkout and once installed.

A wheel carries ``assets/`` inside the package as ``inspector/_assets``; a
source checkout (or an editable install) reads the top-level ``assets/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def assets_dir() -> Path:
    """The folder holding checklists, overlays, the phone page and fonts."""
    installed = _PACKAGE / "_assets"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "assets"


def asset_path(*parts: str) -> Path:
    """Path to one asset, e.g. ``asset_path("overlays", "front.svg")``."""
    return assets_dir().joinpath(*parts)
