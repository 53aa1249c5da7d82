"""Automatic quality verdict for a photo or a live video frame.

Bad photos must be retaken while the seller is still standing at the car, so
every capture and (cheaply) every live frame is measured here: sharpness,
exposure, clipping, glare and resolution. Everything is computed on a grey copy
shrunk to about 640 pixels, with sharpness band-limited to a fixed analysis
scale, so the numbers do not depend on the camera's resolution and a 720p
frame costs a few milliseconds on a small CPU.

This module is Qt-free and does no I/O; the engine runs it in an executor.
"""

from __future__ import annotations

import io
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from inspector.domain.models import QualityReason, QualityReport, QualityThresholds, Verdict
from inspector.i18n import Message

__all__ = [
    "ANALYSIS_SIZE",
    "MAX_MOTION",
    "QualityError",
    "analyze_frame",
    "analyze_jpeg",
    "assess",
    "frame_difference",
    "live_hint",
    "measure",
]

Image8 = npt.NDArray[np.uint8]
#: What the public functions accept: any ndarray, because OpenCV and PyAV type
#: their results loosely; the uint8 grey/BGR/BGRA layout is checked at run time.
AnyImage = npt.NDArray[Any]

#: Sharpness is measured as if the picture were ANALYSIS_SIZE pixels on its
#: longest side. Pictures smaller than this are measured as they are:
#: upscaling would invent blur.
ANALYSIS_SIZE: Final = 640
#: Band limit of the analysis, as a Gaussian sigma in analysis pixels. Every
#: input, whatever its size, is blurred to exactly this before the Laplacian, so
#: the camera's resolution and the resampling phase stop mattering.
ANALYSIS_BLUR: Final = 0.5
#: Grey levels counted as crushed black / blown-out white.
DARK_LEVEL: Final = 5
BRIGHT_LEVEL: Final = 250
#: A saturated blob smaller than this share of the picture is a speck (a chrome
#: trim, a lamp), not a reflection hiding bodywork.
GLARE_MIN_AREA: Final = 0.0005
#: Glare blobs are looked for on a copy about this size (longest side).
GLARE_SIZE: Final = ANALYSIS_SIZE // 2
#: Longest side of the tiny grey thumbnail compared by :func:`frame_difference`.
MOTION_SIZE: Final = 128
#: :func:`frame_difference` above this means the phone is moving (0-255 scale).
#: About 5-10 px of shift between two 720p frames of an ordinary scene.
MAX_MOTION: Final = 6.0

_PIXEL_VARIANCE: Final = 1.0 / 12.0  # a pixel is a unit box: variance 1/12 px^2


class QualityError(ValueError):
    """The data is not a picture we can measure (undecodable, empty, too big)."""


# --- measuring -------------------------------------------------------------------------------


def _check(image: object) -> Image8:
    """The array itself if it is a non-empty uint8 grey, BGR or BGRA image."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise QualityError("expected a uint8 numpy image (grey, BGR or BGRA)")
    if image.size == 0:
        raise QualityError("the image is empty")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3, 4)):
        return np.ascontiguousarray(image)
    raise QualityError(f"unsupported image shape {image.shape}")


def _u8(array: object) -> Image8:
    """OpenCV's results typed as what they are (no copy)."""
    return np.asarray(array, dtype=np.uint8)


def _to_grey(img: Image8) -> Image8:
    if img.ndim == 2:
        return img
    if img.shape[2] == 1:
        return np.ascontiguousarray(img[:, :, 0])
    code = cv2.COLOR_BGR2GRAY if img.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
    return _u8(cv2.cvtColor(img, code))


def _fit(width: int, height: int, longest: int) -> tuple[int, int]:
    """Size with the longest side at most ``longest``, keeping the aspect ratio."""
    scale = longest / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _box_shrink(img: Image8, longest: int) -> Image8:
    """Halve (2x2 block average) while the longest side stays >= ``longest``.

    A whole-factor area resize is an exact block average, and halving is
    OpenCV's fastest path (other whole factors are ~10x slower); a fractional
    resize blurs unevenly with the sampling phase, which made sharpness swing by
    30 % between resolutions. The remaining factor (< 2) is handled by
    :func:`_sharpness` without resampling.
    """
    h, w = img.shape[:2]
    while max(h, w) >= 2 * longest and min(h, w) >= 2:
        h, w = h // 2, w // 2
        img = _u8(cv2.resize(img[: 2 * h, : 2 * w], (w, h), interpolation=cv2.INTER_AREA))
    return img


