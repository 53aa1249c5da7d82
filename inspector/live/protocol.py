"""The versioned messages between the phone and the engine (data channel).

Text messages are JSON objects ``{"v": 1, "type": ..., ...fields}``; photo
bytes travel as binary messages between a ``photo_begin`` header and a
``photo_end`` trailer on the same ordered, reliable channel. Every received
message is validated here: an unknown or malformed one raises
``ProtocolError`` (never anything else), which the receiver answers with an
``error`` message. ``assets/phone/protocol.js`` is the JavaScript twin and
must be kept in step (a test compares the two).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

# The photo limits are part of the protocol (the phone checks them too), decided in the domain.
from inspector.domain.photo_check import MAX_PHOTO_BYTES as MAX_PHOTO_BYTES
from inspector.domain.photo_check import MAX_PHOTO_SIDE as MAX_PHOTO_SIDE

# The heartbeat is part of the protocol too; its timings are declared with the others.
from inspector.live.timings import HEARTBEAT_INTERVAL as HEARTBEAT_INTERVAL
from inspector.live.timings import HEARTBEAT_TIMEOUT as HEARTBEAT_TIMEOUT

VERSION = 1
CHANNEL_LABEL = "inspect"
CONTROL_LABEL = "control"
"""The second data channel, unordered and without retransmission, that carries only the
heartbeats both ways: on the ordered ``inspect`` channel a heartbeat waits behind every
chunk of a still sent before it (and, on a lossy link, behind each lost chunk's
retransmission), and the link looks dead while it is working hardest."""
ORIGINALS_LABEL = "originals"
"""The third data channel (ordered, reliable): the full-resolution originals of photos
whose preview was sent first, ``original_begin {id, offset}`` then binary chunks. On a
stream of its own a preview is never stuck behind an original's chunks (nor behind the
retransmission of one lost on the way)."""
MAX_TEXT_MESSAGE = 64 * 1024
CHUNK_SIZE = 64 * 1024


class ProtocolError(ValueError):
    """A message that breaks the protocol; ``code`` goes back in the error reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Field:
    kind: str  # "str", "int", "num", "bool", "obj", "list", "norm" (0-1), "sha256"
    required: bool = True
    max_len: int = 2000
    min_value: float | None = None
    max_value: float | None = None
    nullable: bool = False


def _f(kind: str, **kw: Any) -> Field:
    return Field(kind, **kw)


_ID = _f("str", max_len=64)

