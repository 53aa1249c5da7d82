"""The listing and the plate rule, pure; the template's ``listing`` flag."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from inspector.assets import asset_path
from inspector.domain.checklist import ChecklistError, load_checklist, parse_checklist
from inspector.domain.models import Capture, CaptureSource, QualityReport, Verdict
from inspector.domain.privacy import listing_file_name, listing_photos, looks_like_plate


def _capture(shot: str, n: int, accepted: bool | None = True) -> Capture:
    return Capture(
        id=f"c{n}",
        inspection_id="i",
        shot_id=shot,
        sha256=f"{n:064x}",
        mime="image/jpeg",
        size=1,
        width=10,
        height=10,
        source=CaptureSource.STILL,
        quality=QualityReport(Verdict.OK),
        accepted=accepted,
    )


def test_plate_like_text() -> None:
    for text in ("AB-123-CD", "ab 123 cd", "AB123CD", "B-MW 1234", "1ABC234", "AB-1233-C0]"):
        assert looks_like_plate(text), text
    for text in ("PEUGEOT", "84 500", "km/h", "A1", "ABCDEFGHJKLMN1", "VF3LBYHZ1KS123456"):
        assert not looks_like_plate(text), text


def test_the_listing_follows_the_checklist_and_leaves_identity_out() -> None:
    checklist = load_checklist("standard")
    listed = {s.id for s in checklist.shots if s.listing}
    assert {"vin_windscreen", "vin_door_jamb", "keys", "service_book"}.isdisjoint(listed)
    assert {"front", "rear", "side_left", "dashboard", "front_seats", "boot"} <= listed
    captures = [
        _capture("keys", 1),
        _capture("rear", 2),
        _capture("front", 3),
        _capture("front", 4, accepted=False),  # a retake rejected: the earlier one stands
        _capture("side_left", 5, accepted=False),  # rejected, no other: left out
        _capture("vin_windscreen", 6),
        _capture("dashboard", 7, accepted=None),  # not decided, quality fine: kept
    ]
    photos = listing_photos(checklist, captures)
    assert [(p.file_name, p.capture.id) for p in photos] == [
        ("01-front.jpg", "c3"),
        ("02-rear.jpg", "c2"),
        ("03-dashboard.jpg", "c7"),
    ]
    every = listing_photos(checklist, captures, include_withheld=True)
    assert [p.shot.id for p in every] == ["front", "rear", "vin_windscreen", "dashboard", "keys"]
    assert listing_file_name(12, "three_quarter_front_left") == "12-three-quarter-front-left.jpg"


def test_the_template_says_which_shots_are_published() -> None:
    data = json.loads(asset_path("checklists", "quick.json").read_text())
    data["shots"][0]["listing"] = "yes"
    with pytest.raises(ChecklistError, match="'listing' must be true or false"):
        parse_checklist(data, "quick.json")
    del data["shots"][0]["listing"]
    checklist = parse_checklist(data, "quick.json")
    assert not checklist.shots[0].listing  # left out unless the template says so
    assert checklist.shots[1].listing
    again = parse_checklist(checklist.to_dict(), "again")  # written back as it was read
    assert [s.listing for s in again.shots] == [s.listing for s in checklist.shots]
    assert replace(checklist.shots[1], listing=False) != checklist.shots[1]
