"""The JSON shapes of the domain objects that cross a boundary, declared once.

``inspector show --json``, the store's JSON columns (vehicle, seller, quality)
and the bundle's manifest all write and read these shapes, so they cannot
drift apart. Each view is a pydantic model with ``of`` (from the domain
object) and a method back to it; ``model_dump(mode="json")`` is the JSON.
Times are written as ``datetime.isoformat()`` ("+00:00", as they always were).
Unknown keys are ignored when reading, as before.

The dataclasses in :mod:`inspector.domain.models` stay the domain objects; their
``to_dict``/``from_dict`` go through these views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

from inspector.domain.models import (
    Capture,
    CaptureSource,
    Fuel,
    Inspection,
    InspectionStatus,
    Language,
    QualityReason,
    QualityReport,
    Seller,
    Vehicle,
    Verdict,
)
from inspector.i18n import stored_text

__all__ = [
    "CaptureView",
    "InspectionView",
    "QualityReasonView",
    "QualityReportView",
    "SellerView",
    "VehicleView",
]

IsoTime = Annotated[datetime, PlainSerializer(lambda t: t.isoformat(), return_type=str)]
"""A time as ``isoformat()`` writes it (pydantic's own JSON would say "Z" for UTC)."""


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data (plain str, int, float, bool, None, list, dict)."""
        return self.model_dump(mode="json")


class VehicleView(_View):
    make: str
    model: str
    year: int | None
    plate: str
    vin: str
    mileage_km: int | None
    fuel: Fuel | None
    colour: str

    @classmethod
    def of(cls, v: Vehicle) -> VehicleView:
        return cls.model_validate(v, from_attributes=True)

    def vehicle(self) -> Vehicle:
        return Vehicle(**dict(self))


class SellerView(_View):
    name: str
    phone: str
    email: str
    language: Language

    @classmethod
    def of(cls, s: Seller) -> SellerView:
        return cls.model_validate(s, from_attributes=True)

    def seller(self) -> Seller:
        return Seller(**dict(self))


class QualityReasonView(_View):
    """A reason with its message in French and English, flat: {"code", "fr", "en"}.

    The shape records keep (stores, bundles); read back, a catalog message is
    recognised again (:func:`inspector.i18n.stored_text`).
    """

    code: str
    fr: str
    en: str

    @classmethod
    def of(cls, r: QualityReason) -> QualityReasonView:
        return cls(code=r.code, fr=r.message.get("fr"), en=r.message.get("en"))

    def reason(self) -> QualityReason:
        return QualityReason(self.code, stored_text({"fr": self.fr, "en": self.en}))


class QualityReportView(_View):
    verdict: Verdict
    reasons: list[QualityReasonView] = []
    metrics: dict[str, float] = {}

    @classmethod
    def of(cls, q: QualityReport) -> QualityReportView:
        return cls(
            verdict=q.verdict,
            reasons=[QualityReasonView.of(r) for r in q.reasons],
            metrics=dict(q.metrics),
        )

    def report(self) -> QualityReport:
        return QualityReport(
            self.verdict, tuple(r.reason() for r in self.reasons), dict(self.metrics)
        )


class CaptureView(_View):
    """A capture as ``inspector show --json`` and the bundle's manifest list it."""

    id: str
    shot_id: str
    sha256: str
    width: int
    height: int
    size: int
    mime: str
    source: CaptureSource
    captured_at: IsoTime
    phone_time: IsoTime | None
    accepted: bool | None
    retake_of: str | None
    quality: QualityReportView

    @classmethod
    def of(cls, c: Capture) -> CaptureView:
        return cls(
            id=c.id,
            shot_id=c.shot_id,
            sha256=c.sha256,
            width=c.width,
            height=c.height,
            size=c.size,
            mime=c.mime,
            source=c.source,
            captured_at=c.captured_at,
            phone_time=c.phone_time,
            accepted=c.accepted,
            retake_of=c.retake_of,
            quality=QualityReportView.of(c.quality),
        )

    def capture(self, inspection_id: str) -> Capture:
        return Capture(
            id=self.id,
            inspection_id=inspection_id,
            shot_id=self.shot_id,
            sha256=self.sha256,
            width=self.width,
            height=self.height,
            source=self.source,
            quality=self.quality.report(),
            captured_at=self.captured_at,
            phone_time=self.phone_time,
            accepted=self.accepted,
            retake_of=self.retake_of,
            mime=self.mime,
            size=self.size,
        )


class InspectionView(_View):
    """An inspection (with its captures when asked) as the CLI and the bundle show it."""

    id: str
    status: InspectionStatus
    checklist: str
    operator: str
    inspector: str
    notes: str
    grade: int | None
    created_at: IsoTime
    updated_at: IsoTime
    vehicle: VehicleView
    seller: SellerView
    captures: list[CaptureView] | None = None

    @classmethod
    def of(cls, i: Inspection, captures: list[Capture] | None = None) -> InspectionView:
        return cls(
            id=i.id,
            status=i.status,
            checklist=i.checklist,
            operator=i.operator,
            inspector=i.inspector,
            notes=i.notes,
            grade=i.grade,
            created_at=i.created_at,
            updated_at=i.updated_at,
            vehicle=VehicleView.of(i.vehicle),
            seller=SellerView.of(i.seller),
            captures=None if captures is None else [CaptureView.of(c) for c in captures],
        )

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"captures"} if self.captures is None else None)

    def inspection(self) -> Inspection:
        return Inspection(
            id=self.id,
            checklist=self.checklist,
            vehicle=self.vehicle.vehicle(),
            seller=self.seller.seller(),
            status=self.status,
            operator=self.operator,
            inspector=self.inspector,
            notes=self.notes,
            grade=self.grade,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )
