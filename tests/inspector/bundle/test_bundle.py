"""Bundles: export, verify, import; tampering named; hostile zips refused cleanly."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from inspector.bundle import (
    BundleError,
    Limits,
    export_bundle,
    import_bundle,
    seal_of,
    verify_bundle,
)
from inspector.domain.models import Damage, DamageType, Part, Region, Severity
from inspector.domain.privacy import BlurBox
from inspector.report.document import ReportCancelled
from inspector.storage import StoreError
from inspector.storage import rows as store_rows
from inspector.storage.blur import new_scan
from inspector.storage.store import Store
from inspector.usecases.inspections import capture_to_dict, inspection_to_dict
from tests.inspector.report.test_report import make_inspection


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str, Path]]:
    """One exported bundle (and the store it came from) shared by the module's tests."""
    folder = tmp_path_factory.mktemp("exported")
    store = Store(folder / "data")
    inspection, _, _ = make_inspection(store)
    out = export_bundle(store, inspection.id, folder / "inspection.zip", lang="en")
    yield store, inspection.id, out
    store.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "fresh")
    yield s
    s.close()


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_zip(path: Path, files: dict[str, bytes], compress: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compress) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def resealed(manifest: dict[str, Any]) -> bytes:
    manifest["seal"] = seal_of(manifest)
    return json.dumps(manifest).encode()


def store_is_empty(store: Store) -> bool:
    photos = [p for p in store.photos_dir.rglob("*") if p.is_file()]
    return store.list_inspections() == [] and photos == []


def test_round_trip(exported: tuple[Store, str, Path], fresh: Store) -> None:
    store, inspection_id, path = exported
    names = set(entries(path))
    captures = store.captures(inspection_id)
    assert names == {"manifest.json", "report.pdf"} | {f"photos/{c.sha256}.jpg" for c in captures}

    result = verify_bundle(path)
    assert result.ok, result.problems()
    assert set(result.verified) == names - {"manifest.json"}
    assert result.inspection_id == inspection_id

    manifest = json.loads(entries(path)["manifest.json"])
    assert manifest["format_version"] == 1 and manifest["checklist"] == "standard"
    assert (
        manifest["files"]["report.pdf"]["sha256"]
        == hashlib.sha256(entries(path)["report.pdf"]).hexdigest()
    )

    imported = import_bundle(fresh, path)
    assert imported.id == inspection_id
    original = store.get_inspection(inspection_id)
    assert inspection_to_dict(imported) == inspection_to_dict(original)
    assert [capture_to_dict(c) for c in fresh.captures(inspection_id)] == [
        capture_to_dict(c) for c in captures
    ]
    assert fresh.damages(inspection_id) == store.damages(inspection_id)
    for c in captures:
        assert fresh.read_photo(c.sha256) == store.read_photo(c.sha256)


def test_a_damage_added_live_keeps_its_pair_through_a_bundle(
    store: Store, tmp_path: Path, fresh: Store
) -> None:
    inspection, _, _ = make_inspection(store)
    live = Damage("live1", inspection.id, None, Part.ROOF, DamageType.OTHER, Severity.MINOR, pair=1)
    live.to_complete = True
    store.add_damage(live)
    path = export_bundle(store, inspection.id, tmp_path / "b.zip", report=False)
    import_bundle(fresh, path)
    assert live in fresh.damages(inspection.id)


def test_export_without_report_and_cancel(store: Store, tmp_path: Path) -> None:
    inspection, _, _ = make_inspection(store)
    path = export_bundle(store, inspection.id, tmp_path / "b.zip", report=False)
    assert "report.pdf" not in entries(path)
    assert verify_bundle(path).ok
    with pytest.raises(ReportCancelled):
        export_bundle(store, inspection.id, tmp_path / "c" / "c.zip", cancelled=lambda: True)
    assert list((tmp_path / "c").iterdir()) == []


