"""A real nginx (Debian's) running the site file of ``deploy/``, for the tests.

The committed ``deploy/nginx/inspector.conf`` is rendered for a test: its ports
(loopback, unprivileged), certificate, log folder and upstream servers are
substituted (each substitution must match exactly once, so the test breaks when
the file changes shape), and nginx runs in the foreground with its own prefix,
configuration, pid and temporary folders in the test's folder, stopped at the end
(SIGQUIT, then SIGKILL). The certificate is made by the test
(:func:`inspector.live.tls.ensure_certificate`, for 127.0.0.1).

Without nginx the tests skip, except under ``CI=true`` (.ci/run installs it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from inspector.live.tls import ensure_certificate
from tests.unavailable import unavailable

ROOT = Path(__file__).resolve().parents[3]
SITE = ROOT / "deploy" / "nginx" / "inspector.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

_UPSTREAM = (
    "    server 127.0.0.1:8081 max_fails=1 fail_timeout=5s;\n"
    "    server 127.0.0.1:8082 max_fails=1 fail_timeout=5s;\n"
)


def nginx_or_skip() -> str:
    if not Path(NGINX).exists():
        unavailable("nginx is not installed (apt-get install nginx)")
    return NGINX


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Nginx:
    root: Path
    https_port: int
    http_port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def error_log(self) -> str:
        parts = []
        for name in ("error.log", "inspector.error.log"):
            path = self.root / "logs" / name
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    def access_log(self) -> str:
        path = self.root / "logs" / "inspector.access.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _substitute(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"deploy/nginx/inspector.conf: expected {old!r} once"
    return text.replace(old, new)


def render_site(root: Path, https_port: int, http_port: int, upstreams: Sequence[int]) -> str:
    """The committed site file with this test's ports, certificate, logs and upstreams."""
    cert, key = ensure_certificate(root / "tls", ["127.0.0.1"])
    site = SITE.read_text()
    site = _substitute(
        site,
        _UPSTREAM,
        "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in upstreams),
    )
    site = _substitute(site, "    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n")
    site = _substitute(site, "    listen [::]:80;\n", "")
    site = _substitute(
        site, "    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n"
    )
    site = _substitute(site, "    listen [::]:443 ssl http2;\n", "")
    site = _substitute(site, "/etc/letsencrypt/live/inspect.example.com/fullchain.pem", str(cert))
    site = _substitute(site, "/etc/letsencrypt/live/inspect.example.com/privkey.pem", str(key))
    assert "/var/log/nginx/" in site
    return site.replace("/var/log/nginx/", f"{root}/logs/")


def _main_config(root: Path) -> str:
    temp = root / "temp"
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the test's folders
    return f"""{user}daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/logs/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    default_type application/octet-stream;
    include {root}/site.conf;
}}
"""


@contextlib.contextmanager
def nginx_proxy(
    root: Path, upstreams: Sequence[int], https_port: int | None = None
) -> Iterator[Nginx]:
    """nginx in front of ``upstreams`` (loopback ports), TLS on ``https_port``."""
    binary = nginx_or_skip()
    root.mkdir(parents=True, exist_ok=True)
    (root / "logs").mkdir(exist_ok=True)
    (root / "temp").mkdir(exist_ok=True)
    https_port = https_port or free_port()
    http_port = free_port()
    (root / "site.conf").write_text(render_site(root, https_port, http_port, upstreams))
    (root / "nginx.conf").write_text(_main_config(root))
    check = subprocess.run(
        [binary, "-t", "-p", str(root), "-c", str(root / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(
        [binary, "-p", str(root), "-c", str(root / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its workers in a group of their own, stopped with it
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # listening: a TCP connect succeeds
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", https_port), timeout=1),
            ):
                break
            assert time.monotonic() < deadline, "nginx did not listen within 30 s"
            time.sleep(0.1)
        yield Nginx(root, https_port, http_port, proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # graceful: finish open requests
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the master and its workers
                proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()
