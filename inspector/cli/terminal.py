"""Text made safe for a terminal: what a bundle or an old record holds is shown, never obeyed.

Names come from sellers, operators and imported bundles. Printed raw, a control
character or an escape sequence could rewrite the screen, retitle the window or
hide a line; a bidirectional override could reorder what is shown; a lone
surrogate (bytes that were not UTF-8) would make ``print`` crash. Every line the
command line prints from stored or foreign text goes through :func:`printable`,
every JSON document through :func:`json_text`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["json_text", "printable"]

# C0 and C1 controls and DEL, bidirectional embeddings, overrides and isolates,
# and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_KEEP_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# What json.dumps leaves raw (it escapes C0 itself; C0 outside strings is layout).
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, multiline: bool = False) -> str:
    """``text`` with every unsafe character shown as an escape (``\\x1b``, ``\\u202e``)."""
    return (_UNSAFE_KEEP_LINES if multiline else _UNSAFE).sub(_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(
    data: Any, *, indent: int | None = 2, default: Callable[[Any], Any] | None = None
) -> str:
    """JSON with readable accents but the unsafe characters escaped (still valid JSON).

    ``json.dumps`` already escapes C0 controls; DEL, C1, bidirectional
    controls and lone surrogates can only occur inside strings, where
    ``\\uXXXX`` is always allowed.
    """
    return _UNSAFE_IN_JSON.sub(
        _json_escape, json.dumps(data, ensure_ascii=False, indent=indent, default=default)
    )
