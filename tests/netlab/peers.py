"""The two ends of a call in the network lab, driven from the test (or bench) process:
``Operator`` (the engine's process in the operator's namespace, ``engine_driver``, or a
remote console's desk there, ``desk_driver``) and ``PhonePage`` (Chromium's page in the
phone's namespace); and a team server in the public namespace (``start_team_server``)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE_VIEWPORT
from tests.netlab.lab import TEAM_IP, TEAM_PORT, NetLab

if TYPE_CHECKING:
    from tests.inspector.team.team_fixtures import TeamProcess

ROOT = Path(__file__).resolve().parents[2]

RECORD_PEERS = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__pcs.push(this);
    }
  };
})();
"""

SELECTED_PAIR = """
async () => {
  const pcs = window.__pcs || [];
  const pc = pcs[pcs.length - 1];
  if (!pc) return { error: "no peer connection" };
  const stats = await pc.getStats();
  let pairId = null;
  stats.forEach((r) => {
    if (r.type === "transport" && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
  });
  const pair = pairId && stats.get(pairId);
  if (!pair) return { error: "no selected pair" };
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return {
    local: local.candidateType,
    remote: remote.candidateType,
    relayProtocol: local.relayProtocol || null,
    local_address: `${local.address}:${local.port}`,
    remote_address: `${remote.address}:${remote.port}`,
    url: local.url || null,
  };
}
"""


