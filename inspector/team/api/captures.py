"""Captures sent by a remote console, and the decisions on them.

================================================  ================  =====================
route                                             permission        answer
================================================  ================  =====================
``PUT inspections/{id}/captures/{capture}``       run_live          the capture (201
                                                                    stored, 200 stored
                                                                    already)
``PUT inspections/{id}/captures/{c}/original``    run_live          the capture (201/200)
``POST inspections/{id}/captures/{c}/review``     run_live, review  the capture
================================================  ================  =====================

A still is sent as ``multipart/form-data``: first a part ``record``, the capture's
record as JSON (:class:`CaptureUpload`: the shape of ``show --json``'s captures; the
id, the photo's SHA-256, size and pixel size may be left out), then a part ``photo``,
the JPEG itself; the header ``X-Content-SHA256`` is the photo's SHA-256. An original
is the JPEG alone as the body, with the same header. The server hashes what it
received and stores nothing if it differs (422 ``hash_mismatch``); it answers only
once the photo and its row are durable (the photo store, then the database), so the
console tells the phone "saved" after that answer and never before.

Sending the same capture again is harmless (200, ``"created": false``); the same id
with another photo is 409 and nothing changes. A photo larger than
:data:`~inspector.domain.photo_check.MAX_PHOTO_BYTES` is 413 (refused from its
``Content-Length`` before a byte is read), one that is not a whole JPEG 422
``bad_photo``, a malformed record 400 saying which field and why.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from aiohttp import BodyPartReader, web
from pydantic import Field, ValidationError

from inspector.bundle.schema import MAX_PIXELS_SIDE, CaptureRecord, Ident, IsoTime, Named, Sha256
from inspector.domain.accounts import Permission
from inspector.domain.checklist import load_checklist
from inspector.domain.models import Capture, CaptureSource, QualityReason
from inspector.domain.photo_check import MAX_PHOTO_BYTES, BadPhoto
from inspector.domain.views import QualityReasonView
from inspector.team.api.auth import guarded
from inspector.team.api.base import (
    API_KEY,
    API_PREFIX,
    MAX_JSON_BODY,
    ApiError,
    answer,
    read_json,
)
from inspector.team.api.inspections import _changed, _long
from inspector.usecases import captures as capturing
from inspector.usecases.accounts import Identity
from inspector.usecases.inspections import capture_to_dict

__all__ = ["SHA256_HEADER", "CaptureUpload", "add_routes"]

SHA256_HEADER = "X-Content-SHA256"
_SHA = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_CHUNK = 1 << 20
_MULTIPART_SLACK = 4096
"""Bytes of a multipart body beyond its two parts: boundaries and part headers."""


class CaptureUpload(CaptureRecord):
    """A capture's record as a remote console sends it: ``show --json``'s shape, read
    strictly; what the server knows better may be left out (the id is the URL's, the
    SHA-256 the header's, the size and pixel size the photo's)."""

    id: Ident | None = None  # type: ignore[assignment]
    sha256: Sha256 | None = None  # type: ignore[assignment]
    width: int = Field(default=0, ge=0, le=MAX_PIXELS_SIDE)
    height: int = Field(default=0, ge=0, le=MAX_PIXELS_SIDE)
    size: int | None = Field(default=None, ge=0, le=MAX_PHOTO_BYTES)  # type: ignore[assignment]
    mime: Literal["image/jpeg"] = "image/jpeg"
    source: Annotated[CaptureSource, Named] = CaptureSource.STILL
    phone_time: IsoTime | None = None
    accepted: bool | None = None
    retake_of: Ident | None = None
    file: str = Field(default="", max_length=200)


def _problem(exc: ValidationError) -> str:
    """The first problem of a record, in one line: which field, what is wrong."""
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "record"
    if error["type"] == "missing":
        return f"the capture record has no {where!r}"
    return f"the capture record's {where!r} {error['msg'][0].lower()}{error['msg'][1:]}"


def parse_record(raw: bytes) -> CaptureUpload:
    """The ``record`` part as a :class:`CaptureUpload`; 400 saying what is wrong."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_record", "the capture record is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_record", "the capture record must be a JSON object")
    try:
        return CaptureUpload.model_validate(data)
    except ValidationError as exc:
        raise ApiError(400, "bad_record", _problem(exc)) from None


