"""Reading rendered VINs, odometers and plates: offline, cropped, post-checked."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import pytest

from inspector.cli.main import main
from inspector.ocr import read_image
from tests.ocr_images import CONDITIONS, sample

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_a_reading_needs_no_network(tmp_path: Path) -> None:
    """In a fresh interpreter whose sockets all fail: the models come from the wheel."""
    s = sample("vin", "sharp", 7)
    image = tmp_path / "vin.jpg"
    cv2.imwrite(str(image), s.image)
    code = textwrap.dedent(
        f"""
        import socket, sys

        def refuse(*args, **kwargs):
            raise OSError("network blocked by the test")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from inspector.ocr import read_photo
        reading = read_photo(open({str(image)!r}, "rb").read(), "vin", "vin_plate")
        print(reading.text)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == s.truth


@pytest.mark.parametrize("kind", ["vin", "odometer", "plate"])
def test_sharp_and_degraded_photos_are_read(kind: str) -> None:
    """Every condition once (three sharp): exact on sharp ones; what the others give is in
    bench/ocr.py's figures, here at most one miss."""
    results = []
    for condition in (*CONDITIONS, "sharp", "sharp"):
        seed = len(results)
        s = sample(kind, condition, seed)
        reading = read_image(s.image, kind, s.overlay)  # type: ignore[arg-type]
        results.append((condition, s.truth, reading.text))
    sharp = [r for r in results if r[0] == "sharp"]
    assert all(truth == text for _, truth, text in sharp), sharp
    misses = [r for r in results if r[1] != r[2]]
    assert len(misses) <= 1, misses


def test_the_crop_keeps_other_text_out() -> None:
    """A sticker outside the guide is not read as the VIN."""
    s = sample("vin", "sharp", 3)
    image = s.image.copy()
    cv2.putText(image, "WBA00000000000000", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (0, 0, 0), 4)
    assert read_image(image, "vin", "vin_plate").text == s.truth


def test_read_command_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = sample("plate", "sharp", 11)
    image = tmp_path / "plate.jpg"
    cv2.imwrite(str(image), s.image)
    assert main(["read", str(image), "--kind", "plate", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"kind", "text", "confidence"}
    assert out["kind"] == "plate" and out["text"] == s.truth and 0.5 < out["confidence"] <= 1

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), s.image[:40, :40] * 0)
    assert main(["read", str(blank), "--kind", "vin", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] is None

    assert main(["read", str(tmp_path / "missing.jpg"), "--kind", "vin"]) == 1
    assert "cannot read" in capsys.readouterr().err
    (tmp_path / "junk.jpg").write_bytes(b"not an image")
    assert main(["read", str(tmp_path / "junk.jpg"), "--kind", "vin"]) == 1
    assert "cannot be decoded" in capsys.readouterr().err
