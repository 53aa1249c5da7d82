"""The JSON shapes of the domain objects that cross a boundary, declared once.

``inspector show --json``, the store's JSON columns (vehicle, seller, quality),
the live engine's spool and the bundle's manifest all write and read these
shapes, so they cannot drift apart. Each view is a pydantic model with ``of``
(from the domain object) and a method back to it; ``model_dump(mode="json")`` is
the JSON. Times are written as ``datetime.isoformat()`` ("+00:00", as they always
were). Unknown keys are ignored when reading, as before. The bundle's manifest
records (:mod:`inspector.bundle.schema`) extend these views with strict types
and the input rules; the shapes and the conversions stay here.

The dataclasses in :mod:`inspector.domain.models` stay the domain objects; their
``to_dict``/``from_dict`` go through these views.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    model_validator,
)

from inspector.domain.models import (
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Fuel,
    Inspection,
    InspectionStatus,
    Language,
    Part,
    QualityReason,
    QualityReport,
    Region,
    Seller,
    Severity,
    Vehicle,
    Verdict,
)
from inspector.i18n import stored_text

__all__ = [
    "CaptureView",
    "DamageView",
    "InspectionFields",
    "InspectionView",
    "QualityReasonView",
    "QualityReportView",
    "SellerView",
    "VehicleView",
]

IsoTime = Annotated[datetime, PlainSerializer(lambda t: t.isoformat(), return_type=str)]
"""A time as ``isoformat()`` writes it (pydantic's own JSON would say "Z" for UTC)."""


def _region(value: object) -> Region | None:
    if value is None or isinstance(value, Region):
        return value
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise ValueError("must be four numbers [x, y, w, h]")
    return Region(*(float(n) for n in value))


def _region_list(r: Region | None) -> list[float] | None:
    return None if r is None else [r.x, r.y, r.w, r.h]


RegionJson = Annotated[Region | None, PlainValidator(_region), PlainSerializer(_region_list)]
"""A region as four numbers ``[x, y, w, h]`` (0-1 of the photo), or null."""


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data (plain str, int, float, bool, None, list, dict)."""
        return self.model_dump(mode="json")

    def _fields_of(self, domain: type) -> dict[str, Any]:
        """The fields of the ``domain`` dataclass this view holds, as they are."""
        return {name: getattr(self, name) for name in _shared_fields(type(self), domain)}


@functools.cache
def _shared_fields(view: type[_View], domain: type) -> tuple[str, ...]:
    """The fields of the ``domain`` dataclass that ``view`` holds (a listing decodes
    thousands of records: worked out once per pair)."""
    held = view.model_fields
    return tuple(f.name for f in dataclasses.fields(domain) if f.name in held)


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
        return Vehicle(**self._fields_of(Vehicle))


class SellerView(_View):
    name: str
    phone: str
    email: str
    language: Language

    @classmethod
    def of(cls, s: Seller) -> SellerView:
        return cls.model_validate(s, from_attributes=True)

    def seller(self) -> Seller:
        return Seller(**self._fields_of(Seller))


class QualityReasonView(_View):
    """A reason with its message in French and English, flat: {"code", "fr", "en"}.

    The shape records keep (stores, bundles); read back, a catalog message is
    recognised again (:func:`inspector.i18n.stored_text`).
    """

    code: str
    fr: str
    en: str

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        if isinstance(data, QualityReason):
            return {"code": data.code, "fr": data.message.get("fr"), "en": data.message.get("en")}
        return data

    @classmethod
    def of(cls, r: QualityReason) -> QualityReasonView:
        return cls.model_validate(r)

    def reason(self) -> QualityReason:
        return QualityReason(self.code, stored_text({"fr": self.fr, "en": self.en}))


class QualityReportView(_View):
    verdict: Verdict
    reasons: list[QualityReasonView] = []
    metrics: dict[str, float] = {}

    @classmethod
    def of(cls, q: QualityReport) -> QualityReportView:
        return cls.model_validate(q, from_attributes=True)

    def report(self) -> QualityReport:
        return QualityReport(
            self.verdict, tuple(r.reason() for r in self.reasons), dict(self.metrics)
        )


class CaptureView(_View):
    """A capture as ``inspector show --json``, the spool and the bundle's manifest list it."""

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
    accepted: bool | None = None
    """Spool entries of earlier versions do not say (a new capture is not reviewed)."""
    retake_of: str | None
    quality: QualityReportView

    @classmethod
    def of(cls, c: Capture) -> CaptureView:
        return cls.model_validate(c, from_attributes=True)

    def capture(self, inspection_id: str) -> Capture:
        quality = self.quality.report()
        return Capture(
            **{**self._fields_of(Capture), "inspection_id": inspection_id, "quality": quality}
        )


class DamageView(_View):
    """A damage as the bundle's manifest lists it."""

    id: str
    capture_id: str | None
    part: Part
    type: DamageType
    severity: int = Field(ge=min(Severity), le=max(Severity))
    region: RegionJson
    note: str
    created_at: IsoTime
    pair: int | None = None
    to_complete: bool = False

    @classmethod
    def of(cls, d: Damage) -> DamageView:
        return cls.model_validate(d, from_attributes=True)

    def damage(self, inspection_id: str) -> Damage:
        fields = self._fields_of(Damage)
        return Damage(
            **{**fields, "inspection_id": inspection_id, "severity": Severity(self.severity)}
        )


class InspectionFields(_View):
    """An inspection's own fields (the bundle's record of an inspection extends them)."""

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

    def inspection(self) -> Inspection:
        fields = self._fields_of(Inspection)
        return Inspection(
            **{**fields, "vehicle": self.vehicle.vehicle(), "seller": self.seller.seller()}
        )


class InspectionView(InspectionFields):
    """An inspection (with its captures when asked) as the CLI shows it."""

    captures: list[CaptureView] | None = None

    @classmethod
    def of(cls, i: Inspection, captures: list[Capture] | None = None) -> InspectionView:
        view = cls.model_validate(i, from_attributes=True)
        if captures is None:
            return view
        return view.model_copy(update={"captures": [CaptureView.of(c) for c in captures]})

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"captures"} if self.captures is None else None)
