"""A call's recording travels in the bundle: hashed in the manifest, verified, imported."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np

from inspector.bundle import export_bundle, import_bundle, verify_bundle
from inspector.domain.recording import TimelineMark
from inspector.live.recorder import SessionRecording
from inspector.storage import recordings as files
from inspector.storage.store import Store
from tests.inspector.report.test_report import make_inspection


def record(store: Store, inspection_id: str, frames: int = 12) -> None:
    """A real recording of a few frames, kept as the engine keeps one."""
    recording = SessionRecording(store, inspection_id, True)
    recording.answer()
    recording.start()
    start = time.monotonic()
    for i in range(frames):
        picture = np.full((120, 160, 3), (i * 20) % 255, np.uint8)
        recording.push(picture, start + i / 10)
    recording.marks.append(TimelineMark(0.5, "capture", shot_id="front", capture_id="c1"))
    assert recording.finish() is not None


def test_the_recording_is_exported_verified_and_imported(store: Store, tmp_path: Path) -> None:
    inspection, _, _ = make_inspection(store)
    record(store, inspection.id)
    (row,) = store.recordings(inspection.id)
    assert row.sha256 and row.timeline_sha256
    out = export_bundle(store, inspection.id, tmp_path / "b.zip", report=False)
    video = f"recordings/{row.sha256}.mp4"
    timeline = f"recordings/{row.timeline_sha256}.json"
    with zipfile.ZipFile(out) as zf:
        assert {video, timeline} <= set(zf.namelist())
    result = verify_bundle(out)
    assert result.ok and {video, timeline} <= set(result.verified)

    fresh = Store(tmp_path / "fresh")
    try:
        import_bundle(fresh, out)
        (copy,) = fresh.recordings(inspection.id)
        assert copy == row
        assert files.file_sha256(fresh.recording_file(row.sha256, "video/mp4"))[0] == row.sha256
        marks = files.read_timeline(
            fresh.recording_file(row.timeline_sha256, "application/json").read_bytes()
        )
        assert marks[0].capture_id == "c1"
    finally:
        fresh.close()

    # A recording altered in the zip is named.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data[:-1] + b"x" if info.filename == video else data)
    result = verify_bundle(tampered)
    assert not result.ok and result.altered == [video]


def test_a_refusal_is_in_the_manifest_without_files(store: Store, tmp_path: Path) -> None:
    import json

    inspection, _, _ = make_inspection(store)
    SessionRecording(store, inspection.id, False).answer()
    out = export_bundle(store, inspection.id, tmp_path / "b.zip", report=False)
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert not [n for n in zf.namelist() if n.startswith("recordings/")]
    (answer,) = manifest["call_recordings"]
    assert answer["consent"] is False and answer["video"] is None
    assert verify_bundle(out).ok
