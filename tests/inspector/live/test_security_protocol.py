"""Hostile input at the validator and the photo receiver, without a network.

Properties: ``protocol.decode``/``validate`` only ever raise ``ProtocolError``, and
what they accept is well formed; the photo receiver only ever raises
``PhotoError`` and never holds more than one declared transfer; hostile JPEGs
(garbage, truncated, bombs, scan bombs, hostile EXIF) are refused with a code or
accepted and then readable by everything downstream.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from inspector.domain import quality
from inspector.domain.models import QualityThresholds
from inspector.domain.photo_check import MAX_SCANS, BadPhoto, decode_jpeg_size
from inspector.live import protocol
from inspector.live.photo_receiver import PhotoError, PhotoReceiver
from inspector.live.protocol import FROM_PHONE, ProtocolError

from ..security_fixtures import (
    SMALL_JPEG,
    exif_jpeg,
    orientation_jpeg,
    pillow_exif_jpeg,
    tiff_ifd,
    with_segment,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=80)
    | st.sampled_from(["", "\ud800", "\x00", "é" * 10, "0" * 64, "f" * 64])
    | st.integers(1000, 3000).map(lambda n: "a" * n)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=5,
)
versions = st.sampled_from([1, 1.0, True, 0, 2, -1, "1", None, [1], 10**30])


@st.composite
def shaped_messages(draw: st.DrawFn) -> dict[str, Any]:
    """Messages that look like protocol messages, with fields of any type or missing."""
    kind = draw(st.sampled_from([*FROM_PHONE, "dance", "", "photo_end\x00", "__proto__"]))
    message: dict[str, Any] = {"v": draw(st.one_of(st.just(1), versions)), "type": kind}
    for name in FROM_PHONE.get(kind, {}):
        if draw(st.integers(0, 5)) == 0:
            continue  # missing
        message[name] = draw(json_values)
    if draw(st.booleans()):
        message.update(draw(st.dictionaries(st.text(max_size=6), json_values, max_size=3)))
    return message


def assert_well_formed(message: dict[str, Any]) -> None:
    """What any accepted message satisfies."""
    assert type(message["v"]) is int and message["v"] == protocol.VERSION
    fields = FROM_PHONE[message["type"]]
    for name, spec in fields.items():
        if name not in message:
            assert not spec.required
            continue
        value = message[name]
        if value is None:
            assert spec.nullable
        elif spec.kind == "str":
            assert isinstance(value, str) and len(value) <= spec.max_len
        elif spec.kind in ("int", "num"):
            assert not isinstance(value, bool) and math.isfinite(value)
            if spec.max_value is not None:
                assert value <= spec.max_value
    json.dumps(message, ensure_ascii=False).encode("utf-8")  # storable text


def decode_or_refuse(data: str | bytes) -> dict[str, Any] | None:
    try:
        message = protocol.decode(data)
    except ProtocolError as exc:
        assert exc.code and str(exc)
        return None
    assert_well_formed(message)
    return message


@FAST
@given(st.text(max_size=300))
def test_any_text_is_refused_or_well_formed(text: str) -> None:
    decode_or_refuse(text)


@FAST
@given(st.binary(max_size=300))
def test_binary_where_text_is_expected(data: bytes) -> None:
    with pytest.raises(ProtocolError) as err:
        protocol.decode(data)
    assert err.value.code == "unexpected_binary"


@FAST
@given(shaped_messages())
def test_shaped_messages_are_refused_or_well_formed(message: dict[str, Any]) -> None:
    try:
        text = json.dumps(message, allow_nan=True)
    except (ValueError, RecursionError):
        return
    decode_or_refuse(text)
    try:  # validate() on the Python object directly: same contract
        accepted = protocol.validate(message, FROM_PHONE)
    except ProtocolError:
        return
    assert accepted["type"] in FROM_PHONE


@FAST
@given(json_values)
def test_any_json_value_is_refused_or_well_formed(value: Any) -> None:
    try:
        text = json.dumps(value)
    except (ValueError, RecursionError):
        return
    decode_or_refuse(text)


HELLO_PREFIX = '{"v": 1, "type": "hello", "user_agent": "a", "language": "fr", '


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "bad_json"),
        ("{", "bad_json"),
        ("[" * 100_000 + "]" * 100_000, "too_large"),
        ("[" * 30_000 + "]" * 30_000, "bad_json"),  # deep nesting: RecursionError
        ('{"v": 1, "type": "heartbeat", "ts": ' + "9" * 5000 + "}", "bad_json"),  # int digits
        ('{"v": 1, "type": "heartbeat", "ts": NaN}', "bad_field"),
        ('{"v": 1, "type": "heartbeat", "ts": Infinity}', "bad_field"),
        ('{"v": 1, "type": "heartbeat", "ts": 1e999}', "bad_field"),
        ('{"v": true, "type": "heartbeat", "ts": 1}', "bad_version"),
        ('{"v": 1.0, "type": "heartbeat", "ts": 1}', "bad_version"),
        ('{"v": 2, "type": "heartbeat", "ts": 1}', "bad_version"),
        ('{"v": "1", "type": "heartbeat", "ts": 1}', "bad_version"),
        ('{"type": "heartbeat", "ts": 1}', "bad_version"),
        ('{"v": 1, "type": ["hello"]}', "unknown_type"),
        ('{"v": 1, "type": "toString"}', "unknown_type"),
        ('{"v": 1, "type": "heartbeat", "ts": true}', "bad_field"),
        ('{"v": 1, "type": "photo_end", "id": "' + "x" * 65 + '"}', "bad_field"),
        ('{"v": 1, "type": "photo_end", "id": "\\ud800"}', "bad_json"),  # lone surrogate
        (
            HELLO_PREFIX + '"camera": {"\\udfff": 1}}',
            "bad_json",
        ),
        ('"just a string"', "not_object"),
        ("null", "not_object"),
    ],
)
def test_named_hostile_texts(text: str, code: str) -> None:
    with pytest.raises(ProtocolError) as err:
        protocol.decode(text)
    assert err.value.code == code


def test_huge_string_is_refused_before_parsing() -> None:
    text = '{"v": 1, "type": "photo_failed", "id": "a", "reason": "' + "r" * 10_000_000 + '"}'
    with pytest.raises(ProtocolError) as err:
        protocol.decode(text)
    assert err.value.code == "too_large"


# -- the photo receiver as a state machine ----------------------------------------------------

PHOTO = SMALL_JPEG


def header(capture_id: str = "c1", data: bytes = PHOTO, **over: Any) -> dict[str, Any]:
    h: dict[str, Any] = {
        "v": 1,
        "type": "photo_begin",
        "id": capture_id,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "width": 96,
        "height": 64,
        "mime": "image/jpeg",
    }
    h.update(over)
    return h


ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("begin"),
            st.sampled_from(["c1", "c2"]),
            st.integers(1, 4096),
            st.sampled_from(["image/jpeg", "image/png"]),
        ),
        st.tuples(st.just("chunk"), st.integers(0, protocol.CHUNK_SIZE + 10)),
        st.tuples(st.just("end"), st.sampled_from(["c1", "c2", "zz"])),
        st.tuples(st.just("reset")),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(ops)
async def test_receiver_state_machine_is_bounded(steps: list[tuple[Any, ...]]) -> None:
    rx = PhotoReceiver(max_bytes=2048)
    for step in steps:
        try:
            if step[0] == "begin":
                _, cid, size, mime = step
                rx.begin(header(cid, size=size, mime=mime))
            elif step[0] == "chunk":
                rx.chunk(b"\xab" * step[1])
            elif step[0] == "end":
                await rx.end({"v": 1, "type": "photo_end", "id": step[1]})
            else:
                rx.reset()
        except PhotoError as exc:
            assert exc.code
        except ProtocolError as exc:  # only header validation raises a plain one
            assert step[0] == "begin" and exc.code == "bad_field"
        # Never more than one declared transfer in memory, never more than allowed.
        assert rx.received <= 2048
        if rx.active_id is None:
            assert rx.received == 0


async def test_endless_chunks_without_header_store_nothing() -> None:
    rx = PhotoReceiver()
    for _ in range(5000):
        with pytest.raises(PhotoError) as err:
            rx.chunk(b"\0" * 1024)
        assert err.value.code == "no_header" and err.value.capture_id is None
    assert rx.received == 0 and rx.active_id is None


async def test_endless_headers_hold_one_transfer_at_most() -> None:
    rx = PhotoReceiver()
    codes = []
    for i in range(1000):
        try:
            rx.begin(header(f"c{i}"))
        except PhotoError as exc:
            codes.append(exc.code)
        assert rx.received == 0
    assert set(codes) == {"second_header"} and len(codes) == 500


async def test_endless_chunks_within_a_transfer_stop_at_the_declared_size() -> None:
    rx = PhotoReceiver()
    rx.begin(header(size=10_000))
    errors = []
    for _ in range(1000):
        try:
            rx.chunk(b"\0" * 1000)
        except PhotoError as exc:
            errors.append(exc.code)
        assert rx.received <= 10_000
    assert errors[0] == "too_much_data" and errors.count("too_much_data") == 1


async def test_a_refused_transfer_costs_one_error_not_one_per_chunk() -> None:
    rx = PhotoReceiver(max_bytes=1000)
    data = b"\xff" * 5000
    with pytest.raises(PhotoError) as err:
        rx.begin(header(data=data))
    assert err.value.code == "too_large" and err.value.capture_id == "c1"
    assert rx.discarding == "c1"
    for i in range(0, len(data), 1000):
        rx.chunk(data[i : i + 1000])  # silently dropped, nothing kept
    assert rx.received == 0
    with pytest.raises(PhotoError) as err2:
        await rx.end({"v": 1, "type": "photo_end", "id": "c1"})
    assert err2.value.code == "refused" and err2.value.capture_id is None  # no second failure
    with pytest.raises(PhotoError) as err3:  # discarding is over: back to strict
        rx.chunk(b"x")
    assert err3.value.code == "no_header"


async def test_discarding_is_bounded_by_the_declared_size() -> None:
    rx = PhotoReceiver()
    with pytest.raises(PhotoError):
        rx.begin(header(size=3000, mime="image/gif"))
    rx.chunk(b"\0" * 3000)
    with pytest.raises(PhotoError) as err:
        rx.chunk(b"\0")
    assert err.value.code == "no_header"


async def test_mid_transfer_refusal_discards_the_rest() -> None:
    rx = PhotoReceiver()
    rx.begin(header(size=200_000))
    rx.chunk(b"\0" * 1000)
    with pytest.raises(PhotoError) as err:
        rx.chunk(b"\0" * (protocol.CHUNK_SIZE + 1))
    assert err.value.code == "chunk_too_large"
    rx.chunk(b"\0" * 60_000)  # the phone's remaining chunks: dropped quietly
    assert rx.received == 0 and rx.active_id is None


# -- hostile images ---------------------------------------------------------------------------

LENIENT = QualityThresholds(min_width=1, min_height=1)


def downstream_reads(data: bytes) -> None:
    """What an accepted photo meets later: quality analysis, the report's EXIF rotation.

    Each may refuse (the session and the report turn these into messages), never crash.
    """
    with contextlib.suppress(quality.QualityError):
        quality.analyze_jpeg(data, LENIENT)
    try:  # as report._prepare_photo does it (it catches OSError and SyntaxError)
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (256, 256))
            ImageOps.exif_transpose(img.convert("RGB"))
    except (OSError, SyntaxError):
        pass


def refused_or_readable(data: bytes) -> str | None:
    """The refusal code, or None after checking the photo is readable downstream."""
    try:
        decode_jpeg_size(data)
    except BadPhoto as exc:
        assert exc.code in ("bad_image", "too_many_pixels")
        return exc.code
    downstream_reads(data)
    return None


def progressive_scan_bomb() -> bytes:
    """A JPEG with far more start-of-scan markers than any camera writes."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, "JPEG", progressive=True)
    data = out.getvalue()
    sos = data.index(b"\xff\xda")
    eoi = data.rindex(b"\xff\xd9")
    return data[:sos] + data[sos:eoi] * (MAX_SCANS + 5) + data[eoi:]


