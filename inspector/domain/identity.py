"""The car's identity read from its photos: what a reading may be, and whether it matches.

Pure rules, no image work (that is :mod:`inspector.ocr`):

- a **VIN** has 17 characters without I, O or Q; OCR's usual confusions with those
  letters are mapped to the digits they must be (O, Q → 0; I → 1); the check digit is
  enforced only for North-American VINs (first character 1-5), a warning elsewhere;
- a **mileage** is digits (group separators dropped), at most 7 of them;
- a French **plate** matches AA-123-AA (SIV, since 2009); anything else plate-like is
  kept as read, marked "unknown format" (older FNI plates, foreign plates).

A reading **mismatches** what the operator typed when the VIN differs, the mileage
differs by more than 1 %, or the plate differs (separators ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from inspector.domain.validation import VIN_LENGTH, vin_check_digit

__all__ = [
    "GUIDES",
    "KINDS",
    "Kind",
    "Reading",
    "VinInfo",
    "decode_vin",
    "mismatch",
    "pick_mileage",
    "pick_plate",
    "pick_vin",
]

Kind = Literal["vin", "odometer", "plate"]
KINDS: tuple[Kind, ...] = ("vin", "odometer", "plate")

GUIDES: dict[str, tuple[float, float, float, float]] = {
    # vin_plate.svg: the 17-character frame (190..1410 x 315..585) and its corner marks.
    "vin_plate": (120 / 1600, 245 / 900, 1480 / 1600, 655 / 900),
    # door_jamb_label.svg: the label (590..1010 x 150..750), with room around it.
    "door_jamb_label": (530 / 1600, 110 / 900, 1070 / 1600, 790 / 900),
    # odometer.svg: the cluster between and under the two dials.
    "odometer": (0.12, 0.25, 0.88, 0.85),
    # front.svg / rear.svg: the plate sits low in the middle of the car.
    "front": (0.22, 0.45, 0.78, 0.98),
    "rear": (0.22, 0.45, 0.78, 0.98),
}
"""Where each overlay guide asks for text, as fractions of the picture (left, top, right,
bottom), a little wider than drawn (the overlays' 1600x900 canvas, ``assets/overlays``):
what :mod:`inspector.ocr.crop` reads."""

MILEAGE_TOLERANCE = 0.01
_VIN_FIX = str.maketrans({"O": "0", "Q": "0", "I": "1"})
_VIN_CHARS = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_LABELS = re.compile(r"\b(?:V\.?I\.?N\.?|N\.?I\.?V\.?|N°|NO\.)\s*:?")
_SIV = re.compile(r"^([A-HJ-NP-TV-Z]{2})-?(\d{3})-?([A-HJ-NP-TV-Z]{2})$")
_PLATE_LIKE = re.compile(r"^[A-Z0-9][A-Z0-9 -]{3,10}[A-Z0-9]$")


@dataclass(frozen=True)
class Reading:
    """What was read in one photo: the text after the post-checks (None when nothing
    plausible was read), the OCR's confidence (0-1), and the raw lines."""

    kind: Kind
    text: str | None
    confidence: float
    raw: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    plate_format: str | None = None
    """For plates: "AA-123-AA" when it matches the French SIV format, else "unknown"."""

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "text": self.text, "confidence": round(self.confidence, 3)}


def pick_vin(lines: list[tuple[str, float]]) -> tuple[str | None, float, list[str]]:
    """The most confident 17-character VIN in the OCR's lines (joined when split).

    Labels ("VIN", "NIV") are dropped; in a longer run every 17-character window is a
    candidate, one with a right check digit first.
    """
    cleaned = [
        (re.sub(r"[^A-Z0-9]", "", _LABELS.sub(" ", t.upper())).translate(_VIN_FIX), s)
        for t, s in lines
    ]
    candidates: list[tuple[float, bool, str]] = []
    for i, (text, score) in enumerate(cleaned):
        runs = [(text, score)]
        if i + 1 < len(cleaned):  # a VIN printed over two lines, or split by a gap
            runs.append((text + cleaned[i + 1][0], min(score, cleaned[i + 1][1])))
        for run, s in runs:
            for start in range(len(run) - VIN_LENGTH + 1):
                window = run[start : start + VIN_LENGTH]
                if _VIN_CHARS.fullmatch(window):
                    candidates.append((s, vin_check_digit(window) == window[8], window))
    if not candidates:
        return None, 0.0, []
    score, valid, vin = max(candidates, key=lambda c: (c[0], c[1]))
    if not valid:
        valid_ones = [c for c in candidates if c[1] and c[0] >= score - 0.02]
        if valid_ones:
            score, valid, vin = valid_ones[0]
    if not valid:
        if vin[0] in "12345":
            return None, score, [f"{vin}: the check digit is wrong (North-American VIN)"]
        return vin, score, ["the check digit does not match (usual outside North America)"]
    return vin, score, []


