"""End-to-end fixtures: Debian's headless Chromium plays the seller's phone.

* ``fake_camera``: a 1280x720 MJPEG file (concatenated JPEG frames of a
  synthetic car, nearly still so the autopilot finds it steady) that Chromium
  uses as its camera (``--use-file-for-fake-video-capture``).
* ``browser``: Playwright driving ``/usr/bin/chromium`` (never a downloaded
  browser). Without Chromium or Playwright the e2e tests are skipped, except
  when ``CI`` is set: then they fail. ``denying_browser``: the same Chromium
  answering every permission prompt "Block".
* ``live``: a factory of isolated engines (own tmp data directory, port 0 on
  loopback) with an inspection, its join link and a recorder of engine events.
* ``phone``: a factory of browser pages (locale, phone-sized viewport, optionally
  a user agent and init scripts such as tests/e2e/emulation.py's iPhone) that
  records console errors and uncaught exceptions.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from inspector.config import ServerSettings
from inspector.live import events
from inspector.live.engine import Engine
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection
from tests.unavailable import unavailable

CHROMIUM = Path(os.environ.get("INSPECTOR_CHROMIUM", "/usr/bin/chromium"))
CAMERA_SIZE = (1280, 720)
CAMERA_FRAMES = 60
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}


# -- the camera ---------------------------------------------------------------------------


def car_scene(width: int, height: int, frame: int = 0) -> np.ndarray:
    """A sharp, well exposed BGR picture of a car; ``frame`` only moves a small counter."""
    img = np.empty((height, width, 3), np.uint8)
    horizon = int(height * 0.58)
    sky = np.linspace(230, 175, horizon, dtype=np.float32)
    img[:horizon] = np.stack([sky, sky * 0.92, sky * 0.8], axis=1)[:, None, :].astype(np.uint8)
    img[horizon:] = (92, 98, 104)
    rng = np.random.default_rng(3)
    grit = rng.integers(-18, 18, (height - horizon, width, 1), dtype=np.int16)
    img[horizon:] = np.clip(img[horizon:].astype(np.int16) + grit, 0, 255).astype(np.uint8)
    s = width / 1280
    body = (40, 60, 170)
    x0, x1 = int(170 * s), int(1110 * s)
    y_roof, y_belt, y_sill = int(250 * s), int(380 * s), int(540 * s)
    cv2.rectangle(img, (x0, y_belt), (x1, y_sill), body, -1)
    roof = np.array(
        [
            [int(360 * s), y_belt],
            [int(470 * s), y_roof],
            [int(820 * s), y_roof],
            [int(960 * s), y_belt],
        ]
    )
    cv2.fillPoly(img, [roof], body)
    low, high = y_belt - int(8 * s), y_roof + int(14 * s)
    for xs in ((400, 460, 630, 630), (650, 650, 840, 900)):  # window corners, left to right
        bottom_left, top_left, top_right, bottom_right = (int(x * s) for x in xs)
        window = np.array(
            [[bottom_left, low], [top_left, high], [top_right, high], [bottom_right, low]]
        )
        cv2.fillPoly(img, [window], (70, 50, 30))
    cv2.line(img, (x0, int(455 * s)), (x1, int(455 * s)), (20, 30, 110), max(1, int(4 * s)))
    for cx in (340, 940):
        center = (int(cx * s), y_sill)
        cv2.circle(img, center, int(78 * s), (25, 25, 25), -1)
        cv2.circle(img, center, int(42 * s), (190, 190, 190), -1)
        for a in range(0, 360, 60):
            rad = np.deg2rad(a)
            tip = (int(center[0] + 40 * s * np.cos(rad)), int(center[1] + 40 * s * np.sin(rad)))
            cv2.line(img, center, tip, (60, 60, 60), max(1, int(5 * s)))
    cv2.rectangle(
        img, (int(1060 * s), int(400 * s)), (int(1110 * s), int(440 * s)), (80, 230, 250), -1
    )
    plate = (int(560 * s), int(480 * s), int(760 * s), int(525 * s))
    cv2.rectangle(img, plate[:2], plate[2:], (250, 250, 250), -1)
    cv2.rectangle(img, plate[:2], plate[2:], (20, 20, 20), max(1, int(2 * s)))
    cv2.putText(
        img, "AB-123-CD", (plate[0] + int(14 * s), plate[3] - int(12 * s)),
        cv2.FONT_HERSHEY_SIMPLEX, 0.9 * s, (10, 10, 10), max(1, int(2 * s)), cv2.LINE_AA,
    )  # fmt: skip
    cv2.putText(
        img, f"{frame:03d}", (int(20 * s), height - int(20 * s)),
        cv2.FONT_HERSHEY_SIMPLEX, 0.6 * s, (255, 255, 255), 1, cv2.LINE_AA,
    )  # fmt: skip
    return img


@pytest.fixture(scope="session")
def fake_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MJPEG file (concatenated JPEGs, what Chromium's file capture parses)."""
    path = tmp_path_factory.mktemp("camera") / "car.mjpeg"
    width, height = CAMERA_SIZE
    with path.open("wb") as out:
        for i in range(CAMERA_FRAMES):
            ok, jpeg = cv2.imencode(
                ".jpg", car_scene(width, height, i), [cv2.IMWRITE_JPEG_QUALITY, 88]
            )
            assert ok
            out.write(jpeg.tobytes())
    return path


