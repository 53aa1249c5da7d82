"""What the demo phone's camera sees for each shot: one picture per view, cached.

A view is named by the shot's overlay (``front``, ``wheel``, ``odometer``…);
the shot id picks the variant (which wheel, front or rear seats, spare wheel,
which damage). The car's identity (:class:`DemoVehicle`: plate, VIN,
mileage, colour) is written into the views that show it. Rendering takes a
fraction of a second: callers keep what they render (the camera its video
views, the phone its stills as JPEG).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from inspector.domain.models import Vehicle
from inspector.live.contrib import cabin, closeups
from inspector.live.contrib.canvas import BGR, Canvas, Pixels
from inspector.live.contrib.car import EXTERIOR_VIEWS, draw_car, draw_outdoors

__all__ = ["VIEWS", "DemoVehicle", "View", "render_view", "view_for_shot"]

VIEWS = (
    *EXTERIOR_VIEWS,
    "wheel",
    "windscreen",
    "vin_plate",
    "door_jamb_label",
    "odometer",
    "dashboard",
    "steering_wheel",
    "seats",
    "boot",
    "engine_bay",
    "keys",
    "document",
    "damage_closeup",
    "damage_wide",
)
"""Overlays the demo phone knows how to show; any other shows the front."""

_PAINTS: dict[str, BGR] = {
    "gris": (128, 124, 120),
    "grey": (128, 124, 120),
    "gray": (128, 124, 120),
    "noir": (50, 48, 46),
    "black": (50, 48, 46),
    "blanc": (205, 207, 208),
    "white": (205, 207, 208),
    "rouge": (40, 40, 170),
    "red": (40, 40, 170),
    "bleu": (150, 100, 50),
    "blue": (150, 100, 50),
    "vert": (70, 120, 60),
    "green": (70, 120, 60),
}
_DEFAULT_PAINT: BGR = (150, 110, 60)


@dataclass(frozen=True)
class DemoVehicle:
    """The identity the demo car carries; by default the demo inspection's Peugeot."""

    make: str = "Peugeot"
    model: str = "308"
    plate: str = "AB-123-CD"
    vin: str = "VF3LBYHZ1KS123456"
    mileage: int = 84500
    colour: str = ""

    @classmethod
    def of(cls, vehicle: Vehicle) -> DemoVehicle:
        """The demo car dressed as an inspection's vehicle (its plate, VIN, mileage, colour)."""
        return cls(
            make=vehicle.make,
            model=vehicle.model,
            plate=vehicle.plate,
            vin=vehicle.vin,
            mileage=vehicle.mileage_km or 0,
            colour=vehicle.colour,
        )

    @property
    def paint(self) -> BGR:
        return _PAINTS.get(self.colour.strip().lower(), _DEFAULT_PAINT)


@dataclass(frozen=True)
class View:
    """One picture the phone can show: an overlay name and the shot's variant."""

    overlay: str
    variant: str = ""


def view_for_shot(shot_id: str | None, overlay: str | None) -> View:
    """The view a shot asks for (the front when the overlay is unknown or missing)."""
    name = overlay if overlay in VIEWS else "front"
    return View(name, shot_id or "")


def render_view(view: View, width: int, height: int, vehicle: DemoVehicle | None = None) -> Pixels:
    """The sharp BGR picture of ``view`` at ``width`` x ``height`` (read-only)."""
    vehicle = vehicle or DemoVehicle()
    seed = zlib.crc32(f"{view.overlay}/{view.variant}".encode())
    c = Canvas(width, height, seed)
    paint = vehicle.paint
    name, variant = view.overlay, view.variant
    if name in EXTERIOR_VIEWS:
        draw_outdoors(c)
        draw_car(c, name, paint, vehicle.plate)
    elif name == "wheel":
        closeups.draw_wheel(c, paint, turn=(seed % 628) / 100, spare=variant == "spare_wheel")
    elif name == "windscreen":
        closeups.draw_windscreen(c, paint)
    elif name == "vin_plate":
        closeups.draw_vin_plate(c, vehicle.vin)
    elif name == "door_jamb_label":
        closeups.draw_door_jamb(c, paint, vehicle.vin, vehicle.make)
    elif name == "odometer":
        cabin.draw_odometer(c, vehicle.mileage)
    elif name == "dashboard":
        cabin.draw_dashboard(c)
    elif name == "steering_wheel":
        cabin.draw_steering_wheel(c)
    elif name == "seats":
        cabin.draw_seats(c, rear="rear" in variant)
    elif name == "boot":
        cabin.draw_boot(c, paint)
    elif name == "engine_bay":
        cabin.draw_engine_bay(c, paint)
    elif name == "keys":
        cabin.draw_keys(c)
    elif name == "document":
        cabin.draw_document(c, vehicle.mileage, vehicle.plate)
    elif name in ("damage_closeup", "damage_wide"):
        closeups.draw_damage(c, paint, close=name == "damage_closeup", seed=seed)
    picture: Pixels = np.ascontiguousarray(c.img)
    picture.flags.writeable = False
    return picture
