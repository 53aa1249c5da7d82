"""What every section of the report reads: the inspection, its plan, the prepared photos.

Built once by :func:`inspector.report.document.build_report`, read-only after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle

from inspector.domain.checklist import Checklist
from inspector.domain.models import Capture, Inspection
from inspector.domain.recording import CallRecording
from inspector.domain.signature import SellerRemark, SellerSignature
from inspector.report.i18n import label
from inspector.report.photos import Prepared
from inspector.report.plan import Photo, ReportPlan
from inspector.seal import SealIdentity
from inspector.storage.readings import StoredReading

__all__ = ["Context", "SellerConfirmation"]


@dataclass(frozen=True)
class SellerConfirmation:
    """The seller's latest signature as the report shows it."""

    signature: SellerSignature
    png: Path | None
    """The drawing, checked against its SHA-256 and copied for the PDF."""
    superseded: bool
    remarks: list[SellerRemark]


@dataclass
class Context:
    inspection: Inspection
    checklist: Checklist | None
    captures: list[Capture]
    plan: ReportPlan
    lang: str
    inspector_name: str
    generated: datetime
    styles: dict[str, ParagraphStyle]
    prepared: dict[str, Prepared]
    seller: SellerConfirmation | None = None
    readings: list[StoredReading] = field(default_factory=list)
    """What the OCR read in the VIN, odometer and plate photos."""
    seal: SealIdentity | None = None
    """Who seals the PDF (the signatures page names the certificate), if anyone."""
    recording: CallRecording | None = None
    """The seller's latest answer to "may the call be recorded?" and what was recorded."""

    def t(self, key: str, **values: object) -> str:
        """A label in the report's language."""
        return label(key, self.lang, **values)

    def image(self, photo: Photo | None) -> tuple[Path, tuple[int, int]] | None:
        """The prepared JPEG of a photo (path, pixel size), or None when there is none."""
        prepared = self.prepared.get(photo.capture.sha256) if photo else None
        return (prepared.path, prepared.size) if prepared else None
