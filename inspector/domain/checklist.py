"""Checklist templates: the ordered shots a seller is guided through.

Templates are data (``assets/checklists/NAME.json``) so a platform can add or
tune one without touching code. They are validated strictly when loaded: a typo
found while a seller is waiting at the car is found too late. Qt-free, shared
by the engine, the CLI, the autopilot and the report.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from inspector.assets import asset_path
from inspector.domain.checklist_template import (
    FORMAT_VERSION,
    ID_RE,
    NUMBER,
    ChecklistTemplate,
    DamageShotTemplate,
    QualityTemplate,
    ShotTemplate,
    TemplateError,
    TextTemplate,
    validate_template,
)
from inspector.domain.models import Part, QualityThresholds
from inspector.i18n import Localized, LocalText, Message

__all__ = [
    "CATEGORY_TITLES",
    "FORMAT_VERSION",
    "Checklist",
    "ChecklistError",
    "Shot",
    "available_checklists",
    "available_overlays",
    "category_title",
    "damage_pair",
    "load_checklist",
    "overlay_path",
    "parse_checklist",
    "parse_damage_shot_id",
]

DAMAGE_CATEGORY = "damage"

CATEGORY_TITLES: dict[str, Message] = {
    "exterior": Message("Exterior"),
    "wheels": Message("Wheels"),
    "identity": Message("Identity"),
    "interior": Message("Interior"),
    "boot": Message("Boot"),
    "engine": Message("Engine"),
    "documents": Message("Documents"),
    DAMAGE_CATEGORY: Message("Damage"),
}
"""Display names of the usual categories; templates may use others."""

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_DAMAGE_ID_RE = re.compile(r"^damage_([1-9][0-9]*)_([a-z0-9]+(?:_[a-z0-9]+)*)$")


class ChecklistError(TemplateError):
    """A template cannot be used; the message names the file and the shot."""


@dataclass(frozen=True)
class Shot:
    """One photo to take: what to frame, how to say it, how good it must be.

    ``part`` is the vehicle part a damage seen on this shot most likely sits on
    (a first guess for "Add damage" and for marking in review), or None when the
    shot shows no particular part (keys, documents). ``covers`` are the exterior
    parts an accepted photo of it shows (the live coverage map).
    """

    id: str
    category: str
    title: LocalText
    instruction: LocalText
    overlay: str
    required: bool
    quality: QualityThresholds
    damage: bool = False
    part: Part | None = None
    orientation: str = "any"  # how to hold the phone: any, landscape, portrait
    covers: tuple[Part, ...] = ()  # exterior parts an accepted photo counts as inspected
    listing: bool = False  # its photo is published (export --listing)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for the CLI, the phone page and the report)."""
        data = _template_of(self).model_dump(
            mode="json", exclude={"id", "id_suffix", "part", "covers"}
        )
        return {
            "id": self.id,
            **data,
            "damage": self.damage,
            "part": _part_value(self),
            "covers": [p.value for p in self.covers],
        }


@dataclass(frozen=True)
class Checklist:
    """A template: the fixed shots in guidance order, plus the damage shot pair.

    ``damage_shots`` are the unnumbered templates (ids ``damage_<suffix>``);
    use :func:`damage_pair` to get the shots of damage number *n*.
    """

    id: str
    title: LocalText
    description: LocalText
    shots: tuple[Shot, ...]
    damage_shots: tuple[Shot, ...] = ()

    def shot(self, shot_id: str) -> Shot:
        """The shot with this id, including numbered damage shots ("damage_2_wide")."""
        for shot in self.shots:
            if shot.id == shot_id:
                return shot
        parsed = parse_damage_shot_id(shot_id)
        if parsed is not None:
            number, suffix = parsed
            for template in self.damage_shots:
                if _damage_suffix(template) == suffix:
                    return _numbered(template, number)
        raise KeyError(f"checklist {self.id!r} has no shot {shot_id!r}")

    def index(self, shot_id: str) -> int:
        """Position in guidance order; damage shots sort after the fixed ones, by number."""
        for i, shot in enumerate(self.shots):
            if shot.id == shot_id:
                return i
        parsed = parse_damage_shot_id(shot_id)
        if parsed is not None:
            number, suffix = parsed
            for k, template in enumerate(self.damage_shots):
                if _damage_suffix(template) == suffix:
                    return len(self.shots) + (number - 1) * len(self.damage_shots) + k
        raise KeyError(f"checklist {self.id!r} has no shot {shot_id!r}")

    def categories(self) -> tuple[str, ...]:
        """Categories in guidance order, each once; "damage" last when the template has it."""
        seen: dict[str, None] = {}
        for shot in (*self.shots, *self.damage_shots):
            seen.setdefault(shot.category, None)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        """The template in its file format (round-trips through :func:`parse_checklist`)."""
        template = ChecklistTemplate.model_construct(
            format=FORMAT_VERSION,
            id=self.id,
            title=TextTemplate.of(self.title),
            description=TextTemplate.of(self.description),
            shots=[_template_of(s) for s in self.shots],
            damage_shots=[_template_of(s) for s in self.damage_shots],
        )
        return template.model_dump(mode="json", exclude_none=True)


