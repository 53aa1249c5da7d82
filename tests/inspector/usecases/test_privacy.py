"""The listing: the right shots in order, blurred where boxed, stripped, from any photo store."""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from inspector.domain.models import CaptureSource, Inspection, QualityReport, Region, Verdict
from inspector.domain.privacy import BlurBox
from inspector.live.contrib.views import View, render_view
from inspector.privacy.render import decode
from inspector.storage import NotFound
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from inspector.usecases.privacy import ListingError, export_listing, propose_boxes
from tests.inspector.privacy.test_render import BLURRED
from tests.privacy_images import PrivacyScene, car_scene, detail, jpeg_with_gps

W, H = 960, 540

#: Photographed, out of order; the listing follows the checklist (standard).
SHOTS = {
    "rear": "rear",
    "vin_windscreen": "vin_plate",
    "front": "front",
    "keys": "keys",
    "three_quarter_front_left": "three_quarter_front_left",
    "front_seats": "seats",
    "side_left": "side_left",
}
LISTING = ["front", "three_quarter_front_left", "side_left", "rear", "front_seats"]


@dataclasses.dataclass
class Listed:
    inspection_id: str
    captures: dict[str, str]  # shot id -> capture id
    scenes: dict[str, PrivacyScene]


def make_listing_inspection(store: Store) -> Listed:
    """A standard inspection with seven photos (GPS in their EXIF), a plate on the car
    views, a face on the front one; the side view rejected once, then retaken."""
    inspection = store.create_inspection(Inspection(id=new_id(), checklist="standard"))
    listed = Listed(inspection.id, {}, {})
    for shot, overlay in SHOTS.items():
        exterior = overlay in ("front", "rear", "side_left", "three_quarter_front_left")
        face = (0.05, 0.05, 0.25) if shot == "front" else None
        if exterior:
            scene = car_scene(overlay, W, H, face=face)
        else:
            scene = PrivacyScene(render_view(View(overlay), W, H).copy(), overlay)
        if shot == "side_left":  # a first photo the operator rejected
            store.set_capture_accepted(_add(store, inspection.id, shot, scene), False)
        listed.captures[shot] = _add(store, inspection.id, shot, scene)
        listed.scenes[shot] = scene
    return listed


def _add(store: Store, inspection_id: str, shot: str, scene: PrivacyScene) -> str:
    return store.add_capture(
        inspection_id,
        shot,
        jpeg_with_gps(scene.image),
        width=W,
        height=H,
        source=CaptureSource.STILL,
        quality=QualityReport(Verdict.OK),
    ).id


@pytest.mark.timeout(240)
def test_the_listing_is_blurred_stripped_and_in_checklist_order(
    data_dir: Path, tmp_path: Path, photo_store: str | None
) -> None:
    with Store(data_dir, photo_store=photo_store) as store:
        listed = make_listing_inspection(store)
        originals = {
            shot: store.read_photo(store.get_capture(c).sha256)
            for shot, c in listed.captures.items()
        }
        # The face cascade misses what it misses: the inspector boxes it by hand.
        seats = listed.captures["front_seats"]
        by_hand = Region(0.3, 0.3, 0.2, 0.2)
        store.add_blur_box(
            BlurBox(new_id(), listed.inspection_id, seats, by_hand, "face", "inspector")
        )

        result = export_listing(store, listed.inspection_id, tmp_path / "listing", long_side=640)

        names = [p.name for p in result.files]
        assert names == [
            "01-front.jpg",
            "02-three-quarter-front-left.jpg",
            "03-side-left.jpg",
            "04-rear.jpg",
            "05-front-seats.jpg",
        ]
        assert sorted(os.listdir(tmp_path / "listing")) == names  # nothing else
        # Scanned first (every listing photo but the rejected one), once.
        assert result.scanned == len(LISTING)
        assert propose_boxes(store, listed.inspection_id) == 0
        boxes = store.blur_boxes(listed.inspection_id)
        assert {(b.capture_id, b.kind) for b in boxes if b.origin == "detected"} == {
            (listed.captures["front"], "plate"),
            (listed.captures["front"], "face"),
            (listed.captures["three_quarter_front_left"], "plate"),
            (listed.captures["rear"], "plate"),
        }
        assert result.blurred == len(boxes) == 5

        for path in result.files:
            data = path.read_bytes()
            image = Image.open(io.BytesIO(data))
            assert max(image.size) == 640
            assert not image.getexif()
            assert b"Exif" not in data and b"PhoneMaker" not in data
        front = decode((tmp_path / "listing" / "01-front.jpg").read_bytes())
        scene = listed.scenes["front"]
        for region in scene.plates + scene.faces:
            assert detail(front, region) < BLURRED
        seats_out = decode((tmp_path / "listing" / "05-front-seats.jpg").read_bytes())
        assert detail(seats_out, by_hand) < BLURRED
        # The originals are untouched.
        for shot, capture_id in listed.captures.items():
            assert store.read_photo(store.get_capture(capture_id).sha256) == originals[shot]