def _sharpness(grey: Image8) -> float:
    """Variance of the Laplacian, expressed at ANALYSIS_SIZE, band-limited to ANALYSIS_BLUR.

    ``grey`` is r times the analysis size (1 <= r < 2). Blurring it to a sigma
    of r * ANALYSIS_BLUR of its own pixels gives the same picture content as a
    perfect ANALYSIS_SIZE downscale; the Laplacian scales as 1/r**2, so its
    variance is multiplied back by r**4. Floats avoid rounding noise, which
    that factor would amplify.
    """
    r = max(1.0, float(max(grey.shape)) / ANALYSIS_SIZE)
    sigma = float(np.sqrt(max((r * ANALYSIS_BLUR) ** 2 - _PIXEL_VARIANCE, 0.0)))
    ksize = 2 * int(np.ceil(3 * sigma)) + 1  # OpenCV's float default (4 sigma) is slower
    smooth = cv2.GaussianBlur(grey.astype(np.float32), (ksize, ksize), sigma)
    _, std = cv2.meanStdDev(cv2.Laplacian(smooth, cv2.CV_32F, ksize=1))
    return float(std[0, 0]) ** 2 * r**4


def _glare(grey: Image8) -> float:
    """Share of the picture inside saturated blobs big enough to hide detail.

    Blobs are found at half the analysis size: connected components are the
    most expensive step, and a reflection big enough to matter survives it.
    """
    small = _box_shrink(grey, GLARE_SIZE)
    _, bright = cv2.threshold(small, BRIGHT_LEVEL - 1, 255, cv2.THRESH_BINARY)
    min_area = max(4.0, GLARE_MIN_AREA * small.size)
    if cv2.countNonZero(bright) < min_area:
        return 0.0  # cannot hold a single blob: skip the connected components
    count, _, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=8)
    areas = stats[1:count, cv2.CC_STAT_AREA]
    return float(areas[areas >= min_area].sum()) / small.size


def _measure_grey(grey: Image8, width: int, height: int) -> dict[str, float]:
    """All metrics from the analysis grey image; width and height are the true size."""
    n = float(grey.size)
    _, dark = cv2.threshold(grey, DARK_LEVEL, 255, cv2.THRESH_BINARY_INV)
    _, bright = cv2.threshold(grey, BRIGHT_LEVEL - 1, 255, cv2.THRESH_BINARY)
    bright_clipped = cv2.countNonZero(bright) / n
    return {
        "sharpness": _sharpness(grey),
        "brightness": float(cv2.mean(grey)[0]),
        "dark_clipped": cv2.countNonZero(dark) / n,
        "bright_clipped": bright_clipped,
        # glare is part of the blown-out area; the coarser grid must not say more
        "glare": min(_glare(grey), bright_clipped),
        "width": float(width),
        "height": float(height),
    }


def measure(image: AnyImage) -> dict[str, float]:
    """Quality metrics of a grey, BGR or BGRA uint8 picture.

    ``sharpness`` is the variance of the Laplacian of the picture as seen at
    :data:`ANALYSIS_SIZE` pixels (longest side), so the same scene scores about
    the same at 720p and at 12 MP. ``brightness`` is the mean grey level
    (0-255); ``dark_clipped``/``bright_clipped`` are the shares at or below
    :data:`DARK_LEVEL` / at or above :data:`BRIGHT_LEVEL`; ``glare`` is the share
    covered by saturated blobs; ``width``/``height`` are the input's size. All
    of it is computed on a shrunk copy (colour is shrunk before the grey
    conversion, which is then cheap).
    """
    img = _check(image)
    height, width = img.shape[:2]
    return _measure_grey(_to_grey(_box_shrink(img, ANALYSIS_SIZE)), width, height)


# --- verdict ---------------------------------------------------------------------------------

