"""A real PostgreSQL server for the tests: Debian's binaries, started per session.

``initdb`` + ``pg_ctl`` in a temporary folder, listening on a Unix socket in that
folder only (no TCP port to collide with another run; a test that needs a network
path, e.g. through a relay it cuts, asks for ``postgres_server(tcp=True)``: also
127.0.0.1 on a free port), fsync off (the data is thrown away). A server whose test
run was killed (no teardown) is stopped and removed by the next run: each folder
names the pid of its run. As root the server runs as the ``postgres`` user the Debian
package creates: PostgreSQL refuses to run as root. Each test gets a database of its
own. Connections are trusted, except the user :data:`PASSWORD_USER`, who must give
:data:`PASSWORD` (tests of refused credentials).

Missing binaries skip the tests with the reason, except under ``CI=true``, where
they fail: CI installs ``postgresql`` (.ci/run), so missing means broken.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from inspector.storage.sql import make_engine
from tests import unavailable as _tools

__all__ = [
    "PASSWORD",
    "PASSWORD_USER",
    "PostgresServer",
    "Unavailable",
    "pg_url",
    "postgres",
    "postgres_server",
    "unavailable",
]

_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_PREFIX = "inspector-pg-"
PASSWORD_USER = "inspector_pw"
PASSWORD = "right horse battery staple"


def _bin_dir() -> Path | None:
    candidates = [Path(p) for p in sorted(Path("/").glob(_BIN_GLOB.lstrip("/")))]
    found = [p for p in candidates if (p / "initdb").is_file() and (p / "pg_ctl").is_file()]
    # The newest major version installed.
    return max(found, key=lambda p: int(p.parent.name), default=None)


def unavailable(reason: str) -> NoReturn:
    _tools.unavailable(f"PostgreSQL not available: {reason} (apt-get install postgresql)")


@dataclass
class PostgresServer:
    """A running server: its folder (data, socket, log) and the user it runs as."""

    root: Path
    bin_dir: Path
    user: str
    port: int | None = None  # a TCP port on 127.0.0.1 too (``postgres_server(tcp=True)``)

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str = "postgres", user: str | None = None) -> str:
        url = f"postgresql+psycopg://{user or self.user}@/{database}?host={self.socket_dir}"
        return url if self.port is None else f"{url}&port={self.port}"

    def tcp_url(self, database: str, *, port: int | None = None) -> str:
        """The URL over TCP (``port``: another one leading to the server, e.g. a relay's)."""
        assert self.port is not None, "started without tcp=True"
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{port or self.port}/{database}"

    def password_url(self, database: str, password: str) -> str:
        """The URL of :data:`PASSWORD_USER` (created, owning ``database``) with ``password``."""
        self._admin(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PASSWORD_USER}')"
            f" THEN CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{PASSWORD}'; END IF; END $$"
        )
        self._admin(f'ALTER DATABASE "{database}" OWNER TO {PASSWORD_USER}')
        return (
            f"postgresql://{PASSWORD_USER}:{quote(password, safe='')}@/{database}"
            f"?host={self.socket_dir}"
        )

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        engine = make_engine(self.url(), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        try:
            with engine.connect() as c:
                c.exec_driver_sql(sql)
        finally:
            engine.dispose()


def _run(argv: list[str], user: str | None, timeout: float) -> None:
    try:
        subprocess.run(
            argv, user=user, check=True, capture_output=True, text=True, timeout=timeout, cwd="/"
        )
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"{Path(argv[0]).name} failed: {exc.stderr or exc.stdout}") from exc


def _stop_orphans(bin_dir: Path, run_as: str | None) -> None:
    """Servers left by a killed test run (its pid gone): stopped, their folder removed."""
    for root in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        try:
            os.kill(int((root / "owner.pid").read_text()), 0)
            continue  # its run is still going
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue  # not ours to judge
        if (root / "data" / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                _run(
                    [
                        str(bin_dir / "pg_ctl"),
                        "-D",
                        str(root / "data"),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ],
                    run_as,
                    timeout=60,
                )
        shutil.rmtree(root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Unavailable(Exception):
    """PostgreSQL cannot be started here (not installed, no user to run it as)."""


@contextlib.contextmanager
def postgres_server(
    *, durable: bool = False, tcp: bool = False, directory: Path | None = None
) -> Iterator[PostgresServer]:
    """A server in a temporary folder, stopped and removed at the end.

    ``durable``: with fsync (what a deployment runs; for benchmarks). Tests run without.
    ``tcp``: also listening on 127.0.0.1, on a free port (``server.port``; trusted).
    ``directory``: where that folder is made (e.g. a small disk), else the temp folder.
    """
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise Unavailable(f"no initdb/pg_ctl under {_BIN_GLOB}")
    run_as: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable(
                "running as root and there is no 'postgres' user to run the server"
            ) from None
        run_as = "postgres"
    _stop_orphans(bin_dir, run_as)
    root = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=directory))
    (root / "owner.pid").write_text(str(os.getpid()))
    data = root / "data"
    if run_as is not None:
        shutil.chown(root, run_as)
    user = run_as or pwd.getpwuid(os.geteuid()).pw_name
    server = PostgresServer(root, bin_dir, user, _free_port() if tcp else None)
    try:
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                user,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            run_as,
            timeout=120,
        )
        hba = data / "pg_hba.conf"  # first match wins: the password rule goes first
        hba.write_text(f"local all {PASSWORD_USER} scram-sha-256\n" + hba.read_text())
        options = f"-k {root} -c listen_addresses=''"
        if server.port is not None:  # initdb --auth=trust trusts 127.0.0.1 already
            options = f"-k {root} -c listen_addresses=127.0.0.1 -p {server.port}"
        if not durable:
            options += " -c fsync=off -c full_page_writes=off"
        _run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            run_as,
            timeout=90,
        )
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                _run(
                    [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                    run_as,
                    timeout=60,
                )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        with postgres_server() as server:
            yield server
    except Unavailable as exc:
        unavailable(str(exc))


@pytest.fixture
def pg_url(postgres: PostgresServer) -> Iterator[str]:
    """The URL of a new, empty database on the session's server, dropped afterwards."""
    name = postgres.create_database()
    try:
        yield postgres.url(name)
    finally:
        postgres.drop_database(name)