def damage_pair(checklist: Checklist, n: int) -> tuple[Shot, Shot]:
    """The wide view and the close-up of damage number *n* (1-based).

    Damages are open-ended, so their shots are made on demand from the
    template's pair: ids "damage_<n>_wide" / "damage_<n>_closeup", titles numbered.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"damage number must be a positive integer, not {n!r}")
    if len(checklist.damage_shots) != 2:
        raise ChecklistError(f"checklist {checklist.id!r} has no damage shots")
    wide, closeup = checklist.damage_shots
    return _numbered(wide, n), _numbered(closeup, n)


def parse_damage_shot_id(shot_id: str) -> tuple[int, str] | None:
    """(number, suffix) for an id like "damage_3_closeup", else None."""
    match = _DAMAGE_ID_RE.match(shot_id)
    if match is None:
        return None
    return int(match.group(1)), match.group(2)


def category_title(category: str) -> Localized:
    """Display name of a category, falling back to the id itself."""
    fallback = category.replace("_", " ").capitalize()
    return CATEGORY_TITLES.get(category, LocalText.of({"en": fallback}))


def available_checklists() -> list[str]:
    """Names of the templates shipped in ``assets/checklists``."""
    folder = asset_path("checklists")
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def available_overlays() -> list[str]:
    """Names of the framing overlays shipped in ``assets/overlays``."""
    folder = asset_path("overlays")
    return sorted(p.stem for p in folder.glob("*.svg")) if folder.is_dir() else []


def overlay_path(name: str) -> Path:
    """The SVG file of an overlay; ChecklistError if there is none."""
    path = asset_path("overlays", f"{name}.svg")
    if not ID_RE.match(name) or not path.is_file():
        raise ChecklistError(f"unknown overlay {name!r}: no {name}.svg in {asset_path('overlays')}")
    return path


def load_checklist(name_or_path: str | Path) -> Checklist:
    """Load and validate a template by name ("standard") or by path to a .json file.

    Results are cached per file and reloaded when the file changes.
    """
    path = _resolve(name_or_path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise ChecklistError(f"{path}: cannot read checklist: {exc.strerror}") from exc
    return _load_file(str(path), stat.st_mtime_ns, stat.st_size)


def parse_checklist(data: Any, source: str = "<checklist>") -> Checklist:
    """Validate decoded template data; *source* names it in error messages."""
    try:
        template = validate_template(data, source, asset_path("overlays"))
    except TemplateError as exc:
        raise ChecklistError(str(exc)) from None
    return Checklist(
        template.id,
        template.title.text(),
        template.description.text(),
        tuple(_shot(t) for t in template.shots),
        tuple(_shot(t) for t in template.damage_shots),
    )


# --- internals -----------------------------------------------------------------


def _resolve(name_or_path: str | Path) -> Path:
    if isinstance(name_or_path, Path):
        return name_or_path.expanduser()
    text = str(name_or_path)
    if "/" in text or "\\" in text or text.endswith(".json"):
        return Path(text).expanduser()
    path = asset_path("checklists", f"{text}.json")
    if not _NAME_RE.match(text) or not path.is_file():
        available = ", ".join(available_checklists()) or "none"
        raise ChecklistError(f"unknown checklist {text!r} (available: {available})")
    return path


@lru_cache(maxsize=64)
def _load_file(path: str, mtime_ns: int, size: int) -> Checklist:
    # mtime and size are part of the cache key so an edited file is reloaded.
    del mtime_ns, size
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ChecklistError(f"{path}: cannot read checklist: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ChecklistError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ChecklistError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except _DuplicateKey as exc:
        raise ChecklistError(f"{path}: invalid JSON: duplicate key {exc.args[0]!r}") from exc
    checklist = parse_checklist(data, path)
    stem = Path(path).stem
    if checklist.id != stem:
        raise ChecklistError(
            f"{path}: checklist id {checklist.id!r} does not match the file name {stem!r}"
        )
    return checklist


class _DuplicateKey(Exception):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of two equal keys silently; a template must not.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _shot(t: ShotTemplate | DamageShotTemplate) -> Shot:
    """The shot a template describes (a damage shot is named after its ``id_suffix``)."""
    common: dict[str, Any] = {
        "category": t.category,
        "title": t.title.text(),
        "instruction": t.instruction.text(),
        "overlay": t.overlay,
        "required": t.required,
        "quality": t.quality.thresholds(),
        "orientation": t.orientation,
        "listing": t.listing,
    }
    if isinstance(t, DamageShotTemplate):
        return Shot(id=f"damage_{t.id_suffix}", damage=True, **common)
    return Shot(id=t.id, part=t.part, covers=tuple(t.covers), **common)


def _template_of(shot: Shot) -> ShotTemplate | DamageShotTemplate:
    common: dict[str, Any] = {
        "category": shot.category,
        "title": TextTemplate.of(shot.title),
        "instruction": TextTemplate.of(shot.instruction),
        "overlay": shot.overlay,
        "required": shot.required,
        "orientation": shot.orientation,
        "listing": shot.listing,
        "quality": QualityTemplate.of(shot.quality),
    }
    if shot.damage:
        return DamageShotTemplate.model_construct(id_suffix=_damage_suffix(shot), **common)
    return ShotTemplate.model_construct(
        id=shot.id, part=shot.part, covers=list(shot.covers), **common
    )


def _part_value(shot: Shot) -> str | None:
    return shot.part.value if shot.part is not None else None


def _damage_suffix(shot: Shot) -> str:
    return shot.id.removeprefix("damage_")


def _numbered(template: Shot, n: int) -> Shot:
    def number(text: LocalText) -> LocalText:
        return text.map(lambda wording: wording.replace(NUMBER, str(n)))

    return replace(
        template,
        id=f"damage_{n}_{_damage_suffix(template)}",
        title=number(template.title),
        instruction=number(template.instruction),
    )
