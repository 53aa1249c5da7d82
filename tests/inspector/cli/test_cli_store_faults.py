"""A team's shared store that cannot be used when a command starts: PostgreSQL down,
refusing the password, or without the database; S3 refusing the key, without the
bucket, or down. Every command that opens the store says so in one line and exits 1,
never a traceback, and leaves the records and photos as they were.

The records are on a real PostgreSQL and the photos on a real SeaweedFS, both started
by the tests. Every command is run against every fault in this process (``main``, the
same code as the command line); one real ``inspector`` process per fault shows what a
terminal sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from inspector.bundle import export_bundle
from inspector.cli.main import main
from inspector.storage.store import Store
from tests.inspector.cli.test_cli_photo_store import one_clear_line
from tests.inspector.os_fixtures import inspector
from tests.inspector.postgres_fixtures import PostgresServer
from tests.inspector.report.test_report import make_inspection
from tests.s3_server import MISSING_BUCKET, free_ports


@dataclass
class Desk:
    """A desk of a team: records on PostgreSQL, photos in S3, one inspection with photos."""

    data_dir: Path
    database_url: str
    photo_store: str
    inspection_id: str
    photos: int
    bundle: Path


@pytest.fixture
def desk(
    data_dir: Path,
    tmp_path: Path,
    pg_url: str,
    s3_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Desk]:
    monkeypatch.setenv("INSPECTOR_DATABASE_URL", pg_url)
    monkeypatch.setenv("INSPECTOR_PHOTO_STORE", s3_url)
    with Store(data_dir, database_url=pg_url, photo_store=s3_url) as store:
        inspection, captures, _ = make_inspection(store)
    with Store(tmp_path / "elsewhere") as local:
        make_inspection(local)
        bundle = export_bundle(local, inspection.id, tmp_path / "bundle.zip", report=False)
    yield Desk(data_dir, pg_url, s3_url, inspection.id, len(captures), bundle)


def commands(desk: Desk, out: Path) -> dict[str, list[str]]:
    """Every command that opens the store."""
    i = desk.inspection_id
    return {
        "new": ["new", "--make", "Fiat"],
        "list": ["list"],
        "show": ["show", i],
        "show --check": ["show", i, "--check"],
        "delete": ["delete", i],
        "invite": ["invite", i],
        "revoke": ["revoke", i],
        "serve": ["serve", "--port", "0"],
        "demo": ["demo", "--checklist", "quick", "-o", str(out / "demo.pdf")],
        "report": ["report", i, "-o", str(out / "r.pdf")],
        "export": ["export", i, "-o", str(out / "b.zip")],
        "import": ["import", str(desk.bundle)],
        "migrate": [
            "migrate",
            "--to-database",
            f"sqlite:///{out / 'copy.db'}",
            "--to-photo-store",
            str(out / "copy-photos"),
        ],
    }


#: Commands that need no photo: they may work while only the object store fails.
RECORDS_ONLY = {"list", "show", "revoke"}


def fault(name: str, desk: Desk, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Break the desk's store one way; the words its one line must hold."""
    from sqlalchemy.engine import make_url

    database = make_url(desk.database_url).database
    assert database
    if name == "postgresql down":
        (port,) = free_ports(1)  # nobody listens there
        monkeypatch.setenv("INSPECTOR_DATABASE_URL", f"postgresql://nobody@127.0.0.1:{port}/x")
        return "cannot reach the database server"
    if name == "postgresql password refused":
        monkeypatch.setenv("INSPECTOR_DATABASE_URL", postgres.password_url(database, "wrong"))
        return "the database server refuses the user or password"
    if name == "postgresql no such database":
        monkeypatch.setenv("INSPECTOR_DATABASE_URL", postgres.url("no_such_database"))
        return "the database server has no such database"
    if name == "s3 key refused":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        return "refuses the credentials"
    if name == "s3 no such bucket":
        monkeypatch.setenv("INSPECTOR_PHOTO_STORE", f"s3://{MISSING_BUCKET}/desk")
        return f"has no bucket {MISSING_BUCKET!r}"
    if name == "s3 down":
        (port,) = free_ports(1)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        return "does not answer — is it running"
    raise AssertionError(name)


FAULTS = [
    "postgresql down",
    "postgresql password refused",
    "postgresql no such database",
    "s3 key refused",
    "s3 no such bucket",
    "s3 down",
]

#: The command each fault is also run as, in a real process.
IN_A_PROCESS = {
    "postgresql down": "serve",
    "postgresql password refused": "report",
    "postgresql no such database": "export",
    "s3 key refused": "demo",
    "s3 no such bucket": "serve",
    "s3 down": "delete",
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", FAULTS)
def test_every_command_on_an_unusable_store_is_one_line_and_changes_nothing(
    name: str,
    desk: Desk,
    postgres: PostgresServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.MonkeyPatch.context() as broken:
        words = fault(name, desk, postgres, broken)
        capsys.readouterr()
        for command, argv in commands(desk, out).items():
            code = main(argv)
            err = capsys.readouterr().err
            if code == 0 and name.startswith("s3") and command in RECORDS_ONLY:
                continue  # the records alone: nothing of the photo store needed
            assert code == 1, (command, code, err)
            one_clear_line(err, words)
        made = {p.name for p in out.iterdir()}
        assert made <= {"copy.db", "copy-photos"}, made  # no report, no bundle
        if made:  # migrate made its target, then could not read the photos: nothing copied
            with Store(out, database_url=f"sqlite:///{out / 'copy.db'}") as copy:
                assert copy.list_inspections() == []

        proc = inspector(*commands(desk, out)[IN_A_PROCESS[name]], data_dir=desk.data_dir)
        assert proc.returncode == 1, proc.stderr
        one_clear_line(proc.stderr, words)

    # The store as it was: nothing deleted, created or changed.
    with Store(desk.data_dir, database_url=desk.database_url, photo_store=desk.photo_store) as s:
        [inspection] = s.list_inspections()
        assert inspection.id == desk.inspection_id
        captures = s.captures(inspection.id)
        assert len(captures) == desk.photos
        assert {s.photo_state(c.sha256) for c in captures} == {"ok"}
        assert len({p.sha256 for p in s.list_photos()}) == len({c.sha256 for c in captures})
