"""What an inspection bundle holds, by name, and the one error every bundle step raises.

Layout of ``inspection.zip``::

    manifest.json             what the bundle holds (:mod:`inspector.bundle.manifest`)
    photos/<sha256>.jpg       every captured photo, original bytes, named by its SHA-256
    report.pdf                the PDF report (optional)
    recordings/<sha256>.mp4   the call's recording, with the seller's consent (optional)
    recordings/<sha256>.json  its timeline (shots, captures, messages with their times)
"""

from __future__ import annotations

import re

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "PHOTO_RE",
    "RECORDING_RE",
    "REPORT",
    "BundleError",
    "photo_name",
    "recording_name",
]

FORMAT = "vehicle-inspection-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REPORT = "report.pdf"
PHOTO_RE = re.compile(r"^photos/([0-9a-f]{64})\.jpg$")
RECORDING_RE = re.compile(r"^recordings/([0-9a-f]{64})\.(mp4|json)$")
RECORDING_EXTENSIONS = {"video/mp4": "mp4", "application/json": "json"}


class BundleError(Exception):
    """A bundle cannot be written, read or trusted; ``str()`` says why in one line."""


def photo_name(sha256: str) -> str:
    """The zip entry of a photo."""
    return f"photos/{sha256}.jpg"


def recording_name(sha256: str, mime: str) -> str:
    """The zip entry of a recording's video (``video/mp4``) or timeline (``application/json``)."""
    return f"recordings/{sha256}.{RECORDING_EXTENSIONS[mime]}"
