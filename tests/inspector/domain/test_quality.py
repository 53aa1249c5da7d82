"""Quality verdicts on synthetic pictures drawn here (no fixtures on disk)."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from inspector.domain.models import QualityReport, QualityThresholds, Verdict
from inspector.domain.quality import (
    MAX_MOTION,
    QualityError,
    analyze_frame,
    analyze_jpeg,
    assess,
    frame_difference,
    live_hint,
    measure,
)

Frame = npt.NDArray[Any]  # OpenCV types its results loosely
T = QualityThresholds()


def scene(width: int = 1280, height: int = 720) -> Frame:
    """A vector-drawn street-ish scene: the same picture at any resolution."""
    s = width / 1280
    img = np.empty((height, width, 3), np.uint8)
    ramp = np.linspace(70, 170, height, dtype=np.float32)[:, None]
    img[:] = ramp.astype(np.uint8)[:, :, None]

    def p(x: float, y: float) -> tuple[int, int]:
        return round(x * s), round(y * s)

    def th(t: int) -> int:
        return max(1, round(t * s))

    aa = cv2.LINE_AA
    cv2.rectangle(img, p(100, 380), p(1180, 620), (40, 60, 160), -1, aa)  # car body
    cv2.rectangle(img, p(260, 250), p(980, 390), (90, 90, 100), -1, aa)  # cabin
    for x in (300, 620):
        cv2.rectangle(img, p(x, 270), p(x + 300, 370), (200, 190, 170), -1, aa)  # windows
    for x in (320, 960):
        cv2.circle(img, p(x, 620), th(90), (25, 25, 25), -1, aa)  # tyres
        cv2.circle(img, p(x, 620), th(45), (170, 170, 170), th(6), aa)  # rims
    for i in range(24):
        x = 120 + i * 45
        cv2.line(img, p(x, 400), p(x + 20, 600), (230, 230, 230), th(2), aa)
    cv2.rectangle(img, p(540, 540), p(740, 590), (245, 245, 245), -1, aa)  # plate
    cv2.putText(img, "AB-123-CD", p(548, 580), cv2.FONT_HERSHEY_SIMPLEX, 1.2 * s, 0, th(3), aa)
    cv2.putText(img, "INSPECTION 2024", p(80, 120), cv2.FONT_HERSHEY_DUPLEX, 2.0 * s, 20, th(3), aa)
    for i in range(12):
        cv2.putText(
            img, f"km {i * 1234}", p(60 + i * 100, 200), cv2.FONT_HERSHEY_PLAIN, 1.3 * s, 250, th(1)
        )
    return img


@pytest.fixture(scope="module")
def sharp() -> Frame:
    return scene()


def codes(report: QualityReport) -> set[str]:
    return {r.code for r in report.reasons}


def jpeg(image: Frame, quality: int = 90, exif: Image.Exif | None = None) -> bytes:
    rgb = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    buf = io.BytesIO()
    rgb.save(buf, "JPEG", quality=quality, exif=exif or Image.Exif())
    return buf.getvalue()


def test_sharp_scene_is_ok(sharp: Frame) -> None:
    report = analyze_frame(sharp, T)
    assert report.verdict is Verdict.OK, report
    assert report.reasons == ()
    m = report.metrics
    assert m["width"] == 1280 and m["height"] == 720
    assert m["sharpness"] > T.warn_sharpness
    assert T.min_brightness < m["brightness"] < T.max_brightness
    assert set(m) >= {"sharpness", "brightness", "dark_clipped", "bright_clipped", "glare"}


def test_grey_and_bgra_inputs_agree_with_bgr(sharp: Frame) -> None:
    bgr = measure(sharp)
    grey = measure(cv2.cvtColor(sharp, cv2.COLOR_BGR2GRAY))
    bgra = measure(cv2.cvtColor(sharp, cv2.COLOR_BGR2BGRA))
    for key in ("sharpness", "brightness"):
        assert grey[key] == pytest.approx(bgr[key], rel=0.05)
        assert bgra[key] == pytest.approx(bgr[key], rel=0.05)


def test_blurred_scene_is_rejected_as_blurry(sharp: Frame) -> None:
    report = analyze_frame(cv2.GaussianBlur(sharp, (0, 0), 6), T)
    assert report.verdict is Verdict.REJECT
    assert "blurry" in codes(report)


def test_slightly_blurred_scene_is_a_warning(sharp: Frame) -> None:
    report = analyze_frame(cv2.GaussianBlur(sharp, (0, 0), 1.9), T)
    assert T.min_sharpness < report.metrics["sharpness"] < T.warn_sharpness
    assert report.verdict is Verdict.WARN
    assert codes(report) == {"slightly_blurry"}


def test_sharpness_drops_steadily_with_blur(sharp: Frame) -> None:
    values = [measure(cv2.GaussianBlur(sharp, (0, 0), s))["sharpness"] for s in (0.5, 2, 4, 8)]
    assert values == sorted(values, reverse=True)


def test_too_dark_is_rejected(sharp: Frame) -> None:
    report = analyze_frame(cv2.convertScaleAbs(sharp, alpha=0.15), T)
    assert report.verdict is Verdict.REJECT
    assert "too_dark" in codes(report)
    assert report.metrics["brightness"] < T.min_brightness


def test_too_bright_is_rejected(sharp: Frame) -> None:
    report = analyze_frame(cv2.convertScaleAbs(sharp, alpha=0.3, beta=200), T)
    assert report.verdict is Verdict.REJECT
    assert "too_bright" in codes(report)
    assert "glare" not in codes(report)  # an overexposed photo is not a reflection


def test_crushed_shadows_are_rejected_even_with_normal_mean(sharp: Frame) -> None:
    img = sharp.copy()
    img[:, : img.shape[1] * 2 // 5] = 0  # 40 % pure black
    img[:, img.shape[1] * 2 // 5 :] = cv2.convertScaleAbs(img[:, img.shape[1] * 2 // 5 :], beta=60)
    report = analyze_frame(img, T)
    assert report.metrics["dark_clipped"] > T.max_clipped
    assert report.metrics["brightness"] > T.min_brightness
    assert "too_dark" in codes(report)
    assert report.verdict is Verdict.REJECT


def test_low_resolution_is_rejected() -> None:
    report = analyze_frame(scene(640, 360), T)
    assert report.verdict is Verdict.REJECT
    assert codes(report) == {"low_resolution"}


def test_portrait_photo_at_minimum_resolution_is_accepted(sharp: Frame) -> None:
    portrait = np.ascontiguousarray(np.rot90(sharp))
    report = analyze_frame(portrait, T)
    assert (report.metrics["width"], report.metrics["height"]) == (720, 1280)
    assert "low_resolution" not in codes(report)


def test_glare_blob_is_a_warning(sharp: Frame) -> None:
    img = sharp.copy()
    cv2.ellipse(img, (700, 470), (260, 110), 0, 0, 360, (255, 255, 255), -1)
    report = analyze_frame(img, T)
    assert T.max_glare < report.metrics["glare"] <= report.metrics["bright_clipped"]
    assert report.verdict is Verdict.WARN
    assert codes(report) == {"glare"}


def test_huge_glare_is_rejected(sharp: Frame) -> None:
    img = sharp.copy()
    cv2.ellipse(img, (640, 360), (560, 300), 0, 0, 360, (255, 255, 255), -1)
    report = analyze_frame(img, T)
    assert report.metrics["glare"] > T.max_clipped
    assert report.verdict is Verdict.REJECT
    assert "glare" in codes(report)


def test_tiny_highlights_are_not_glare(sharp: Frame) -> None:
    img = sharp.copy()
    rng = np.random.default_rng(1)
    for x, y in rng.integers((0, 0), (1280, 720), size=(300, 2)):
        cv2.circle(img, (int(x), int(y)), 2, (255, 255, 255), -1)
    m = measure(img)
    assert m["bright_clipped"] > 0
    assert m["glare"] < 0.005


@pytest.mark.parametrize("size", [(960, 540), (1920, 1080), (3840, 2160)])
def test_sharpness_does_not_depend_on_resolution(sharp: Frame, size: tuple[int, int]) -> None:
    """The same scene drawn at another resolution (not resized) scores about the same."""
    reference = measure(sharp)["sharpness"]
    assert measure(scene(*size))["sharpness"] == pytest.approx(reference, rel=0.2)


def test_jpeg_reports_true_size_and_matches_frame_analysis() -> None:
    img = scene(4000, 2250)
    report = analyze_jpeg(jpeg(img), T)
    assert (report.metrics["width"], report.metrics["height"]) == (4000, 2250)
    frame = analyze_frame(img, T)
    assert report.verdict is frame.verdict is Verdict.OK
    assert report.metrics["sharpness"] == pytest.approx(frame.metrics["sharpness"], rel=0.25)
    assert report.metrics["brightness"] == pytest.approx(frame.metrics["brightness"], abs=3)


def test_jpeg_blurry_and_small_are_rejected(sharp: Frame) -> None:
    blurry = analyze_jpeg(jpeg(cv2.GaussianBlur(sharp, (0, 0), 6)), T)
    assert "blurry" in codes(blurry)
    small = analyze_jpeg(jpeg(scene(640, 360)), T)
    assert "low_resolution" in codes(small)
    assert (small.metrics["width"], small.metrics["height"]) == (640, 360)


def test_jpeg_exif_rotation_reports_displayed_size(sharp: Frame) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    report = analyze_jpeg(jpeg(sharp, exif=exif), T)
    assert (report.metrics["width"], report.metrics["height"]) == (720, 1280)


def test_png_and_grey_images_decode_too(sharp: Frame) -> None:
    buf = io.BytesIO()
    Image.fromarray(cv2.cvtColor(sharp, cv2.COLOR_BGR2GRAY)).save(buf, "PNG")
    report = analyze_jpeg(buf.getvalue(), T)
    assert report.verdict is Verdict.OK
    assert (report.metrics["width"], report.metrics["height"]) == (1280, 720)


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\xff\xd8\xff\xe0" + b"\x00" * 64],
    ids=["empty", "text", "jpeg-magic-only"],
)
def test_garbage_bytes_raise_quality_error(data: bytes) -> None:
    with pytest.raises(QualityError):
        analyze_jpeg(data, T)


def test_truncated_jpeg_raises_quality_error(sharp: Frame) -> None:
    data = jpeg(sharp)
    with pytest.raises(QualityError):
        analyze_jpeg(data[: len(data) // 2], T)


def test_quality_error_is_a_value_error() -> None:
    assert issubclass(QualityError, ValueError)


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG that declares a huge size: the header alone must be refused."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _jpeg_bomb(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is rewritten to declare a huge size."""
    data = bytearray(jpeg(scene(64, 36)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize(
    "data",
    [_png_bomb(100_000, 100_000), _jpeg_bomb(60_000, 60_000)],
    ids=["png", "jpeg"],
)
def test_decompression_bomb_header_raises_quality_error(data: bytes) -> None:
    with pytest.raises(QualityError, match="too large"):
        analyze_jpeg(data, T)


def test_lowered_pixel_limit_is_respected(sharp: Frame, monkeypatch: pytest.MonkeyPatch) -> None:
    data = jpeg(sharp)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow itself refuses (> 2x limit)
    with pytest.raises(QualityError, match="too large"):
        analyze_jpeg(data, T)


def test_size_just_over_pixel_limit_is_refused(
    sharp: Frame, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = jpeg(sharp)
    # Between 1x and 2x the limit Pillow only warns: we must still refuse.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1280 * 720 - 1)
    with (
        pytest.warns(Image.DecompressionBombWarning),
        pytest.raises(QualityError, match="too large"),
    ):
        analyze_jpeg(data, T)


def test_bad_arrays_raise_quality_error() -> None:
    with pytest.raises(QualityError):
        measure(np.zeros((0, 0), np.uint8))
    with pytest.raises(QualityError):
        measure(np.zeros((10, 10), np.float32))
    with pytest.raises(QualityError):
        measure(np.zeros((10, 10, 2), np.uint8))


def test_every_reason_speaks_french_and_english(sharp: Frame) -> None:
    bad = [
        cv2.GaussianBlur(sharp, (0, 0), 6),
        cv2.convertScaleAbs(sharp, alpha=0.15),
        cv2.convertScaleAbs(sharp, alpha=0.3, beta=200),
        scene(640, 360),
    ]
    glare = sharp.copy()
    cv2.ellipse(glare, (700, 470), (260, 110), 0, 0, 360, (255, 255, 255), -1)
    bad.append(glare)
    reasons = [r for img in bad for r in analyze_frame(img, T).reasons]
    reasons += list(analyze_frame(sharp, QualityThresholds(warn_sharpness=1e9)).reasons)
    assert {r.code for r in reasons} >= {
        "blurry",
        "slightly_blurry",
        "too_dark",
        "too_bright",
        "low_resolution",
        "glare",
    }
    for r in reasons:
        assert r.message.get("fr").strip() and r.message.get("en").strip()
        assert r.message.get("fr") != r.message.get("en")
    blurry = next(r for r in reasons if r.code == "blurry")
    assert blurry.message.get("fr") == "Photo floue : tenez le téléphone immobile"


def test_assess_copies_metrics_and_round_trips(sharp: Frame) -> None:
    metrics = measure(sharp)
    report = assess(metrics, T)
    assert report.metrics == metrics and report.metrics is not metrics
    again = QualityReport.from_dict(report.to_dict())
    assert again == report


def test_rejects_are_listed_before_warnings(sharp: Frame) -> None:
    img = cv2.resize(sharp, (640, 360), interpolation=cv2.INTER_AREA)
    cv2.ellipse(img, (350, 235), (130, 55), 0, 0, 360, (255, 255, 255), -1)
    report = analyze_frame(img, T)
    assert [r.code for r in report.reasons] == ["low_resolution", "glare"]
    assert report.verdict is Verdict.REJECT


def test_frame_difference_sees_motion_not_exposure(sharp: Frame) -> None:
    assert frame_difference(sharp, sharp) == 0
    brighter = cv2.convertScaleAbs(sharp, beta=20)
    assert frame_difference(sharp, brighter) < 1.5
    moved = np.roll(sharp, 40, axis=1)
    assert frame_difference(sharp, moved) > MAX_MOTION
    # different sizes (the stream changed resolution) are still comparable
    half = cv2.resize(sharp, (640, 360), interpolation=cv2.INTER_AREA)
    assert frame_difference(sharp, half) < 1.5


def test_live_hint_priorities(sharp: Frame) -> None:
    good = measure(sharp)
    assert live_hint(good, 0.2, T) is None
    assert live_hint(good, None, T) is None

    moving = live_hint(good, MAX_MOTION + 5, T)
    assert moving is not None and moving.code == "moving"

    dark = measure(cv2.convertScaleAbs(sharp, alpha=0.15))
    hint = live_hint(dark, MAX_MOTION + 5, T)  # light first: the torch fixes blur too
    assert hint is not None and hint.code == "too_dark"
    assert "lampe" in hint.message.get("fr") and "torch" in hint.message.get("en")

    bright = measure(cv2.convertScaleAbs(sharp, alpha=0.3, beta=200))
    hint = live_hint(bright, None, T)
    assert hint is not None and hint.code == "too_bright"

    blurry = measure(cv2.GaussianBlur(sharp, (0, 0), 6))
    hint = live_hint(blurry, 0.5, T)
    assert hint is not None and hint.code == "blurry"

    glare_img = sharp.copy()
    cv2.ellipse(glare_img, (700, 470), (260, 110), 0, 0, 360, (255, 255, 255), -1)
    hint = live_hint(measure(glare_img), 0.5, T)
    assert hint is not None and hint.code == "glare"
    assert hint.message.get("fr") and hint.message.get("en")
