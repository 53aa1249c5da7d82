"""The console's settings, declared in one place with their defaults (Picard's options)."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

ORGANIZATION = "vehicle-inspector"
APPLICATION = "console"

DEFAULTS: dict[str, Any] = {
    "operator/name": "",
    "server/lan": False,
    "live/auto_advance": True,
    "live/phrase_language": "fr",
    "listing/size": 1920,  # the long side of the listing's photos, set by the platform
    "team/server": "",  # the team server connected to (its token in inspector.team.sessions)
    "team/last_server": "",  # what the Connect dialog offers
    "team/last_user": "",
}


def application() -> QCoreApplication:
    """The running Qt application (made if need be), named so ``settings()`` finds ours."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    return app


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
