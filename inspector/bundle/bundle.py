"""Inspection bundles: one self-contained zip that can be checked years later.

Layout of ``inspection.zip``::

    manifest.json             what the bundle holds, see below
    photos/<sha256>.jpg       every captured photo, original bytes, named by its SHA-256
    report.pdf                the PDF report (optional)

``manifest.json`` holds the bundle format and version, the inspection (vehicle,
seller, operator, grade...), its checklist id, every capture (shot, time,
source, resolution, size, SHA-256, quality verdict), every damage, the
generation time, the software version, and under ``files`` the SHA-256 and size
of every other file in the zip. Its ``seal`` is the SHA-256 of the manifest's
own canonical JSON (sorted keys, no spaces, UTF-8) without the seal.

What verification proves: the seal catches any edit of the manifest made
without recomputing it, and the file hashes catch any altered, missing or
added file. It is not a signature: someone who rewrites the manifest *and*
recomputes the seal is not caught by the bundle alone. The report, though,
prints the full SHA-256 of every photo, so a buyer holding the PDF can check
that the photos are the ones the report was made from.

Import is defensive, as bundles arrive from elsewhere, and meets the same bar
as live input: the whole zip is checked before anything is written (entry
names, sizes, compression ratios, manifest schema, hashes), every photo passes
the live path's image checks (decodable JPEG, size, decompression-bomb limit,
scan count, EXIF; ``verify`` reports the ones that fail too), every record
passes the rules ``inspector new`` applies (no control characters, a VIN of
17 characters, ...), every shot is one of the checklist's and every
``retake_of`` names a capture of the bundle. Nothing is ever extracted to a
path taken from the zip (photos go through :meth:`Store.write_photo`, named by
their hash, which also replaces a damaged local copy), and the rows are
inserted in a single transaction, with the photos lock held from the first
photo to the commit; on failure the photos the import added are removed
again. An inspection whose id already exists in the data directory is refused
with a clear error rather than renamed: the id is printed on every page of the
report and in the manifest, and a renamed copy would no longer match them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import secrets
import sqlite3
import stat
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from inspector import __version__
from inspector.domain.checklist import Checklist, ChecklistError, load_checklist
from inspector.domain.models import (
    Capture,
    CaptureSource,
    Damage,
    DamageType,
    Fuel,
    Inspection,
    InspectionStatus,
    Language,
    Part,
    QualityReport,
    Region,
    Seller,
    Severity,
    Vehicle,
    utcnow,
)
from inspector.domain.photo_check import MAX_PHOTO_BYTES, BadPhoto, decode_jpeg_size
from inspector.domain.validation import ValidationError, check_seller, check_text, check_vehicle
from inspector.report.document import ReportCancelled, build_report
from inspector.storage import NotFound, StoreError
from inspector.storage.repair import RECOVERED_SHOT_PREFIX
from inspector.storage.store import Store
from inspector.usecases.inspections import capture_to_dict, inspection_to_dict

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "REPORT",
    "BundleError",
    "Limits",
    "VerifyResult",
    "export_bundle",
    "import_bundle",
    "verify_bundle",
]

FORMAT = "vehicle-inspection-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REPORT = "report.pdf"
PHOTO_RE = re.compile(r"^photos/([0-9a-f]{64})\.jpg$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_SHOT_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
_CHUNK = 1 << 20


class BundleError(Exception):
    """A bundle cannot be written, read or trusted; ``str()`` says why in one line."""


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile bundle from filling the disk or the memory."""

    max_entries: int = 10_000
    max_manifest_bytes: int = 16 * 1024 * 1024
    max_photo_bytes: int = MAX_PHOTO_BYTES
    """The live path's limit: a bundle brings no photo a phone could not send."""
    max_report_bytes: int = 512 * 1024 * 1024
    max_total_bytes: int = 8 * 1024 * 1024 * 1024
    max_ratio: float = 50.0
    """Uncompressed/compressed size above which an entry is taken for a zip bomb."""
    ratio_floor_bytes: int = 256 * 1024
    """Entries smaller than this are not ratio-checked (tiny JSON compresses well)."""

    def entry_cap(self, name: str) -> int:
        if name == MANIFEST:
            return self.max_manifest_bytes
        if name == REPORT:
            return self.max_report_bytes
        return self.max_photo_bytes


