"""Network bench: the call through coturn on each mobile link profile, in the network lab.

`python bench/network.py [--profiles 4g-good,4g-poor,3g] [--seconds 20]` (root: network
namespaces) builds the lab of ``tests/netlab`` (phone and operator each behind its own NAT,
no direct path, coturn with REST-API credentials minted by the engine) and, per profile:

1. **Chromium as the phone** (Debian's, in the phone's namespace, a 1280x720 fake camera):
   time to connect (Start pressed → the engine's peer "connected"), the frame rate and
   resolution the engine reports after ``--seconds`` of streaming, the relay in use, one
   4000x3000 still of about 4 MB (the fake camera's photo scaled up with grain, see
   ``tests/e2e/conftest.big_still_script``): the page sends a 1600 px preview first
   (issue 15), so the figures are the **preview verdict** (request → stored with its
   verdict, hash checked) and the **original** (request → the original stored in place
   of the preview), and whether the phone got its answer;
2. **the simulated phone** (aiortc, 1280x720 at 30 fps, each frame stamped with its number
   as in ``bench/live.py``): glass-to-glass latency (the phone's encoder input → the
   engine's newest-frame slot read at ~200 Hz; one ``CLOCK_MONOTONIC`` across namespaces)
   median and p95, then one noisy 4000x3000 still (about 4 MB), preview first: preview
   verdict and original, as above (``--whole-still``: sent whole, the old way).

``--remote-console``: the operator's side is a remote console instead (issue 14's path):
``inspector server`` in the lab's public namespace (its ``--turn-url`` UDP, TCP and TLS,
credentials minted per peer) relays the signaling, the console's desk
(``tests/netlab/desk_driver``, a ``RemoteDesk``) behind the company NAT answers, and
every still (and original) is uploaded to the server, hash checked, before the phone
hears "saved": the still's times include that upload.

"Lost" counts failed captures, hash mismatches and stills replaced by a video frame. The
link's counters (packets the loss rule dropped, the uplink's tbf) are printed as a check
that the profile was applied. No fixed delay is added: the kernel here has no ``netem``.

Goals: connect <= 3 s; 4G good >= 25 fps at >= 640 px wide; 3G >= 10 fps; preview
verdict <= 1.5 s on 4G good, <= 4 s on 3G; original <= 6 s on 4G good; nothing lost.
Always exits 0 (a bench, not a test): figures with "ok" or "MISS". The machine is shared:
figures are noisy, run it twice before trusting a difference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import cv2

from tests.e2e.conftest import CAMERA_FRAMES, CAMERA_SIZE, big_still_script, car_scene
from tests.netlab.lab import PROFILES, UNSHAPED, NetLab, missing
from tests.netlab.peers import (
    ROOT,
    Operator,
    PhonePage,
    launch_chromium,
    start_desk,
    start_operator,
    start_team_server,
)

CONNECT_GOAL_S = 3.0
FPS_GOALS = {"4g-good": 25.0, "4g-poor": None, "3g": 10.0}
WIDTH_GOAL = 640
PREVIEW_GOALS = {"4g-good": 1.5, "4g-poor": None, "3g": 4.0}
ORIGINAL_GOALS = {"4g-good": 6.0, "4g-poor": None, "3g": None}
BIG_STILL = (4000, 3000)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("  [ok]" if ok else "  [MISS]")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def write_camera(path: Path) -> Path:
    width, height = CAMERA_SIZE
    with path.open("wb") as out:
        for i in range(CAMERA_FRAMES):
            ok, jpeg = cv2.imencode(
                ".jpg", car_scene(width, height, i), [cv2.IMWRITE_JPEG_QUALITY, 88]
            )
            assert ok
            out.write(jpeg.tobytes())
    return path


def capture(op: Operator, timeout: float) -> tuple[dict[str, Any], float]:
    """Ask for a still; the engine's answer and seconds from request to stored."""
    asked = time.monotonic()
    capture_id = op.ask("capture", "capture_requested")["capture_id"]
    event = op.wait(
        lambda e: (
            e.get("event") in ("capture", "capture_failed") and e.get("capture_id") == capture_id
        ),
        timeout,
        "the still",
    )
    return event, float(event.get("t", time.monotonic())) - asked