def _announced(request: web.Request) -> str:
    value = request.headers.get(SHA256_HEADER, "").strip().lower()
    if not value:
        raise ApiError(
            400, "no_hash", f"send the photo's SHA-256 in {SHA256_HEADER} (64 hex digits)"
        )
    if not _SHA.fullmatch(value):
        raise ApiError(400, "no_hash", f"{SHA256_HEADER} must be 64 hex digits")
    return value


def _capture_id(request: web.Request) -> str:
    capture_id = request.match_info["capture"]
    if not _ID.fullmatch(capture_id):
        raise ApiError(400, "invalid", f"not a capture id: {capture_id[:70]!r}")
    return capture_id


_TOO_LARGE = f"a photo is at most {MAX_PHOTO_BYTES // 2**20} MiB"


def _refuse_announced(request: web.Request, limit: int) -> None:
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", _TOO_LARGE)


async def _read_part(part: BodyPartReader, limit: int, too_large: str) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(_CHUNK):
        data += chunk
        if len(data) > limit:
            raise ApiError(413, "too_large", too_large)
    return bytes(data)


async def _multipart(request: web.Request) -> tuple[bytes, bytes]:
    """The ``record`` and ``photo`` parts, in that order; 400 / 413 otherwise."""
    if not request.content_type.startswith("multipart/"):
        raise ApiError(
            400,
            "bad_request",
            "send multipart/form-data: a part 'record' (the capture's JSON), then a part "
            "'photo' (the JPEG)",
        )
    reader = await request.multipart()
    found: dict[str, bytes] = {}
    record_too_large = f"the capture record is larger than {MAX_JSON_BODY} bytes"
    for name, limit, too_large in (
        ("record", MAX_JSON_BODY, record_too_large),
        ("photo", MAX_PHOTO_BYTES, _TOO_LARGE),
    ):
        part = await reader.next()
        if not isinstance(part, BodyPartReader) or part.name != name:
            got = getattr(part, "name", None)
            raise ApiError(
                400,
                "bad_request",
                f"expected the part {name!r} here, got {got!r}: send 'record', then 'photo'",
            )
        found[name] = await _read_part(part, limit, too_large)
    if not found["photo"]:
        raise ApiError(400, "empty", "the photo part is empty")
    return found["record"], found["photo"]


def _check_shot(store: Any, inspection_id: str, shot_id: str) -> str:
    """The inspection's id (exact) if ``shot_id`` is a shot of its checklist; 400 if not."""
    inspection = store.find_inspection(inspection_id)
    try:
        checklist = load_checklist(inspection.checklist)
    except ValueError:  # a checklist gone from this server: its shots cannot be checked
        return str(inspection.id)
    try:
        checklist.shot(shot_id)
    except KeyError:
        raise ApiError(
            400, "bad_record", f"the checklist {inspection.checklist!r} has no shot {shot_id!r}"
        ) from None
    return str(inspection.id)


def _receive(
    api: Any,
    inspection_id: str,
    capture_id: str,
    record: CaptureUpload,
    data: bytes,
    announced: str,
) -> capturing.Received:
    """Check the photo against its hash and its record, then store it (a worker)."""
    store = api.store
    try:
        sha = capturing.check_hash(data, announced)
    except capturing.HashMismatch as exc:
        raise ApiError(422, "hash_mismatch", str(exc)) from None
    if record.sha256 is not None and record.sha256 != sha:
        raise ApiError(400, "bad_record", f"the record's sha256 is not the one in {SHA256_HEADER}")
    if record.size is not None and record.size != len(data):
        raise ApiError(
            400,
            "bad_record",
            f"the record's size is {record.size}, the photo has {len(data)} bytes",
        )
    capture = Capture(
        id=capture_id,
        inspection_id=_check_shot(store, inspection_id, record.shot_id),
        shot_id=record.shot_id,
        sha256=sha,
        width=record.width,
        height=record.height,
        source=record.source,
        quality=record.quality.report(),
        captured_at=record.captured_at,
        phone_time=record.phone_time,
        accepted=record.accepted,
        retake_of=record.retake_of,
        mime=record.mime,
        size=len(data),
    )
    try:
        return capturing.receive_capture(store, capture, data)
    except BadPhoto as exc:
        raise ApiError(422, "bad_photo", f"the photo is not a whole JPEG: {exc}") from None
    except ValueError as exc:  # the record and the photo disagree
        raise ApiError(400, "bad_record", str(exc)) from None


