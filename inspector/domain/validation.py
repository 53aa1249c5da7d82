"""Input rules for vehicle and seller data, with messages a user can act on.

Every ``check_*`` function returns the normalized value or raises
``ValidationError`` naming the field. Non-fatal findings (a VIN check digit
that does not match, which is only mandatory in North America) come back as
warnings rather than errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from inspector.domain.models import Fuel, Language, Seller, Vehicle

T = TypeVar("T")

# Field limits, defined once: the rules below, the console's forms, the use cases
# and the bundle's checks all use these (in characters unless said otherwise).
MAKE_MAX = 60
MODEL_MAX = 60
COLOUR_MAX = 40
PLATE_MAX = 16
VIN_LENGTH = 17
YEAR_MIN = 1886
"""The first car."""
MILEAGE_MAX_KM = 3_000_000
SELLER_NAME_MAX = 120
EMAIL_MAX = 254
"""RFC 5321's longest address."""
PHONE_MAX = 21
"""A "+" and 20 digits, spaces, dots, dashes or brackets."""
PERSON_MAX = 120
"""An operator's or inspector's name."""
NOTES_MAX = 4000
"""An inspection's notes."""
DAMAGE_NOTE_MAX = 1000
"""A damage's note."""
TEXT_MAX = 200
"""Any other one-line text."""


