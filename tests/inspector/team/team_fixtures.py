"""A real ``inspector server`` process for the tests, and what they ask of it.

``TeamProcess`` starts ``python -m inspector server --port 0 --json`` with its
own data folder (each process needs its own: spool, locks) and the store options
given; its ``listening`` line gives the URL; its standard error (JSON log lines)
is collected by a thread, so a test can read every line it wrote.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inspector.live.tokens import Invitations
from inspector.storage.store import Store
from inspector.usecases import status as lifecycle
from inspector.usecases.inspections import create_inspection

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 120.0  # importing aiortc & co. on a loaded 2-core machine takes a while


class TeamProcess:
    """``inspector server`` as a subprocess: its URL, its log lines, its exit."""

    def __init__(
        self,
        data_dir: Path,
        *args: str,
        database_url: str | None = None,
        photo_store: str | None = None,
        env: dict[str, str] | None = None,
        prefix: Sequence[str] = (),
    ) -> None:
        """``prefix``: a command the server runs under (``ip netns exec NS``, the network
        lab's public namespace)."""
        environment = {**os.environ, **(env or {}), "INSPECTOR_DATA_DIR": str(data_dir)}
        environment.pop("INSPECTOR_DATABASE_URL", None)
        environment.pop("INSPECTOR_PHOTO_STORE", None)
        if database_url is not None:
            environment["INSPECTOR_DATABASE_URL"] = database_url
        if photo_store is not None:
            environment["INSPECTOR_PHOTO_STORE"] = photo_store
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "inspector", "server", "--port", "0", "--json", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        self.log: list[str] = []
        self._lock = threading.Lock()
        assert self.proc.stderr is not None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        #: Where the process listens (``url``), and what its join links start with.
        self.url, self.public_url = self._listening()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._lock:
                self.log.append(line.rstrip("\n"))

    def _listening(self) -> tuple[str, str]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks until the line or the process's end
        if not line:
            self.proc.wait(10)
            raise AssertionError(f"the server exited before listening: {self.log_text()[-3000:]}")
        event = json.loads(line)
        assert event["event"] == "listening", event
        return str(event["local_url"]), str(event["url"])

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def log_text(self) -> str:
        with self._lock:
            return "\n".join(self.log)

    def log_events(self) -> list[dict[str, Any]]:
        """The log's JSON lines (every line must be one)."""
        with self._lock:
            lines = list(self.log)
        return [json.loads(line) for line in lines if line.strip()]

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def metric(self, name: str) -> float:
        """The sum of a metric's samples named exactly ``name`` (labels ignored)."""
        status, body = self.get("/metrics")
        assert status == 200
        total = 0.0
        for line in body.decode().splitlines():
            if line.startswith("#"):
                continue
            key, _, value = line.rpartition(" ")
            if key.split("{", 1)[0] == name:
                total += float(value)
        return total

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM, then the exit code (the log reader has read everything by then)."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._reader.join(10)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._reader.join(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def invited_inspection(store: Store, base_url: str, checklist: str = "quick") -> tuple[str, str]:
    """A new inspection invited for a self-inspection: (its id, its join URL at ``base_url``)."""
    inspection, _ = create_inspection(
        store,
        checklist=checklist,
        vehicle={"make": "Peugeot", "model": "308", "plate": "AB-123-CD"},
        seller={"name": "Élodie Martin", "language": "fr"},
    )
    token, _ = Invitations(store, 3600).issue(inspection.id)
    lifecycle.invited(store, inspection.id)
    return inspection.id, f"{base_url.rstrip('/')}/j/{token}"


def wait_for(predicate: Any, timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)
