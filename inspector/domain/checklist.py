"""Checklist templates: the ordered shots a seller is guided through.

Templates are data (``assets/checklists/NAME.json``) so a platform can add or
tune one without touching code. They are validated strictly when loaded: a typo
found while a seller is waiting at the car is found too late. Qt-free, shared
by the engine, the CLI, the autopilot and the report.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from inspector.assets import asset_path
from inspector.domain.models import Part, QualityThresholds, Text

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

FORMAT_VERSION = 1
"""The template format this code reads; bump it when the format changes."""

DAMAGE_CATEGORY = "damage"

CATEGORY_TITLES: dict[str, Text] = {
    "exterior": Text("Extérieur", "Exterior"),
    "wheels": Text("Roues", "Wheels"),
    "identity": Text("Identification", "Identity"),
    "interior": Text("Intérieur", "Interior"),
    "boot": Text("Coffre", "Boot"),
    "engine": Text("Moteur", "Engine"),
    "documents": Text("Documents", "Documents"),
    DAMAGE_CATEGORY: Text("Dommages", "Damage"),
}
"""Display names of the usual categories; templates may use others."""

# Ids end up in file names, URLs and the database: keep them plain.
_ID_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_DAMAGE_ID_RE = re.compile(r"^damage_([1-9][0-9]*)_([a-z0-9]+(?:_[a-z0-9]+)*)$")
_NUMBER = "{n}"

_QUALITY_DEFAULTS: dict[str, int | float] = {
    f.name: getattr(QualityThresholds(), f.name) for f in fields(QualityThresholds)
}
_TOP_FIELDS = ("format", "id", "title", "description", "shots", "damage_shots")
_TOP_REQUIRED = ("format", "id", "title", "description", "shots")
_SHOT_FIELDS = (
    "id",
    "category",
    "title",
    "instruction",
    "overlay",
    "required",
    "quality",
    "part",
)
_SHOT_REQUIRED = ("id", "category", "title", "instruction", "overlay")
# A damage shot shows whatever part the damage is on: no "part" of its own.
_DAMAGE_FIELDS = ("id_suffix", *_SHOT_FIELDS[1:-1])
_DAMAGE_REQUIRED = ("id_suffix", *_SHOT_REQUIRED[1:])


class ChecklistError(ValueError):
    """A template cannot be used; the message names the file and the shot."""


@dataclass(frozen=True)
class Shot:
    """One photo to take: what to frame, how to say it, how good it must be.

    ``part`` is the vehicle part a damage seen on this shot most likely sits on
    (a first guess for "Add damage" and for marking in review), or None when the
    shot shows no particular part (keys, documents).
    """

    id: str
    category: str
    title: Text
    instruction: Text
    overlay: str
    required: bool
    quality: QualityThresholds
    damage: bool = False
    part: Part | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for the CLI, the phone page and the report)."""
        return {
            "id": self.id,
            "category": self.category,
            "title": _text_dict(self.title),
            "instruction": _text_dict(self.instruction),
            "overlay": self.overlay,
            "required": self.required,
            "quality": asdict(self.quality),
            "damage": self.damage,
            "part": self.part.value if self.part is not None else None,
        }


@dataclass(frozen=True)
class Checklist:
    """A template: the fixed shots in guidance order, plus the damage shot pair.

    ``damage_shots`` are the unnumbered templates (ids ``damage_<suffix>``);
    use :func:`damage_pair` to get the shots of damage number *n*.
    """

    id: str
    title: Text
    description: Text
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
        data: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "id": self.id,
            "title": _text_dict(self.title),
            "description": _text_dict(self.description),
            "shots": [_template_dict(s) for s in self.shots],
            "damage_shots": [],
        }
        for shot in self.damage_shots:
            entry = _template_dict(shot)
            del entry["id"]
            data["damage_shots"].append({"id_suffix": _damage_suffix(shot), **entry})
        return data


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


