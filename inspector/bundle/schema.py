"""The schema of ``manifest.json``, declared with pydantic, and its errors in our words.

Each record is the domain's JSON view (:mod:`inspector.domain.views`: the same
shape, the same conversion back to a domain object) read strictly, with limits.
Strict mode: no "84500" for a number, no ``true`` for a year. Field limits are
the domain's (:mod:`inspector.domain.validation`), and each record also passes
the rules ``inspector new`` applies (no control characters, a VIN of 17
characters...). Unknown keys are ignored, so a later version may add some.
pydantic's error locations become the one-line messages users get:
``captures[3]: missing 'width'``, ``inspection.vehicle: 'make' is longer than
60 characters``, ``inspection.vehicle: VIN: must be 17 characters, got 18``.
"""

from __future__ import annotations

import enum
import itertools
import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from inspector.domain import validation as rules
from inspector.domain.audit import ACTOR_MAX, check_detail
from inspector.domain.grading import GRADE_NAMES
from inspector.domain.models import (
    CaptureSource,
    DamageType,
    Fuel,
    InspectionStatus,
    Language,
    Part,
    Region,
)
from inspector.domain.views import (
    CaptureView,
    DamageView,
    InspectionFields,
    QualityReportView,
    SellerView,
    VehicleView,
)

__all__ = [
    "CaptureRecord",
    "DamageRecord",
    "FileRecord",
    "Header",
    "InspectionRecord",
    "ManifestError",
    "ManifestRecord",
    "validated",
]

MAX_PIXELS_SIDE = 100_000
MAX_FILE_BYTES = 1 << 40
MAX_PAIR = 100_000
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_NAME_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


class ManifestError(Exception):
    """A manifest that cannot be trusted; the message says where, in one line."""


def _problem(kind: str, text: str, **values: Any) -> PydanticCustomError:
    """An error our messages word themselves (values never read as a template)."""
    return PydanticCustomError(kind, text, values)


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise _problem("bundle_value", f"is not {what}: {{value}}", value=repr(value[:40]))
        return value

    return AfterValidator(check)


def _iso_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise _problem("string_type", "must be str")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _problem(
            "bundle_value", "is not an ISO date and time: {value}", value=repr(value[:40])
        ) from None
    if parsed.tzinfo is None:
        raise _problem("bundle_value", "has no time zone: {value}", value=repr(value[:40]))
    return parsed


def _region(value: object) -> Region | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _problem("list_type", "must be a list")
    if len(value) != 4 or not all(
        isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in value
    ):
        raise _problem("bundle_value", "must be four numbers [x, y, w, h]")
    try:
        return Region(*(float(n) for n in value))
    except ValueError as exc:
        raise _problem("bundle_rule_field", "{reason}", reason=str(exc)) from None


def _quality(value: object) -> QualityReportView:
    if not isinstance(value, dict):
        raise _problem("dict_type", "must be an object")
    try:
        return QualityReportView.model_validate(value)
    except ValueError as exc:
        raise _problem(
            "bundle_value", "is not a quality verdict ({reason})", reason=str(exc)
        ) from None


def _like_new(check: Callable[[], object]) -> None:
    """Run a rule of ``inspector new``; its message names the field."""
    try:
        check()
    except rules.ValidationError as exc:
        raise _problem("bundle_rule", "{reason}", reason=str(exc)) from None


Ident = Annotated[str, _matching(_ID_RE, "a valid id")]
ShotId = Annotated[str, Field(max_length=100), _matching(_NAME_RE, "a shot id")]
ChecklistName = Annotated[str, Field(max_length=100), _matching(_NAME_RE, "a checklist name")]
Sha256 = Annotated[str, Field(max_length=64), _matching(_SHA_RE, "a SHA-256 in lowercase hex")]
IsoTime = Annotated[datetime, PlainValidator(_iso_time)]
Named = Strict(False)
"""Enumerations are read from their values (strict mode wants enum instances)."""


class _Record(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True)


_STRICT = ConfigDict(strict=True)
"""The manifest's records are the domain's views (:mod:`inspector.domain.views`), read
strictly: their shapes and conversions are the views', the limits and rules are added here."""


class VehicleRecord(VehicleView):
    model_config = _STRICT

    make: str = Field(max_length=rules.MAKE_MAX)
    model: str = Field(max_length=rules.MODEL_MAX)
    plate: str = Field(max_length=rules.PLATE_MAX)
    # The VIN's length is the VIN rule's (check_vin), which says it better.
    fuel: Annotated[Fuel, Named] | None
    colour: str = Field(max_length=rules.COLOUR_MAX)

    @model_validator(mode="after")
    def _rules(self) -> VehicleRecord:
        _like_new(
            lambda: rules.check_vehicle(
                make=self.make,
                model=self.model,
                year=self.year,
                plate=self.plate,
                vin=self.vin,
                mileage=self.mileage_km,
                fuel=self.fuel.value if self.fuel else None,
                colour=self.colour,
            )
        )
        return self