DEFAULT_LIMITS = Limits()


# -- verification result ------------------------------------------------------


@dataclass
class VerifyResult:
    """What :func:`verify_bundle` found; ``ok`` when nothing is wrong."""

    path: Path
    verified: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    """Photos that match the manifest but are not usable images."""
    manifest_errors: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    inspection_id: str | None = None

    @property
    def ok(self) -> bool:
        return not (
            self.altered or self.missing or self.extra or self.unreadable or self.manifest_errors
        )

    def problems(self) -> list[str]:
        """One line per problem, each naming the file concerned."""
        lines = [f"bad manifest: {e}" for e in self.manifest_errors]
        for kind, names in (
            ("altered", self.altered),
            ("missing", self.missing),
            ("extra", self.extra),
            ("not a usable photo", self.unreadable),
        ):
            for name in names:
                why = self.details.get(name)
                lines.append(f"{kind}: {name}" + (f" ({why})" if why else ""))
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "inspection_id": self.inspection_id,
            "verified": self.verified,
            "altered": self.altered,
            "missing": self.missing,
            "extra": self.extra,
            "unreadable": self.unreadable,
            "manifest_errors": self.manifest_errors,
            "problems": self.problems(),
        }


# -- export -------------------------------------------------------------------


def damage_to_dict(d: Damage) -> dict[str, Any]:
    r = d.region
    return {
        "id": d.id,
        "capture_id": d.capture_id,
        "part": d.part.value,
        "type": d.type.value,
        "severity": int(d.severity),
        "region": [r.x, r.y, r.w, r.h] if r is not None else None,
        "note": d.note,
        "created_at": d.created_at.isoformat(),
        "pair": d.pair,
        "to_complete": d.to_complete,
    }