def pick_mileage(lines: list[tuple[str, float]]) -> tuple[int | None, float]:
    """The mileage: the longest run of digits (thousands separators allowed), ``km`` first."""
    best: tuple[int, int, float, int] | None = None  # (has km, digits, score, value)
    for text, score in lines:
        for m in re.finditer(r"\d{1,3}(?:[ .,'\u202f\u00a0]\d{3})+|\d{1,7}", text):
            digits = re.sub(r"\D", "", m.group())
            if not 1 <= len(digits) <= 7:
                continue
            km = 1 if re.search(r"k\s*m", text[m.end() : m.end() + 4], re.I) else 0
            key = (km, len(digits), score, int(digits))
            if best is None or key[:3] > best[:3]:
                best = key
    if best is None:
        return None, 0.0
    return best[3], best[2]


def pick_plate(lines: list[tuple[str, float]]) -> tuple[str | None, float, str | None]:
    """A French plate (AA-123-AA) if one is read, else the most plate-like line."""
    fallback: tuple[float, str] | None = None
    for text, score in sorted(lines, key=lambda ts: -ts[1]):
        upper = re.sub(r"[\s._]+", "-", text.upper().strip()).strip("-")
        squeezed = upper.replace("-", "")
        m = _SIV.match(squeezed) or _SIV.match(upper)
        if m:
            return f"{m.group(1)}-{m.group(2)}-{m.group(3)}", score, "AA-123-AA"
        plate_like = bool(
            _PLATE_LIKE.match(upper) and re.search(r"\d", upper) and re.search(r"[A-Z]", upper)
        )
        if plate_like and (fallback is None or score > fallback[0]):
            fallback = (score, upper)
    if fallback is None:
        return None, 0.0, None
    return fallback[1], fallback[0], "unknown"


def mismatch(kind: Kind, entered: str | int | None, read: str | None) -> bool:
    """Whether a reading contradicts what was typed (nothing typed: no mismatch)."""
    if read is None or entered is None or entered == "":
        return False
    if kind == "odometer":
        try:
            typed, seen = int(entered), int(read)
        except (TypeError, ValueError):
            return True
        return abs(typed - seen) > MILEAGE_TOLERANCE * max(typed, seen, 1)
    norm = re.compile(r"[^A-Z0-9]")
    return norm.sub("", str(entered).upper()) != norm.sub("", read.upper())


@dataclass(frozen=True)
class VinInfo:
    """What a VIN says offline (vininfo): maker, country, plausible model years."""

    vin: str
    manufacturer: str | None
    country: str | None
    years: tuple[int, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def decode_vin(vin: str) -> VinInfo:
    """Decode a 17-character VIN; unknown parts are None, never an error."""
    from vininfo import Vin

    warnings: list[str] = []
    if vin_check_digit(vin) != vin[8]:
        warnings.append(
            "check digit does not match"
            + (" (required for North-American VINs)" if vin[0] in "12345" else "")
        )
    try:
        info = Vin(vin)
        manufacturer = str(info.manufacturer) if info.manufacturer else None
        country = str(info.country) if info.country else None
        years = tuple(int(y) for y in (info.years or ()))
    except (ValueError, KeyError, AttributeError, TypeError):
        return VinInfo(vin, None, None, (), tuple(warnings))
    if manufacturer in ("UnsupportedBrand", "Unknown"):
        manufacturer = None
    return VinInfo(vin, manufacturer, country, years, tuple(warnings))