_LOW_RESOLUTION = Message("Photo too small: take it again with the phone's rear camera")
_BLURRY = Message("Blurry photo: hold the phone still")
_SLIGHTLY_BLURRY = Message(
    "Photo slightly blurry: hold the phone very still and retake it if you can"
)
_TOO_DARK = Message("Photo too dark: switch on the torch or move towards the light")
_TOO_BRIGHT = Message("Photo too bright: do not face the sun, or stand in the shade")
_GLARE = Message("Reflection on the photo: move slightly to the side to get rid of it")


def _resolution_ok(width: float, height: float, t: QualityThresholds) -> bool:
    """Compare long side to long side: a portrait photo is as good as a landscape one."""
    return min(width, height) >= min(t.min_width, t.min_height) and max(width, height) >= max(
        t.min_width, t.min_height
    )


def assess(metrics: dict[str, float], thresholds: QualityThresholds) -> QualityReport:
    """Turn metrics from :func:`measure` into a verdict with reasons for the seller.

    Reject: too few pixels, below ``min_sharpness``, mean brightness out of
    range, or more than ``max_clipped`` of the picture crushed black or blown
    white. Warn: sharpness between ``min_sharpness`` and ``warn_sharpness``, or
    glare above ``max_glare``. Glare is only a reject when the reflection is so
    large that the blown-out area exceeds ``max_clipped``. Rejects come first.
    """
    t = thresholds
    rejects: list[QualityReason] = []
    warns: list[QualityReason] = []

    if not _resolution_ok(metrics["width"], metrics["height"], t):
        rejects.append(QualityReason("low_resolution", _LOW_RESOLUTION))

    sharpness = metrics["sharpness"]
    if sharpness < t.min_sharpness:
        rejects.append(QualityReason("blurry", _BLURRY))
    elif sharpness < t.warn_sharpness:
        warns.append(QualityReason("slightly_blurry", _SLIGHTLY_BLURRY))

    brightness = metrics["brightness"]
    if brightness < t.min_brightness or metrics["dark_clipped"] > t.max_clipped:
        rejects.append(QualityReason("too_dark", _TOO_DARK))

    blown = metrics["bright_clipped"] > t.max_clipped
    if brightness > t.max_brightness:
        # The whole picture is overexposed: "reflection" would be the wrong advice.
        rejects.append(QualityReason("too_bright", _TOO_BRIGHT))
    elif metrics["glare"] > t.max_glare:
        # The blown-out area is mostly one reflection: say so, and reject if it is huge.
        (rejects if blown else warns).append(QualityReason("glare", _GLARE))
    elif blown:
        rejects.append(QualityReason("too_bright", _TOO_BRIGHT))

    verdict = Verdict.REJECT if rejects else Verdict.WARN if warns else Verdict.OK
    return QualityReport(
        verdict=verdict,
        reasons=tuple(rejects + warns),
        metrics={k: float(v) for k, v in metrics.items()},
    )


def analyze_frame(image: AnyImage, thresholds: QualityThresholds) -> QualityReport:
    """Measure and assess one decoded picture (a video frame or a decoded still)."""
    return assess(measure(image), thresholds)


# --- JPEG stills -----------------------------------------------------------------------------

_ROTATED_ORIENTATIONS: Final = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION: Final = 0x0112


def _decode_grey(data: bytes) -> tuple[Image8, int, int]:
    """Decode to a grey array near analysis size, plus the picture's true width and height.

    JPEGs are decoded with ``draft()``: libjpeg scales by 1/2, 1/4 or 1/8 in the
    DCT and outputs luma only, which is about ten times faster than a full
    decode of a 12 MP still. The decompression-bomb limit
    (``Image.MAX_IMAGE_PIXELS``) is checked on the declared size before any
    pixel is decoded.
    """
    if not data:
        raise QualityError("no image data")
    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            limit = Image.MAX_IMAGE_PIXELS
            if limit is not None and width * height > limit:
                raise QualityError(
                    f"image too large: {width}x{height} exceeds the {limit}-pixel safety limit"
                )
            try:
                orientation = int(im.getexif().get(_EXIF_ORIENTATION, 1))
            except Exception:  # a broken EXIF block must not hide a good picture
                orientation = 1
            im.draft("L", _fit(width, height, ANALYSIS_SIZE))
            grey = im if im.mode == "L" else im.convert("L")
            grey.load()
            array: Image8 = np.array(grey, dtype=np.uint8)
    except QualityError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise QualityError(f"image too large: {exc}") from exc
    except Exception as exc:  # Pillow's plugins raise many types on hostile input
        raise QualityError(f"cannot decode image: {exc}") from exc
    if array.ndim != 2 or array.size == 0:
        raise QualityError("decoded image is empty")
    if orientation in _ROTATED_ORIENTATIONS:
        width, height = height, width  # report the size as the photo is displayed
    return array, width, height


