"""The seller's confirmation: the summary they are shown, and what their signature records.

The summary is plain text in the seller's language, made the same way every time from
the inspection (vehicle, number of photos kept, every damage with its part, type and
severity): its SHA-256 binds the signature to what was on the screen. A signature is
**superseded** when the summary made now differs from the one signed (a damage or the
vehicle changed after signing): decided at read time, so no write path can forget it.

What kind of signature this is: a simple electronic signature (a finger drawing with
the exact text it approves, its times and device); not a qualified one.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inspector.domain.models import Capture, Damage, Inspection, utcnow
from inspector.domain.progress import best_captures
from inspector.domain.vocabulary import damage_type_name, part_name, severity_name
from inspector.i18n import Message, Plural, colon, format_km

__all__ = [
    "MAX_NAME",
    "MAX_REMARK",
    "SellerRemark",
    "SellerSignature",
    "Summary",
    "make_summary",
    "summary_sha256",
]

MAX_NAME = 120
MAX_REMARK = 1000
MAX_STROKE_POINTS = 4000

_TITLE = Message("Summary of the inspection")
_VEHICLE = Message("Vehicle")
_PLATE = Message("Plate")
_VIN = Message("VIN")
_MILEAGE = Message("Mileage")
_PHOTOS = Plural("{n} photo", "{n} photos")
_DAMAGES = Plural("{n} damage recorded", "{n} damages recorded")
_NO_DAMAGE = Message("No damage recorded")
_TO_CONFIRM = Message("to be confirmed")
_CONFIRM = Message("I confirm that this summary describes my vehicle's condition.")


@dataclass(frozen=True)
class SummaryDamage:
    """One damage line of the summary, with the photo the phone shows beside it."""

    ref: str
    text: str
    photo_sha256: str | None


@dataclass(frozen=True)
class Summary:
    """What the seller is asked to confirm: ``text`` exactly, and its SHA-256."""

    text: str
    sha256: str
    language: str
    damages: tuple[SummaryDamage, ...]


def summary_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_summary(
    inspection: Inspection, captures: Sequence[Capture], damages: Sequence[Damage], lang: str
) -> Summary:
    """The summary of an inspection in ``lang``; the same input always gives the same text."""
    v = inspection.vehicle
    sep = colon(lang)
    lines = [_TITLE.get(lang), ""]
    title = v.title() or "—"
    lines.append(f"{_VEHICLE.get(lang)}{sep}{title}")
    if v.plate:
        lines.append(f"{_PLATE.get(lang)}{sep}{v.plate}")
    if v.vin:
        lines.append(f"{_VIN.get(lang)}{sep}{v.vin}")
    if v.mileage_km is not None:
        lines.append(f"{_MILEAGE.get(lang)}{sep}{format_km(v.mileage_km, lang)}")
    kept = len(best_captures(captures))
    lines.append(_PHOTOS.get(lang, kept))
    lines.append("")
    by_id = {c.id: c for c in captures}
    items: list[SummaryDamage] = []
    if damages:
        lines.append(_DAMAGES.get(lang, len(damages)))
    else:
        lines.append(_NO_DAMAGE.get(lang))
    for n, d in enumerate(damages, start=1):
        ref = f"D{n}"
        what = (
            f"{part_name(d.part, lang)}{sep}{damage_type_name(d.type, lang)}, "
            f"{severity_name(d.severity, lang)}"
        )
        if d.to_complete:
            what += f" ({_TO_CONFIRM.get(lang)})"
        if d.note:
            what += f" — {d.note}"
        lines.append(f"{ref} — {what}")
        photo = by_id.get(d.capture_id) if d.capture_id else None
        items.append(SummaryDamage(ref, what, photo.sha256 if photo else None))
    lines += ["", _CONFIRM.get(lang)]
    text = "\n".join(lines)
    return Summary(text, summary_sha256(text), lang, tuple(items))


@dataclass
class SellerSignature:
    """A signature as stored: the image, the exact text approved, times, device, strokes."""

    inspection_id: str
    summary_text: str
    summary_sha256: str
    png_sha256: str
    name: str
    language: str
    user_agent: str = ""
    phone_time: datetime | None = None
    strokes: list[Any] = field(default_factory=list)
    signed_at: datetime = field(default_factory=utcnow)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def superseded(self, current: Summary) -> bool:
        """The inspection no longer reads as what was signed."""
        return current.sha256 != self.summary_sha256


@dataclass
class SellerRemark:
    """ "This is not right": the seller's words about a summary, for the operator."""

    inspection_id: str
    text: str
    summary_sha256: str
    at: datetime = field(default_factory=utcnow)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
