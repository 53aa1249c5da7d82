"""Checking a bundle against its manifest, without writing anything.

What verification proves: the seal catches any edit of the manifest made
without recomputing it, and the file hashes catch any altered, missing or
added file. The manifest's seal is not a signature: someone who rewrites the manifest
*and* recomputes the seal is not caught by the manifest alone. The report is
signed, though: its PAdES seal (:mod:`inspector.seal`) is checked too, and
names the certificate that made it; the report prints the full SHA-256 of every
photo, so a buyer holding the PDF can check that the photos are the ones the
report was made from.

Every photo must also pass the live path's image checks (decodable JPEG,
size, decompression-bomb limit, scan count, EXIF): a bundle brings nothing a
phone could not have sent.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspector.bundle.layout import MANIFEST, PHOTO_RE, REPORT
from inspector.bundle.manifest import Manifest, ManifestError, parse_manifest
from inspector.bundle.zipsafety import (
    DEFAULT_LIMITS,
    Limits,
    TooBig,
    harmless_folder,
    open_zip,
    read_entry,
    read_small,
    size_problem,
    unsafe_reason,
)
from inspector.domain.photo_check import BadPhoto, decode_jpeg_size
from inspector.seal import SealCheck, check_pdf

__all__ = ["Scan", "VerifyResult", "scan", "verify_bundle"]


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
    seal: SealCheck | None = None
    """The report's seal, checked when the bundle holds a report."""

    @property
    def ok(self) -> bool:
        return not (
            self.altered
            or self.missing
            or self.extra
            or self.unreadable
            or self.manifest_errors
            or (self.seal is not None and not self.seal.ok)
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
        if self.seal is not None:
            lines += [f"{REPORT}: {problem}" for problem in self.seal.problems]
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
            "report_seal": self.seal.to_dict() if self.seal is not None else None,
            "problems": self.problems(),
        }


@dataclass
class Scan:
    """A whole bundle checked: the result, the manifest if readable, the accepted entries."""

    result: VerifyResult
    manifest: Manifest | None = None
    infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict)


def _photo_problem(data: bytes) -> str | None:
    """Why photo bytes would not pass the live path's image checks, or None."""
    try:
        decode_jpeg_size(data)
    except BadPhoto as exc:
        return str(exc)
    return None


def _entries(zf: zipfile.ZipFile, scan: Scan, limits: Limits) -> bool:
    """Accept the safe entries into ``scan.infos``; False when the zip as a whole is refused."""
    result = scan.result
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        result.manifest_errors.append(
            f"the zip has {len(infos)} entries, more than the limit of {limits.max_entries}"
        )
        return False
    declared_total = 0
    for info in infos:
        name = info.filename
        if harmless_folder(info):
            continue
        reason = unsafe_reason(info) or size_problem(info, limits)
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
        return False
    return True


def _manifest(zf: zipfile.ZipFile, scan: Scan, limits: Limits) -> Manifest | None:
    """The manifest read and checked, or None with the reason in the result."""
    errors = scan.result.manifest_errors
    info = scan.infos.get(MANIFEST)
    if info is None:
        details = scan.result.details
        if MANIFEST in details:  # present, but refused (too large, ...)
            errors.append(f"{MANIFEST} {details.pop(MANIFEST)}")
            scan.result.extra.remove(MANIFEST)
        else:
            errors.append(f"{MANIFEST} is missing: this is not an inspection bundle")
        return None
    try:
        raw = json.loads(read_small(zf, info, limits.max_manifest_bytes).decode("utf-8"))
        return parse_manifest(raw)
    except TooBig as exc:
        errors.append(f"{MANIFEST} is too large ({exc})")
    except UnicodeDecodeError:
        errors.append(f"{MANIFEST} is not UTF-8 text")
    except json.JSONDecodeError as exc:
        errors.append(
            f"{MANIFEST} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        )
    except RecursionError:
        errors.append(f"{MANIFEST} is nested too deeply")
    except ManifestError as exc:
        errors.append(f"{MANIFEST}: {exc}")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        errors.append(f"{MANIFEST} cannot be read: {exc}")
    return None


def _files(zf: zipfile.ZipFile, scan: Scan, manifest: Manifest, limits: Limits) -> None:
    """Each file the manifest lists against the zip: verified, altered, missing, unusable."""
    result = scan.result
    for name, (sha, size) in manifest.files.items():
        entry = scan.infos.get(name)
        if entry is None:
            if name not in result.extra:  # present but refused above
                result.missing.append(name)
            continue
        photo = io.BytesIO() if PHOTO_RE.match(name) or name == REPORT else None
        try:
            actual_sha, actual_size = read_entry(
                zf, entry, min(size, limits.entry_cap(name)), photo
            )
        except TooBig:
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
        elif name == REPORT:
            # Matches the manifest: now the report's own seal, whatever the manifest says.
            result.verified.append(name)
        elif photo is not None and (why := _photo_problem(photo.getvalue())) is not None:
            result.unreadable.append(name)
            result.details[name] = why
        else:
            result.verified.append(name)
        if name == REPORT and photo is not None:
            result.seal = check_pdf(photo.getvalue())
    for name in scan.infos:
        if name != MANIFEST and name not in manifest.files:
            result.extra.append(name)
            result.details[name] = "not listed in the manifest"


def scan(zf: zipfile.ZipFile, path: Path, limits: Limits) -> Scan:
    """Check a whole open bundle without writing anything; report every problem."""
    found = Scan(VerifyResult(path))
    if not _entries(zf, found, limits):
        return found
    manifest = _manifest(zf, found, limits)
    if manifest is None:
        return found
    found.manifest = manifest
    found.result.inspection_id = manifest.inspection.id
    if not manifest.seal_ok:
        found.result.manifest_errors.append(
            f"{MANIFEST} was edited after export (its seal does not match its content)"
        )
    _files(zf, found, manifest, limits)
    return found


def verify_bundle(
    zip_path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS
) -> VerifyResult:
    """Check a bundle against its manifest: which files are altered, missing or extra.

    Raises :class:`~inspector.bundle.layout.BundleError` only when the file is not
    a readable zip at all; every other problem is listed in the result.
    """
    path = Path(zip_path)
    with open_zip(path) as zf:
        return scan(zf, path, limits).result