def test_export_refuses_a_damaged_photo(store: Store, tmp_path: Path) -> None:
    inspection, captures, _ = make_inspection(store)
    store.photo_path(captures["rear"].sha256).write_bytes(b"\xff\xd8\xffnot the photo")
    with pytest.raises(BundleError, match="fingerprint"):
        export_bundle(store, inspection.id, tmp_path / "b.zip", report=False)
    assert not (tmp_path / "b.zip").exists()


def test_importing_an_existing_inspection_is_refused(exported: tuple[Store, str, Path]) -> None:
    store, inspection_id, path = exported
    before = [capture_to_dict(c) for c in store.captures(inspection_id)]
    with pytest.raises(BundleError, match=f"{inspection_id} already exists"):
        import_bundle(store, path)
    assert [capture_to_dict(c) for c in store.captures(inspection_id)] == before


def test_a_failed_insert_leaves_nothing(
    exported: tuple[Store, str, Path], fresh: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, path = exported

    def boom(*args: Any) -> None:  # fails after the inspection and captures went in
        raise sqlite3.OperationalError("disk on fire")

    monkeypatch.setattr(store_rows, "insert_damage", boom)
    with pytest.raises(StoreError, match="disk on fire"):
        import_bundle(fresh, path)
    assert store_is_empty(fresh)


def test_capture_id_clash_is_a_clear_error(
    exported: tuple[Store, str, Path], tmp_path: Path
) -> None:
    store, inspection_id, path = exported
    files = entries(path)
    manifest = json.loads(files["manifest.json"])
    manifest["inspection"]["id"] = "another0id01"
    files["manifest.json"] = resealed(manifest)
    clash = write_zip(tmp_path / "clash.zip", files)
    photos_before = sorted(store.photos_dir.rglob("*.jpg"))
    with pytest.raises(BundleError, match="already used"):
        import_bundle(store, clash)
    assert sorted(store.photos_dir.rglob("*.jpg")) == photos_before
    assert [i.id for i in store.list_inspections()] == [inspection_id]


# -- tampering ---------------------------------------------------------------------------


def tamper(path: Path, tmp_path: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    files = entries(path)
    change(files)
    return write_zip(tmp_path / "tampered.zip", files)


def first_photo(files: dict[str, bytes]) -> str:
    return sorted(n for n in files if n.startswith("photos/"))[0]


def test_tampering_is_detected_and_named(
    exported: tuple[Store, str, Path], tmp_path: Path, fresh: Store
) -> None:
    _, _, path = exported
    photo = first_photo(entries(path))

    def alter(files: dict[str, bytes]) -> None:
        data = bytearray(files[photo])
        data[-20] ^= 0x01
        files[photo] = bytes(data)

    def remove(files: dict[str, bytes]) -> None:
        del files[photo]

    def extra(files: dict[str, bytes]) -> None:
        files["photos/" + "0" * 64 + ".jpg"] = b"\xff\xd8\xff extra"

    def edit_manifest(files: dict[str, bytes]) -> None:
        manifest = json.loads(files["manifest.json"])
        manifest["inspection"]["vehicle"]["mileage_km"] = 12000
        files["manifest.json"] = json.dumps(manifest).encode()

    def alter_report(files: dict[str, bytes]) -> None:
        files["report.pdf"] = files["report.pdf"].replace(b"/Producer", b"/Producex", 1)

    cases: list[tuple[Callable[[dict[str, bytes]], None], str, str]] = [
        (alter, "altered", photo),
        (remove, "missing", photo),
        (extra, "extra", "photos/" + "0" * 64 + ".jpg"),
        (alter_report, "altered", "report.pdf"),
    ]
    for change, kind, name in cases:
        bad = tamper(path, tmp_path, change)
        result = verify_bundle(bad)
        assert not result.ok
        assert getattr(result, kind) == [name], (kind, result.problems())
        assert any(line.startswith(f"{kind}: {name}") for line in result.problems())
        with pytest.raises(BundleError, match="refused"):
            import_bundle(fresh, bad)
        assert store_is_empty(fresh)

    bad = tamper(path, tmp_path, edit_manifest)
    result = verify_bundle(bad)
    assert not result.ok and not result.altered and not result.missing
    assert any("manifest.json was edited" in e for e in result.manifest_errors)
    with pytest.raises(BundleError, match=r"manifest\.json was edited"):
        import_bundle(fresh, bad)
    assert store_is_empty(fresh)


# -- hostile zips -------------------------------------------------------------------------


def refused(store: Store, path: Path, match: str, limits: Limits | None = None) -> None:
    watched = [store.data_dir.parent, path.parent]  # the test's folder and the bundle's
    outside_before = sorted(p for w in watched for p in w.rglob("*") if "fresh" not in p.parts)
    with pytest.raises(BundleError, match=match):
        if limits is None:
            import_bundle(store, path)
        else:
            import_bundle(store, path, limits=limits)
    assert store_is_empty(store)
    outside_after = sorted(p for w in watched for p in w.rglob("*") if "fresh" not in p.parts)
    assert outside_after == outside_before


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.jpg", "'..'"),
        ("photos/../../evil.jpg", "'..'"),
        ("/tmp/evil.jpg", "absolute path"),
        ("C:/evil.jpg", "drive letter"),
        ("photos\\..\\evil.jpg", "backslash"),
        ("notes.txt", "not a file a bundle holds"),
        ("photos/", "not a regular file"),
    ],
)
def test_unsafe_entry_names(
    exported: tuple[Store, str, Path], tmp_path: Path, fresh: Store, name: str, reason: str
) -> None:
    _, _, path = exported
    files = entries(path)
    files[name] = b"\xff\xd8\xff evil"
    bad = write_zip(tmp_path / "bad.zip", files)
    result = verify_bundle(bad)
    assert result.extra == [name] and reason in result.details[name]
    refused(fresh, bad, "refused")
    assert not (tmp_path / "evil.jpg").exists() and not Path("/tmp/evil.jpg").exists()