def category_title(category: str) -> Text:
    """Display name of a category, falling back to the id itself."""
    fallback = category.replace("_", " ").capitalize()
    return CATEGORY_TITLES.get(category, Text(fallback, fallback))


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
    if not _ID_RE.match(name) or not path.is_file():
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
    if not isinstance(data, dict):
        raise ChecklistError(f"{source}: a checklist must be a JSON object")
    _check_fields(data, _TOP_FIELDS, _TOP_REQUIRED, source)
    version = data["format"]
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise ChecklistError(
            f"{source}: unsupported format version {version!r} "
            f"(this version reads format {FORMAT_VERSION})"
        )
    checklist_id = data["id"]
    if not isinstance(checklist_id, str) or not _ID_RE.match(checklist_id):
        raise ChecklistError(
            f"{source}: checklist id {checklist_id!r} must be lowercase letters, digits and _"
        )
    title = _parse_text(data["title"], "title", source)
    description = _parse_text(data["description"], "description", source)

    raw_shots = data["shots"]
    if not isinstance(raw_shots, list) or not raw_shots:
        raise ChecklistError(f"{source}: 'shots' must be a non-empty list")
    shots: list[Shot] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_shots):
        shot = _parse_shot(raw, i, source)
        if shot.id in seen:
            raise ChecklistError(f"{source}: shot {shot.id!r}: duplicate shot id {shot.id!r}")
        seen.add(shot.id)
        shots.append(shot)

    raw_damage = data.get("damage_shots", [])
    if not isinstance(raw_damage, list) or len(raw_damage) not in (0, 2):
        raise ChecklistError(
            f"{source}: 'damage_shots' must list two shots, the wide view then the close-up"
        )
    damage_shots = tuple(_parse_damage_shot(raw, i, source) for i, raw in enumerate(raw_damage))
    if len(damage_shots) == 2 and damage_shots[0].id == damage_shots[1].id:
        suffix = _damage_suffix(damage_shots[0])
        raise ChecklistError(
            f"{source}: damage shot {suffix!r}: duplicate shot id suffix {suffix!r}"
        )
    return Checklist(checklist_id, title, description, tuple(shots), damage_shots)


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


def _check_fields(
    data: dict[str, Any], allowed: tuple[str, ...], required: tuple[str, ...], where: str
) -> None:
    missing = [k for k in required if k not in data]
    if missing:
        names = ", ".join(repr(k) for k in missing)
        raise ChecklistError(f"{where}: missing field{'s' if len(missing) > 1 else ''} {names}")
    unknown = sorted(k for k in data if k not in allowed)
    if unknown:
        names = ", ".join(repr(k) for k in unknown)
        raise ChecklistError(
            f"{where}: unknown field{'s' if len(unknown) > 1 else ''} {names} "
            f"(allowed: {', '.join(allowed)})"
        )


def _parse_text(raw: Any, field: str, where: str) -> Text:
    if not isinstance(raw, dict):
        raise ChecklistError(f"{where}: {field!r} must be an object with 'fr' and 'en' texts")
    unknown = sorted(str(k) for k in raw if k not in ("fr", "en"))
    if unknown:
        raise ChecklistError(f"{where}: {field!r} has unsupported language(s) {unknown}")
    for lang in ("fr", "en"):
        value = raw.get(lang)
        if not isinstance(value, str) or not value.strip():
            raise ChecklistError(f"{where}: missing translation: {field!r} has no {lang!r} text")
    return Text(fr=raw["fr"].strip(), en=raw["en"].strip())


def _parse_common(raw: dict[str, Any], where: str) -> dict[str, Any]:
    category = raw["category"]
    if not isinstance(category, str) or not _ID_RE.match(category):
        raise ChecklistError(
            f"{where}: category {category!r} must be lowercase letters, digits and _"
        )
    overlay = raw["overlay"]
    if not isinstance(overlay, str) or not _ID_RE.match(overlay):
        raise ChecklistError(f"{where}: overlay {overlay!r} must be an overlay name")
    if not asset_path("overlays", f"{overlay}.svg").is_file():
        raise ChecklistError(
            f"{where}: unknown overlay {overlay!r}: no {overlay}.svg in {asset_path('overlays')}"
        )
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise ChecklistError(f"{where}: 'required' must be true or false, not {required!r}")
    return {
        "category": category,
        "title": _parse_text(raw["title"], "title", where),
        "instruction": _parse_text(raw["instruction"], "instruction", where),
        "overlay": overlay,
        "required": required,
        "quality": _parse_quality(raw.get("quality"), where),
    }