def original(op: Operator, event: dict[str, Any], asked_s: float, timeout: float) -> float | None:
    """Seconds from the still's request to its original stored (None: sent whole, or
    it never came). ``asked_s``: the preview's request → stored time."""
    if event.get("event") != "capture" or event.get("source") != "preview":
        return None
    capture_id = event["capture_id"]
    try:
        stored = op.wait(
            lambda e: e.get("event") == "original_stored" and e.get("capture_id") == capture_id,
            timeout,
            "the original",
        )
    except Exception:
        return None
    return float(stored["t"]) - (float(event["t"]) - asked_s)


def lost(event: dict[str, Any]) -> list[str]:
    if event["event"] == "capture_failed":
        return [f"capture failed: {event['reason']}"]
    problems = []
    if event["sha256"] != event["file_sha256"]:
        problems.append("stored file's hash differs")
    if event["source"] not in ("still", "preview"):
        problems.append("still replaced by a video frame")
    return problems


DESK_USER, DESK_PASSWORD = "olga", "bench-operator-pass-7Kq"


def operator_side(lab: NetLab, data: Path, remote: bool, still_timeout: float) -> Operator:
    """The embedded engine in the operator's namespace, or (``remote``) a remote
    console's desk there, attached to the team server in the public namespace."""
    if remote:
        return start_desk(
            lab,
            data,
            server_url=lab.team_url,
            user=DESK_USER,
            password=DESK_PASSWORD,
            still_timeout=still_timeout,
        )
    return start_operator(
        lab, data, turn_urls=lab.turn_urls(["udp", "tcp", "tls"]), still_timeout=still_timeout
    )


def chromium_call(
    lab: NetLab, browser: Any, work: Path, seconds: float, remote: bool = False
) -> dict[str, Any]:
    op = operator_side(lab, work / "chromium-engine", remote, 120)
    phone = PhonePage.open(browser, big_still_script(*BIG_STILL))
    try:
        phone.page.goto(op.join_url)
        pressed = time.monotonic()
        phone.page.locator("#start").click()
        connected = op.wait(
            lambda e: e.get("event") == "connection" and e["state"] == "connected", 60, "connected"
        )
        connect_s = float(connected["t"]) - pressed
        phone.page.wait_for_timeout(seconds * 1000)
        stats = [e for e in op.of("stats") if float(e["t"]) >= float(connected["t"])]
        last = stats[-1] if stats else {"fps": 0.0, "width": 0, "height": 0, "bitrate_kbps": 0.0}
        pair = phone.selected_pair()
        event, still_s = capture(op, 150)
        problems = lost(event)
        if event["event"] == "capture":  # (before the original: heartbeats push it out)
            answer = phone.wait_capture_result(event["capture_id"], 30)
            if not answer.get("stored"):
                problems.append("the phone was told the still was not stored")
        original_s = original(op, event, still_s, 240)
        if event.get("source") == "preview" and original_s is None:
            problems.append("the original never replaced the preview")
        # The page's own share of the preview's time: taking the still (here the fake
        # camera's photo scaled up and encoded, a cost a phone's camera does not have),
        # hashing it and drawing the preview; then sending it.
        page_ms = phone.page.evaluate("() => window.__inspector.captureTimings || null")
        failed = [e for e in op.of("capture_failed")]
        return {
            "connect_s": connect_s,
            "fps": float(last["fps"]),
            "size": (int(last["width"]), int(last["height"])),
            "kbps": float(last.get("bitrate_kbps") or 0.0),
            "pair": pair,
            "still_s": still_s,
            "still_bytes": int(event.get("size", 0)),
            "still_source": str(event.get("source", "")),
            "page_ms": page_ms,
            "original_s": original_s,
            "lost": problems
            + [
                f"capture_failed {e['reason']}"
                for e in failed
                if e.get("capture_id") != event.get("capture_id")
            ],
        }
    finally:
        phone.page.context.close()
        op.stop()


