"""The OCR engine: rapidocr on onnxruntime, with the models its wheel ships.

The model files are named explicitly (rapidocr would otherwise look them up in its
model table, and download any it lacks): a missing file is an :class:`OcrError`, never
a download. Loading takes a fraction of a second and a few tens of MB; it happens once
per process, on first use, under a lock (the live engine reads in its executor).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["MODELS", "OcrError", "ocr_boxes", "ocr_lines"]

MODELS = {
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
    "Cls.model_path": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
#: Detection on the crop's longest side at most this (rapidocr's default scales the
#: *shortest* side up to 736, which makes a wide VIN crop several times larger).
DETECT_SIDE = 960
#: onnxruntime threads per read. Its default (every core, spinning) makes two reads at
#: once fight for the cores and starve the live loop; one thread each is faster in
#: total on this 2-core machine (bench/ocr.py --at-once 8: 4.7 s instead of 5.7 s).
INTRA_OP_THREADS = 1

_lock = threading.Lock()
_engine: Any = None
_reading = threading.Lock()
"""One read at a time per process, whoever asks (the live identity reader, the console's
privacy scans on its thread pool): rapidocr does not say its engine may be called from
two threads at once, and two reads would only fight for the same cores."""


class OcrError(Exception):
    """The OCR cannot run (models missing, image unreadable); ``str()`` says why."""


def _load() -> Any:
    try:
        import rapidocr
        from rapidocr import RapidOCR
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise OcrError(f"the OCR is not installed ({exc})") from exc
    folder = Path(rapidocr.__file__).parent / "models"
    params: dict[str, Any] = {
        "Global.log_level": "error",
        "Global.use_cls": False,  # the crop is upright: the orientation model costs time
        "Det.limit_type": "max",
        "Det.limit_side_len": DETECT_SIDE,
        "EngineConfig.onnxruntime.intra_op_num_threads": INTRA_OP_THREADS,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    for key, name in MODELS.items():
        path = folder / name
        if not path.is_file():
            raise OcrError(f"the OCR model {path} is missing: reinstall rapidocr")
        params[key] = str(path)
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return RapidOCR(params=params)


def engine() -> Any:
    global _engine
    with _lock:
        if _engine is None:
            _engine = _load()
        return _engine


def _read(image_bgr: npt.NDArray[np.uint8]) -> Any:
    ocr = engine()
    with _reading:
        return ocr(image_bgr)


def ocr_lines(image_bgr: npt.NDArray[np.uint8]) -> list[tuple[str, float]]:
    """Every line of text found, with its confidence (0-1), top to bottom."""
    result = _read(image_bgr)
    texts = getattr(result, "txts", None) or ()
    scores = getattr(result, "scores", None) or ()
    boxes = getattr(result, "boxes", None)
    lines = [(str(t), float(s)) for t, s in zip(texts, scores, strict=False)]
    if boxes is not None and len(boxes) == len(lines):
        order = sorted(range(len(lines)), key=lambda i: (float(np.min(boxes[i][:, 1])), i))
        lines = [lines[i] for i in order]
    return lines


def ocr_boxes(image_bgr: npt.NDArray[np.uint8]) -> list[tuple[str, float, npt.NDArray[Any]]]:
    """Every line of text found, with its confidence (0-1) and its four corners (pixels of
    ``image_bgr``, a 4x2 array); what the privacy detector reads plates with."""
    result = _read(image_bgr)
    texts = getattr(result, "txts", None) or ()
    scores = getattr(result, "scores", None) or ()
    boxes = getattr(result, "boxes", None)
    if boxes is None or len(boxes) != len(texts):
        return []
    return [
        (str(t), float(s), np.asarray(b, dtype=np.float64))
        for t, s, b in zip(texts, scores, boxes, strict=False)
    ]
