"""One ``inspector server`` on a real PostgreSQL and S3 for a whole test module, its
users, and a small HTTP client for its operator API (``/api/v1/``)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from inspector.storage.store import Store
from inspector.usecases import accounts

from .team_fixtures import ROOT, TeamProcess

PASSWORDS = {
    "olga": "operator-pass-Qm4x",
    "ines": "inspector-pass-Zr8w",
    "adam": "admin-pass-Lk2v-long",
}
CALL_INTERVAL = 0.12
ROLES = {"olga": "operator", "ines": "inspector", "adam": "admin"}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Team:
    """The server, the store it uses (opened here too: "another process"), the URLs."""

    server: TeamProcess
    store: Store
    database_url: str
    photo_store: str
    env: dict[str, str]
    last_call: float = 0.0
    secrets: list[str] = field(default_factory=list)
    """Every password and token a test used: none may be in the server's log."""

    @property
    def url(self) -> str:
        return self.server.url

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> Answer:
        # The server cuts an address's connections beyond 10 requests a second (60 at
        # once): tests from 127.0.0.1 keep under it, as a client behind no proxy must.
        time.sleep(max(0.0, self.last_call + CALL_INTERVAL - time.monotonic()))
        self.last_call = time.monotonic()
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(
            f"{self.url}/api/v1/{path}", data=data, method=method, headers=sent
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return Answer(exc.code, dict(exc.headers), exc.read())

    def login(self, user: str) -> str:
        return self.login_as(user, PASSWORDS[user])

    def login_as(self, user: str, password: str) -> str:
        answer = self.call("POST", "login", body={"user": user, "password": password})
        assert answer.status == 200, answer
        token = str(answer.json()["token"])
        self.secrets.append(token)
        return token

    def cli(
        self, *args: str, config: Path, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``inspector ARGS`` in a fresh process on this store (local) or the server
        (``--server``), its sessions in ``config``."""
        environment = {
            **{k: v for k, v in os.environ.items() if k != "INSPECTOR_SERVER"},
            **self.env,
            "INSPECTOR_DATABASE_URL": self.database_url,
            "INSPECTOR_PHOTO_STORE": self.photo_store,
            "INSPECTOR_DATA_DIR": str(config.parent / "desk"),
            "INSPECTOR_CONFIG_DIR": str(config),
            **(env or {}),
        }
        return subprocess.run(
            [sys.executable, "-m", "inspector", *args],
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            env=environment,
            timeout=180,
        )


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory, postgres: Any, s3_server: Any) -> Iterator[Team]:
    from tests.s3_server import BUCKET

    root = tmp_path_factory.mktemp("team-api")
    database = postgres.create_database()
    url = postgres.url(database)
    photo_store = f"s3://{BUCKET}/api-{secrets.token_hex(6)}"
    env = dict(s3_server.env())
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        store = Store(root / "tests", database_url=url, photo_store=photo_store)
        for name, password in PASSWORDS.items():
            accounts.add_user(store, name, ROLES[name], password, actor="test")
        server = TeamProcess(root / "server", database_url=url, photo_store=photo_store, env=env)
        team = Team(server, store, url, photo_store, env, secrets=list(PASSWORDS.values()))
        try:
            yield team
        finally:
            server.close()
            store.close()
            postgres.drop_database(database)
