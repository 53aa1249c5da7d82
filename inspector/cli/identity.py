"""``inspector read IMAGE --kind vin|odometer|plate``: the car's identity read from a photo.

Offline (rapidocr's own models). Prints the reading and its confidence, or with
``--json`` exactly ``{"kind": …, "text": …, "confidence": …}`` (text ``null`` when
nothing plausible is read). A VIN is decoded (maker, country, model years).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inspector.cli.common import EXIT_USAGE, AddCommand, fail, print_json
from inspector.cli.terminal import printable
from inspector.domain.identity import GUIDES, KINDS, decode_vin

MAX_IMAGE_BYTES = 64 * 1024 * 1024


def cmd_read(args: argparse.Namespace) -> int:
    from inspector.ocr import OcrError, read_photo  # OpenCV, onnxruntime: only to read

    path = Path(args.image).expanduser()
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            fail(f"{path.name} is larger than {MAX_IMAGE_BYTES // 2**20} MiB", EXIT_USAGE)
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    overlay = None if args.no_crop else args.guide or _default_guide(args.kind)
    try:
        reading = read_photo(data, args.kind, overlay)
    except OcrError as exc:
        fail(f"{path.name}: {exc}")
    if args.json:
        print_json(reading.to_dict())
        return 0
    if reading.text is None:
        why = f" ({'; '.join(reading.notes[:-1])})" if len(reading.notes) > 1 else ""
        print(printable(f"{args.kind}: nothing read{why}"))
        return 0
    extra = ""
    if reading.plate_format == "unknown":
        extra = " (unknown format)"
    print(printable(f"{args.kind}: {reading.text}{extra}  (confidence {reading.confidence:.2f})"))
    if args.kind == "vin":
        info = decode_vin(reading.text)
        years = "/".join(str(y) for y in info.years) or "?"
        print(
            printable(
                f"  {info.manufacturer or 'unknown maker'}, {info.country or 'unknown country'}"
                f", model year {years}"
            )
        )
        for warning in info.warnings:
            print(printable(f"  warning: {warning}"))
    return 0


def _default_guide(kind: str) -> str:
    return {"vin": "vin_plate", "odometer": "odometer", "plate": "front"}[kind]


def register(add: AddCommand) -> None:
    p = add("read", cmd_read, "read a VIN, odometer or plate in a photo (offline OCR)")
    p.add_argument("image", metavar="IMAGE", help="the photo (JPEG or PNG)")
    p.add_argument("--kind", required=True, choices=KINDS, help="what to read")
    p.add_argument(
        "--guide",
        choices=sorted(GUIDES),
        default=None,
        help="the overlay guide the photo was framed with (default: the kind's usual one)",
    )
    p.add_argument(
        "--no-crop", action="store_true", help="read the whole photo, not just the guide's area"
    )
    p.add_argument("--json", action="store_true", help='print {"kind", "text", "confidence"}')
