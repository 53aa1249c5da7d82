"""Photo transfers: one good path and every way a transfer is refused."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from PIL import Image

from inspector.live import protocol
from inspector.live.photo_receiver import PhotoError, PhotoReceiver
from tests.data import jpeg_bytes, scene

PHOTO = jpeg_bytes(scene(640, 480))


def header(data: bytes = PHOTO, **over: Any) -> dict[str, Any]:
    h = {
        "v": 1,
        "type": "photo_begin",
        "id": "cap1",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "width": 1,  # the phone's claim; the receiver reports the true size
        "height": 1,
        "mime": "image/jpeg",
        "phone_time": 1700000000.5,
    }
    h.update(over)
    return h


def end(capture_id: str = "cap1") -> dict[str, Any]:
    return {"v": 1, "type": "photo_end", "id": capture_id}


def feed(rx: PhotoReceiver, data: bytes, size: int = protocol.CHUNK_SIZE) -> None:
    for i in range(0, len(data), size):
        rx.chunk(data[i : i + size])


async def test_good_transfer() -> None:
    rx = PhotoReceiver()
    rx.begin(header())
    assert rx.active_id == "cap1"
    feed(rx, PHOTO, 10_000)
    photo = await rx.end(end())
    assert photo.data == PHOTO
    assert (photo.width, photo.height) == (640, 480)
    assert photo.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert photo.phone_time == 1700000000.5
    assert rx.active_id is None
    rx.begin(header(id="cap2"))  # ready for the next one
    assert rx.active_id == "cap2"


async def _refused(rx: PhotoReceiver, steps: list[Any]) -> PhotoError:
    with pytest.raises(PhotoError) as err:
        for step in steps:
            result = step()
            if hasattr(result, "__await__"):
                await result
    assert rx.active_id is None  # the transfer is dropped
    return err.value


async def test_oversized_header() -> None:
    rx = PhotoReceiver()
    with pytest.raises(protocol.ProtocolError) as err:
        rx.begin(header(size=protocol.MAX_PHOTO_BYTES + 1))
    assert err.value.code == "bad_field"
    small = PhotoReceiver(max_bytes=1000)
    with pytest.raises(PhotoError) as err2:
        small.begin(header())
    assert err2.value.code == "too_large" and err2.value.capture_id == "cap1"


async def test_chunk_without_header() -> None:
    rx = PhotoReceiver()
    e = await _refused(rx, [lambda: rx.chunk(b"abc")])
    assert e.code == "no_header" and e.capture_id is None


async def test_end_without_header() -> None:
    rx = PhotoReceiver()
    e = await _refused(rx, [lambda: rx.end(end())])
    assert e.code == "no_header"


async def test_two_headers() -> None:
    rx = PhotoReceiver()
    rx.begin(header())
    e = await _refused(rx, [lambda: rx.begin(header(id="cap2"))])
    assert e.code == "second_header" and e.capture_id == "cap1"


async def test_extra_bytes() -> None:
    rx = PhotoReceiver()
    rx.begin(header())
    feed(rx, PHOTO)
    e = await _refused(rx, [lambda: rx.chunk(b"x")])
    assert e.code == "too_much_data" and e.capture_id == "cap1"


async def test_chunk_too_large() -> None:
    rx = PhotoReceiver()
    rx.begin(header())
    e = await _refused(rx, [lambda: rx.chunk(b"\0" * (protocol.CHUNK_SIZE + 1))])
    assert e.code == "chunk_too_large"


async def test_short_transfer() -> None:
    rx = PhotoReceiver()
    rx.begin(header())
    feed(rx, PHOTO[:-10])
    e = await _refused(rx, [lambda: rx.end(end())])
    assert e.code == "incomplete"


async def test_wrong_trailer_id() -> None:
    rx = PhotoReceiver()
    rx.begin(header())
    feed(rx, PHOTO)
    e = await _refused(rx, [lambda: rx.end(end("other"))])
    assert e.code == "wrong_id" and e.capture_id == "cap1"


async def test_sha_mismatch() -> None:
    rx = PhotoReceiver()
    rx.begin(header(sha256=hashlib.sha256(b"something else").hexdigest()))
    feed(rx, PHOTO)
    e = await _refused(rx, [lambda: rx.end(end())])
    assert e.code == "sha_mismatch" and e.capture_id == "cap1"


@pytest.mark.parametrize(
    "data",
    [
        b"not a jpeg at all" * 10,
        PHOTO[: len(PHOTO) // 2],  # truncated JPEG (valid header)
        b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
    ],
    ids=["garbage", "truncated", "png-bytes"],
)
async def test_undecodable(data: bytes) -> None:
    rx = PhotoReceiver()
    rx.begin(header(data))
    feed(rx, data)
    e = await _refused(rx, [lambda: rx.end(end())])
    assert e.code == "bad_image" and e.capture_id == "cap1"


async def test_unsupported_mime() -> None:
    rx = PhotoReceiver()
    with pytest.raises(PhotoError) as err:
        rx.begin(header(mime="image/gif"))
    assert err.value.code == "bad_mime"


async def test_decompression_bomb_by_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)  # 640x480 = 307 200
    rx = PhotoReceiver()
    rx.begin(header())
    feed(rx, PHOTO)
    e = await _refused(rx, [lambda: rx.end(end())])
    assert e.code == "too_many_pixels"


async def test_decompression_bomb_by_crafted_header() -> None:
    """A tiny JPEG whose frame header claims 60000 x 60000 pixels."""
    data = bytearray(jpeg_bytes(scene(64, 48)))
    sof = data.find(b"\xff\xc0")
    assert sof > 0
    data[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big")
    blob = bytes(data)
    rx = PhotoReceiver()
    rx.begin(header(blob))
    feed(rx, blob)
    e = await _refused(rx, [lambda: rx.end(end())])
    assert e.code == "too_many_pixels"
