"""Fixtures of the network lab (``tests/netlab/lab.py``): namespaces with NATs and coturn,
the operator's engine in its own process in the operator's namespace, and Debian's
Chromium as the seller's phone in the phone's namespace.

* ``lab``: a built ``NetLab`` (coturn not started: a test chooses REST-API or static
  credentials), torn down after the test whatever happened. Skipped, with the reason,
  when not root or ``ip``/``nft``/``tc``/``turnserver`` is missing (failed on CI).
* ``operator``: a factory starting ``tests.netlab.engine_driver`` in the operator's
  namespace with the ICE options given; its JSON events are recorded, commands sent.
* ``phone_browser``: a factory launching Chromium in the phone's namespace (Playwright,
  ``executable_path`` a wrapper that runs ``ip netns exec NS chromium``), whose page
  records every ``RTCPeerConnection`` (``window.__pcs``) and the signaling ``config``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, fake_camera
from tests.netlab.lab import NetLab, missing
from tests.netlab.peers import Operator, PhonePage, launch_chromium, start_operator
from tests.unavailable import unavailable

__all__ = ["fake_camera"]  # a fixture, shared with tests/e2e


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[NetLab]:
    reason = missing()
    if reason:
        unavailable(reason)
    work = tmp_path / "netlab"
    work.mkdir()
    built = NetLab(work)
    try:
        built.build()
        yield built
    finally:
        built.close()


@pytest.fixture
def operator(lab: NetLab, tmp_path: Path) -> Iterator[Callable[..., Operator]]:
    """``operator(ice_servers=[...], turn_urls=[...], still_timeout=...)`` → a running
    engine in the operator's namespace (TURN secret: the lab's, in its environment)."""
    started: list[Operator] = []

    def make(**options: Any) -> Operator:
        op = start_operator(lab, tmp_path / f"operator{len(started)}", **options)
        started.append(op)
        return op

    yield make
    for op in started:
        op.stop()


@pytest.fixture
def phone_browser(
    lab: NetLab, fake_camera: Path, tmp_path: Path
) -> Iterator[Callable[..., PhonePage]]:
    """``phone_browser(init_script=None)`` → a phone page in Chromium, run in the phone's
    namespace (``init_script``: run in the page before its own scripts)."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = launch_chromium(p, lab, tmp_path, fake_camera)
        try:

            def make(init_script: str | None = None) -> PhonePage:
                return PhonePage.open(browser, init_script)

            yield make
        finally:
            browser.close()