class Operator:
    """The engine's (or a desk's) process in the operator's namespace: events in,
    commands out."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True, name="netlab-operator")
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()
        with self._cond:
            self.events.append({"event": "exited"})
            self._cond.notify_all()

    def of(self, name: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.events if e.get("event") == name]

    def wait(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float, what: str
    ) -> dict[str, Any]:
        """The first event (old or new) matching ``predicate``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                    if event.get("event") == "exited":
                        raise AssertionError(f"the engine exited while waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = [e.get("event") for e in self.events[-20:]]
                    raise AssertionError(f"timed out waiting for {what}; last events: {tail}")
                self._cond.wait(min(left, 0.25))

    def ask(self, cmd: str, answer: str, timeout: float = 15.0, **args: Any) -> dict[str, Any]:
        """Send a command; its answer (the next ``answer`` event after it)."""
        with self._cond:
            seen = len(self.events)
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[seen:]:
                    if event.get("event") in (answer, "command_error"):
                        if event["event"] == "command_error":
                            raise AssertionError(f"{cmd}: {event['error']}")
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no answer to {cmd}")
                self._cond.wait(min(left, 0.25))

    @property
    def join_url(self) -> str:
        return str(
            self.wait(lambda e: e.get("event") == "invite", 30, "the invitation")["join_url"]
        )

    def frames(self) -> int:
        return int(self.ask("frames", "frames")["frames"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps({"cmd": "stop"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def start_operator(
    lab: NetLab,
    data: Path,
    *,
    ice_servers: Sequence[str] = (),
    turn_urls: Sequence[str] = (),
    still_timeout: float | None = None,
) -> Operator:
    """The engine in the operator's namespace (its log beside ``data``), invited."""
    data.mkdir(parents=True)
    cmd = [
        "ip", "netns", "exec", lab.operator,
        sys.executable, "-m", "tests.netlab.engine_driver",
        "--data", str(data), "--port", str(lab.web_port), "--public-url", lab.public_url,
    ]  # fmt: skip
    for spec in ice_servers:
        cmd += ["--ice-server", spec]
    for url in turn_urls:
        cmd += ["--turn-url", url]
    if still_timeout is not None:
        cmd += ["--still-timeout", str(still_timeout)]
    env = dict(os.environ)
    env["INSPECTOR_TURN_SECRET"] = lab.turn_secret
    env["SSL_CERT_FILE"] = str(lab.ca_file)  # aioice checks coturn's certificate (turns:)
    env.pop("INSPECTOR_DATA_DIR", None)
    with data.with_suffix(".log").open("w") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            text=True,
        )  # fmt: skip
    op = Operator(proc)
    try:
        op.wait(lambda e: e.get("event") == "invite", 30, "the engine to start")
    except BaseException:
        op.stop()
        raise
    return op


def start_desk(
    lab: NetLab,
    data: Path,
    *,
    server_url: str,
    user: str,
    password: str,
    still_timeout: float | None = None,
) -> Operator:
    """A remote console's desk (``desk_driver``) in the operator's namespace, logged in
    to the team server at ``server_url``, its call taken and the phone invited."""
    data.mkdir(parents=True)
    cmd = [
        "ip", "netns", "exec", lab.operator,
        sys.executable, "-m", "tests.netlab.desk_driver",
        "--server", server_url, "--user", user, "--data", str(data),
    ]  # fmt: skip
    if still_timeout is not None:
        cmd += ["--still-timeout", str(still_timeout)]
    env = dict(os.environ)
    env["NETLAB_DESK_PASSWORD"] = password
    env["SSL_CERT_FILE"] = str(lab.ca_file)  # aioice checks coturn's certificate (turns:)
    for name in ("INSPECTOR_DATA_DIR", "INSPECTOR_TURN_SECRET", "INSPECTOR_SERVER"):
        env.pop(name, None)  # the console knows only what the server tells it
    with data.with_suffix(".log").open("w") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            text=True,
        )  # fmt: skip
    desk = Operator(proc)
    try:
        desk.wait(lambda e: e.get("event") == "invite", 60, "the desk to take the call")
    except BaseException:
        desk.stop()
        raise
    return desk


def start_team_server(
    lab: NetLab,
    data: Path,
    *,
    user: str,
    password: str,
    transports: Sequence[str] = ("udp",),
) -> TeamProcess:
    """``inspector server`` in the lab's public namespace, on ``lab.team_url`` (SQLite
    store in ``data``), its TURN credentials minted from the lab's coturn secret for the
    lab's ``transports`` (in that order); ``user`` an operator made with ``inspector
    users add``. The lab's coturn must run (``lab.start_turn(rest=True)``)."""
    from tests.inspector.team.team_fixtures import TeamProcess

    data.mkdir(parents=True)
    env = dict(os.environ)
    for name in ("INSPECTOR_TURN_SECRET", "INSPECTOR_SERVER", "INSPECTOR_DATABASE_URL"):
        env.pop(name, None)
    added = subprocess.run(
        [sys.executable, "-m", "inspector", "users", "add", user, "--role", "operator"],
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, "INSPECTOR_DATA_DIR": str(data)},
        timeout=120,
    )
    if added.returncode != 0:
        raise RuntimeError(f"inspector users add failed: {added.stderr.strip()}")
    secret = data.with_suffix(".turn-secret")
    secret.write_text(lab.turn_secret + "\n")
    turn = [arg for url in lab.turn_urls(transports) for arg in ("--turn-url", url)]
    return TeamProcess(
        data,
        "--host", TEAM_IP, "--port", str(TEAM_PORT), "--public-url", lab.team_url,
        *turn, "--turn-secret-file", str(secret), "--no-recording",
        prefix=["ip", "netns", "exec", lab.pub],
        env=env,
    )  # fmt: skip


def launch_chromium(playwright: Any, lab: NetLab, workdir: Path, camera: Path) -> Any:
    """Debian's Chromium in the phone's namespace, its camera playing ``camera``."""
    wrapper = workdir / "chromium-in-phone-ns"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {lab.phone} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return playwright.chromium.launch(
        executable_path=str(wrapper),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            f"--use-file-for-fake-video-capture={camera.resolve()}",
            # The join page is plain HTTP in the lab, the engine's or a team server's (TLS
            # is the reverse proxy's job in a deployment); the camera needs a secure context.
            f"--unsafely-treat-insecure-origin-as-secure={lab.public_url},{lab.team_url}",
            # Chromium checks coturn's certificate (turns:); the lab's comes from a test
            # CA that Chromium's trust store does not hold.
            "--ignore-certificate-errors",
        ],
    )


class PhonePage:
    """Chromium's page in the phone's namespace, and what the server told it."""

    @classmethod
    def open(cls, browser: Any, init_script: str | None = None) -> PhonePage:
        context = browser.new_context(
            locale="en-US",
            viewport=PHONE_VIEWPORT,
            is_mobile=True,
            has_touch=True,
            permissions=["camera"],
        )
        context.add_init_script(RECORD_PEERS)
        if init_script is not None:
            context.add_init_script(init_script)
        return cls(context.new_page())

    def __init__(self, page: Any) -> None:
        self.page = page
        self.configs: list[dict[str, Any]] = []
        page.on("websocket", self._on_socket)

    def _on_socket(self, ws: Any) -> None:
        def received(payload: Any) -> None:
            if isinstance(payload, str) and '"config"' in payload:
                self.configs.append(json.loads(payload))

        ws.on("framereceived", received)

    def join(self, url: str, timeout: float = 45.0) -> None:
        """Open the link, press Start, wait for the live call."""
        self.page.goto(url)
        self.page.locator("#start").click()
        self.page.wait_for_function(
            "() => window.__inspector && window.__inspector.state === 'live'",
            timeout=timeout * 1000,
        )

    def selected_pair(self) -> dict[str, Any]:
        return dict(self.page.evaluate(SELECTED_PAIR))

    def wait_capture_result(self, capture_id: str, timeout: float) -> dict[str, Any]:
        handle = self.page.wait_for_function(
            """id => (window.__inspector.lastMessages || []).find(
                 (m) => m.type === "capture_result" && m.id === id) || null""",
            arg=capture_id,
            timeout=timeout * 1000,
            polling=50,
        )
        return dict(handle.json_value())
