"""Remote vehicle inspection: the Qt-free core.

Domain model, checklists, storage, quality analysis, the live link (WebRTC
engine and phone-facing server), reports and the command line. Nothing in
this package imports PySide6 or ``ui``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vehicle-inspector")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