# Messages the engine sends to the phone.
TO_PHONE: dict[str, dict[str, Field]] = {
    "welcome": {
        "mode": _f("str", max_len=16),  # "operator" or "self"
        "language": _f("str", max_len=8),
        "inspection": _f("obj"),  # {"vehicle": "Peugeot 308", "plate": ...}
    },
    "shot": {
        "index": _f("int", min_value=0),
        "total": _f("int", min_value=1),
        "id": _ID,
        "category": _f("str", max_len=32),
        "title": _f("str", max_len=200),
        "instruction": _f("str", max_len=1000),
        "overlay": _f("str", max_len=64),
        "state": _f("str", max_len=16, required=False),
        "orientation": _f("str", max_len=16, required=False),
    },
    "pointer": {"x": _f("norm", nullable=True), "y": _f("norm", nullable=True)},
    "torch": {"on": _f("bool")},
    "message": {"text": _f("str", max_len=500)},
    "capture": {"id": _ID},
    "capture_result": {
        "id": _ID,
        "verdict": _f("str", max_len=8),
        "reasons": _f("list"),
        "stored": _f("bool"),
        "retake": _f("bool"),
    },
    "hint": {"code": _f("str", max_len=32, nullable=True), "text": _f("str", max_len=200)},
    "heartbeat": {"ts": _f("num")},
    "done": {"text": _f("str", max_len=500)},
    "error": {"code": _f("str", max_len=64), "message": _f("str", max_len=500)},
    # Self-inspection pacing: "position" (show "I'm in position"), "hold" (steady
    # now), "adjust" (the picture does not line up with the outline).
    "pace": {"step": _f("str", max_len=16), "shot_id": _ID, "text": _f("str", max_len=300)},
    # The seller's confirmation: the exact text to approve (its SHA-256 comes back with
    # the signature) and each damage's line with a small photo (data: URL, optional).
    "summary": {
        "text": _f("str", max_len=8000),
        "sha256": _f("sha256"),
        "damages": _f("list"),
    },
    # The answer to a signature or a remark: kept (ok) or why not.
    "signed": {"ok": _f("bool"), "text": _f("str", max_len=500)},
    # What the engine looks at, sent to a phone whose video only an analysis watches
    # (self-inspection): send no more than ``max_side`` pixels on the longest side and
    # ``fps`` frames a second. Stills are not concerned (taken at the camera's best).
    "video": {
        "max_side": _f("int", min_value=16, max_value=MAX_PHOTO_SIDE),
        "fps": _f("num", min_value=1, max_value=120),
    },
    # The coverage map: each exterior part's state and colour (domain.coverage), and how
    # many of the parts the checklist covers an accepted photo shows.
    "coverage": {
        "parts": _f("list"),
        "covered": _f("int", min_value=0),
        "listed": _f("int", min_value=0),
    },
    # Where the original of a photo sent as a preview stands: "wanted" (send it from
    # byte ``have``), "done" (stored, forget it), "unwanted" (not needed: retaken or
    # unknown), "failed" (given up on; the preview stays the photo).
    "original_status": {
        "id": _ID,
        "state": _f("str", max_len=16),
        "have": _f("int", min_value=0),
        "size": _f("int", min_value=0),
    },
}

# Messages the phone sends to the engine.
FROM_PHONE: dict[str, dict[str, Field]] = {
    "hello": {
        "user_agent": _f("str", max_len=512),
        "language": _f("str", max_len=16),
        "camera": _f("obj"),  # {"width", "height", "torch": bool, "image_capture": bool}
        "resume_shot": _f("str", max_len=64, required=False, nullable=True),
        # The seller's answer to "may this call be recorded?" (absent: not asked).
        "recording": _f("bool", required=False, nullable=True),
    },
    "photo_begin": {
        "id": _ID,
        "size": _f("int", min_value=1, max_value=MAX_PHOTO_BYTES),
        "sha256": _f("sha256"),
        "width": _f("int", min_value=1, max_value=MAX_PHOTO_SIDE),
        "height": _f("int", min_value=1, max_value=MAX_PHOTO_SIDE),
        "mime": _f("str", max_len=32),
        "phone_time": _f("num", required=False, nullable=True),
        # A preview: the photo sent is a downscaled copy; the original (its size, SHA-256
        # and pixel size) follows on the originals channel. All four, or none.
        "original_size": _f("int", required=False, min_value=1, max_value=MAX_PHOTO_BYTES),
        "original_sha256": _f("sha256", required=False),
        "original_width": _f("int", required=False, min_value=1, max_value=MAX_PHOTO_SIDE),
        "original_height": _f("int", required=False, min_value=1, max_value=MAX_PHOTO_SIDE),
    },
    "photo_end": {"id": _ID},
    "photo_failed": {"id": _ID, "reason": _f("str", max_len=500)},
    "heartbeat": {"ts": _f("num"), "echo": _f("num", required=False, nullable=True)},
    "shutter": {},
    "ready": {"shot_id": _ID},  # the seller is in position for this shot
    # The seller signs the summary of this SHA-256: the drawing as a PNG data: URL and
    # its strokes (signature_pad's point groups), the name typed, the phone's clock.
    "signature": {
        "sha256": _f("sha256"),
        "name": _f("str", max_len=120),
        "png": _f("str", max_len=48000),
        "strokes": _f("list"),
        "phone_time": _f("num", required=False, nullable=True),
    },
    # "This is not right": the seller's remark on the summary, for the operator.
    "remark": {"sha256": _f("sha256"), "text": _f("str", max_len=1000)},
    # On the originals channel: the bytes of capture ``id``'s original from ``offset``
    # follow as binary chunks (``offset`` is the ``have`` of the last original_status).
    "original_begin": {"id": _ID, "offset": _f("int", min_value=0, max_value=MAX_PHOTO_BYTES)},
    # The phone no longer holds that original (the page was reloaded): keep the preview.
    "original_lost": {"id": _ID, "reason": _f("str", max_len=500)},
}