# -- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="package")  # Playwright keeps a loop running: end it with tests/e2e
def playwright_driver() -> Iterator[Any]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright_driver: Any, fake_camera: Path) -> Iterator[Any]:
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={fake_camera.resolve()}"],
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="package")
def denying_browser(playwright_driver: Any, fake_camera: Path) -> Iterator[Any]:
    """A Chromium whose permission prompts are answered "Block", as a seller may.

    Without ``--use-fake-ui-for-media-stream`` (which accepts every prompt): a
    context not granted the camera gets Chromium's own ``NotAllowedError``.
    """
    args = [a for a in CHROMIUM_ARGS if a != "--use-fake-ui-for-media-stream"]
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *args,
            "--deny-permission-prompts",
            f"--use-file-for-fake-video-capture={fake_camera.resolve()}",
        ],
    )
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class Phone:
    """One browser context and page, with what the page complained about."""

    context: Any
    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def hooks(self, expression: str = "") -> Any:
        """Evaluate ``window.__inspector<expression>`` in the page."""
        return self.page.evaluate(f"() => window.__inspector{expression}")

    def wait_state(self, state: str, timeout: float = 20.0) -> None:
        self.page.wait_for_function(
            "s => window.__inspector && window.__inspector.state === s",
            arg=state,
            timeout=timeout * 1000,
        )

    def start(self) -> None:
        """Consent: press Start, then wait for the live state."""
        self.page.locator("#start").click()
        self.wait_state("live")

    def assert_clean(self) -> None:
        """No uncaught exception and no CSP violation in the page."""
        assert not self.page_errors, self.page_errors
        csp = [e for e in self.console_errors if "Content Security Policy" in e]
        assert not csp, csp


@pytest.fixture
def phone(browser: Any) -> Iterator[Callable[..., Phone]]:
    made: list[Phone] = []

    def make(
        locale: str = "en-US",
        viewport: dict[str, int] | None = None,
        *,
        user_agent: str | None = None,
        init_scripts: tuple[str, ...] = (),
        permissions: tuple[str, ...] = ("camera",),
        in_browser: Any = None,
    ) -> Phone:
        """A page; ``init_scripts`` run before the page's own (tests/e2e/emulation.py)."""
        options: dict[str, Any] = {"user_agent": user_agent} if user_agent else {}
        context = (in_browser or browser).new_context(
            locale=locale,
            viewport=viewport or PHONE_VIEWPORT,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            permissions=list(permissions),
            **options,
        )
        for script in init_scripts:
            context.add_init_script(script)
        page = context.new_page()
        p = Phone(context, page)
        page.on("console", lambda m: p.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: p.page_errors.append(str(e)))
        made.append(p)
        return p

    yield make
    for p in made:
        p.context.close()