def test_a_bundle_unzipped_and_zipped_again_is_still_intact(
    exported: tuple[Store, str, Path], tmp_path: Path, fresh: Store
) -> None:
    """`unzip b.zip && zip -r b2.zip .` adds an empty ``photos/`` folder entry: not tampering."""
    _, inspection_id, path = exported
    rezipped = tmp_path / "rezipped.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(rezipped, "w") as dst:
        dst.mkdir("photos")
        for info in src.infolist():
            dst.writestr(info, src.read(info))
    result = verify_bundle(rezipped)
    assert result.ok, result.problems()
    assert import_bundle(fresh, rezipped).id == inspection_id


def test_symlink_entry(exported: tuple[Store, str, Path], tmp_path: Path, fresh: Store) -> None:
    _, _, path = exported
    files = entries(path)
    photo = first_photo(files)
    bad = tmp_path / "link.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in files.items():
            if name == photo:
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, "/etc/passwd")
            else:
                zf.writestr(name, data)
    assert "symbolic link" in verify_bundle(bad).details[photo]
    refused(fresh, bad, "refused")


def test_zip_bombs(exported: tuple[Store, str, Path], tmp_path: Path, fresh: Store) -> None:
    _, _, path = exported
    files = entries(path)
    # a photo entry of 4 MB of zeros: the ratio gives it away before a byte is inflated
    zeros = b"\xff\xd8\xff" + bytes(4 * 1024 * 1024)
    sha = hashlib.sha256(zeros).hexdigest()
    manifest = json.loads(files["manifest.json"])
    photo = first_photo(files)
    old_sha = photo[len("photos/") : -len(".jpg")]
    del files[photo]
    files[f"photos/{sha}.jpg"] = zeros
    del manifest["files"][photo]
    manifest["files"][f"photos/{sha}.jpg"] = {"sha256": sha, "size": len(zeros)}
    for c in manifest["captures"]:
        if c["sha256"] == old_sha:
            c.update(sha256=sha, size=len(zeros), file=f"photos/{sha}.jpg")
    files["manifest.json"] = resealed(manifest)
    bomb = write_zip(tmp_path / "bomb.zip", files, zipfile.ZIP_DEFLATED)
    assert "zip bomb" in verify_bundle(bomb).details[f"photos/{sha}.jpg"]
    refused(fresh, bomb, "zip bomb")

    # a declared size above the per-entry cap
    refused(fresh, path, "limit", Limits(max_photo_bytes=1000))
    # and above the total cap
    refused(fresh, path, "limit", Limits(max_total_bytes=1000))
    refused(fresh, path, "entries", Limits(max_entries=3))


