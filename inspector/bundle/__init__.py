"""Inspection bundles: one self-contained zip that can be checked years later.

:mod:`~inspector.bundle.layout` names what a bundle holds,
:mod:`~inspector.bundle.manifest` is the manifest's schema and seal,
:mod:`~inspector.bundle.zipsafety` reads a possibly hostile zip safely, and
:mod:`~inspector.bundle.export`, :mod:`~inspector.bundle.verify` and
:mod:`~inspector.bundle.importer` are the three things one does with a bundle.
"""

from inspector.bundle.export import export_bundle
from inspector.bundle.importer import import_bundle
from inspector.bundle.layout import FORMAT, FORMAT_VERSION, MANIFEST, REPORT, BundleError
from inspector.bundle.manifest import seal_of
from inspector.bundle.verify import VerifyResult, verify_bundle
from inspector.bundle.zipsafety import Limits

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "REPORT",
    "BundleError",
    "Limits",
    "VerifyResult",
    "export_bundle",
    "import_bundle",
    "seal_of",
    "verify_bundle",
]