class ValidationError(ValueError):
    """Bad input for one field; ``str()`` is a sentence for the user."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


class InvalidFields(ValidationError):
    """Several fields are wrong: every one of them (``errors``, in form order).

    A form shows them all at once, so a bad VIN does not hide a negative
    mileage; ``field`` and ``message`` are the first one's.
    """

    def __init__(self, errors: list[ValidationError]) -> None:
        flat = [e for error in errors for e in getattr(error, "errors", [error])]
        ValueError.__init__(self, "; ".join(str(e) for e in flat))
        self.field, self.message = flat[0].field, flat[0].message
        self.errors = flat


class FieldChecks:
    """Runs checks, keeping every failure instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    def __call__(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return check(*args, **kwargs)
        except ValidationError as exc:
            self.errors.append(exc)
            return None

    def raise_any(self) -> None:
        """Raise what failed: the one error, or :class:`InvalidFields` for several."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InvalidFields(self.errors)


@dataclass
class Checked(Generic[T]):
    value: T
    warnings: list[str] = field(default_factory=list)


_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_RE = re.compile(rf"[A-HJ-NPR-Z0-9]{{{VIN_LENGTH}}}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_RE = re.compile(rf"\+?[0-9 ().-]{{6,{PHONE_MAX - 1}}}")


def vin_check_digit(vin: str) -> str:
    """The ISO 3779 / North American check digit (position 9) for a 17-character VIN."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def check_vin(raw: str) -> Checked[str]:
    """Normalize a VIN (upper case, no spaces); empty is allowed (not yet known)."""
    vin = re.sub(r"[\s-]", "", raw).upper()
    if not vin:
        return Checked("")
    if len(vin) != VIN_LENGTH:
        raise ValidationError("VIN", f"must be {VIN_LENGTH} characters, got {len(vin)}")
    bad = sorted({c for c in vin if c in "IOQ"})
    if bad:
        raise ValidationError(
            "VIN", f"may not contain the letters I, O or Q (found {', '.join(bad)})"
        )
    if not _VIN_RE.fullmatch(vin):
        raise ValidationError("VIN", "may contain only letters and digits")
    warnings = []
    expected = vin_check_digit(vin)
    if vin[8] != expected:
        warnings.append(
            f"VIN check digit is {vin[8]!r}, expected {expected!r}: "
            "fine outside North America, but double-check the VIN"
        )
    return Checked(vin, warnings)


def check_mileage(raw: Any) -> int | None:
    """Mileage in km, a non-negative whole number; None when not given."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValidationError("mileage", "must be a whole number of kilometres")
    try:
        value = int(str(raw).replace(" ", "").replace("_", ""))
    except ValueError:
        raise ValidationError(
            "mileage", f"must be a whole number of kilometres, got {raw!r}"
        ) from None
    if value < 0:
        raise ValidationError("mileage", "cannot be negative")
    if value > MILEAGE_MAX_KM:
        raise ValidationError("mileage", f"is implausibly large (over {MILEAGE_MAX_KM:,} km)")
    return value


def check_year(raw: Any) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        year = int(raw)
    except (TypeError, ValueError):
        raise ValidationError("year", f"must be a year such as 2019, got {raw!r}") from None
    latest = date.today().year + 1
    if not YEAR_MIN <= year <= latest:
        raise ValidationError("year", f"must be between {YEAR_MIN} and {latest}")
    return year


def check_plate(raw: str) -> str:
    plate = " ".join(raw.upper().split())
    if len(plate) > PLATE_MAX:
        raise ValidationError("plate", f"is too long ({PLATE_MAX} characters at most)")
    if plate and not re.fullmatch(r"[A-Z0-9 -]+", plate):
        raise ValidationError("plate", "may contain only letters, digits, spaces and dashes")
    return plate


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_unicode(field_name: str, raw: str) -> str:
    """Refuse text holding bytes that were not UTF-8 (Python keeps them as lone surrogates).

    Such text cannot be written to a report, a bundle or a UTF-8 terminal.
    """
    if _SURROGATE.search(raw):
        raise ValidationError(
            field_name, "is not valid UTF-8 text (check the terminal's or file's encoding)"
        )
    return raw


def check_text(field_name: str, raw: str, limit: int = TEXT_MAX, *, multiline: bool = False) -> str:
    """Trimmed text without control characters (line breaks only where ``multiline``).

    Control characters include terminal escapes (ESC, the 8-bit CSI) and the
    bidirectional overrides that could make a name display as something else.
    """
    text = check_unicode(field_name, raw).strip()
    if len(text) > limit:
        raise ValidationError(field_name, f"is too long ({limit} characters at most)")
    allowed = "\n\t" if multiline else ""
    if any(c not in allowed for c in _CONTROL.findall(text)):
        raise ValidationError(field_name, "contains control characters")
    if _BIDI_CONTROL.search(text):
        raise ValidationError(field_name, "contains text-direction control characters")
    return text


def check_email(raw: str) -> str:
    email = check_text("e-mail", raw, EMAIL_MAX)
    if email and not _EMAIL_RE.fullmatch(email):
        raise ValidationError("e-mail", f"{email!r} is not an e-mail address")
    return email


def check_phone(raw: str) -> str:
    phone = raw.strip()
    if phone and not _PHONE_RE.fullmatch(phone):
        raise ValidationError("phone", f"{phone!r} is not a phone number")
    return phone


def check_language(raw: str) -> Language:
    try:
        return Language(raw.strip().lower())
    except ValueError:
        raise ValidationError("language", f"must be fr or en, got {raw!r}") from None


def check_fuel(raw: str | None) -> Fuel | None:
    if not raw:
        return None
    try:
        return Fuel(raw.strip().lower())
    except ValueError:
        choices = ", ".join(f.value for f in Fuel)
        raise ValidationError("fuel", f"must be one of {choices}, got {raw!r}") from None


def check_vehicle(
    *,
    make: str = "",
    model: str = "",
    year: Any = None,
    plate: str = "",
    vin: str = "",
    mileage: Any = None,
    fuel: str | None = None,
    colour: str = "",
) -> Checked[Vehicle]:
    """Build a validated Vehicle from raw user input; every bad field is reported."""
    check = FieldChecks()
    checked_vin = check(check_vin, vin)
    values: dict[str, Any] = {
        "make": check(check_text, "make", make, MAKE_MAX),
        "model": check(check_text, "model", model, MODEL_MAX),
        "year": check(check_year, year),
        "plate": check(check_plate, plate),
        "mileage_km": check(check_mileage, mileage),
        "fuel": check(check_fuel, fuel),
        "colour": check(check_text, "colour", colour, COLOUR_MAX),
    }
    check.raise_any()
    assert checked_vin is not None
    vehicle = Vehicle(vin=checked_vin.value, **values)
    if not vehicle.make and not vehicle.plate and not vehicle.vin:
        raise ValidationError("vehicle", "give at least a make, a plate or a VIN")
    return Checked(vehicle, checked_vin.warnings)


def check_seller(
    *, name: str = "", phone: str = "", email: str = "", language: str = "fr"
) -> Seller:
    """Build a validated Seller from raw user input; every bad field is reported."""
    check = FieldChecks()
    values: dict[str, Any] = {
        "name": check(check_text, "seller name", name, SELLER_NAME_MAX),
        "phone": check(check_phone, phone),
        "email": check(check_email, email),
        "language": check(check_language, language),
    }
    check.raise_any()
    return Seller(**values)