def test_bad_manifests(exported: tuple[Store, str, Path], tmp_path: Path, fresh: Store) -> None:
    _, _, path = exported
    files = entries(path)
    original = json.loads(files["manifest.json"])

    def with_manifest(data: bytes | None) -> Path:
        changed = dict(files)
        if data is None:
            del changed["manifest.json"]
        else:
            changed["manifest.json"] = data
        return write_zip(tmp_path / "m.zip", changed)

    refused(fresh, with_manifest(None), "manifest.json is missing")
    refused(fresh, with_manifest(b"{not json"), "not valid JSON")
    refused(fresh, with_manifest(b"\xff\xfe"), "not UTF-8")
    refused(fresh, with_manifest(b"[]"), "must be a JSON object")
    refused(fresh, with_manifest(b"[" * 100000 + b"]" * 100000), "manifest")

    def edited(change: Callable[[dict[str, Any]], None]) -> Path:
        manifest = json.loads(json.dumps(original))
        change(manifest)
        return with_manifest(resealed(manifest))

    cases: list[tuple[Callable[[dict[str, Any]], None], str]] = [
        (lambda m: m.update(format="zip"), "not an inspection bundle"),
        (lambda m: m.update(format_version=99), "version 99"),
        (lambda m: m.update(captures="all"), "'captures' must be list"),
        (lambda m: m["inspection"]["vehicle"].update(mileage_km="84500"), "mileage_km"),
        (lambda m: m["inspection"]["vehicle"].update(year=True), "year"),
        (lambda m: m["inspection"].update(id="../../etc"), "not a valid id"),
        (lambda m: m["inspection"].update(grade=9), "grade"),
        (lambda m: m["damages"][0].update(severity=7), "severity"),
        (lambda m: m["damages"][0].update(region=[0.9, 0.9, 0.5, 0.5]), "region"),
        (lambda m: m["damages"][0].update(part="spoiler"), "part"),
        (lambda m: m["damages"][0].update(capture_id="nope"), "capture_id"),
        (lambda m: m["captures"][0].update(captured_at="yesterday"), "captured_at"),
        (lambda m: m["captures"][0].update(sha256="0" * 64), "'file' must be"),
        (lambda m: m["captures"][0].update(quality={"verdict": "great"}), "quality"),
        (lambda m: m["captures"][0].pop("width"), "missing 'width'"),
        (lambda m: m["files"].update({"report.pdf": []}), "must be an object"),
        (lambda m: m["inspection"].update(checklist="unknown_list"), "checklist"),
    ]
    for change, match in cases:
        refused(fresh, edited(change), match)


def test_not_a_bundle(tmp_path: Path, fresh: Store) -> None:
    with pytest.raises(BundleError, match="no such bundle"):
        verify_bundle(tmp_path / "none.zip")
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip")
    with pytest.raises(BundleError, match="not a zip"):
        import_bundle(fresh, junk)
    assert store_is_empty(fresh)


# -- CLI ----------------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from tests.inspector.report.test_report import run_cli as run

    return run(capsys, *argv)