def simulated_call(
    lab: NetLab, work: Path, seconds: float, whole: bool, remote: bool = False
) -> dict[str, Any]:
    op = operator_side(lab, work / "simphone-engine", remote, 180)
    env = dict(os.environ)
    env.pop("INSPECTOR_DATA_DIR", None)
    with (work / "simphone.log").open("w") as log:
        proc = subprocess.Popen(
            [
                "ip", "netns", "exec", lab.phone, sys.executable, "-m",
                "tests.netlab.phone_driver", op.join_url,
                "--still-size", "4000x3000", "--noisy-still",
                *([] if whole else ["--previews"]),
            ],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
    phone = Operator(proc)  # the same JSON-lines conversation as the engine's
    try:
        phone.wait(lambda e: e.get("event") == "live", 90, "the simulated phone to join")
        op.ask("stamps_begin", "stamps_begun")
        sent_at: dict[int, float] = {}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(min(3.0, max(0.0, deadline - time.monotonic())))
            sent_at.update(
                {int(k): float(v) for k, v in phone.ask("sent", "sent")["sent_at"].items()}
            )
        readout = op.ask("stamps", "stamps")
        latencies = [
            1000 * (seen - sent_at[number])
            for number, seen, _received in readout["samples"]
            if number in sent_at and sent_at[number] <= seen
        ]
        event, still_s = capture(op, 180)
        original_s = original(op, event, still_s, 240)
        problems = lost(event)
        if event.get("source") == "preview" and original_s is None:
            problems.append("the original never replaced the preview")
        return {
            "latency_n": len(latencies),
            "latency_p50": statistics.median(latencies) if latencies else float("nan"),
            "latency_p95": pct(latencies, 95) if latencies else float("nan"),
            "unreadable": int(readout["unreadable"]),
            "big_still_s": still_s,
            "big_still_bytes": int(event.get("size", 0)),
            "big_still_size": (int(event.get("width", 0)), int(event.get("height", 0))),
            "big_still_source": str(event.get("source", "")),
            "big_original_s": original_s,
            "lost": problems,
        }
    finally:
        phone.stop()
        op.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--profiles",
        default=",".join(PROFILES),
        help=f"comma-separated, of {', '.join(PROFILES)} and none (TURN, no shaping, no loss)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="streaming before the figures")
    parser.add_argument("--no-simulated", action="store_true", help="Chromium only (no latency)")
    parser.add_argument(
        "--whole-still", action="store_true", help="the simulated phone sends its still whole"
    )
    parser.add_argument(
        "--remote-console",
        action="store_true",
        help="the operator's side is a remote console's desk on a team server (inspector "
        "server in the public namespace relays the signaling; stills uploaded to it)",
    )
    args = parser.parse_args()
    reason = missing()
    if reason:
        print(f"network bench skipped: {reason}")
        return 0
    from playwright.sync_api import sync_playwright

    keys = [k.strip() for k in args.profiles.split(",") if k.strip()]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="netbench-") as tmp:
        work = Path(tmp)
        camera = write_camera(work / "car.mjpeg")
        lab = NetLab(work)
        try:
            lab.build()
            lab.start_turn(rest=True)
            server = (
                start_team_server(
                    lab,
                    work / "server",
                    user=DESK_USER,
                    password=DESK_PASSWORD,
                    transports=("udp", "tcp", "tls"),
                )
                if args.remote_console
                else None
            )
            with sync_playwright() as p:
                browser = launch_chromium(p, lab, work, camera)
                try:
                    for key in keys:
                        profile = UNSHAPED if key == "none" else PROFILES[key]
                        side = (
                            "a remote console through inspector server"
                            if args.remote_console
                            else "the embedded engine"
                        )
                        print(f"\n{profile.label}, {side}, through coturn (REST-API credentials)")
                        lab.shape(profile)
                        before = lab.link_counters()
                        run_dir = work / key
                        run_dir.mkdir()
                        result = chromium_call(
                            lab, browser, run_dir, args.seconds, args.remote_console
                        )
                        if not args.no_simulated:
                            simulated = simulated_call(
                                lab, run_dir, args.seconds, args.whole_still, args.remote_console
                            )
                            lost_too = result["lost"] + simulated.pop("lost")
                            result.update(simulated, lost=lost_too)
                        after = lab.link_counters()
                        result["link"] = {k: after[k] - before.get(k, 0) for k in after}
                        results[key] = result
                        report(key, result)
                finally:
                    browser.close()
            if server is not None:
                server.close()
        finally:
            lab.close()
    return 0