@pytest.mark.timeout(240)
def test_withheld_shots_on_request_and_clear_refusals(data_dir: Path, tmp_path: Path) -> None:
    with Store(data_dir) as store:
        listed = make_listing_inspection(store)
        result = export_listing(
            store, listed.inspection_id, tmp_path / "all", long_side=320, include_withheld=True
        )
        assert [p.name for p in result.files] == [
            "01-front.jpg",
            "02-three-quarter-front-left.jpg",
            "03-side-left.jpg",
            "04-rear.jpg",
            "05-vin-windscreen.jpg",
            "06-front-seats.jpg",
            "07-keys.jpg",
        ]

        with pytest.raises(NotFound, match="no inspection"):
            export_listing(store, "nosuchid", tmp_path / "x")
        with pytest.raises(ListingError, match="not empty"):
            export_listing(store, listed.inspection_id, tmp_path / "all")
        (tmp_path / "file").write_text("")
        with pytest.raises(ListingError, match="is a file"):
            export_listing(store, listed.inspection_id, tmp_path / "file")
        with pytest.raises(ListingError, match="does not exist"):
            export_listing(store, listed.inspection_id, tmp_path / "no" / "such")
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            if not os.access(locked, os.W_OK):  # root may write anywhere
                with pytest.raises(ListingError, match="cannot write"):
                    export_listing(store, listed.inspection_id, locked / "out")
        finally:
            locked.chmod(0o700)
        with pytest.raises(ListingError, match="size"):
            export_listing(store, listed.inspection_id, tmp_path / "y", long_side=8)

        empty = store.create_inspection(Inspection(id=new_id(), checklist="standard"))
        with pytest.raises(ListingError, match="no accepted photo"):
            export_listing(store, empty.id, tmp_path / "z")
        # Only a VIN photo: nothing to publish either.
        _add(store, empty.id, "vin_windscreen", listed.scenes["vin_windscreen"])
        with pytest.raises(ListingError, match="no accepted photo"):
            export_listing(store, empty.id, tmp_path / "z")
        assert not (tmp_path / "z").exists()
        # An empty folder is fine.
        (tmp_path / "empty").mkdir()
        export_listing(store, listed.inspection_id, tmp_path / "empty", long_side=320)
        assert len(os.listdir(tmp_path / "empty")) == len(LISTING)


@pytest.mark.timeout(240)
def test_a_removed_box_is_not_proposed_again(data_dir: Path) -> None:
    with Store(data_dir) as store:
        listed = make_listing_inspection(store)
        seen: list[tuple[str, int]] = []
        assert propose_boxes(
            store, listed.inspection_id, on_photo=lambda c, b: seen.append((c.shot_id, len(b)))
        ) == len(LISTING)
        assert dict(seen)["front"] == 2
        for box in store.blur_boxes(listed.inspection_id):
            store.delete_blur_box(box.id)
        assert propose_boxes(store, listed.inspection_id) == 0
        assert store.blur_boxes(listed.inspection_id) == []