def test_cli_export_verify_import(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inspection, _, _ = make_inspection(store)
    out = tmp_path / "inspection.zip"
    code, stdout, err = run_cli(capsys, "export", inspection.id, "-o", str(out), "--lang", "en")
    assert code == 0, err
    assert stdout.strip() == str(out)

    code, stdout, err = run_cli(capsys, "verify", str(out))
    assert code == 0 and stdout.startswith("OK: inspection.zip is intact") and err == ""
    code, stdout, _ = run_cli(capsys, "verify", str(out), "--json")
    assert json.loads(stdout)["ok"] is True

    other = tmp_path / "other"
    code, stdout, err = run_cli(capsys, "--data-dir", str(other), "import", str(out))
    assert code == 0, err
    assert stdout.strip() == inspection.id
    with Store(other) as imported:
        assert len(imported.captures(inspection.id)) == len(store.captures(inspection.id))

    code, _, err = run_cli(capsys, "import", str(out))  # into the store it came from
    assert code == 1 and err.count("\n") == 1 and "already exists" in err

    files = entries(out)
    photo = first_photo(files)
    del files[photo]
    files["photos/" + "1" * 64 + ".jpg"] = b"x"
    bad = write_zip(tmp_path / "bad.zip", files)
    code, stdout, err = run_cli(capsys, "verify", str(bad))
    assert code == 3
    assert f"missing: {photo}" in stdout and "extra: photos/" + "1" * 64 in stdout
    assert err.count("\n") == 1 and "NOT intact" in err

    junk = tmp_path / "junk.zip"
    junk.write_text("nope")
    for argv in (
        ("verify", str(junk)),
        ("import", str(junk)),
        ("export", "zzzz", "-o", str(tmp_path / "z.zip")),
        ("export", inspection.id, "-o", str(tmp_path / "z.tar")),
    ):
        code, _, err = run_cli(capsys, *argv)
        assert code == 1 and err.startswith("inspector: error: ") and err.count("\n") == 1, argv


def test_blur_boxes_travel_with_the_bundle(store: Store, tmp_path: Path, fresh: Store) -> None:
    inspection, captures, _ = make_inspection(store)
    front = captures["front"].id
    box = BlurBox("b1", inspection.id, front, Region(0.4, 0.6, 0.2, 0.08), "plate", "detected", 0.9)
    store.add_blur_scan(new_scan(front, inspection.id, "haar-ocr-1"), [box])
    face = BlurBox("b2", inspection.id, front, Region(0.1, 0.1, 0.1, 0.2), "face")
    store.add_blur_box(face)
    path = export_bundle(store, inspection.id, tmp_path / "b.zip", report=False)
    manifest = json.loads(entries(path)["manifest.json"])
    assert [b["id"] for b in manifest["blur_boxes"]] == ["b1", "b2"]
    assert manifest["blur_scans"][0]["capture_id"] == front

    def edited(change: Callable[[dict[str, Any]], None], name: str) -> Path:
        m = json.loads(json.dumps(manifest))
        change(m)
        files = entries(path)
        files["manifest.json"] = resealed(m)
        return write_zip(tmp_path / name, files)

    # A box on a stranger, a point, an unknown kind, a photo scanned twice: refused.
    for i, (change, match) in enumerate(
        [
            (lambda m: m["blur_boxes"][0].update(capture_id="nope"), r"blur_boxes\[0\]"),
            (lambda m: m["blur_boxes"][0].update(region=[0.5, 0.5, 0, 0]), "point"),
            (lambda m: m["blur_boxes"][0].update(kind="licence"), "kind"),
            (lambda m: m["blur_scans"].append(m["blur_scans"][0]), "twice"),
        ]
    ):
        refused(fresh, edited(change, f"bad{i}.zip"), match)
    # A bundle written before the boxes (no keys) still imports.
    old = edited(lambda m: [m.pop("blur_boxes"), m.pop("blur_scans")], "old.zip")

    import_bundle(fresh, path)
    assert fresh.blur_boxes(inspection.id) == [box, face]
    assert fresh.blur_scans(inspection.id) == store.blur_scans(inspection.id)
    fresh.delete_inspection(inspection.id)
    import_bundle(fresh, old)
    assert fresh.blur_boxes(inspection.id) == []
