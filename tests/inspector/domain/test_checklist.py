"""Checklist templates: the shipped ones are complete, broken ones fail loudly."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from inspector.assets import asset_path
from inspector.domain.checklist import (
    Checklist,
    ChecklistError,
    Shot,
    available_checklists,
    available_overlays,
    category_title,
    damage_pair,
    load_checklist,
    overlay_path,
    parse_checklist,
    parse_damage_shot_id,
)
from inspector.domain.checklist_template import ChecklistTemplate, QualityTemplate
from inspector.domain.models import Part, QualityThresholds
from inspector.i18n import LocalText, Message

EXTERIOR_VIEWS = [
    "front",
    "rear",
    "side_left",
    "side_right",
    "three_quarter_front_left",
    "three_quarter_front_right",
    "three_quarter_rear_left",
    "three_quarter_rear_right",
]
STANDARD_REQUIRED_IDS = [
    *EXTERIOR_VIEWS,
    "wheel_front_left",
    "wheel_front_right",
    "wheel_rear_left",
    "wheel_rear_right",
    "vin_windscreen",
    "vin_door_jamb",
    "odometer",
    "dashboard",
    "front_seats",
    "rear_seats",
    "boot",
    "engine_bay",
    "keys",
]
INTERIOR_PARTS = {
    Part.DASHBOARD,
    Part.SEAT_FRONT,
    Part.SEAT_REAR,
    Part.STEERING_WHEEL,
    Part.INTERIOR_TRIM,
    Part.BOOT_INTERIOR,
    Part.ENGINE_BAY,
}
EXTERIOR_PARTS = [p for p in Part if p not in INTERIOR_PARTS]
SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def overlay_files() -> list[Path]:
    return sorted(asset_path("overlays").glob("*.svg"))


# --- the shipped templates ---------------------------------------------------------


def test_both_templates_are_available_and_load() -> None:
    assert {"standard", "quick"} <= set(available_checklists())
    for name in ("standard", "quick"):
        checklist = load_checklist(name)
        assert checklist.id == name
        assert checklist.title.get("fr") and checklist.title.get("en")
        assert len(checklist.damage_shots) == 2


def test_standard_covers_the_required_views() -> None:
    checklist = load_checklist("standard")
    ids = [s.id for s in checklist.shots]
    assert len(ids) >= 24
    assert len(ids) == len(set(ids))
    missing = [i for i in STANDARD_REQUIRED_IDS if i not in ids]
    assert not missing
    assert all(checklist.shot(i).required for i in STANDARD_REQUIRED_IDS)
    assert ids[0] == "front"  # guidance starts in front of the car


def test_quick_is_a_short_template() -> None:
    checklist = load_checklist("quick")
    assert 6 <= len(checklist.shots) <= 10
    assert {"vin_windscreen", "odometer"} <= {s.id for s in checklist.shots}


def test_exterior_views_use_their_own_silhouette() -> None:
    checklist = load_checklist("standard")
    for view in EXTERIOR_VIEWS:
        assert checklist.shot(view).overlay == view
        assert checklist.shot(view).category == "exterior"


@pytest.mark.parametrize("name", ["standard", "quick"])
def test_every_shot_has_an_overlay_and_both_languages(name: str) -> None:
    checklist = load_checklist(name)
    for shot in (*checklist.shots, *checklist.damage_shots):
        assert overlay_path(shot.overlay).is_file(), shot.id
        for text in (shot.title, shot.instruction):
            assert text.get("fr").strip() and text.get("en").strip(), shot.id
            assert text.get("fr") != text.get("en") or len(text.get("fr")) < 12, shot.id
        assert isinstance(shot.quality, QualityThresholds)


def test_french_is_written_with_accents() -> None:
    checklist = load_checklist("standard")
    french = " ".join(s.instruction.get("fr") + " " + s.title.get("fr") for s in checklist.shots)
    for word in ("à", "mètres", "Côté", "arrière", "Numéro", "Étiquette", "Sièges"):
        assert word in french
    assert "metres" not in french


def test_text_shots_demand_more_sharpness() -> None:
    checklist = load_checklist("standard")
    default = QualityThresholds()
    for shot_id in ("vin_windscreen", "vin_door_jamb", "odometer"):
        quality = checklist.shot(shot_id).quality
        assert quality.min_sharpness > default.min_sharpness
        assert quality.warn_sharpness > default.warn_sharpness
    assert checklist.shot("front").quality == default


def test_lookup_index_and_categories() -> None:
    checklist = load_checklist("standard")
    assert checklist.index("front") == 0
    assert checklist.shots[checklist.index("odometer")].id == "odometer"
    with pytest.raises(KeyError, match="nope"):
        checklist.shot("nope")
    with pytest.raises(KeyError):
        checklist.index("nope")
    categories = checklist.categories()
    assert categories[0] == "exterior"
    assert categories[-1] == "damage"
    assert {"wheels", "identity", "interior", "engine"} <= set(categories)
    assert len(categories) == len(set(categories))
    assert category_title("wheels") == Message("Wheels")
    assert category_title("custom_thing").get("en") == "Custom thing"


def test_load_is_cached_and_accepts_paths() -> None:
    assert load_checklist("standard") is load_checklist("standard")
    by_path = load_checklist(asset_path("checklists", "quick.json"))
    assert by_path == load_checklist("quick")
    assert load_checklist(str(asset_path("checklists", "quick.json"))) == by_path


def test_to_dict_is_json_and_round_trips() -> None:
    checklist = load_checklist("standard")
    data = json.loads(json.dumps(checklist.to_dict(), ensure_ascii=False))
    assert data["format"] == 1
    assert data["shots"][0]["id"] == "front"
    assert data["shots"][0]["quality"]["min_width"] == 1280
    assert [d["id_suffix"] for d in data["damage_shots"]] == ["wide", "closeup"]
    assert parse_checklist(data, "round trip") == checklist
    shot = checklist.shot("odometer").to_dict()
    assert shot["damage"] is False and shot["title"]["fr"] == "Compteur kilométrique"


def test_shots_name_the_part_a_damage_on_them_is_likely_on() -> None:
    checklist = load_checklist("standard")
    assert checklist.shot("rear").part is Part.REAR_BUMPER
    assert checklist.shot("three_quarter_front_left").part is Part.WING_FRONT_LEFT
    for shot in checklist.shots:
        if shot.id in {p.value for p in Part}:
            assert shot.part is Part(shot.id), shot.id
    assert checklist.shot("keys").part is None  # no part: no guess
    assert damage_pair(checklist, 1)[0].part is None
    assert checklist.shot("front").to_dict()["part"] == "front_bumper"
    with_part = minimal()
    with_part["shots"][0]["part"] = "bonnet"
    assert parse_checklist(with_part).shots[0].part is Part.BONNET


# --- damage shots ---------------------------------------------------------------


def test_damage_pair_numbers_ids_and_titles() -> None:
    checklist = load_checklist("standard")
    wide, closeup = damage_pair(checklist, 3)
    assert (wide.id, closeup.id) == ("damage_3_wide", "damage_3_closeup")
    assert wide.damage and closeup.damage
    assert wide.overlay == "damage_wide" and closeup.overlay == "damage_closeup"
    for shot in (wide, closeup):
        assert "3" in shot.title.get("fr") and "3" in shot.title.get("en")
        assert "{n}" not in shot.title.get("fr") + shot.title.get("en") + shot.instruction.get("fr")
    assert closeup.quality.min_sharpness > wide.quality.min_sharpness
    assert damage_pair(checklist, 1)[0].id == "damage_1_wide"


def test_damage_shots_are_found_by_id() -> None:
    checklist = load_checklist("standard")
    assert checklist.shot("damage_2_closeup") == damage_pair(checklist, 2)[1]
    n = len(checklist.shots)
    assert checklist.index("damage_1_wide") == n
    assert checklist.index("damage_1_closeup") == n + 1
    assert checklist.index("damage_2_wide") == n + 2
    assert parse_damage_shot_id("damage_12_closeup") == (12, "closeup")
    assert parse_damage_shot_id("damage_0_wide") is None
    assert parse_damage_shot_id("front") is None
    with pytest.raises(KeyError):
        checklist.shot("damage_1_macro")


@pytest.mark.parametrize("n", [0, -1, True])
def test_damage_pair_rejects_bad_numbers(n: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        damage_pair(load_checklist("quick"), n)


def test_damage_pair_needs_damage_shots() -> None:
    shot = load_checklist("quick").shots[0]
    checklist = Checklist(
        "x", LocalText.of({"fr": "x", "en": "x"}), LocalText.of({"fr": "x", "en": "x"}), (shot,)
    )
    with pytest.raises(ChecklistError, match="no damage shots"):
        damage_pair(checklist, 1)


# --- broken templates -------------------------------------------------------------


def minimal() -> dict[str, Any]:
    return {
        "format": 1,
        "id": "custom",
        "title": {"fr": "Essai", "en": "Trial"},
        "description": {"fr": "Un essai", "en": "A trial"},
        "damage_shots": copy.deepcopy(load_checklist("quick").to_dict()["damage_shots"]),
        "shots": [
            {
                "id": "front",
                "category": "exterior",
                "title": {"fr": "Avant", "en": "Front"},
                "instruction": {"fr": "Cadrez l'avant.", "en": "Frame the front."},
                "overlay": "front",
            },
            {
                "id": "rear",
                "category": "exterior",
                "title": {"fr": "Arrière", "en": "Rear"},
                "instruction": {"fr": "Cadrez l'arrière.", "en": "Frame the back."},
                "overlay": "rear",
                "required": False,
                "quality": {"min_sharpness": 90, "warn_sharpness": 150},
            },
        ],
    }


def write(tmp_path: Path, data: Any, name: str = "custom") -> Path:
    path = tmp_path / f"{name}.json"
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_custom_template_loads(tmp_path: Path) -> None:
    checklist = load_checklist(write(tmp_path, minimal()))
    assert [s.id for s in checklist.shots] == ["front", "rear"]
    assert checklist.shots[0].required and not checklist.shots[1].required
    assert checklist.shots[0].quality == QualityThresholds()
    assert checklist.shots[1].quality.min_sharpness == 90.0
    assert checklist.shots[1].quality.min_width == 1280
    assert isinstance(checklist.shots[1], Shot)


def test_an_edited_file_is_reloaded(tmp_path: Path) -> None:
    path = write(tmp_path, minimal())
    assert load_checklist(path).title.get("en") == "Trial"
    data = minimal()
    data["title"]["en"] = "Second trial"
    write(tmp_path, data)
    assert load_checklist(path).title.get("en") == "Second trial"


def broken(mutate: Any) -> dict[str, Any]:
    data = minimal()
    mutate(data)
    return data


CASES: list[tuple[str, Any, str]] = [
    (
        "unknown overlay",
        lambda d: d["shots"][1].update(overlay="rear_spoiler"),
        r"shot 'rear'.*unknown overlay 'rear_spoiler'",
    ),
    (
        "duplicate id",
        lambda d: d["shots"][1].update(id="front"),
        r"duplicate shot id 'front'",
    ),
    (
        "missing translation",
        lambda d: d["shots"][1]["instruction"].pop("en"),
        r"shot 'rear'.*missing translation.*'instruction'.*'en'",
    ),
    (
        "empty translation",
        lambda d: d["shots"][0]["title"].update(fr="  "),
        r"shot 'front'.*missing translation.*'title'.*'fr'",
    ),
    (
        "unknown threshold",
        lambda d: d["shots"][1]["quality"].update(min_sharpnes=3),
        r"shot 'rear'.*bad threshold.*'min_sharpnes'",
    ),
    (
        "inconsistent thresholds",
        lambda d: d["shots"][1]["quality"].update(min_sharpness=500),
        r"shot 'rear'.*bad threshold.*min_sharpness <= warn_sharpness",
    ),
    (
        "threshold not a number",
        lambda d: d["shots"][1]["quality"].update(max_glare="low"),
        r"shot 'rear'.*bad threshold.*'max_glare' must be a number",
    ),
    (
        "fractional pixels",
        lambda d: d["shots"][1]["quality"].update(min_width=1280.5),
        r"shot 'rear'.*bad threshold.*'min_width' must be a whole number",
    ),
    (
        "unknown part",
        lambda d: d["shots"][1].update(part="spoiler"),
        r"shot 'rear'.*unknown part 'spoiler'",
    ),
    (
        "part on a damage shot",
        lambda d: d["damage_shots"][0].update(part="bonnet"),
        r"damage shot 'wide'.*unknown field 'part'",
    ),
    (
        "missing field",
        lambda d: d["shots"][1].pop("overlay"),
        r"shot 'rear'.*missing field 'overlay'",
    ),
    (
        "missing id",
        lambda d: d["shots"][1].pop("id"),
        r"shot #2.*missing field 'id'",
    ),
    (
        "missing top field",
        lambda d: d.pop("description"),
        r"missing field 'description'",
    ),
    (
        "unknown field",
        lambda d: d["shots"][0].update(requried=True),
        r"shot 'front'.*unknown field 'requried'",
    ),
    (
        "format version",
        lambda d: d.update(format=2),
        r"unsupported format version 2",
    ),
    (
        "required not a bool",
        lambda d: d["shots"][0].update(required="yes"),
        r"shot 'front'.*'required' must be true or false",
    ),
    (
        "reserved id",
        lambda d: d["shots"][0].update(id="damage_front"),
        r"kept for damage shots",
    ),
    (
        "bad id",
        lambda d: d["shots"][0].update(id="Front View"),
        r"shot id 'Front View'",
    ),
    (
        "empty shots",
        lambda d: d.update(shots=[]),
        r"'shots' must be a non-empty list",
    ),
    (
        "damage title without number",
        lambda d: d["damage_shots"][0]["title"].update(en="Damage"),
        r"damage shot 'wide'.*must contain \{n\}",
    ),
    (
        "single damage shot",
        lambda d: d["damage_shots"].pop(),
        r"'damage_shots' must list two shots",
    ),
    (
        "damage unknown overlay",
        lambda d: d["damage_shots"][1].update(overlay="nope"),
        r"damage shot 'closeup'.*unknown overlay 'nope'",
    ),
    (
        "several missing fields",
        lambda d: (d["shots"][1].pop("overlay"), d["shots"][1].pop("title")),
        r"shot 'rear': missing fields 'title', 'overlay'$",
    ),
    (
        "several unknown fields",
        lambda d: d["shots"][0].update(zz=1, aa=2),
        r"shot 'front': unknown fields 'aa', 'zz' \(allowed: id, category, title,",
    ),
    (
        "unknown language",
        lambda d: d["shots"][0]["title"].update(de="Vorne"),
        r"shot 'front': 'title' has unsupported language\(s\) \['de'\]",
    ),
    (
        "text not an object",
        lambda d: d["shots"][0].update(title="Front"),
        r"shot 'front': 'title' must be an object with 'fr' and 'en' texts",
    ),
    (
        "quality not an object",
        lambda d: d["shots"][0].update(quality=3),
        r"shot 'front': bad threshold: 'quality' must be an object",
    ),
    (
        "threshold not finite",
        lambda d: d["shots"][1]["quality"].update(max_glare=float("nan")),
        r"shot 'rear': bad threshold: 'max_glare' must be a number, not nan",
    ),
    (
        "shot not an object",
        lambda d: d["shots"].__setitem__(0, 5),
        r"shot #1: a shot must be a JSON object",
    ),
    (
        "unknown top field",
        lambda d: d.update(foo=1),
        r"unknown field 'foo' \(allowed: format, id, title, description, shots, damage_shots\)",
    ),
    (
        "the first problem in reading order",
        lambda d: (d["shots"][1].update(part="zz"), d["shots"][0].update(overlay="nope")),
        r"shot 'front': unknown overlay 'nope'",
    ),
    (
        "the file's fields before its shots",
        lambda d: (d["shots"][0].update(overlay="nope"), d["description"].pop("fr")),
        r"json: missing translation: 'description' has no 'fr' text",
    ),
]


@pytest.mark.parametrize(("mutate", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_templates_say_what_is_wrong(tmp_path: Path, mutate: Any, pattern: str) -> None:
    path = write(tmp_path, broken(mutate))
    with pytest.raises(ChecklistError, match=pattern) as info:
        load_checklist(path)
    assert str(path) in str(info.value)  # the message names the file


def test_invalid_json_gives_the_line(tmp_path: Path) -> None:
    text = json.dumps(minimal(), indent=2).replace('"rear",', '"rear"', 1)
    path = write(tmp_path, text)
    expected_line = text.splitlines().index('      "id": "rear"') + 2
    with pytest.raises(ChecklistError, match=rf"invalid JSON at line {expected_line}\b"):
        load_checklist(path)


def test_duplicate_json_keys_are_rejected(tmp_path: Path) -> None:
    text = json.dumps(minimal(), indent=2).replace('"id": "custom",', '"id": "x", "id": "custom",')
    with pytest.raises(ChecklistError, match="duplicate key 'id'"):
        load_checklist(write(tmp_path, text))


def test_file_name_must_match_the_id(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match="does not match the file name 'other'"):
        load_checklist(write(tmp_path, minimal(), name="other"))


def test_unknown_template_lists_the_available_ones() -> None:
    with pytest.raises(ChecklistError, match="unknown checklist 'deluxe'") as info:
        load_checklist("deluxe")
    assert "quick" in str(info.value) and "standard" in str(info.value)


def test_missing_file_is_a_checklist_error(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match="cannot read"):
        load_checklist(tmp_path / "absent.json")


def test_not_an_object() -> None:
    with pytest.raises(ChecklistError, match="must be a JSON object"):
        parse_checklist([1, 2], "inline")


# --- overlays ---------------------------------------------------------------------


def test_overlays_are_listed_and_resolved() -> None:
    names = available_overlays()
    assert set(EXTERIOR_VIEWS) <= set(names)
    assert {"wheel", "vin_plate", "odometer", "damage_wide", "damage_closeup"} <= set(names)
    with pytest.raises(ChecklistError, match="unknown overlay"):
        overlay_path("../checklists/standard")


@pytest.mark.parametrize("path", overlay_files(), ids=lambda p: p.stem)
def test_overlay_svgs_are_clean(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox")
    drawn = 0
    for element in root.iter():
        tag = element.tag.removeprefix(SVG)
        assert tag not in {"script", "foreignObject", "image", "style"}, tag
        assert not any(a.startswith("on") for a in element.attrib), element.attrib
        for attribute in ("href", XLINK_HREF):
            href = element.get(attribute)
            assert href is None or href.startswith("#"), href
        drawn += tag in {"path", "circle", "ellipse", "rect", "line", "polyline", "polygon"}
    assert drawn >= 3
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"url\((?!#)", text)
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_framing_overlays_are_landscape_frames() -> None:
    for path in overlay_files():
        if path.stem == "vehicle_diagram":
            continue
        assert ET.parse(path).getroot().get("viewBox") == "0 0 1600 900", path.stem


def test_vehicle_diagram_has_a_region_per_exterior_part() -> None:
    root = ET.parse(asset_path("overlays", "vehicle_diagram.svg")).getroot()
    ids = {e.get("id") for e in root.iter()}
    missing = [p.value for p in EXTERIOR_PARTS if p.value not in ids]
    assert not missing
    assert len(EXTERIOR_PARTS) >= 30


def test_the_template_format_is_declared_once() -> None:
    """The pydantic models are the format: their defaults are the quality defaults."""
    assert QualityTemplate().thresholds() == QualityThresholds()
    assert set(QualityTemplate.model_fields) == {f.name for f in fields(QualityThresholds)}
    schema = ChecklistTemplate.model_json_schema()
    assert schema["required"] == ["format", "id", "title", "description", "shots"]
    assert schema["additionalProperties"] is False
