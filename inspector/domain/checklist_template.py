"""The checklist template file format, declared as pydantic models.

A template (``assets/checklists/NAME.json``) crosses a boundary: a platform
writes it, the code trusts it. Its shape is declared here once: fields, types,
defaults, no unknown keys. The rules a model cannot say alone (plain ids, an
overlay that exists, thresholds that agree) are validators. A broken template
is refused with one sentence naming the file, the shot and the field, as a user
fixing it by hand needs: :func:`validate_template` turns pydantic's errors into
that sentence. :mod:`inspector.domain.checklist` turns a valid template into a
:class:`~inspector.domain.checklist.Checklist`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from inspector.domain.models import EXTERIOR_PARTS, Part, QualityThresholds
from inspector.i18n import LocalText

__all__ = [
    "FORMAT_VERSION",
    "ChecklistTemplate",
    "DamageShotTemplate",
    "QualityTemplate",
    "ShotTemplate",
    "TemplateError",
    "TextTemplate",
    "validate_template",
]

FORMAT_VERSION = 1
"""The template format this code reads; bump it when the format changes."""

NUMBER = "{n}"
"""Where a damage shot's title says its damage number."""

# Ids end up in file names, URLs and the database: keep them plain.
ID_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


class TemplateError(ValueError):
    """A template cannot be used; the message names the file, the shot and the field."""


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError("checklist", "{message}", {"message": message})


def _plain_id(what: str) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not ID_RE.match(value):
            raise _refuse(f"{what} {value!r} must be lowercase letters, digits and _")
        return value

    return BeforeValidator(check)


def _shot_id(value: Any) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise _refuse(f"shot id {value!r} must be lowercase letters, digits and _")
    if value.startswith("damage_"):
        raise _refuse("ids starting with 'damage_' are kept for damage shots")
    return value


