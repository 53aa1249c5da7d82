"""A simulated phone (aiortc, ``SimulatedPhone``) in the phone's namespace, for the bench's
glass-to-glass latency: each frame carries its number, and the phone says when it handed
each numbered frame to its encoder (``CLOCK_MONOTONIC``, which network namespaces share
with the engine's process). Stills are answered by the simulated phone (``--still-size``).

``python -m tests.netlab.phone_driver JOIN_URL``: prints ``{"event": "live"}`` once
joined; on ``{"cmd": "sent"}`` prints ``{"event": "sent", "sent_at": {number: t}}`` (the
newest 300 frames), on ``{"cmd": "stop"}`` leaves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from inspector.live.contrib.simphone import SimulatedPhone


def noisy_jpeg(width: int, height: int) -> bytes:
    """A car with sensor-like noise: a JPEG of about 4 MB at 4000x3000, like a phone's."""
    import cv2
    import numpy as np

    from tests.e2e.conftest import car_scene

    img = car_scene(width, height).astype(np.int16)
    img += np.random.default_rng(1).normal(0, 6, img.shape).astype(np.int16)
    ok, jpeg = cv2.imencode(
        ".jpg", np.clip(img, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    assert ok
    return jpeg.tobytes()


def say(**data: object) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("join_url")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=30)
    parser.add_argument("--still-size", default="4000x3000")
    parser.add_argument("--noisy-still", action="store_true", help="about 4 MB at 4000x3000")
    parser.add_argument("--previews", action="store_true", help="a preview first (issue 15)")
    args = parser.parse_args()
    width, height = (int(x) for x in args.still_size.split("x"))
    big = noisy_jpeg(width, height) if args.noisy_still else None
    phone = SimulatedPhone(
        args.join_url,
        width=args.width,
        height=args.height,
        fps=args.fps,
        still_size=(width, height),
        language="en",
        previews=args.previews,
    )
    if big is not None:

        async def still(view: object) -> bytes:
            return big

        phone._still = still  # type: ignore[method-assign]
    started = time.monotonic()
    await phone.start(timeout=60)
    say(event="live", t=time.monotonic(), took=time.monotonic() - started)
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            cmd = json.loads(line).get("cmd")
            if cmd == "sent":
                camera = phone.camera
                say(event="sent", sent_at=dict(camera.sent_at) if camera is not None else {})
            elif cmd == "stop":
                break
    finally:
        await phone.stop()
        say(event="stopped")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