class SellerRecord(SellerView):
    model_config = _STRICT

    name: str = Field(max_length=rules.SELLER_NAME_MAX)
    email: str = Field(max_length=rules.EMAIL_MAX)
    language: Annotated[Language, Named]

    @model_validator(mode="after")
    def _rules(self) -> SellerRecord:
        _like_new(
            lambda: rules.check_seller(
                name=self.name, phone=self.phone, email=self.email, language=self.language.value
            )
        )
        return self


class InspectionRecord(InspectionFields):
    model_config = _STRICT

    id: Ident
    checklist: ChecklistName
    vehicle: VehicleRecord
    seller: SellerRecord
    status: Annotated[InspectionStatus, Named]
    operator: str = Field(max_length=rules.PERSON_MAX)
    inspector: str = Field(max_length=rules.PERSON_MAX)
    notes: str = Field(max_length=rules.NOTES_MAX)
    grade: int | None = Field(ge=min(GRADE_NAMES), le=max(GRADE_NAMES))
    created_at: IsoTime
    updated_at: IsoTime

    @model_validator(mode="after")
    def _rules(self) -> InspectionRecord:
        def check() -> None:
            rules.check_text("operator", self.operator, rules.PERSON_MAX)
            rules.check_text("inspector", self.inspector, rules.PERSON_MAX)
            rules.check_text("notes", self.notes.replace("\r", ""), rules.NOTES_MAX, multiline=True)

        _like_new(check)
        return self


class CaptureRecord(CaptureView):
    model_config = _STRICT

    id: Ident
    shot_id: ShotId
    sha256: Sha256
    width: int = Field(ge=1, le=MAX_PIXELS_SIDE)
    height: int = Field(ge=1, le=MAX_PIXELS_SIDE)
    size: int = Field(ge=0, le=MAX_FILE_BYTES)
    mime: Literal["image/jpeg"]
    source: Annotated[CaptureSource, Named]
    captured_at: IsoTime
    phone_time: IsoTime | None
    accepted: bool | None  # required here (the view lets older spool entries leave it out)
    retake_of: Ident | None
    quality: Annotated[QualityReportView, PlainValidator(_quality)]
    file: str = Field(max_length=200)


class DamageRecord(DamageView):
    model_config = _STRICT

    id: Ident
    capture_id: Ident | None
    part: Annotated[Part, Named]
    type: Annotated[DamageType, Named]
    region: Annotated[Region | None, PlainValidator(_region)]
    note: str = Field(max_length=rules.DAMAGE_NOTE_MAX)
    created_at: IsoTime
    # Bundles written before damages knew their photo pair have neither key.
    pair: int | None = Field(default=None, ge=1, le=MAX_PAIR)

    @model_validator(mode="after")
    def _rules(self) -> DamageRecord:
        note = self.note.replace("\r", "")
        _like_new(lambda: rules.check_text("note", note, rules.DAMAGE_NOTE_MAX, multiline=True))
        return self


class BlurBoxRecord(_Record):
    """A box to blur on a photo when it is published (issue 17)."""

    id: Ident
    capture_id: Ident
    kind: Literal["plate", "face", "other"]
    origin: Literal["detected", "inspector"]
    region: Annotated[Region | None, PlainValidator(_region)]
    score: float | None = Field(ge=0, le=1)
    created_at: IsoTime

    @model_validator(mode="after")
    def _a_box(self) -> BlurBoxRecord:
        if self.region is None or self.region.w <= 0 or self.region.h <= 0:
            raise _problem("bundle_rule", "'region' must be a box [x, y, w, h], not a point")
        return self


class BlurScanRecord(_Record):
    """A photo the detectors looked at."""

    capture_id: Ident
    at: IsoTime
    detector: str = Field(max_length=64)


class AuditRecord(_Record):
    """One line of the inspection's audit log (who did what, when; issue 14)."""

    at: IsoTime
    actor: str = Field(min_length=1, max_length=ACTOR_MAX)
    action: str = Field(min_length=1, max_length=40)
    detail: dict[str, Any] = {}
    request_id: str = Field(default="", max_length=100)

    @model_validator(mode="after")
    def _small(self) -> AuditRecord:
        try:
            check_detail(self.detail)
        except ValueError as exc:
            raise _problem("bundle_rule", str(exc)) from None
        return self


class FileRecord(_Record):
    sha256: Sha256
    size: int = Field(ge=0, le=MAX_FILE_BYTES)


class SoftwareRecord(_Record):
    version: str = Field(max_length=100)


