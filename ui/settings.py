"""The console's settings, declared in one place with their defaults (Picard's options)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings

ORGANIZATION = "vehicle-inspector"
APPLICATION = "console"

DEFAULTS: dict[str, Any] = {
    "operator/name": "",
    "server/lan": False,
    "live/auto_advance": True,
    "live/phrase_language": "fr",
}


def settings() -> QSettings:
    # Qt 6's QSettings(org, app) ignores setDefaultFormat(); pass it so tests can isolate.
    return QSettings(
        QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


def value(key: str) -> Any:
    """A setting with its declared default and type."""
    default = DEFAULTS[key]
    raw = settings().value(key, default)
    if isinstance(default, bool):
        return raw in (True, "true", "1", 1)
    return type(default)(raw)


def set_value(key: str, val: Any) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    settings().setValue(key, val)