def analyze_jpeg(
    data: bytes, thresholds: QualityThresholds, *, true_size: tuple[int, int] | None = None
) -> QualityReport:
    """Measure and assess an encoded still (JPEG; other Pillow formats work too).

    Metrics come from a reduced-size decode, but ``width``/``height`` are the
    photo's true size (as displayed, after EXIF rotation) so the resolution
    check is about the real photo. ``true_size``: the data is a downscaled
    preview of a photo of that size (sharpness is measured at ANALYSIS_SIZE, so a
    preview larger than that measures as its original does). Raises
    :class:`QualityError` on undecodable or oversized data.
    """
    array, width, height = _decode_grey(data)
    if true_size is not None:
        width, height = true_size
    metrics = _measure_grey(_box_shrink(array, ANALYSIS_SIZE), width, height)
    return assess(metrics, thresholds)


# --- live guidance ---------------------------------------------------------------------------


def _thumbnail(image: AnyImage, size: tuple[int, int] | None) -> npt.NDArray[np.float32]:
    """Tiny grey float copy; colour is shrunk first so the grey conversion is tiny."""
    img = _box_shrink(_check(image), MOTION_SIZE)
    h, w = img.shape[:2]
    target = size or _fit(w, h, MOTION_SIZE)
    if target != (w, h):
        img = _u8(cv2.resize(img, target, interpolation=cv2.INTER_AREA))
    return _to_grey(img).astype(np.float32)


def frame_difference(a: AnyImage, b: AnyImage) -> float:
    """How much the picture moved between two frames, 0 (still) to 255.

    Mean absolute difference of two tiny grey thumbnails (longest side
    :data:`MOTION_SIZE`); tiny so sensor noise averages out. The mean difference
    is removed first so the camera's auto-exposure changing brightness is not
    mistaken for motion. Frames of different sizes are compared at ``a``'s
    thumbnail size.
    """
    ta = _thumbnail(a, None)
    tb = _thumbnail(b, (ta.shape[1], ta.shape[0]))
    diff = ta - tb
    diff -= float(diff.mean())
    return float(np.abs(diff).mean())


_LIVE_TOO_DARK = Message("Too dark: switch on the torch")
_LIVE_TOO_BRIGHT = Message("Too bright: do not face the sun")
_LIVE_MOVING = Message("Hold still: keep the phone steady")
_LIVE_BLURRY = Message("Blurry: hold the phone still or step back a little")
_LIVE_GLARE = Message("Reflection: move a little to the side")


def live_hint(
    metrics: dict[str, float],
    motion: float | None,
    thresholds: QualityThresholds,
    *,
    max_motion: float = MAX_MOTION,
) -> QualityReason | None:
    """The one hint that matters most for a live frame, or ``None`` if it looks good.

    ``motion`` is :func:`frame_difference` against the previous frame (``None``
    for the first frame). Light comes first because darkness also causes blur
    (long exposures) and the torch fixes both; then motion, blur and glare.
    Resolution is not hinted: the stream's size says nothing about the still's.
    """
    t = thresholds
    if metrics["brightness"] < t.min_brightness or metrics["dark_clipped"] > t.max_clipped:
        return QualityReason("too_dark", _LIVE_TOO_DARK)
    if metrics["brightness"] > t.max_brightness or (
        metrics["bright_clipped"] > t.max_clipped and metrics["glare"] <= t.max_glare
    ):
        return QualityReason("too_bright", _LIVE_TOO_BRIGHT)
    if motion is not None and motion > max_motion:
        return QualityReason("moving", _LIVE_MOVING)
    if metrics["sharpness"] < t.min_sharpness:
        return QualityReason("blurry", _LIVE_BLURRY)
    if metrics["glare"] > t.max_glare:
        return QualityReason("glare", _LIVE_GLARE)
    return None