def _parse_shot(raw: Any, index: int, source: str) -> Shot:
    where = f"{source}: shot #{index + 1}"
    if not isinstance(raw, dict):
        raise ChecklistError(f"{where}: a shot must be a JSON object")
    shot_id = raw.get("id")
    if isinstance(shot_id, str) and shot_id:
        where = f"{source}: shot {shot_id!r}"
    _check_fields(raw, _SHOT_FIELDS, _SHOT_REQUIRED, where)
    if not isinstance(shot_id, str) or not _ID_RE.match(shot_id):
        raise ChecklistError(
            f"{where}: shot id {shot_id!r} must be lowercase letters, digits and _"
        )
    if shot_id.startswith("damage_"):
        raise ChecklistError(f"{where}: ids starting with 'damage_' are kept for damage shots")
    return Shot(id=shot_id, part=_parse_part(raw.get("part"), where), **_parse_common(raw, where))


def _parse_damage_shot(raw: Any, index: int, source: str) -> Shot:
    where = f"{source}: damage shot #{index + 1}"
    if not isinstance(raw, dict):
        raise ChecklistError(f"{where}: a shot must be a JSON object")
    suffix = raw.get("id_suffix")
    if isinstance(suffix, str) and suffix:
        where = f"{source}: damage shot {suffix!r}"
    _check_fields(raw, _DAMAGE_FIELDS, _DAMAGE_REQUIRED, where)
    if not isinstance(suffix, str) or not _ID_RE.match(suffix):
        raise ChecklistError(
            f"{where}: id_suffix {suffix!r} must be lowercase letters, digits and _"
        )
    common = _parse_common(raw, where)
    for lang in ("fr", "en"):
        if _NUMBER not in common["title"].get(lang):
            raise ChecklistError(
                f"{where}: the {lang!r} title must contain {_NUMBER} (the damage number)"
            )
    return Shot(id=f"damage_{suffix}", damage=True, **common)


def _parse_part(raw: Any, where: str) -> Part | None:
    if raw is None:
        return None
    try:
        return Part(raw)
    except ValueError:
        raise ChecklistError(
            f"{where}: unknown part {raw!r} (known: {', '.join(p.value for p in Part)})"
        ) from None


def _parse_quality(raw: Any, where: str) -> QualityThresholds:
    if raw is None:
        return QualityThresholds()
    if not isinstance(raw, dict):
        raise ChecklistError(f"{where}: bad threshold: 'quality' must be an object")
    unknown = sorted(str(k) for k in raw if k not in _QUALITY_DEFAULTS)
    if unknown:
        raise ChecklistError(
            f"{where}: bad threshold: unknown quality key(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(_QUALITY_DEFAULTS)})"
        )
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ChecklistError(f"{where}: bad threshold: {key!r} must be a number, not {value!r}")
        if isinstance(_QUALITY_DEFAULTS[key], int):
            if not float(value).is_integer():
                raise ChecklistError(
                    f"{where}: bad threshold: {key!r} must be a whole number, not {value!r}"
                )
            values[key] = int(value)
        else:
            values[key] = float(value)
    try:
        return QualityThresholds(**values)
    except ValueError as exc:
        raise ChecklistError(f"{where}: bad threshold: {exc}") from exc


def _damage_suffix(shot: Shot) -> str:
    return shot.id.removeprefix("damage_")


def _numbered(template: Shot, n: int) -> Shot:
    def number(text: Text) -> Text:
        return Text(text.fr.replace(_NUMBER, str(n)), text.en.replace(_NUMBER, str(n)))

    return replace(
        template,
        id=f"damage_{n}_{_damage_suffix(template)}",
        title=number(template.title),
        instruction=number(template.instruction),
    )


def _text_dict(text: Text) -> dict[str, str]:
    return {"fr": text.fr, "en": text.en}


def _template_dict(shot: Shot) -> dict[str, Any]:
    data = shot.to_dict()
    del data["damage"]
    if data["part"] is None:
        del data["part"]
    return data
