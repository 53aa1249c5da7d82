"""What a publishable photo set is: blur boxes and the listing, as rules (pure).

A :class:`BlurBox` is a rectangle of one photo to blur when the photo is published
(a number plate, a face, anything else the inspector boxes). It is data beside the
photo: the original is never altered. ``origin`` says who proposed it: the detectors
("detected", see :mod:`inspector.privacy`) or the inspector.

The listing is the accepted photo of each shot its checklist template marks
``"listing": true`` (the exterior, wheels, interior, boot and engine shots of the
shipped templates; never the VIN, the keys or the documents unless asked), in
checklist order, each named after its number and its shot (``01-front.jpg``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from inspector.domain.checklist import Checklist, Shot
from inspector.domain.models import Capture, Region, utcnow
from inspector.domain.progress import best_captures
from inspector.i18n import Message

__all__ = [
    "BLUR_KINDS",
    "BLUR_KIND_NAMES",
    "BlurBox",
    "BlurKind",
    "BlurOrigin",
    "ListingPhoto",
    "listing_file_name",
    "listing_photos",
    "listing_shots",
    "looks_like_plate",
]

BlurKind = Literal["plate", "face", "other"]
BlurOrigin = Literal["detected", "inspector"]
BLUR_KINDS: tuple[BlurKind, ...] = ("plate", "face", "other")

BLUR_KIND_NAMES: dict[str, Message] = {
    "plate": Message("Number plate"),
    "face": Message("Face"),
    "other": Message("Other"),
}

MIN_SIDE = 0.002
"""A box narrower or lower than this (a fraction of the photo) is a click, not a box."""


@dataclass(frozen=True)
class BlurBox:
    """A rectangle of one photo to blur when it is published (0-1 coordinates)."""

    id: str
    inspection_id: str
    capture_id: str
    region: Region
    kind: BlurKind = "other"
    origin: BlurOrigin = "inspector"
    score: float | None = None
    """The detector's confidence (0-1) for a detected box; None for the inspector's."""
    created_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if self.kind not in BLUR_KINDS:
            raise ValueError(f"unknown blur box kind {self.kind!r}")
        if self.origin not in ("detected", "inspector"):
            raise ValueError(f"unknown blur box origin {self.origin!r}")
        if self.region.w < MIN_SIDE or self.region.h < MIN_SIDE:
            raise ValueError("a blur box needs a width and a height")


def clamp_region(x: float, y: float, w: float, h: float) -> Region:
    """A box moved or drawn partly off the photo, brought back inside it (size kept)."""
    w, h = min(max(w, MIN_SIDE), 1.0), min(max(h, MIN_SIDE), 1.0)
    return Region(min(max(x, 0.0), 1.0 - w), min(max(y, 0.0), 1.0 - h), w, h)


# -- the plate's words ----------------------------------------------------------------

_PLATE_TEXT = re.compile(r"^[A-Z0-9]{4,10}$")


def looks_like_plate(text: str) -> bool:
    """Whether text the OCR read could be a number plate: 4 to 10 letters and digits
    (separators aside), at least two digits and one letter. Plates of most European
    formats pass; a word or a lone number does not."""
    squeezed = re.sub(r"[\s.\-_·|\[\]]+", "", text.upper())
    if not _PLATE_TEXT.match(squeezed):
        return False
    return sum(c.isdigit() for c in squeezed) >= 2 and any(c.isalpha() for c in squeezed)


# -- the listing ----------------------------------------------------------------------


@dataclass(frozen=True)
class ListingPhoto:
    """One photo of the publishable set: its place, its shot, its capture, its file."""

    number: int
    shot: Shot
    capture: Capture

    @property
    def file_name(self) -> str:
        return listing_file_name(self.number, self.shot.id)


def listing_file_name(number: int, shot_id: str) -> str:
    """``01-front.jpg``: the place in the set, then the shot (``_`` as ``-``)."""
    return f"{number:02d}-{shot_id.replace('_', '-')}.jpg"


def listing_shots(checklist: Checklist, *, include_withheld: bool = False) -> list[Shot]:
    """The shots of the listing, in checklist order (every fixed shot when
    ``include_withheld``: the VIN, keys and documents too)."""
    return [s for s in checklist.shots if s.listing or include_withheld]


def listing_photos(
    checklist: Checklist, captures: list[Capture], *, include_withheld: bool = False
) -> list[ListingPhoto]:
    """The publishable set: for each listing shot with a usable photo, the photo that
    stands for it in the report (the newest accepted, or not rejected), numbered from 1.
    A shot without one is left out (the numbers stay consecutive)."""
    best = best_captures(captures)
    shots = listing_shots(checklist, include_withheld=include_withheld)
    found = [(s, best[s.id]) for s in shots if s.id in best]
    return [ListingPhoto(n, shot, capture) for n, (shot, capture) in enumerate(found, start=1)]