def report(key: str, r: dict[str, Any]) -> None:
    pair = r["pair"]
    relay = pair.get("relayProtocol") or "-"
    print(
        f"  connect {r['connect_s']:.2f} s{verdict(r['connect_s'] <= CONNECT_GOAL_S)}; "
        f"phone's pair {pair.get('local')} -> {pair.get('remote')} (relay over {relay})"
    )
    goal = FPS_GOALS.get(key)
    w, h = r["size"]
    ok = None if goal is None else (r["fps"] >= goal and w >= WIDTH_GOAL)
    print(
        f"  after the first seconds: {r['fps']:.1f} fps at {w}x{h}, "
        f"{r['kbps']:.0f} kbit/s{verdict(ok)}"
    )
    still(key, "page", r["still_source"], r["still_bytes"], r["still_s"], r["original_s"])
    if r.get("page_ms"):
        ms = r["page_ms"]
        print(
            f"    (in the page: still {ms['still'] / 1000:.2f} s, hash and preview "
            f"{ms['preview'] / 1000:.2f} s, sending {ms['send'] / 1000:.2f} s; the link's "
            f"budget for the preview {(ms.get('budget') or 0) / 1000:.0f} kB)"
        )
    if "latency_n" in r:
        print(
            f"  glass-to-glass (simulated phone, 720p30): median {r['latency_p50']:.0f} ms, "
            f"p95 {r['latency_p95']:.0f} ms over {r['latency_n']} frames"
        )
        still(
            key,
            "simulated phone",
            r["big_still_source"],
            r["big_still_bytes"],
            r["big_still_s"],
            r["big_original_s"],
        )
    link = r["link"]
    print(
        f"  link: {link['lost']} packets dropped by the loss rule, uplink tbf sent "
        f"{link['sent']} packets, dropped {link['dropped']}, throttled {link['overlimits']} times"
    )
    print(f"  lost: {', '.join(r['lost']) if r['lost'] else 'nothing'}{verdict(not r['lost'])}")


def still(key: str, who: str, source: str, size: int, stored_s: float, original_s: Any) -> None:
    """One 4000x3000 still: the preview's verdict and the original, or the whole still."""
    if source != "preview":
        print(f"  {who}'s still ({size / 1e6:.2f} MB, whole): stored {stored_s:.2f} s after asking")
        return
    goal = PREVIEW_GOALS.get(key)
    print(
        f"  {who}'s still: preview ({size / 1000:.0f} kB) verdict {stored_s:.2f} s after the "
        f"request{verdict(None if goal is None else stored_s <= goal)}"
    )
    goal = ORIGINAL_GOALS.get(key)
    if original_s is None:
        print("  its original: never stored  [MISS]")
    else:
        ok = None if goal is None else original_s <= goal
        w, h = BIG_STILL
        print(f"  its original ({w}x{h}): stored {original_s:.1f} s after asking{verdict(ok)}")


if __name__ == "__main__":
    sys.exit(main())