@guarded(Permission.RUN_LIVE)
async def put_capture(request: web.Request, identity: Identity) -> web.Response:
    """Store one still of a remote console's call (see the module)."""
    api = request.app[API_KEY]
    capture_id = _capture_id(request)
    announced = _announced(request)
    _refuse_announced(request, MAX_PHOTO_BYTES + MAX_JSON_BODY + _MULTIPART_SLACK)
    _long(request)
    raw, data = await _multipart(request)
    record = parse_record(raw)
    if record.id is not None and record.id != capture_id:
        raise ApiError(400, "bad_record", "the record's id is not the capture id of the URL")
    received = await api.run(
        _receive, api, request.match_info["id"], capture_id, record, data, announced
    )
    if received.created:  # a remote console's still: counted as the engine's own are
        api.team.metrics.captures_stored.labels(
            source=received.capture.source.value, spooled="false"
        ).inc()
    _changed(request, received.capture.inspection_id)
    return answer(
        {**capture_to_dict(received.capture), "created": received.created},
        201 if received.created else 200,
    )


def _put_original(
    api: Any, inspection_id: str, capture_id: str, data: bytes, announced: str
) -> capturing.Received:
    store = api.store
    try:
        capturing.check_hash(data, announced)
    except capturing.HashMismatch as exc:
        raise ApiError(422, "hash_mismatch", str(exc)) from None
    inspection = store.find_inspection(inspection_id)
    try:
        return capturing.receive_original(store, inspection.id, capture_id, data)
    except BadPhoto as exc:
        raise ApiError(422, "bad_photo", f"the photo is not a whole JPEG: {exc}") from None


@guarded(Permission.RUN_LIVE)
async def put_original(request: web.Request, identity: Identity) -> web.Response:
    """The full-resolution original of a capture stored as a preview (see the module)."""
    api = request.app[API_KEY]
    capture_id = _capture_id(request)
    announced = _announced(request)
    _refuse_announced(request, MAX_PHOTO_BYTES)
    _long(request)
    data = bytearray()
    while chunk := await request.content.read(_CHUNK):
        data += chunk
        if len(data) > MAX_PHOTO_BYTES:
            raise ApiError(413, "too_large", _TOO_LARGE)
    if not data:
        raise ApiError(400, "empty", "no photo was sent (the request body is empty)")
    received = await api.run(
        _put_original, api, request.match_info["id"], capture_id, bytes(data), announced
    )
    _changed(request, received.capture.inspection_id)
    return answer(
        {**capture_to_dict(received.capture), "created": received.created},
        201 if received.created else 200,
    )


def _review(
    api: Any,
    inspection_id: str,
    capture_id: str,
    decision: capturing.Decision,
    note: QualityReason | None,
) -> Capture:
    inspection = api.store.find_inspection(inspection_id)
    return capturing.review_capture(api.store, inspection.id, capture_id, decision, note)


@guarded((Permission.RUN_LIVE, Permission.REVIEW))
async def review(request: web.Request, identity: Identity) -> web.Response:
    """``{"decision": "accept" | "retake" | "reject" | "undecided", "note": {code, fr,
    en}}`` (a note with accept only: why a photo the verdict turned down is kept)."""
    api = request.app[API_KEY]
    capture_id = _capture_id(request)
    body = await read_json(request)
    choices = ", ".join(d.value for d in capturing.Decision)
    try:
        decision = capturing.Decision(str(body.get("decision")))
    except ValueError:
        raise ApiError(400, "invalid", f'"decision" must be one of {choices}') from None
    note = None
    if body.get("note") is not None:
        try:
            note = QualityReasonView.model_validate(body["note"]).reason()
        except ValidationError:
            raise ApiError(
                400, "invalid", '"note" must be {"code": …, "fr": …, "en": …} (text)'
            ) from None
    capture = await api.run(_review, api, request.match_info["id"], capture_id, decision, note)
    _changed(request, capture.inspection_id)
    return answer(capture_to_dict(capture))


def add_routes(app: web.Application) -> None:
    base = f"{API_PREFIX}/inspections/{{id}}/captures/{{capture}}"
    app.router.add_put(base, put_capture)
    app.router.add_put(base + "/original", put_original)
    app.router.add_post(base + "/review", review)
