"""The domain model: plain dataclasses and enums, no I/O.

Names follow the vocabulary in DESIGN.md. Everything here is immutable-ish
data that the store persists and the engine, UI and report read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

from inspector.i18n import Localized


def utcnow() -> datetime:
    """Timezone-aware now, so stored times are never ambiguous."""
    return datetime.now(UTC)


class InspectionStatus(StrEnum):
    """Life of an inspection, in order."""

    DRAFT = "draft"
    INVITED = "invited"
    LIVE = "live"
    CAPTURED = "captured"
    REVIEWED = "reviewed"
    REPORTED = "reported"


class Language(StrEnum):
    FR = "fr"
    EN = "en"


class Fuel(StrEnum):
    PETROL = "petrol"
    DIESEL = "diesel"
    HYBRID = "hybrid"
    ELECTRIC = "electric"
    LPG = "lpg"
    OTHER = "other"


class CaptureSource(StrEnum):
    """A ``still`` is a full-resolution photo; a ``frame`` is a video frame fallback; a
    ``preview`` is the downscaled copy a phone sends first, kept as the photo while its
    full-resolution original is on its way (and for good if the original never comes)."""

    STILL = "still"
    FRAME = "frame"
    PREVIEW = "preview"


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    REJECT = "reject"


class DamageType(StrEnum):
    SCRATCH = "scratch"
    DENT = "dent"
    CHIP = "chip"
    CRACK = "crack"
    BROKEN_GLASS = "broken glass"
    BROKEN_LIGHT = "broken light"
    RUST = "rust"
    PAINT_DAMAGE = "paint damage"
    MISSING_PART = "missing part"
    TYRE_WEAR = "tyre wear"
    OTHER = "other"


class Severity(IntEnum):
    MINOR = 1
    MODERATE = 2
    SEVERE = 3


class Part(StrEnum):
    """The fixed list of vehicle parts a damage can be on."""

    FRONT_BUMPER = "front_bumper"
    REAR_BUMPER = "rear_bumper"
    BONNET = "bonnet"
    BOOT_LID = "boot_lid"
    ROOF = "roof"
    WING_FRONT_LEFT = "wing_front_left"
    WING_FRONT_RIGHT = "wing_front_right"
    WING_REAR_LEFT = "wing_rear_left"
    WING_REAR_RIGHT = "wing_rear_right"
    DOOR_FRONT_LEFT = "door_front_left"
    DOOR_FRONT_RIGHT = "door_front_right"
    DOOR_REAR_LEFT = "door_rear_left"
    DOOR_REAR_RIGHT = "door_rear_right"
    SILL_LEFT = "sill_left"
    SILL_RIGHT = "sill_right"
    MIRROR_LEFT = "mirror_left"
    MIRROR_RIGHT = "mirror_right"
    HEADLIGHT_LEFT = "headlight_left"
    HEADLIGHT_RIGHT = "headlight_right"
    TAILLIGHT_LEFT = "taillight_left"
    TAILLIGHT_RIGHT = "taillight_right"
    WINDSCREEN = "windscreen"
    REAR_WINDOW = "rear_window"
    WINDOW_FRONT_LEFT = "window_front_left"
    WINDOW_FRONT_RIGHT = "window_front_right"
    WINDOW_REAR_LEFT = "window_rear_left"
    WINDOW_REAR_RIGHT = "window_rear_right"
    WHEEL_FRONT_LEFT = "wheel_front_left"
    WHEEL_FRONT_RIGHT = "wheel_front_right"
    WHEEL_REAR_LEFT = "wheel_rear_left"
    WHEEL_REAR_RIGHT = "wheel_rear_right"
    DASHBOARD = "dashboard"
    SEAT_FRONT = "seat_front"
    SEAT_REAR = "seat_rear"
    STEERING_WHEEL = "steering_wheel"
    INTERIOR_TRIM = "interior_trim"
    BOOT_INTERIOR = "boot_interior"
    ENGINE_BAY = "engine_bay"


#: The parts drawn on the vehicle diagram (``assets/overlays/vehicle_diagram.svg``): every
#: part but the interior, the boot's inside and the engine bay. A shot may say it covers them
#: (its template's ``covers``), which the live coverage map shows.
EXTERIOR_PARTS: tuple[Part, ...] = tuple(
    p
    for p in Part
    if p
    not in {
        Part.DASHBOARD,
        Part.SEAT_FRONT,
        Part.SEAT_REAR,
        Part.STEERING_WHEEL,
        Part.INTERIOR_TRIM,
        Part.BOOT_INTERIOR,
        Part.ENGINE_BAY,
    }
)


@dataclass(frozen=True)
class QualityThresholds:
    """Per-shot limits for the quality verdict.

    Sharpness is the variance of the Laplacian on a fixed-size downscale, so it
    does not depend on the photo's resolution. Brightness is the mean of the
    grey image, 0-255. Clipped and glare are shares of the picture, 0-1.
    """

    min_width: int = 1280
    min_height: int = 720
    min_sharpness: float = 60.0
    warn_sharpness: float = 120.0
    min_brightness: float = 50.0
    max_brightness: float = 215.0
    max_clipped: float = 0.25
    max_glare: float = 0.04

    def __post_init__(self) -> None:
        problems = []
        if self.min_width <= 0 or self.min_height <= 0:
            problems.append("minimum resolution must be positive")
        if not 0 <= self.min_sharpness <= self.warn_sharpness:
            problems.append("need 0 <= min_sharpness <= warn_sharpness")
        if not 0 <= self.min_brightness < self.max_brightness <= 255:
            problems.append("need 0 <= min_brightness < max_brightness <= 255")
        if not 0 < self.max_clipped <= 1 or not 0 < self.max_glare <= 1:
            problems.append("max_clipped and max_glare must be in (0, 1]")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class QualityReason:
    """Why a picture is not perfect, said to the seller in their language."""

    code: str
    message: Localized


@dataclass(frozen=True)
class QualityReport:
    """The quality verdict of one picture, with its reasons and raw metrics."""

    verdict: Verdict
    reasons: tuple[QualityReason, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Its JSON shape (:class:`inspector.domain.views.QualityReportView`)."""
        from inspector.domain.views import QualityReportView  # the views import this module

        return QualityReportView.of(self).to_json()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityReport:
        """From its JSON shape; a ValueError (pydantic's) says what is wrong."""
        from inspector.domain.views import QualityReportView

        return QualityReportView.model_validate(data).report()


