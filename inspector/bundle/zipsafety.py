"""Reading a zip that may be hostile: refuse before inflating, never read past a cap.

Bundles arrive from elsewhere. An entry is refused for its name (absolute,
``..``, backslashes, drive letters, NUL, anything a bundle does not hold), its
kind (symbolic link, folder, device, encrypted, an unknown compression), its
declared size (per kind of file, :class:`Limits`) or its compression ratio (a
zip bomb); the whole zip for its number of entries or total declared size.
Entries are then read in chunks and never past the size they were allowed, in
case the zip's header lies. Nothing is ever extracted to a path taken from it.
"""

from __future__ import annotations

import hashlib
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from inspector.bundle.layout import MANIFEST, PHOTO_RE, RECORDING_RE, REPORT, BundleError
from inspector.domain.photo_check import MAX_PHOTO_BYTES

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "TooBig",
    "open_zip",
    "read_entry",
    "read_small",
    "size_problem",
    "unsafe_reason",
]

CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile bundle from filling the disk or the memory."""

    max_entries: int = 10_000
    max_manifest_bytes: int = 16 * 1024 * 1024
    max_photo_bytes: int = MAX_PHOTO_BYTES
    """The live path's limit: a bundle brings no photo a phone could not send."""
    max_report_bytes: int = 512 * 1024 * 1024
    max_recording_bytes: int = 2 * 1024 * 1024 * 1024
    """A call's video: hours at the recorder's bitrate."""
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
        if name.startswith("recordings/"):
            return self.max_recording_bytes
        return self.max_photo_bytes


DEFAULT_LIMITS = Limits()


class TooBig(Exception):
    """An entry holds more bytes than it was allowed."""


def harmless_folder(info: zipfile.ZipInfo) -> bool:
    """The empty ``photos/`` entry a zip tool adds when a bundle is unzipped and zipped again.

    It holds nothing and nothing is ever extracted from a bundle, so it is
    skipped rather than reported as tampering.
    """
    mode = info.external_attr >> 16
    return (
        info.filename in ("photos/", "recordings/")
        and info.is_dir()
        and info.file_size == 0
        and not stat.S_ISLNK(mode)
    )


def unsafe_reason(info: zipfile.ZipInfo) -> str | None:
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
    if name not in (MANIFEST, REPORT) and not (PHOTO_RE.match(name) or RECORDING_RE.match(name)):
        return "not a file a bundle holds"
    return None


def size_problem(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    """Why an entry's declared size is not acceptable (too large, a zip bomb), or None."""
    cap = limits.entry_cap(info.filename)
    if info.file_size > cap:
        return f"declares {info.file_size} bytes, more than the {cap}-byte limit"
    if info.file_size >= limits.ratio_floor_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            return f"compression ratio {ratio:.0f}:1 looks like a zip bomb"
    return None


def read_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, sink: IO[bytes] | None
) -> tuple[str, int]:
    """SHA-256 and size of an entry, read in chunks and never past ``cap`` bytes."""
    digest = hashlib.sha256()
    size = 0
    with zf.open(info) as src:
        while chunk := src.read(CHUNK):
            size += len(chunk)
            if size > cap:
                raise TooBig(f"more than {cap} bytes")
            digest.update(chunk)
            if sink is not None:
                sink.write(chunk)
    return digest.hexdigest(), size


def read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """An entry's bytes, never more than ``cap`` of them (TooBig past it)."""
    out = bytearray()
    with zf.open(info) as src:
        while chunk := src.read(CHUNK):
            out += chunk
            if len(out) > cap:
                raise TooBig(f"more than {cap} bytes")
    return bytes(out)


def open_zip(path: Path) -> zipfile.ZipFile:
    """The bundle file opened as a zip; BundleError when it is none (or a symlink)."""
    try:
        if path.is_symlink() or not path.is_file():
            raise BundleError(f"{path}: no such bundle file")
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise BundleError(f"{path}: not a zip file ({exc})") from exc
    except (OSError, ValueError) as exc:
        raise BundleError(f"{path}: cannot be read ({exc})") from exc