class Header(_Record):
    """Read first: a file of another format or version is named as such, not as broken."""

    format: str
    format_version: int


class ManifestRecord(Header):
    generated_at: IsoTime
    software: SoftwareRecord
    seal: str
    inspection: InspectionRecord
    checklist: str = Field(max_length=100)
    files: dict[str, FileRecord]
    captures: list[CaptureRecord]
    damages: list[DamageRecord]
    # Bundles written before the listing's blur boxes have neither key.
    blur_boxes: list[BlurBoxRecord] = []
    blur_scans: list[BlurScanRecord] = []
    # Bundles written before the audit log have none.
    audit_log: list[AuditRecord] = Field(default=[], max_length=100_000)


# -- pydantic's errors in our words ----------------------------------------------------

_TYPE_NAMES = {
    "int_type": "int",
    "string_type": "str",
    "bool_type": "bool",
    "list_type": "list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}
_TOP = ("inspection", "captures", "damages", "files")


def _where(path: Sequence[int | str]) -> str:
    """A record's place as users read it: ``captures[3]``, ``inspection.vehicle``."""
    if not path:
        return "manifest"
    text = str(path[0]) if path[0] in _TOP else f"manifest.{path[0]}"
    for before, part in itertools.pairwise(path):
        if isinstance(part, int):
            text += f"[{part}]"
        elif before == "files":
            text += f"[{part[:80]!r}]"
        else:
            text += f".{part}"
    return text


def _field(loc: Sequence[int | str]) -> tuple[Any, FieldInfo | None]:
    """The type a location holds, and its field when it is one (None if unknown)."""
    kind: Any = ManifestRecord
    info: FieldInfo | None = None
    for part in loc:
        if get_origin(kind) in (list, dict):  # an item
            kind, info = get_args(kind)[-1], None
            continue
        model = next((k for k in _members(kind) if _is_model(k)), None)
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None, None
        info = model.model_fields[part]
        kind = info.annotation
    return kind, info


def _members(kind: Any) -> list[Any]:
    """A type and what it is made of: ``X | None`` gives X and None, Annotated its type."""
    out = [kind]
    for arg in get_args(kind):
        out += _members(arg) if get_origin(arg) is Annotated else [arg]
    return out


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _bound(info: FieldInfo | None, name: str) -> Any:
    for rule in info.metadata if info else ():
        if hasattr(rule, name):
            return getattr(rule, name)
    return None


def _describe(error: ErrorDetails) -> str:
    """One error as a line: where, which field, what is wrong."""
    loc, kind, value = error["loc"], error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "bundle_rule":  # a rule of `inspector new`, on a whole record
        return f"{_where(loc)}: {error['msg']}"
    if not loc:
        return f"the manifest must be a JSON object, not {type(value).__name__}"
    *path, key = loc
    item = isinstance(key, int) or (path and path[-1] == "files")  # of a list or a map
    if item and kind in _TYPE_NAMES:
        return f"{_where(loc)} must be an object"
    where, name = _where(path), repr(key)
    annotation, info = _field(loc)
    nullable = type(None) in _members(annotation)
    if kind == "missing":
        return f"{where}: missing {name}"
    if kind in _TYPE_NAMES:
        if isinstance(value, bool) and kind != "bool_type":
            return f"{where}: {name} has the wrong type (bool)"
        got = "null" if value is None else type(value).__name__
        return f"{where}: {name} must be {_TYPE_NAMES[kind]}{' or null' * nullable}, not {got}"
    if kind in ("greater_than_equal", "less_than_equal"):
        lo, hi = _bound(info, "ge"), _bound(info, "le")
        return f"{where}: {name} must be between {lo} and {hi}, not {value}"
    if kind == "string_too_long":
        return f"{where}: {name} is longer than {ctx.get('max_length')} characters"
    if kind == "string_unicode":
        return f"{where}: {name} is not valid Unicode text"
    if kind == "enum":
        named: Any = next((k for k in _members(annotation) if isinstance(k, enum.EnumMeta)), None)
        allowed = ", ".join(str(m.value) for m in named) if named else ctx.get("expected")
        return f"{where}: {name} is {str(value)[:40]!r}, expected one of {allowed}"
    if kind == "literal_error":
        return f"{where}: {name} must be {ctx.get('expected')}, not {str(value)[:40]!r}"
    if kind == "bundle_rule_field":
        return f"{where}: {name}: {error['msg']}"
    if kind == "bundle_value":
        return f"{where}: {name} {error['msg']}"
    return f"{where}: {name}: {error['msg']}"


def validated(model: type[Header], raw: dict[str, Any]) -> Any:
    """``raw`` as ``model``; ManifestError words the first problem."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ManifestError(_describe(exc.errors()[0])) from None