# -- the engine ---------------------------------------------------------------------------


class EventLog:
    """Engine events, recorded from the engine's thread; tests wait on them."""

    def __init__(self) -> None:
        self._events: list[events.Event] = []
        self._cond = threading.Condition()

    def __call__(self, event: events.Event) -> None:
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()

    def of(self, kind: type[events.Event]) -> list[Any]:
        with self._cond:
            return [e for e in self._events if isinstance(e, kind)]

    def wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    names = [e.name for e in self._events[-30:]]
                    raise AssertionError(f"timed out waiting for {what}; last events: {names}")
                self._cond.wait(min(left, 0.25))


@dataclass
class Live:
    engine: Engine
    events: EventLog
    inspection_id: str
    join_url: str
    base_url: str


@pytest.fixture
def live(
    tmp_path: Path,
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> Iterator[Callable[..., Live]]:
    """``live(mode="operator", autopilot=False, **engine_kwargs)`` → a running engine."""
    started: list[tuple[Engine, Store]] = []

    def make(mode: str = "operator", autopilot: bool = False, **kwargs: Any) -> Live:
        data = tmp_path / f"data{len(started)}"
        data.mkdir()
        store = Store(data)
        inspection, _ = create_inspection(
            store, checklist="quick", vehicle=vehicle_input, seller=seller_input
        )
        log = EventLog()
        engine = Engine(store, ServerSettings(port=0), log, autopilot=autopilot, **kwargs)
        started.append((engine, store))
        base = engine.start()
        invite = engine.invite(inspection.id, mode).result(10)
        return Live(engine, log, inspection.id, invite.join_url, base)

    yield make
    for engine, store in started:
        engine.stop()
        store.close()


def sign_on_page(page: Any, name: str) -> None:
    """The seller draws a signature with the pointer, types a name and signs."""
    page.locator("#screen-summary").wait_for(state="visible", timeout=10000)
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(
            box["x"] + 20 + i * (box["width"] - 40) / 24,
            box["y"] + box["height"] * (0.7 - 0.4 * ((i % 6) / 5)),
            steps=2,
        )
    page.mouse.up()
    page.locator("#signer-name").fill(name)
    page.locator("#sign").click()


# A phone's still is about ten times the fake camera's 1280 x 720. Given to a page (an init
# script), this makes ``ImageCapture.takePhoto`` return the fake camera's photo scaled up
# to ``width`` x ``height`` with a fixed grain over it (a few megabytes of JPEG, as a
# phone's): the page then sends a preview first (issue 15).
_BIG_STILL = """
(() => {
  if (typeof ImageCapture === "undefined") return;
  const [W, H] = [WIDTH, HEIGHT];
  const takePhoto = ImageCapture.prototype.takePhoto;
  ImageCapture.prototype.takePhoto = async function (...args) {
    const small = await takePhoto.apply(this, args);
    const bitmap = await createImageBitmap(small);
    const canvas = new OffscreenCanvas(W, H);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0, W, H);
    bitmap.close();
    const tile = new OffscreenCanvas(256, 256);
    const tctx = tile.getContext("2d");
    const img = tctx.createImageData(256, 256);
    let seed = 7;
    for (let i = 0; i < img.data.length; i += 4) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      img.data[i] = img.data[i + 1] = img.data[i + 2] = seed & 255;
      img.data[i + 3] = 40;
    }
    tctx.putImageData(img, 0, 0);
    ctx.fillStyle = ctx.createPattern(tile, "repeat");
    ctx.fillRect(0, 0, W, H);
    return canvas.convertToBlob({ type: "image/jpeg", quality: 0.92 });
  };
})();
"""


def big_still_script(width: int, height: int) -> str:
    return _BIG_STILL.replace("WIDTH", str(width)).replace("HEIGHT", str(height))