HOSTILE_IMAGES: dict[str, bytes] = {
    "empty": b"",
    "not-jpeg": b"GIF89a" + b"\0" * 100,
    "png": b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
    "soi-only": b"\xff\xd8",
    "truncated-header": PHOTO[:100],
    "truncated-data": PHOTO[: len(PHOTO) * 2 // 3],
    "no-eoi": PHOTO[:-2],
    "huge-dimensions": PHOTO[:0],  # replaced below
    "zero-dimensions": PHOTO[:0],
    "scan-bomb": progressive_scan_bomb(),
    "exif-garbage": with_segment(PHOTO, 0xE1, b"Exif\0\0" + b"\xde\xad" * 3000),
    "exif-huge": with_segment(PHOTO, 0xE1, b"Exif\0\0" + b"II*\0\x08\0\0\0" + b"\xff" * 65000),
    "exif-many-segments": with_segment(PHOTO, 0xE1, b"Exif\0\0II*\0" + b"\0" * 500, count=200),
    "exif-ifd-offset-out-of-range": exif_jpeg(tiff_ifd([], offset=0x7FFFFFF0)),
    "exif-entry-count-lies": exif_jpeg(b"II*\0\x08\0\0\0\xff\xff" + b"\0" * 20),
    "exif-value-offset-out-of-range": exif_jpeg(
        tiff_ifd([(0x010F, 2, 100000, (0x7FFFFFF0).to_bytes(4, "little"))])
    ),
    "exif-big-endian-junk": exif_jpeg(b"MM\0*\0\0\0\x08" + b"\x12" * 400),
    "orientation-0": orientation_jpeg(0),
    "orientation-9": orientation_jpeg(9),
    "orientation-65535": orientation_jpeg(65535),
    "orientation-as-long": orientation_jpeg(2**31 + 5, typ=4),
    "orientation-as-ascii": exif_jpeg(tiff_ifd([(0x0112, 2, 4, b"abc\0")])),
    "orientation-as-rational": exif_jpeg(tiff_ifd([(0x0112, 5, 1, b"\x1a\0\0\0")], offset=8)),
    "comment-flood": with_segment(PHOTO, 0xFE, b"x" * 65000, count=20),
    "app-flood": with_segment(PHOTO, 0xE2, b"ICC_PROFILE\0\1\1" + b"\0" * 60000, count=5),
}


def _frame_size(width: int, height: int) -> bytes:
    data = bytearray(PHOTO)
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


HOSTILE_IMAGES["huge-dimensions"] = _frame_size(65535, 65535)
HOSTILE_IMAGES["zero-dimensions"] = _frame_size(0, 0)


@pytest.mark.parametrize("name", sorted(HOSTILE_IMAGES))
def test_hostile_images_are_refused_or_harmless(name: str) -> None:
    code = refused_or_readable(HOSTILE_IMAGES[name])
    must_refuse = {
        "empty",
        "not-jpeg",
        "png",
        "soi-only",
        "truncated-header",
        "huge-dimensions",
        "zero-dimensions",
        "scan-bomb",
        "orientation-0",
        "orientation-9",
        "orientation-65535",
        "orientation-as-long",
        "orientation-as-ascii",
        "orientation-as-rational",
    }
    if name in must_refuse:
        assert code is not None, name
    if name == "huge-dimensions":
        assert code == "too_many_pixels"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_valid_orientation_is_accepted(orientation: int) -> None:
    data = pillow_exif_jpeg(orientation)
    width, height = decode_jpeg_size(data)
    assert (width, height) == (64, 48)
    downstream_reads(data)


def test_scan_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(BadPhoto) as err:
        decode_jpeg_size(HOSTILE_IMAGES["scan-bomb"])
    assert "scans" in str(err.value)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_jpegs_are_refused_or_harmless(data: st.DataObject) -> None:
    blob = bytearray(PHOTO)
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        blob[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        cut = data.draw(st.integers(0, len(blob)))
        blob = blob[:cut]
    refused_or_readable(bytes(blob))
