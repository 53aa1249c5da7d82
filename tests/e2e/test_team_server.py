"""The team deployment end to end: real Chromium as the phone, through a real nginx
terminating TLS (deploy/nginx/inspector.conf), in front of two real ``inspector
server`` processes on one PostgreSQL and one SeaweedFS bucket.

The seller opens the join link (``https://``, the test's own certificate), walks a
self-inspection with the autopilot and a shot is stored. Then the process holding
the phone gets SIGTERM: it stores what is on its way, tells the phone ``bye`` and
exits 0; the page reconnects by itself, nginx sends it to the other process, and
the walk goes on there (another shot stored). Every capture a server acknowledged
(its ``capture`` log line) is in the database with its photo in the bucket.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest

from inspector.storage.store import Store
from tests.inspector.team.nginx_fixtures import free_port, nginx_or_skip, nginx_proxy
from tests.inspector.team.team_fixtures import TeamProcess, invited_inspection

from .conftest import PHONE_VIEWPORT, Phone
from .waits import wait_until


def _secure_phone(browser: Any) -> Phone:
    context = browser.new_context(
        locale="fr-FR",
        viewport=PHONE_VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        permissions=["camera"],
        ignore_https_errors=True,  # the test's self-signed certificate
    )
    page = context.new_page()
    phone = Phone(context, page)
    page.on("console", lambda m: phone.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: phone.page_errors.append(str(e)))
    return phone


def _seller_acts(p: Phone) -> None:
    """What the seller does on a self-inspection: "I'm in position", or the shutter."""
    page = p.page
    if page.locator("#ready").is_visible():
        page.locator("#ready").click()
    elif page.locator("#pace.adjust").is_visible() and page.locator("#shutter").is_enabled():
        page.locator("#shutter").click()


def _walk_until(p: Phone, done: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        _seller_acts(p)
        p.page.wait_for_timeout(250)


@pytest.mark.timeout(600)
def test_phone_through_nginx_survives_a_sigterm_on_the_other_process(
    browser: Any, tmp_path: Path, pg_url: str, s3_url: str
) -> None:
    nginx_or_skip()
    public_port = free_port()
    public = f"https://127.0.0.1:{public_port}"
    options = ("--public-url", public, "--trusted-proxy", "127.0.0.1")
    servers = [
        TeamProcess(tmp_path / name, *options, database_url=pg_url, photo_store=s3_url)
        for name in ("a", "b")
    ]
    try:
        with (
            nginx_proxy(tmp_path / "nginx", [s.port for s in servers], public_port),
            Store(tmp_path / "desk", database_url=pg_url, photo_store=s3_url) as store,
        ):
            inspection_id, join = invited_inspection(store, public)
            assert join.startswith(f"{public}/j/")

            def stored() -> int:
                return len(store.captures(inspection_id))

            p = _secure_phone(browser)
            try:
                p.page.goto(join)
                p.start()  # consent, camera, WebRTC through nginx's signaling
                assert p.hooks(".mode") == "self"
                _walk_until(p, lambda: stored() >= 1, 150, "a first shot stored")

                holder = next(s for s in servers if s.metric("inspector_live_sessions") == 1)
                other = next(s for s in servers if s is not holder)
                # The counter moves just after the row is written (the photo's local
                # copy is awaited in between): wait for it rather than race it.
                wait_until(
                    lambda: holder.metric("inspector_captures_stored_total") >= 1,
                    10,
                    "the holder's stored-captures metric",
                )
                reconnects = p.hooks(".reconnects")
                assert holder.terminate() == 0  # SIGTERM: drain, bye, exit 0
                assert "phones told to reconnect" in holder.log_text()

                # The page reconnects by itself; nginx sends it to the other process.
                p.page.wait_for_function(
                    "n => window.__inspector.reconnects > n", arg=reconnects, timeout=30_000
                )
                p.wait_state("live", timeout=60)
                before = stored()
                _walk_until(p, lambda: stored() > before, 150, "a shot stored after the switch")
                wait_until(
                    lambda: other.metric("inspector_captures_stored_total") >= 1,
                    10,
                    "the other process's stored-captures metric",
                )
                assert other.metric("inspector_phones_joined_total") >= 1
                p.assert_clean()
            finally:
                p.context.close()

            captures = store.captures(inspection_id)
            assert len(captures) >= 2
            other.terminate()
            acknowledged = {
                e["capture_id"]
                for s in servers
                for e in s.log_events()
                if e.get("event") == "capture"
            }
            assert acknowledged and acknowledged <= {c.id for c in captures}
            for capture in captures:  # every photo whole in the bucket
                data = store.read_photo(capture.sha256)
                assert hashlib.sha256(data).hexdigest() == capture.sha256
    finally:
        for server in servers:
            server.close()