#: The fields of ``photo_begin`` that make it a preview.
ORIGINAL_FIELDS = ("original_size", "original_sha256", "original_width", "original_height")


def _check(name: str, spec: Field, value: Any) -> None:
    if value is None:
        if spec.nullable:
            return
        raise ProtocolError("bad_field", f"{name} may not be null")
    kind = spec.kind
    ok: bool
    if kind == "str":
        ok = isinstance(value, str) and len(value) <= spec.max_len
    elif kind == "sha256":
        ok = (
            isinstance(value, str)
            and len(value) == 64
            and all(c in "0123456789abcdef" for c in value)
        )
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind in ("num", "norm"):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if ok and kind == "norm":
            ok = 0 <= value <= 1
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "obj":
        ok = isinstance(value, dict)
    elif kind == "list":
        ok = isinstance(value, list)
    else:  # pragma: no cover - a typo in the tables above
        raise AssertionError(kind)
    if not ok:
        raise ProtocolError("bad_field", f"{name} must be a valid {kind}")
    if spec.min_value is not None and value < spec.min_value:
        raise ProtocolError("bad_field", f"{name} must be at least {spec.min_value}")
    if spec.max_value is not None and value > spec.max_value:
        raise ProtocolError("bad_field", f"{name} must be at most {spec.max_value}")


def validate(message: Any, table: dict[str, dict[str, Field]]) -> dict[str, Any]:
    """Check a decoded message against ``table``; returns it unchanged."""
    if not isinstance(message, dict):
        raise ProtocolError("not_object", "a message must be a JSON object")
    version = message.get("v")
    if type(version) is not int or version != VERSION:  # not True, not 1.0
        raise ProtocolError("bad_version", f"unsupported protocol version {version!r}")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in table:
        raise ProtocolError("unknown_type", f"unknown message type {str(kind)[:40]!r}")
    fields = table[kind]
    for name, spec in fields.items():
        if name not in message:
            if spec.required:
                raise ProtocolError("missing_field", f"{kind}: missing {name}")
            continue
        _check(f"{kind}.{name}", spec, message[name])
    return message


def decode(data: str | bytes, table: dict[str, dict[str, Field]] = FROM_PHONE) -> dict[str, Any]:
    """Parse and validate one text message."""
    if isinstance(data, bytes | bytearray):
        raise ProtocolError("unexpected_binary", "binary data outside a photo transfer")
    if len(data) > MAX_TEXT_MESSAGE:
        raise ProtocolError("too_large", "text message too large")
    try:
        message = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("bad_json", f"not valid JSON: {str(exc)[:80]}") from None
    message = validate(message, table)
    try:  # "\ud800" escapes decode to lone surrogates, which nothing downstream can store
        json.dumps(message, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError):
        raise ProtocolError("bad_json", "text that is not valid Unicode") from None
    return message


def encode(kind: str, table: dict[str, dict[str, Field]] = TO_PHONE, **fields: Any) -> str:
    """Build, validate and serialize a message; a bad one is a bug on our side."""
    message = {"v": VERSION, "type": kind, **fields}
    validate(message, table)
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def error(code: str, message: str) -> str:
    return encode("error", code=code, message=message[:500])