@dataclass
class Vehicle:
    make: str = ""
    model: str = ""
    year: int | None = None
    plate: str = ""
    vin: str = ""
    mileage_km: int | None = None
    fuel: Fuel | None = None
    colour: str = ""

    def title(self) -> str:
        return " ".join(p for p in (self.make, self.model, str(self.year or "")) if p).strip()

    def to_dict(self) -> dict[str, Any]:
        """Its JSON shape (:class:`inspector.domain.views.VehicleView`)."""
        from inspector.domain.views import VehicleView  # the views import this module

        return VehicleView.of(self).to_json()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Vehicle:
        """From its JSON shape (the store's; bundles check the input rules too)."""
        from inspector.domain.views import VehicleView

        return VehicleView.model_validate(d).vehicle()

    @classmethod
    def from_json(cls, text: str | bytes) -> Vehicle:
        """From its JSON text, parsed and checked in one go (twice as fast as
        ``from_dict(json.loads(text))``: a listing reads thousands)."""
        from pydantic import ValidationError

        from inspector.domain.views import VehicleView

        try:
            return VehicleView.model_validate_json(text).vehicle()
        except ValidationError:  # e.g. a lone surrogate escape, which json.loads keeps
            return cls.from_dict(json.loads(text))


@dataclass
class Seller:
    name: str = ""
    phone: str = ""
    email: str = ""
    language: Language = Language.FR

    def to_dict(self) -> dict[str, Any]:
        """Its JSON shape (:class:`inspector.domain.views.SellerView`)."""
        from inspector.domain.views import SellerView  # the views import this module

        return SellerView.of(self).to_json()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Seller:
        from inspector.domain.views import SellerView

        return SellerView.model_validate(d).seller()

    @classmethod
    def from_json(cls, text: str | bytes) -> Seller:
        """From its JSON text (see :meth:`Vehicle.from_json`)."""
        from pydantic import ValidationError

        from inspector.domain.views import SellerView

        try:
            return SellerView.model_validate_json(text).seller()
        except ValidationError:  # see Vehicle.from_json
            return cls.from_dict(json.loads(text))


ROW_VERSION = 1
"""The row version a new inspection or damage is stored with. The store bumps it at
every update and refuses an update made from a copy read at an older version (someone
else changed the record meanwhile). It is bookkeeping, not content: two copies that
differ only by their version compare equal."""


@dataclass
class Inspection:
    """One vehicle's inspection.

    ``version`` is the stored row's version this copy was read at (see
    :data:`ROW_VERSION`); the status is not part of it: only the store's atomic
    transitions move a status.
    """

    id: str
    checklist: str
    vehicle: Vehicle = field(default_factory=Vehicle)
    seller: Seller = field(default_factory=Seller)
    status: InspectionStatus = InspectionStatus.DRAFT
    operator: str = ""
    inspector: str = ""
    notes: str = ""
    grade: int | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    version: int = field(default=ROW_VERSION, compare=False)


@dataclass
class Capture:
    """One photo taken for one shot of an inspection."""

    id: str
    inspection_id: str
    shot_id: str
    sha256: str
    width: int
    height: int
    source: CaptureSource
    quality: QualityReport
    captured_at: datetime = field(default_factory=utcnow)
    phone_time: datetime | None = None
    accepted: bool | None = None
    retake_of: str | None = None
    mime: str = "image/jpeg"
    size: int = 0


@dataclass(frozen=True)
class Region:
    """A normalized box (w, h > 0) or point (w = h = 0) on a photo, 0-1 coordinates."""

    x: float
    y: float
    w: float = 0.0
    h: float = 0.0

    def __post_init__(self) -> None:
        if not (0 <= self.x <= 1 and 0 <= self.y <= 1):
            raise ValueError("region position must be within the photo (0 to 1)")
        if self.w < 0 or self.h < 0 or self.x + self.w > 1.0001 or self.y + self.h > 1.0001:
            raise ValueError("region size must be positive and stay within the photo")

    @property
    def is_point(self) -> bool:
        return self.w == 0 and self.h == 0


@dataclass
class Damage:
    """One damage on the vehicle.

    ``capture_id`` is the photo it is marked on (with ``region``). ``pair`` is
    the number *n* of the wide view and close-up photographed for it during the
    live call (shots "damage_<n>_wide" / "damage_<n>_closeup"), so both photos
    are found even before they are taken. ``to_complete`` marks a damage whose
    part, type and severity are only first guesses (added live with "Add
    damage") until someone confirms them. ``version``: see :data:`ROW_VERSION`.
    """

    id: str
    inspection_id: str
    capture_id: str | None
    part: Part
    type: DamageType
    severity: Severity
    region: Region | None = None
    note: str = ""
    created_at: datetime = field(default_factory=utcnow)
    pair: int | None = None
    to_complete: bool = False
    version: int = field(default=ROW_VERSION, compare=False)