def _canonical(manifest: dict[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "seal"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def seal_of(manifest: dict[str, Any]) -> str:
    """The SHA-256 a manifest's ``seal`` must hold."""
    return hashlib.sha256(_canonical(manifest)).hexdigest()


def _photo_name(sha256: str) -> str:
    return f"photos/{sha256}.jpg"


def _zip_info(name: str, when: datetime, compress: int) -> zipfile.ZipInfo:
    local = when.astimezone()
    info = zipfile.ZipInfo(name, date_time=local.timetuple()[:6])
    info.compress_type = compress
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def export_bundle(
    store: Store,
    inspection_id: str,
    out_zip: str | os.PathLike[str],
    *,
    report: bool = True,
    lang: str = "fr",
    inspector_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Write the bundle of one inspection (id or unambiguous prefix) to ``out_zip``.

    The zip is written to a temporary file next to ``out_zip`` and renamed at
    the end, so a failure or a cancel never leaves a partial bundle. Photos are
    re-hashed on the way: a photo damaged in the data directory stops the
    export instead of producing a bundle whose manifest lies.
    """
    out = Path(out_zip)
    inspection = store.find_inspection(inspection_id)
    captures = store.captures(inspection.id)
    damages = store.damages(inspection.id)
    shas = list(dict.fromkeys(c.sha256 for c in captures))
    steps = len(shas) + 2
    done = 0

    def step() -> None:
        nonlocal done
        if cancelled is not None and cancelled():
            raise ReportCancelled("export cancelled")
        done += 1
        if progress is not None:
            progress(done, steps)

    generated = utcnow()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.part")
    files: dict[str, dict[str, Any]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="inspector-bundle-") as work:
            with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
                for sha in shas:
                    try:
                        data = store.read_photo(sha)
                    except NotFound as exc:
                        raise BundleError(f"cannot export {inspection.id}: {exc}") from exc
                    if hashlib.sha256(data).hexdigest() != sha:
                        raise BundleError(
                            f"cannot export {inspection.id}: photo {sha[:12]} in the data "
                            "directory no longer matches its fingerprint (damaged file)"
                        )
                    name = _photo_name(sha)
                    zf.writestr(_zip_info(name, generated, zipfile.ZIP_STORED), data)
                    files[name] = {"sha256": sha, "size": len(data)}
                    step()
                if report:
                    pdf = build_report(
                        store,
                        inspection.id,
                        Path(work) / REPORT,
                        lang=lang,
                        inspector_name=inspector_name,
                        cancelled=cancelled,
                    )
                    digest = hashlib.sha256()
                    with (
                        open(pdf, "rb") as src,
                        zf.open(_zip_info(REPORT, generated, zipfile.ZIP_STORED), "w") as dst,
                    ):
                        while chunk := src.read(_CHUNK):
                            digest.update(chunk)
                            dst.write(chunk)
                    files[REPORT] = {"sha256": digest.hexdigest(), "size": pdf.stat().st_size}
                    # Writing the report moved the inspection to "reported": say so.
                    inspection = store.get_inspection(inspection.id)
                step()
                manifest: dict[str, Any] = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "generated_at": generated.isoformat(),
                    "software": {"name": "vehicle-inspector", "version": __version__},
                    "checklist": inspection.checklist,
                    "inspection": inspection_to_dict(inspection),
                    "captures": [
                        {**capture_to_dict(c), "file": _photo_name(c.sha256)} for c in captures
                    ],
                    "damages": [damage_to_dict(d) for d in damages],
                    "files": files,
                }
                manifest["seal"] = seal_of(manifest)
                text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
                zf.writestr(_zip_info(MANIFEST, generated, zipfile.ZIP_DEFLATED), text)
                step()
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, out)
    except OSError as exc:
        raise BundleError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return out


# -- reading, shared by verify and import ---------------------------------------


class _Invalid(Exception):
    """A manifest problem; the message says where."""


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    """Why an entry name or kind is not acceptable, or None."""
    name = info.filename
    mode = info.external_attr >> 16
    if "\x00" in name:
        return "name contains a NUL character"
    if name.startswith(("/", "\\")):
        return "absolute path"
    if "\\" in name:
        return "backslash in the name"
    if re.match(r"^[A-Za-z]:", name) or ":" in name:
        return "drive letter or colon in the name"
    parts = name.split("/")
    if ".." in parts:
        return "path goes up with '..'"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if info.is_dir() or (mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG)):
        return "not a regular file"
    if any(p in ("", ".") for p in parts):
        return "empty or '.' path component"
    if info.flag_bits & 0x1:
        return "encrypted entry"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return "unsupported compression method"
    if name != MANIFEST and name != REPORT and not PHOTO_RE.match(name):
        return "not a file a bundle holds"
    return None


def _size_problem(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    cap = limits.entry_cap(info.filename)
    if info.file_size > cap:
        return f"declares {info.file_size} bytes, more than the {cap}-byte limit"
    if info.file_size >= limits.ratio_floor_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            return f"compression ratio {ratio:.0f}:1 looks like a zip bomb"
    return None


class _TooBig(Exception):
    pass


def _read_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, sink: IO[bytes] | None
) -> tuple[str, int]:
    """SHA-256 and size of an entry, read in chunks and never past ``cap`` bytes."""
    digest = hashlib.sha256()
    size = 0
    with zf.open(info) as src:
        while chunk := src.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise _TooBig(f"more than {cap} bytes")
            digest.update(chunk)
            if sink is not None:
                sink.write(chunk)
    return digest.hexdigest(), size


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    out = bytearray()
    with zf.open(info) as src:
        while chunk := src.read(_CHUNK):
            out += chunk
            if len(out) > cap:
                raise _TooBig(f"more than {cap} bytes")
    return bytes(out)


@dataclass
class _Manifest:
    raw: dict[str, Any]
    inspection: Inspection
    captures: list[Capture]
    damages: list[Damage]
    files: dict[str, tuple[str, int]]
    seal_ok: bool


def _get(d: dict[str, Any], key: str, kinds: type | tuple[type, ...], where: str) -> Any:
    if key not in d:
        raise _Invalid(f"{where}: missing {key!r}")
    value = d[key]
    kinds_t = kinds if isinstance(kinds, tuple) else (kinds,)
    if isinstance(value, bool) and bool not in kinds_t:
        raise _Invalid(f"{where}: {key!r} has the wrong type (bool)")
    if not isinstance(value, kinds_t):
        names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds_t)
        raise _Invalid(f"{where}: {key!r} must be {names}, not {type(value).__name__}")
    return value


def _text(d: dict[str, Any], key: str, where: str, limit: int = 4000) -> str:
    value: str = _get(d, key, str, where)
    if len(value) > limit:
        raise _Invalid(f"{where}: {key!r} is longer than {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _Invalid(f"{where}: {key!r} is not valid Unicode text") from exc
    return value


def _opt_int(d: dict[str, Any], key: str, where: str, lo: int, hi: int) -> int | None:
    value: int | None = _get(d, key, (int, type(None)), where)
    if value is not None and not lo <= value <= hi:
        raise _Invalid(f"{where}: {key!r} must be between {lo} and {hi}, not {value}")
    return value


def _int(d: dict[str, Any], key: str, where: str, lo: int, hi: int) -> int:
    value = _opt_int(d, key, where, lo, hi)
    if value is None:
        raise _Invalid(f"{where}: {key!r} must be a number, not null")
    return value


def _time(d: dict[str, Any], key: str, where: str, optional: bool = False) -> datetime | None:
    value = _get(d, key, (str, type(None)) if optional else str, where)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Invalid(f"{where}: {key!r} is not an ISO date and time: {value[:40]!r}") from exc
    if parsed.tzinfo is None:
        raise _Invalid(f"{where}: {key!r} has no time zone: {value[:40]!r}")
    return parsed


def _enum(d: dict[str, Any], key: str, kind: Any, where: str, optional: bool = False) -> Any:
    value = _get(d, key, (str, type(None)) if optional else str, where)
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in kind)
        raise _Invalid(f"{where}: {key!r} is {value[:40]!r}, expected one of {allowed}") from exc


def _ident(d: dict[str, Any], key: str, where: str, optional: bool = False) -> str | None:
    value: str | None = _get(d, key, (str, type(None)) if optional else str, where)
    if value is not None and not _ID_RE.match(value):
        raise _Invalid(f"{where}: {key!r} is not a valid id: {value[:40]!r}")
    return value


def _check_like_new(vehicle: Vehicle, seller: Seller, data: dict[str, Any]) -> None:
    """The rules ``inspector new`` applies (validation.py), on a record from a bundle."""
    try:
        check_vehicle(
            make=vehicle.make,
            model=vehicle.model,
            year=vehicle.year,
            plate=vehicle.plate,
            vin=vehicle.vin,
            mileage=vehicle.mileage_km,
            fuel=vehicle.fuel.value if vehicle.fuel else None,
            colour=vehicle.colour,
        )
        check_seller(
            name=seller.name,
            phone=seller.phone,
            email=seller.email,
            language=seller.language.value,
        )
        for key in ("operator", "inspector"):
            check_text(key, data[key], 200)
        check_text("notes", data["notes"].replace("\r", ""), 8000, multiline=True)
    except ValidationError as exc:
        raise _Invalid(f"inspection: {exc}") from exc


def _parse_inspection(data: Any) -> Inspection:
    where = "inspection"
    if not isinstance(data, dict):
        raise _Invalid("'inspection' must be an object")
    v = _get(data, "vehicle", dict, where)
    s = _get(data, "seller", dict, where)
    wv, ws = "inspection.vehicle", "inspection.seller"
    vehicle = Vehicle(
        make=_text(v, "make", wv, 100),
        model=_text(v, "model", wv, 100),
        year=_opt_int(v, "year", wv, 1886, 2200),
        plate=_text(v, "plate", wv, 32),
        vin=_text(v, "vin", wv, 32),
        mileage_km=_opt_int(v, "mileage_km", wv, 0, 10_000_000),
        fuel=_enum(v, "fuel", Fuel, wv, optional=True),
        colour=_text(v, "colour", wv, 100),
    )
    seller = Seller(
        name=_text(s, "name", ws, 200),
        phone=_text(s, "phone", ws, 40),
        email=_text(s, "email", ws, 254),
        language=_enum(s, "language", Language, ws),
    )
    created = _time(data, "created_at", where)
    updated = _time(data, "updated_at", where)
    assert created is not None and updated is not None
    checklist = _text(data, "checklist", where, 100)
    if not _SHOT_RE.match(checklist):
        raise _Invalid(f"{where}: 'checklist' is not a checklist name: {checklist[:40]!r}")
    _check_like_new(vehicle, seller, data)
    return Inspection(
        id=str(_ident(data, "id", where)),
        checklist=checklist,
        vehicle=vehicle,
        seller=seller,
        status=_enum(data, "status", InspectionStatus, where),
        operator=_text(data, "operator", where, 200),
        inspector=_text(data, "inspector", where, 200),
        notes=_text(data, "notes", where, 8000),
        grade=_opt_int(data, "grade", where, 1, 5),
        created_at=created,
        updated_at=updated,
    )


def _parse_capture(data: Any, index: int, inspection_id: str) -> tuple[Capture, str]:
    where = f"captures[{index}]"
    if not isinstance(data, dict):
        raise _Invalid(f"{where} must be an object")
    sha = _text(data, "sha256", where, 64)
    if not _SHA_RE.match(sha):
        raise _Invalid(f"{where}: 'sha256' is not a SHA-256 in lowercase hex")
    shot_id = _text(data, "shot_id", where, 100)
    if not _SHOT_RE.match(shot_id):
        raise _Invalid(f"{where}: 'shot_id' is not a shot id: {shot_id[:40]!r}")
    quality_raw = _get(data, "quality", dict, where)
    try:
        quality = QualityReport.from_dict(quality_raw)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _Invalid(f"{where}: 'quality' is not a quality verdict ({exc})") from exc
    accepted = _get(data, "accepted", (bool, type(None)), where)
    captured_at = _time(data, "captured_at", where)
    assert captured_at is not None
    mime = _text(data, "mime", where, 100)
    if mime != "image/jpeg":
        raise _Invalid(f"{where}: 'mime' must be image/jpeg, not {mime[:40]!r}")
    capture = Capture(
        id=str(_ident(data, "id", where)),
        inspection_id=inspection_id,
        shot_id=shot_id,
        sha256=sha,
        width=_int(data, "width", where, 1, 100_000),
        height=_int(data, "height", where, 1, 100_000),
        source=_enum(data, "source", CaptureSource, where),
        quality=quality,
        captured_at=captured_at,
        phone_time=_time(data, "phone_time", where, optional=True),
        accepted=accepted,
        retake_of=_ident(data, "retake_of", where, optional=True),
        mime=mime,
        size=_int(data, "size", where, 0, 1 << 40),
    )
    file_name = _text(data, "file", where, 200)
    if file_name != _photo_name(sha):
        raise _Invalid(f"{where}: 'file' must be {_photo_name(sha)!r}, not {file_name[:80]!r}")
    return capture, file_name


def _parse_damage(data: Any, index: int, inspection_id: str, capture_ids: set[str]) -> Damage:
    where = f"damages[{index}]"
    if not isinstance(data, dict):
        raise _Invalid(f"{where} must be an object")
    capture_id = _ident(data, "capture_id", where, optional=True)
    if capture_id is not None and capture_id not in capture_ids:
        raise _Invalid(f"{where}: 'capture_id' {capture_id!r} is not a capture of this bundle")
    severity = _int(data, "severity", where, 1, 3)
    raw_region = _get(data, "region", (list, type(None)), where)
    region = None
    if raw_region is not None:
        if len(raw_region) != 4 or not all(
            isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n)
            for n in raw_region
        ):
            raise _Invalid(f"{where}: 'region' must be four numbers [x, y, w, h]")
        try:
            region = Region(*(float(n) for n in raw_region))
        except ValueError as exc:
            raise _Invalid(f"{where}: 'region': {exc}") from exc
    created = _time(data, "created_at", where)
    assert created is not None
    note = _text(data, "note", where, 4000)
    try:
        check_text("note", note.replace("\r", ""), 4000, multiline=True)
    except ValidationError as exc:
        raise _Invalid(f"{where}: {exc}") from exc
    return Damage(
        id=str(_ident(data, "id", where)),
        inspection_id=inspection_id,
        capture_id=capture_id,
        part=_enum(data, "part", Part, where),
        type=_enum(data, "type", DamageType, where),
        severity=Severity(severity),
        region=region,
        note=note,
        created_at=created,
        # Bundles written before damages knew their photo pair have neither key.
        pair=_opt_int(data, "pair", where, 1, 100_000) if "pair" in data else None,
        to_complete=bool(_get(data, "to_complete", bool, where))
        if "to_complete" in data
        else False,
    )


def _parse_manifest(raw: Any) -> _Manifest:
    if not isinstance(raw, dict):
        raise _Invalid("the manifest must be a JSON object")
    fmt = _get(raw, "format", str, "manifest")
    if fmt != FORMAT:
        raise _Invalid(f"not an inspection bundle (format {fmt[:40]!r})")
    version = _get(raw, "format_version", int, "manifest")
    if version != FORMAT_VERSION:
        raise _Invalid(
            f"bundle format version {version} is not supported (this version reads "
            f"{FORMAT_VERSION}); please upgrade"
        )
    _time(raw, "generated_at", "manifest")
    software = _get(raw, "software", dict, "manifest")
    _text(software, "version", "manifest.software", 100)
    seal = _get(raw, "seal", str, "manifest")
    inspection = _parse_inspection(raw.get("inspection"))
    checklist = _text(raw, "checklist", "manifest", 100)
    if checklist != inspection.checklist:
        raise _Invalid("'checklist' does not match the inspection's checklist")

    raw_files = _get(raw, "files", dict, "manifest")
    files: dict[str, tuple[str, int]] = {}
    for name, entry in raw_files.items():
        where = f"files[{name[:80]!r}]"
        if name != REPORT and not PHOTO_RE.match(name):
            raise _Invalid(f"{where}: not a file a bundle may hold")
        if not isinstance(entry, dict):
            raise _Invalid(f"{where} must be an object")
        sha = _text(entry, "sha256", where, 64)
        if not _SHA_RE.match(sha):
            raise _Invalid(f"{where}: 'sha256' is not a SHA-256 in lowercase hex")
        match = PHOTO_RE.match(name)
        if match and match.group(1) != sha:
            raise _Invalid(f"{where}: the name does not match its 'sha256'")
        files[name] = (sha, _int(entry, "size", where, 0, 1 << 40))

    raw_captures = _get(raw, "captures", list, "manifest")
    captures: list[Capture] = []
    for i, item in enumerate(raw_captures):
        capture, file_name = _parse_capture(item, i, inspection.id)
        if file_name not in files:
            raise _Invalid(f"captures[{i}]: its photo {file_name} is not listed under 'files'")
        if files[file_name][1] != capture.size:
            raise _Invalid(f"captures[{i}]: 'size' differs from the size of {file_name}")
        captures.append(capture)
    capture_ids = {c.id for c in captures}
    if len(capture_ids) != len(captures):
        raise _Invalid("two captures have the same id")
    for i, c in enumerate(captures):
        if c.retake_of is not None and c.retake_of not in capture_ids:
            raise _Invalid(
                f"captures[{i}]: 'retake_of' {c.retake_of!r} is not a capture of this bundle"
            )
    used = {_photo_name(c.sha256) for c in captures}
    unused = sorted(n for n in files if n != REPORT and n not in used)
    if unused:
        raise _Invalid(f"'files' lists a photo no capture uses: {unused[0]}")

    raw_damages = _get(raw, "damages", list, "manifest")
    damages = [_parse_damage(d, i, inspection.id, capture_ids) for i, d in enumerate(raw_damages)]
    if len({d.id for d in damages}) != len(damages):
        raise _Invalid("two damages have the same id")
    pairs = [d.pair for d in damages if d.pair is not None]
    if len(set(pairs)) != len(pairs):
        raise _Invalid("two damages have the same photo pair")
    return _Manifest(raw, inspection, captures, damages, files, seal == seal_of(raw))


@dataclass
class _Scan:
    result: VerifyResult
    manifest: _Manifest | None = None
    infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict)


def _scan(zf: zipfile.ZipFile, path: Path, limits: Limits) -> _Scan:
    """Check a whole open bundle without writing anything; report every problem."""
    result = VerifyResult(path)
    scan = _Scan(result)
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        result.manifest_errors.append(
            f"the zip has {len(infos)} entries, more than the limit of {limits.max_entries}"
        )
        return scan
    declared_total = 0
    for info in infos:
        name = info.filename
        reason = _unsafe_reason(info) or _size_problem(info, limits)
        if name in scan.infos:
            reason = "appears twice in the zip"
        if reason is not None:
            shown = name[:200]
            if shown not in result.extra:
                result.extra.append(shown)
            result.details[shown] = reason
            continue
        declared_total += info.file_size
        scan.infos[name] = info
    if declared_total > limits.max_total_bytes:
        result.manifest_errors.append(
            f"the zip declares {declared_total} bytes in all, more than the limit of "
            f"{limits.max_total_bytes}"
        )
        return scan

    manifest_info = scan.infos.get(MANIFEST)
    if manifest_info is None:
        if MANIFEST in result.details:  # present, but refused above (too large, ...)
            result.manifest_errors.append(f"{MANIFEST} {result.details[MANIFEST]}")
            result.extra.remove(MANIFEST)
            del result.details[MANIFEST]
        else:
            result.manifest_errors.append(
                f"{MANIFEST} is missing: this is not an inspection bundle"
            )
        return scan
    try:
        text = _read_small(zf, manifest_info, limits.max_manifest_bytes).decode("utf-8")
        raw = json.loads(text)
    except _TooBig as exc:
        result.manifest_errors.append(f"{MANIFEST} is too large ({exc})")
        return scan
    except UnicodeDecodeError:
        result.manifest_errors.append(f"{MANIFEST} is not UTF-8 text")
        return scan
    except json.JSONDecodeError as exc:
        result.manifest_errors.append(
            f"{MANIFEST} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        )
        return scan
    except RecursionError:
        result.manifest_errors.append(f"{MANIFEST} is nested too deeply")
        return scan
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        result.manifest_errors.append(f"{MANIFEST} cannot be read: {exc}")
        return scan
    try:
        manifest = _parse_manifest(raw)
    except _Invalid as exc:
        result.manifest_errors.append(f"{MANIFEST}: {exc}")
        return scan
    except RecursionError:
        result.manifest_errors.append(f"{MANIFEST} is nested too deeply")
        return scan
    scan.manifest = manifest
    result.inspection_id = manifest.inspection.id
    if not manifest.seal_ok:
        result.manifest_errors.append(
            f"{MANIFEST} was edited after export (its seal does not match its content)"
        )

    for name, (sha, size) in manifest.files.items():
        entry = scan.infos.get(name)
        if entry is None:
            if name not in result.extra:  # present but refused above
                result.missing.append(name)
            continue
        photo = io.BytesIO() if PHOTO_RE.match(name) else None
        try:
            cap = min(size, limits.entry_cap(name))
            actual_sha, actual_size = _read_entry(zf, entry, cap, photo)
        except _TooBig:
            result.altered.append(name)
            result.details[name] = f"larger than the {size} bytes the manifest lists"
            continue
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            result.altered.append(name)
            result.details[name] = f"cannot be read: {exc}"
            continue
        if actual_size != size:
            result.altered.append(name)
            result.details[name] = f"{actual_size} bytes, the manifest lists {size}"
        elif actual_sha != sha:
            result.altered.append(name)
            result.details[name] = "content differs from its SHA-256 in the manifest"
        elif photo is not None and (why := _photo_problem(photo.getvalue())) is not None:
            result.unreadable.append(name)
            result.details[name] = why
        else:
            result.verified.append(name)
    for name in scan.infos:
        if name != MANIFEST and name not in manifest.files:
            result.extra.append(name)
            result.details[name] = "not listed in the manifest"
    return scan


def _photo_problem(data: bytes) -> str | None:
    """Why photo bytes would not pass the live path's image checks, or None."""
    try:
        decode_jpeg_size(data)
    except BadPhoto as exc:
        return str(exc)
    return None


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        if path.is_symlink() or not path.is_file():
            raise BundleError(f"{path}: no such bundle file")
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise BundleError(f"{path}: not a zip file ({exc})") from exc
    except (OSError, ValueError) as exc:
        raise BundleError(f"{path}: cannot be read ({exc})") from exc


def verify_bundle(
    zip_path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS
) -> VerifyResult:
    """Check a bundle against its manifest: which files are altered, missing or extra.

    Raises :class:`BundleError` only when the file is not a readable zip at all;
    every other problem is listed in the result.
    """
    path = Path(zip_path)
    with _open_zip(path) as zf:
        return _scan(zf, path, limits).result


# -- import -------------------------------------------------------------------


def _refuse(result: VerifyResult) -> BundleError:
    problems = result.problems()
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return BundleError(f"{result.path.name}: refused, {problems[0]}{more}")


def import_bundle(
    store: Store, zip_path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS
) -> Inspection:
    """Add the inspection of a verified bundle to ``store`` and return it.

    Everything is checked before anything is written; an inspection id that
    already exists is refused (see the module notes). On failure the store is
    left as it was.
    """
    path = Path(zip_path)
    with _open_zip(path) as zf:
        scan = _scan(zf, path, limits)
        result, manifest = scan.result, scan.manifest
        if not result.ok or manifest is None:
            raise _refuse(result)
        inspection = manifest.inspection
        try:
            checklist = load_checklist(inspection.checklist)
        except ChecklistError as exc:
            raise BundleError(
                f"{path.name}: inspection {inspection.id} uses checklist "
                f"{inspection.checklist!r}, which this installation does not have"
            ) from exc
        for i, capture in enumerate(manifest.captures):
            if not _shot_of(checklist, capture.shot_id):
                raise BundleError(
                    f"{path.name}: refused, captures[{i}]: shot {capture.shot_id!r} is not "
                    f"in checklist {checklist.id!r}"
                )
        try:
            store.get_inspection(inspection.id)
        except NotFound:
            pass
        else:
            raise BundleError(
                f"{path.name}: inspection {inspection.id} already exists in this data "
                f"directory; delete it first (inspector delete {inspection.id}) to replace it"
            )

        added: list[str] = []
        try:
            # Held from the first photo to the commit: a delete elsewhere cannot
            # unlink a file these rows are about to use.
            with store.writing_photos():
                for name in manifest.files:
                    match = PHOTO_RE.match(name)
                    if match is None:
                        continue
                    sha = match.group(1)
                    existed = store.photo_path(sha).exists()
                    data = _read_small(zf, scan.infos[name], manifest.files[name][1])
                    written = store.write_photo(data)
                    if not existed:
                        added.append(written)
                    if written != sha:  # the zip changed since it was checked
                        raise BundleError(f"{path.name}: {name} changed while importing")
                store.import_rows(inspection, manifest.captures, manifest.damages)
        except BaseException as exc:
            store.remove_unused_photos(added)
            if isinstance(exc, sqlite3.IntegrityError):
                raise BundleError(
                    f"{path.name}: cannot import inspection {inspection.id}: an id in the "
                    f"bundle is already used in this data directory ({exc})"
                ) from exc
            if isinstance(exc, (_TooBig, zipfile.BadZipFile, EOFError)):
                raise BundleError(f"{path.name}: changed while importing ({exc})") from exc
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"import not recorded: {exc}") from exc
            raise
    return store.get_inspection(inspection.id)


def _shot_of(checklist: Checklist, shot_id: str) -> bool:
    """Whether a capture's shot belongs to the checklist (numbered damage shots do)."""
    try:
        checklist.shot(shot_id)
        return True
    except KeyError:
        pass
    # Photos `inspector repair` kept without their record (see inspector.repair).
    number = shot_id.removeprefix(RECOVERED_SHOT_PREFIX)
    return number != shot_id and number.isdigit()