def _overlay(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise _refuse(f"overlay {value!r} must be an overlay name")
    assert info.context is not None  # validate_template gives the overlays folder
    folder: Path = info.context["overlays"]
    if not (folder / f"{value}.svg").is_file():
        raise _refuse(f"unknown overlay {value!r}: no {value}.svg in {folder}")
    return value


def _required(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _refuse(f"'required' must be true or false, not {value!r}")
    return value


#: How the phone is best held for a shot: "landscape" for a whole car or a wide view (the
#: car is small held upright), "portrait" for a tall subject, "any" when either will do.
ORIENTATIONS = ("any", "landscape", "portrait")


def _listing(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _refuse(f"'listing' must be true or false, not {value!r}")
    return value


def _orientation(value: Any) -> str:
    if value not in ORIENTATIONS:
        raise _refuse(f"'orientation' must be one of {', '.join(ORIENTATIONS)}, not {value!r}")
    return str(value)


def _part(value: Any) -> Part | None:
    if value is None:
        return None
    try:
        return Part(value)
    except ValueError:
        known = ", ".join(p.value for p in Part)
        raise _refuse(f"unknown part {value!r} (known: {known})") from None


def _covers(value: Any) -> list[Part]:
    if not isinstance(value, list):
        raise _refuse(f"'covers' must be a list of exterior parts, not {value!r}")
    parts: list[Part] = []
    for item in value:
        part = next((p for p in Part if p.value == item), None)
        if part is None:
            known = ", ".join(p.value for p in EXTERIOR_PARTS)
            raise _refuse(f"'covers': {item!r} is not a part name (exterior parts: {known})")
        if part not in EXTERIOR_PARTS:
            raise _refuse(f"'covers': {part.value!r} is not an exterior part (not on the diagram)")
        if part in parts:
            raise _refuse(f"'covers': {part.value!r} is listed twice")
        parts.append(part)
    return parts


def _quality(value: Any) -> Any:
    return {} if value is None else value  # null: the default thresholds


def _format(value: Any) -> int:
    if isinstance(value, bool) or value != FORMAT_VERSION:
        raise _refuse(
            f"unsupported format version {value!r} (this version reads format {FORMAT_VERSION})"
        )
    return FORMAT_VERSION


def _shots(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise _refuse("'shots' must be a non-empty list")
    return value


def _damage_shots(value: Any) -> Any:
    if not isinstance(value, list) or len(value) not in (0, 2):
        raise _refuse("'damage_shots' must list two shots, the wide view then the close-up")
    return value


class _Strict(BaseModel):
    """Every template object: no unknown keys, immutable once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _filled(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "blank")  # worded as a missing translation
    return value.strip()


class TextTemplate(_Strict):
    """A text in both languages, neither blank (surrounding spaces dropped)."""

    fr: Annotated[str, AfterValidator(_filled)]
    en: Annotated[str, AfterValidator(_filled)]

    def text(self) -> LocalText:
        return LocalText.of({"fr": self.fr, "en": self.en})

    @classmethod
    def of(cls, text: LocalText) -> TextTemplate:
        return cls.model_construct(fr=text.get("fr"), en=text.get("en"))


_DEFAULTS = QualityThresholds()
_THRESHOLDS = tuple(f.name for f in fields(QualityThresholds))


def _threshold(key: str) -> Any:
    whole = isinstance(getattr(_DEFAULTS, key), int)

    def check(value: Any) -> int | float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise _refuse(f"bad threshold: {key!r} must be a number, not {value!r}")
        if not whole:
            return float(value)
        if not float(value).is_integer():
            raise _refuse(f"bad threshold: {key!r} must be a whole number, not {value!r}")
        return int(value)

    return BeforeValidator(check)


class QualityTemplate(_Strict):
    """A shot's quality thresholds; a key left out keeps its default (``QualityThresholds``)."""

    min_width: Annotated[int, _threshold("min_width")] = _DEFAULTS.min_width
    min_height: Annotated[int, _threshold("min_height")] = _DEFAULTS.min_height
    min_sharpness: Annotated[float, _threshold("min_sharpness")] = _DEFAULTS.min_sharpness
    warn_sharpness: Annotated[float, _threshold("warn_sharpness")] = _DEFAULTS.warn_sharpness
    min_brightness: Annotated[float, _threshold("min_brightness")] = _DEFAULTS.min_brightness
    max_brightness: Annotated[float, _threshold("max_brightness")] = _DEFAULTS.max_brightness
    max_clipped: Annotated[float, _threshold("max_clipped")] = _DEFAULTS.max_clipped
    max_glare: Annotated[float, _threshold("max_glare")] = _DEFAULTS.max_glare

    @model_validator(mode="after")
    def _consistent(self) -> QualityTemplate:
        try:
            self.thresholds()
        except ValueError as exc:
            raise _refuse(f"bad threshold: {exc}") from None
        return self

    def thresholds(self) -> QualityThresholds:
        return QualityThresholds(**self.model_dump())

    @classmethod
    def of(cls, quality: QualityThresholds) -> QualityTemplate:
        return cls.model_construct(**{k: getattr(quality, k) for k in _THRESHOLDS})


class ShotTemplate(_Strict):
    """One fixed shot. ``part``: where a damage seen on it most likely is (a first guess).

    ``covers``: the exterior parts an accepted photo of this shot shows well enough to
    count as inspected (the live coverage map); none by default.
    ``listing``: whether its photo belongs to the publishable set (``inspector export
    --listing``); false, the default, keeps it out (the VIN, the keys, the documents).
    """

    id: Annotated[str, BeforeValidator(_shot_id)]
    category: Annotated[str, _plain_id("category")]
    title: TextTemplate
    instruction: TextTemplate
    overlay: Annotated[str, BeforeValidator(_overlay)]
    required: Annotated[bool, BeforeValidator(_required)] = True
    orientation: Annotated[str, BeforeValidator(_orientation)] = "any"
    quality: Annotated[QualityTemplate, BeforeValidator(_quality)] = QualityTemplate()
    part: Annotated[Part | None, BeforeValidator(_part)] = None
    covers: Annotated[list[Part], BeforeValidator(_covers)] = []
    listing: Annotated[bool, BeforeValidator(_listing)] = False

    # The order rules are checked in (and a problem reported), as a reader goes.
    CHECK_ORDER: ClassVar[Sequence[str]] = (
        "id",
        "part",
        "covers",
        "category",
        "overlay",
        "required",
        "orientation",
        "listing",
        "title",
        "instruction",
        "quality",
    )


class DamageShotTemplate(_Strict):
    """The wide view or the close-up of any damage: numbered on demand, no part of its own."""

    id_suffix: Annotated[str, _plain_id("id_suffix")]
    category: Annotated[str, _plain_id("category")]
    title: TextTemplate
    instruction: TextTemplate
    overlay: Annotated[str, BeforeValidator(_overlay)]
    required: Annotated[bool, BeforeValidator(_required)] = True
    orientation: Annotated[str, BeforeValidator(_orientation)] = "any"
    quality: Annotated[QualityTemplate, BeforeValidator(_quality)] = QualityTemplate()
    listing: Annotated[bool, BeforeValidator(_listing)] = False

    CHECK_ORDER: ClassVar[Sequence[str]] = (
        "id_suffix",
        "category",
        "overlay",
        "required",
        "orientation",
        "listing",
        "title",
        "instruction",
        "quality",
    )

    @model_validator(mode="after")
    def _numbered(self) -> DamageShotTemplate:
        for lang in ("fr", "en"):
            if NUMBER not in getattr(self.title, lang):
                raise _refuse(f"the {lang!r} title must contain {NUMBER} (the damage number)")
        return self


class ChecklistTemplate(_Strict):
    """A whole template file: the fixed shots in guidance order, and the damage pair."""

    format: Annotated[int, BeforeValidator(_format)]
    id: Annotated[str, _plain_id("checklist id")]
    title: TextTemplate
    description: TextTemplate
    shots: Annotated[list[ShotTemplate], BeforeValidator(_shots)]
    damage_shots: Annotated[list[DamageShotTemplate], BeforeValidator(_damage_shots)] = []

    CHECK_ORDER: ClassVar[Sequence[str]] = ("format", "id", "title", "description", "shots")

    @model_validator(mode="after")
    def _unique(self) -> ChecklistTemplate:
        seen: set[str] = set()
        for shot in self.shots:
            if shot.id in seen:
                raise _refuse(f"shot {shot.id!r}: duplicate shot id {shot.id!r}")
            seen.add(shot.id)
        suffixes = [d.id_suffix for d in self.damage_shots]
        if len(suffixes) == 2 and suffixes[0] == suffixes[1]:
            raise _refuse(f"damage shot {suffixes[0]!r}: duplicate shot id suffix {suffixes[0]!r}")
        return self


def validate_template(data: Any, source: str, overlays: Path) -> ChecklistTemplate:
    """Validate decoded template data; TemplateError names ``source``, the shot and the field.

    ``overlays`` is the folder the overlays a shot names must be in.
    """
    if not isinstance(data, dict):
        raise TemplateError(f"{source}: a checklist must be a JSON object")
    try:
        return ChecklistTemplate.model_validate(data, context={"overlays": overlays})
    except ValidationError as exc:
        raise TemplateError(_explain(exc.errors(include_url=False), data, source)) from None


# --- pydantic's errors, worded for whoever edits the file -----------------------------

_LISTS: dict[str, type[_Strict]] = {"shots": ShotTemplate, "damage_shots": DamageShotTemplate}
_TEXTS = ("title", "instruction", "description")
_LANGS = ("fr", "en")


def _owner(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """The object an error is in: () for the file, ("shots", i) for one shot."""
    if len(loc) >= 2 and loc[0] in _LISTS and isinstance(loc[1], int):
        return loc[:2]
    return ()


def _rank(error: ErrorDetails) -> tuple[int, ...]:
    """Errors are reported in reading order: the file's fields, each shot, the damage pair."""
    loc = error["loc"]
    owner = _owner(loc)
    rest = loc[len(owner) :]
    if owner:
        section = (2 if owner[0] == "shots" else 4, int(owner[1]))
        model: type[_Strict] = _LISTS[str(owner[0])]
    elif not rest:
        return (5,)  # the whole file (duplicates), once everything else holds
    elif rest[0] == "damage_shots" and len(rest) == 1:
        section, model = (3, 0), ChecklistTemplate
    else:
        section, model = (1, 0), ChecklistTemplate
    if len(rest) == 1 and error["type"] in ("missing", "extra_forbidden"):
        if not owner:
            return (0, 0 if error["type"] == "missing" else 1)
        return (*section, 0 if error["type"] == "missing" else 1)
    if not rest:
        return (*section, 99)  # the object as a whole (not an object, its own rule)
    order: Sequence[str] = getattr(model, "CHECK_ORDER", ())
    field = str(rest[0])
    within = order.index(field) if field in order else len(order)
    detail = 0
    if len(rest) >= 2 and field in _TEXTS:
        detail = _LANGS.index(str(rest[1])) + 1 if rest[1] in _LANGS else 0
    elif len(rest) >= 2 and field == "quality" and rest[1] in _THRESHOLDS:
        detail = _THRESHOLDS.index(str(rest[1])) + 1
    return (*section, 2, within, detail)


def _where(owner: tuple[int | str, ...], data: dict[str, Any], source: str) -> str:
    if not owner:
        return source
    kind, index = str(owner[0]), int(owner[1])
    raw = data[kind][index] if isinstance(data.get(kind), list) else None
    key, label = ("id", "shot") if kind == "shots" else ("id_suffix", "damage shot")
    name = raw.get(key) if isinstance(raw, dict) else None
    if isinstance(name, str) and name:
        return f"{source}: {label} {name!r}"
    return f"{source}: {label} #{index + 1}"


def _names(keys: list[str]) -> str:
    return ", ".join(repr(k) for k in keys)


def _explain(errors: list[ErrorDetails], data: dict[str, Any], source: str) -> str:
    first = min(errors, key=_rank)
    loc = first["loc"]
    owner = _owner(loc)
    rest = loc[len(owner) :]
    same = [e for e in errors if e["type"] == first["type"] and _owner(e["loc"]) == owner]
    where = _where(owner, data, source)
    model: type[_Strict] = _LISTS[str(owner[0])] if owner else ChecklistTemplate
    kind = first["type"]
    if len(rest) == 1 and kind == "missing":
        missing = [str(e["loc"][-1]) for e in same if len(e["loc"]) == len(loc)]
        s = "s" if len(missing) > 1 else ""
        return f"{where}: missing field{s} {_names(missing)}"
    if len(rest) == 1 and kind == "extra_forbidden":
        unknown = sorted(str(e["loc"][-1]) for e in same if len(e["loc"]) == len(loc))
        s = "s" if len(unknown) > 1 else ""
        allowed = ", ".join(model.model_fields)
        return f"{where}: unknown field{s} {_names(unknown)} (allowed: {allowed})"
    if kind == "checklist":
        return f"{where}: {first['ctx']['message']}"
    if rest and rest[0] in _TEXTS:
        return f"{where}: {_text_problem(str(rest[0]), rest[1:], kind, errors, loc)}"
    if rest and rest[0] == "quality":
        return f"{where}: {_quality_problem(rest[1:], kind, errors, loc)}"
    if kind == "model_type" and owner and not rest:
        return f"{where}: a shot must be a JSON object"
    field = ".".join(str(part) for part in rest) or "template"
    return f"{where}: {field!r}: {first['msg']}"


def _text_problem(
    field: str,
    inner: tuple[int | str, ...],
    kind: str,
    errors: list[ErrorDetails],
    loc: tuple[int | str, ...],
) -> str:
    if not inner:
        return f"{field!r} must be an object with 'fr' and 'en' texts"
    if kind == "extra_forbidden":
        parent = loc[:-1]
        unknown = sorted(
            str(e["loc"][-1])
            for e in errors
            if e["type"] == "extra_forbidden" and e["loc"][:-1] == parent
        )
        return f"{field!r} has unsupported language(s) {unknown}"
    return f"missing translation: {field!r} has no {str(inner[0])!r} text"


def _quality_problem(
    inner: tuple[int | str, ...],
    kind: str,
    errors: list[ErrorDetails],
    loc: tuple[int | str, ...],
) -> str:
    if not inner:
        return "bad threshold: 'quality' must be an object"
    if kind == "extra_forbidden":
        parent = loc[:-1]
        unknown = sorted(
            str(e["loc"][-1])
            for e in errors
            if e["type"] == "extra_forbidden" and e["loc"][:-1] == parent
        )
        return (
            f"bad threshold: unknown quality key(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(_THRESHOLDS)})"
        )
    return f"bad threshold: {str(inner[0])!r} is not valid"
