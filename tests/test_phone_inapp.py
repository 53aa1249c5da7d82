"""assets/phone/inapp.js tells an app's built-in browser from a real one by the user agent.

Node imports the module (it has no imports and no DOM) and classifies user agents
as the apps send them: the in-app browsers the seller is asked to leave, and the
real browsers that must never be taken for one. The e2e tests show the screen
itself (tests/e2e/test_phone_camera_screens.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from typing import Any

import pytest

from inspector.assets import asset_path
from tests.unavailable import unavailable

pytestmark = pytest.mark.timeout(60)

INAPP_JS = asset_path("phone", "inapp.js")

IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko)"
)
ANDROID_WV = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240405.002; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36"
)

# (user agent, {app, system} or None)
CASES: list[tuple[str, dict[str, Any] | None]] = [
    (f"{IOS} Mobile/15E148 WhatsApp/24.6.77", {"app": "WhatsApp", "system": "ios"}),
    (f"{ANDROID_WV} WhatsApp/2.24.8.85", {"app": "WhatsApp", "system": "android"}),
    (
        f"{IOS} Mobile/15E148 [FBAN/FBIOS;FBAV/460.0.0.35.109;FBBV/6;FBDV/iPhone14,5]",
        {"app": "Facebook", "system": "ios"},
    ),
    (f"{ANDROID_WV} [FB_IAB/FB4A;FBAV/460.0.0.48.109;]", {"app": "Facebook", "system": "android"}),
    (
        f"{IOS} Mobile/15E148 [FBAN/MessengerForiOS;FBAV/455.0.0.33.109]",
        {"app": "Messenger", "system": "ios"},
    ),
    (
        f"{ANDROID_WV} [FB_IAB/Orca-Android;FBAV/451.0.0.10.110;]",
        {"app": "Messenger", "system": "android"},
    ),
    (
        f"{IOS} Mobile/15E148 Instagram 326.0.3.30.91 (iPhone14,5; iOS 17_4; fr_FR; fr)",
        {"app": "Instagram", "system": "ios"},
    ),
    (
        f"{ANDROID_WV} Instagram 326.0.0.42.90 Android (34/14; 420dpi; 1080x2400)",
        {"app": "Instagram", "system": "android"},
    ),
    (f"{IOS} GSA/310.0.621847957 Mobile/15E148 Safari/604.1", {"app": "Google", "system": "ios"}),
    (f"{IOS} Mobile/15E148 Gmail/6.0.240414", {"app": "Gmail", "system": "ios"}),
    (f"{ANDROID_WV} GSA/15.14.32.29.arm64", {"app": "Google", "system": "android"}),
    (f"{IOS} Mobile/15E148 LinkedInApp/9.29.8", {"app": "LinkedIn", "system": "ios"}),
    (
        f"{ANDROID_WV} musical_ly_2023405020 BytedanceWebview/d8a21c6",
        {"app": "TikTok", "system": "android"},
    ),
    (ANDROID_WV, {"app": None, "system": "android"}),  # some other app's web view
    # Real browsers: straight to the consent.
    (f"{IOS} Version/17.4 Mobile/15E148 Safari/604.1", None),
    (f"{IOS} CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", None),
    (f"{IOS} FxiOS/125.0 Mobile/15E148 Safari/605.1.15", None),
    (f"{IOS} EdgiOS/124.0.2478.50 Version/17.0 Mobile/15E148 Safari/604.1", None),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36",
        None,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like "
        "Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        None,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        None,
    ),
    ("", None),
]


def test_in_app_browsers_are_told_from_real_ones() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        unavailable("node is not installed (apt-get install nodejs)")
    script = textwrap.dedent(
        """
        import { pathToFileURL } from "node:url";
        const M = await import(pathToFileURL(process.argv[1]).href);
        const uas = JSON.parse(process.argv[2]);
        console.log(JSON.stringify(uas.map((ua) => M.inAppBrowser(ua))));
        """
    )
    uas = [ua for ua, _ in CASES]
    run = subprocess.run(
        [node, "--input-type=module", "-e", script, str(INAPP_JS), json.dumps(uas)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    wrong = [(ua, want, have) for (ua, want), have in zip(CASES, got, strict=True) if want != have]
    assert not wrong, wrong
