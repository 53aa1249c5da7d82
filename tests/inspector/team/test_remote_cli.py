"""The command line against a real team server (``--server``): the same output as at a
desk on the same data, the session kept 0600 in the config folder, and clear words
when not logged in, the session expired or ended, the role forbids, or the server is
unreachable.

One server for the module (``team``, PostgreSQL and S3); each ``inspector`` run is a
process of its own.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from inspector.usecases.inspections import create_inspection
from tests.inspector.usecases.test_privacy import LISTING, make_listing_inspection

from .api_fixtures import PASSWORDS, Team, team

__all__ = ["team"]  # the module's fixture

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def config(team: Team, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """olga's (operator) config folder, logged in."""
    folder = tmp_path_factory.mktemp("olga") / "config"
    done = team.cli(
        "--server",
        team.url,
        "login",
        "--user",
        "olga",
        "--password-stdin",
        config=folder,
        stdin=PASSWORDS["olga"] + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert f"Logged in to {team.url} as olga (operator)" in done.stdout
    return folder


@pytest.fixture(scope="module")
def inspector_config(team: Team, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ines") / "config"
    done = team.cli(
        "login",
        "--user",
        "ines",
        "--password-stdin",
        config=folder,
        stdin=PASSWORDS["ines"] + "\n",
        env={"INSPECTOR_SERVER": team.url},
    )
    assert done.returncode == 0, done.stderr
    return folder


def test_login_keeps_the_token_only_and_for_its_owner_only(team: Team, config: Path) -> None:
    saved = config / "sessions.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    text = saved.read_text()
    assert PASSWORDS["olga"] not in text
    session = json.loads(text)[team.url]
    assert session["user"] == "olga" and session["role"] == "operator"
    team.secrets.append(session["token"])
    assert team.call("GET", "me", token=session["token"]).status == 200


def test_remote_output_is_the_local_output(team: Team, config: Path) -> None:
    inspection, _ = create_inspection(
        team.store,
        checklist="quick",
        operator="olga",
        vehicle={"make": "Peugeot", "model": "208", "year": 2020, "plate": "EE-789-FF"},
        seller={"name": "Zoé Ça", "phone": "+33 6 12 34 56 78", "language": "fr"},
    )
    made = team.cli(
        "--server", team.url, "new", "--make", "Dacia", "--plate", "GG-1", config=config
    )
    assert made.returncode == 0, made.stderr
    new_id = made.stdout.strip()
    invited = team.cli("invite", new_id, "--json", "--server", team.url, config=config)
    assert invited.returncode == 0, invited.stderr
    assert json.loads(invited.stdout)["join_url"].startswith(f"{team.url}/j/")
    for command in (
        ["list"],
        ["list", "--json"],
        ["show", inspection.id],
        ["show", inspection.id, "--json"],
        ["show", new_id, "--json"],
        ["show", new_id],
    ):
        local = team.cli(*command, config=config)
        remote = team.cli("--server", team.url, *command, config=config)
        assert local.returncode == 0, local.stderr
        assert (remote.returncode, remote.stdout, remote.stderr) == (
            local.returncode,
            local.stdout,
            local.stderr,
        ), command
    assert "Zoé Ça" in local.stdout or new_id in local.stdout


def test_export_report_and_verify_remotely(
    team: Team, config: Path, inspector_config: Path, tmp_path: Path
) -> None:
    made = team.cli("new", "--make", "Kia", "--json", "--server", team.url, config=config)
    inspection_id = json.loads(made.stdout)["id"]
    bundle = tmp_path / "out.zip"
    done = team.cli(
        "--server", team.url, "export", inspection_id, "-o", str(bundle), config=inspector_config
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(bundle) and bundle.stat().st_size > 0
    local = team.cli("verify", str(bundle), config=inspector_config)
    remote = team.cli("--server", team.url, "verify", str(bundle), config=inspector_config)
    assert local.returncode == 0 and local.stdout.startswith("OK: out.zip is intact")
    assert (remote.returncode, remote.stdout) == (local.returncode, local.stdout)
    pdf = tmp_path / "report.pdf"
    refused = team.cli(
        "--server", team.url, "report", inspection_id, "-o", str(pdf), config=inspector_config
    )
    assert refused.returncode == 4, refused.stderr  # incomplete, as at a desk
    assert "--allow-incomplete" in refused.stderr and not pdf.exists()
    done = team.cli(
        "--server",
        team.url,
        "report",
        inspection_id,
        "-o",
        str(pdf),
        "--allow-incomplete",
        config=inspector_config,
    )
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_clear_words_for_a_role_a_missing_session_and_no_server(
    team: Team, config: Path, tmp_path: Path
) -> None:
    forbidden = team.cli(
        "--server", team.url, "export", "abc", "-o", str(tmp_path / "x.zip"), config=config
    )
    assert forbidden.returncode == 1
    assert f"refused by {team.url}: olga is operator: not allowed to export" in forbidden.stderr
    assert "Traceback" not in forbidden.stderr
    nobody = team.cli("--server", team.url, "list", config=tmp_path / "nobody")
    assert nobody.returncode == 1
    assert f"not logged in to {team.url}: run: inspector login --server {team.url}" in (
        nobody.stderr
    )
    closed = "http://127.0.0.1:9"
    unreachable = team.cli(
        "--server",
        closed,
        "login",
        "--user",
        "olga",
        "--password-stdin",
        config=tmp_path / "nobody",
        stdin="whatever-password\n",
    )
    assert unreachable.returncode == 1
    assert f"cannot reach the team server at {closed}" in unreachable.stderr
    elsewhere = team.cli("--server", team.url, "delete", "abc", config=config)
    assert elsewhere.returncode == 2 and "does not run against a team server" in elsewhere.stderr


def test_an_expired_or_ended_session_says_to_log_in_again(team: Team, tmp_path: Path) -> None:
    folder = tmp_path / "config"
    login = team.cli(
        "--server",
        team.url,
        "login",
        "--user",
        "adam",
        "--password-stdin",
        config=folder,
        stdin=PASSWORDS["adam"] + "\n",
    )
    assert login.returncode == 0, login.stderr
    saved = folder / "sessions.json"
    kept = saved.read_text()
    team.secrets.append(json.loads(kept)[team.url]["token"])
    sessions = json.loads(kept)
    sessions[team.url]["expires_at"] = "2020-01-01T00:00:00+00:00"
    saved.write_text(json.dumps(sessions))
    expired = team.cli("--server", team.url, "list", config=folder)
    assert expired.returncode == 1
    assert "expired" in expired.stderr and f"inspector login --server {team.url}" in (
        expired.stderr
    )
    # Ended on the server (a logout elsewhere): the server says so, the command says why.
    saved.write_text(kept)
    assert team.cli("--server", team.url, "logout", config=folder).returncode == 0
    assert team.url not in json.loads(saved.read_text())
    saved.write_text(kept)
    ended = team.cli("--server", team.url, "show", "abc", config=folder)
    assert ended.returncode == 1
    assert "log in again" in ended.stderr
    assert f"run: inspector login --server {team.url}" in ended.stderr


def test_export_listing_remotely_writes_what_a_desk_writes(
    team: Team, config: Path, inspector_config: Path, tmp_path: Path
) -> None:
    listed = make_listing_inspection(team.store)
    remote_out, local_out = tmp_path / "remote", tmp_path / "local"
    args = ("export", listed.inspection_id, "--listing", "--size", "400")
    done = team.cli("--server", team.url, *args, "-o", str(remote_out), config=inspector_config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(remote_out)
    assert done.stderr.startswith(f"{len(LISTING)} photos, 4 boxes blurred (5 photos scanned")
    local = team.cli(*args, "-o", str(local_out), config=inspector_config)
    assert local.returncode == 0, local.stderr
    names = sorted(os.listdir(remote_out))
    assert names == sorted(os.listdir(local_out))
    assert [n[3:-4].replace("-", "_") for n in names] == LISTING
    for name in names:  # the same blurred, stripped photos as at a desk
        assert (remote_out / name).read_bytes() == (local_out / name).read_bytes()

    again = team.cli("--server", team.url, *args, "-o", str(remote_out), config=inspector_config)
    assert again.returncode == 1 and "is not empty" in again.stderr
    operator = team.cli("--server", team.url, *args, "-o", str(tmp_path / "o"), config=config)
    assert operator.returncode == 1 and "not allowed to export" in operator.stderr
    made = team.cli("new", "--make", "Kia", "--json", "--server", team.url, config=config)
    empty = json.loads(made.stdout)["id"]
    nothing = team.cli(
        "--server", team.url, "export", empty, "--listing", "-o", str(tmp_path / "e"),
        config=inspector_config,
    )  # fmt: skip
    assert nothing.returncode == 1 and "no accepted photo" in nothing.stderr
    path = f"inspections/{listed.inspection_id}/listing"
    assert team.call("GET", path).status == 401
    bad_size = team.call("GET", path + "?size=9", token=team.login("ines"))
    assert bad_size.status == 400 and "between 64 and 8192" in bad_size.json()["message"]
    for refused in (again, operator, nothing):
        assert "Traceback" not in refused.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "e").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
