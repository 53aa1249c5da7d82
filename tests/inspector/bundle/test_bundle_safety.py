"""A bundle meets the bar of live input: decodable photos, records valid as ``inspector new``
makes them, shots of the checklist; and nothing it holds reaches a terminal raw.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from inspector.bundle import BundleError, Limits, export_bundle, import_bundle, verify_bundle
from inspector.cli.main import main
from inspector.domain.models import Inspection, Seller, Vehicle
from inspector.report.document import build_report
from inspector.storage.store import Store
from tests.data import jpeg_bytes, scene
from tests.inspector.bundle.test_bundle import entries, resealed, store_is_empty, write_zip
from tests.inspector.os_fixtures import inspector
from tests.inspector.report.test_report import make_inspection

ESCAPES = ("\x1b", "\x9b", "\u202e", "\x07")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str, Path]]:
    folder = tmp_path_factory.mktemp("exported")
    store = Store(folder / "data")
    inspection, _, _ = make_inspection(store)
    out = export_bundle(store, inspection.id, folder / "inspection.zip", report=False)
    yield store, inspection.id, out
    store.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "fresh")
    yield s
    s.close()


def rewritten(
    path: Path, out: Path, change: Callable[[dict[str, Any], dict[str, bytes]], None]
) -> Path:
    """The bundle with its manifest (and files) changed, then sealed again."""
    files = entries(path)
    manifest = json.loads(files["manifest.json"])
    change(manifest, files)
    files["manifest.json"] = resealed(manifest)
    return write_zip(out, files)


def with_photo(shot_id: str, data: bytes) -> Callable[[dict[str, Any], dict[str, bytes]], None]:
    """A change that gives ``shot_id`` other photo bytes, consistently listed."""

    def change(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
        sha = hashlib.sha256(data).hexdigest()
        name = f"photos/{sha}.jpg"
        capture = next(c for c in manifest["captures"] if c["shot_id"] == shot_id)
        old = capture["file"]
        capture.update(sha256=sha, size=len(data), file=name)
        if all(c["file"] != old for c in manifest["captures"]):
            del manifest["files"][old], files[old]
        manifest["files"][name] = {"sha256": sha, "size": len(data)}
        files[name] = data

    return change


def claims_size(data: bytes, width: int, height: int) -> bytes:
    """A real JPEG whose frame header claims another size (a decompression bomb)."""
    at = data.index(b"\xff\xc0") + 5
    return data[:at] + struct.pack(">HH", height, width) + data[at + 4 :]


def garbage_after_header() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40


def truncated() -> bytes:
    data = jpeg_bytes(scene(320, 240, seed=9))
    return data[: len(data) // 2]


# -- item 4: photos a phone could not have sent --------------------------------------


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (garbage_after_header, "not a JPEG image"),
        (lambda: claims_size(jpeg_bytes(scene(64, 48)), 65500, 65500), "too large"),
        (truncated, "cannot be decoded"),
    ],
    ids=["garbage", "bomb", "truncated"],
)
def test_undecodable_photos_are_named_by_verify_and_refused_by_import(
    exported: tuple[Store, str, Path],
    tmp_path: Path,
    fresh: Store,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[], bytes],
    why: str,
) -> None:
    _, _, path = exported
    data = make()
    name = f"photos/{hashlib.sha256(data).hexdigest()}.jpg"
    bad = rewritten(path, tmp_path / "bad.zip", with_photo("front", data))

    result = verify_bundle(bad)
    assert not result.ok
    assert result.unreadable == [name]
    assert any(line.startswith(f"not a usable photo: {name} (") for line in result.problems())
    assert why in result.details[name]
    assert main(["verify", str(bad)]) == 3
    assert name in capsys.readouterr().out

    with pytest.raises(BundleError, match=f"refused, not a usable photo: {name}"):
        import_bundle(fresh, bad)
    assert store_is_empty(fresh)


# -- item 5: records that `inspector new` would refuse ----------------------------------


def _set(*keys: str, value: Any) -> Callable[[dict[str, Any], dict[str, bytes]], None]:
    def change(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
        target = manifest
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _capture(field: str, value: Any) -> Callable[[dict[str, Any], dict[str, bytes]], None]:
    def change(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
        manifest["captures"][3][field] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set("inspection", "seller", "name", value="Bob\x1b]0;pwned\x07\x1b[2J"),
            "seller name: contains control characters",
        ),
        (_set("inspection", "vehicle", "make", value="Peu\x00geot"), "make: contains control"),
        (_set("inspection", "vehicle", "model", value="308\x9b31m"), "model: contains control"),
        (
            _set("inspection", "vehicle", "vin", value="\u202eVF3LBYHZPKS123456"),
            "VIN: must be 17 characters",
        ),
        (
            _set("inspection", "operator", value="Eve \u202enimda"),
            "operator: contains text-direction control characters",
        ),
        (_capture("shot_id", "selfie"), "shot 'selfie' is not in checklist 'standard'"),
        (_capture("retake_of", "nothing"), "'retake_of' 'nothing' is not a capture"),
    ],
    ids=[
        "escape-in-name",
        "nul-in-make",
        "c1-in-model",
        "rlo-vin",
        "rlo-operator",
        "shot",
        "retake",
    ],
)
def test_imported_records_meet_the_rules_of_new(
    exported: tuple[Store, str, Path],
    tmp_path: Path,
    fresh: Store,
    change: Callable[[dict[str, Any], dict[str, bytes]], None],
    message: str,
) -> None:
    _, _, path = exported
    bad = rewritten(path, tmp_path / "bad.zip", change)
    with pytest.raises(BundleError, match="refused") as refused:
        import_bundle(fresh, bad)
    assert message in str(refused.value)
    assert store_is_empty(fresh)


def test_a_damage_note_with_escapes_is_refused(
    exported: tuple[Store, str, Path], tmp_path: Path, fresh: Store
) -> None:
    _, _, path = exported

    def change(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
        manifest["damages"][0]["note"] = "ok\x1b[1A\x1b[2Kall good"

    with pytest.raises(BundleError, match="note: contains control characters"):
        import_bundle(fresh, rewritten(path, tmp_path / "bad.zip", change))
    assert store_is_empty(fresh)


def test_an_oversized_manifest_is_reported_as_too_large(
    exported: tuple[Store, str, Path], fresh: Store
) -> None:
    _, _, path = exported
    result = verify_bundle(path, limits=Limits(max_manifest_bytes=1000))
    assert not result.ok
    (error,) = result.manifest_errors
    assert "manifest.json declares" in error and "more than the 1000-byte limit" in error
    assert "missing" not in error
    assert "manifest.json" not in result.extra
    with pytest.raises(BundleError, match=r"manifest\.json declares"):
        import_bundle(fresh, path, limits=Limits(max_manifest_bytes=1000))


# -- item 3: a damaged local copy is replaced by the bundle's verified bytes ------------


def test_import_replaces_a_damaged_local_copy_of_a_photo(
    exported: tuple[Store, str, Path], tmp_path: Path, fresh: Store
) -> None:
    source, inspection_id, path = exported
    shared = source.captures(inspection_id)[0]
    good = source.read_photo(shared.sha256)
    # Another inspection here shares that photo, and its file got damaged on disk.
    fresh.create_inspection(Inspection(id="neighbour", checklist="standard"))
    fresh.add_capture(
        "neighbour",
        "front",
        good,
        width=shared.width,
        height=shared.height,
        source=shared.source,
        quality=shared.quality,
    )
    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0x55
    fresh.photo_path(shared.sha256).write_bytes(bytes(damaged))

    import_bundle(fresh, path)
    assert fresh.read_photo(shared.sha256) == good
    build_report(fresh, inspection_id, tmp_path / "imported.pdf")  # every photo readable


# -- item 5: nothing stored is ever printed raw -----------------------------------------


def test_stored_text_never_reaches_the_terminal_raw(data_dir: Path, tmp_path: Path) -> None:
    # As an old record (or an old import) could hold it: straight into the store.
    with Store(data_dir) as store:
        store.create_inspection(
            Inspection(
                id="hostile",
                checklist="standard",
                vehicle=Vehicle(make="Peugeot\x1b]0;owned\x07", model="308\x9b2J", plate="X"),
                # A lone surrogate: bytes that were not UTF-8 (JSON columns can keep it).
                seller=Seller(name="Eve\u202e\x1b[31m\udcff"),
            )
        )
    for argv in (["list"], ["list", "--json"], ["show", "hostile"], ["show", "hostile", "--json"]):
        proc = inspector(*argv, data_dir=data_dir)
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        for raw in ESCAPES:
            assert raw not in proc.stdout, (argv, raw)
        if argv[-1] == "--json":
            data = json.loads(proc.stdout)
            shown = data[0] if isinstance(data, list) else data
            assert shown["seller"]["name"] == "Eve\u202e\x1b[31m\udcff"  # escaped, not lost
        else:
            assert "Peugeot\\x1b]0;owned\\x07" in proc.stdout


def test_verify_shows_hostile_entry_names_escaped(
    exported: tuple[Store, str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, path = exported
    files = entries(path)
    files["photos/\x1b]0;owned\x07.jpg"] = b"x"
    bad = write_zip(tmp_path / "bad.zip", files)
    assert main(["verify", str(bad)]) == 3
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "photos/\\x1b]0;owned\\x07.jpg" in out


def test_a_photo_within_the_live_limits_still_imports(
    tmp_path: Path, store: Store, fresh: Store
) -> None:
    """The new checks refuse bombs, not ordinary photos (a portrait 3000x4000 still)."""
    inspection, _, _ = make_inspection(store)
    big = io.BytesIO()
    Image.new("RGB", (3000, 4000), (90, 120, 150)).save(big, "JPEG", quality=80)
    out = export_bundle(store, inspection.id, tmp_path / "b.zip", report=False)
    ok = rewritten(out, tmp_path / "ok.zip", with_photo("front", big.getvalue()))
    assert verify_bundle(ok).ok
    imported = import_bundle(fresh, ok)
    with zipfile.ZipFile(ok) as zf:
        photos = {n for n in zf.namelist() if n.startswith("photos/")}
    assert photos == {f"photos/{c.sha256}.jpg" for c in fresh.captures(imported.id)}
