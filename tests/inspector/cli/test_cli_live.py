"""The live commands as a user runs them: real processes, real WebRTC, real files."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import pytest
from pypdf import PdfReader

from inspector.cli.main import main
from inspector.config import turn_rest_password
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.storage.store import Store

ROOT = Path(__file__).resolve().parents[3]


def _read_event(stream: IO[str], name: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            raise AssertionError(f"the server exited before the {name!r} event")
        event = json.loads(line)
        if event["event"] == name:
            return event
    raise AssertionError(f"no {name!r} event within {timeout} s")


def _serve(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    """A real `inspector serve --port 0 --json ...` on its own data directory."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--port", "0", "--json", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "INSPECTOR_DATA_DIR": str(data_dir)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    return proc


@pytest.mark.timeout(90)
def test_serve_json_events_and_clean_shutdown(data_dir: Path) -> None:
    proc = _serve(data_dir, "--new-inspection", "--autopilot", "--checklist", "quick")
    assert proc.stdout is not None and proc.stderr is not None
    try:
        first = json.loads(proc.stdout.readline())
        assert first["event"] == "listening"
        assert first["url"].startswith("http://127.0.0.1:")
        invite = json.loads(proc.stdout.readline())
        assert invite["event"] == "invite"
        assert invite["join_url"].startswith(first["url"] + "/j/")

        async def phone() -> None:
            sim = SimulatedPhone(
                invite["join_url"], width=640, height=480, fps=15, still_size=(1600, 1200)
            )
            await sim.start()
            try:
                await asyncio.to_thread(_read_event, proc.stdout, "phone_joined")
                capture = await asyncio.to_thread(_read_event, proc.stdout, "capture", 45)
                assert capture["inspection_id"] == invite["inspection_id"]
                assert capture["source"] == "still"
                assert Path(capture["path"]).is_file()
            finally:
                await sim.stop()

        asyncio.run(phone())
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        assert time.monotonic() - started < 10
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_serve_on_a_taken_port_is_one_line(data_dir: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "inspector", "serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "INSPECTOR_DATA_DIR": str(data_dir)},
        )
    assert proc.returncode == 1
    assert "already in use" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_invite_prints_link_and_qr_then_revoke(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "--make", "Fiat"]) == 0
    inspection_id = capsys.readouterr().out.strip()
    assert main(["invite", inspection_id, "--port", "9000"]) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:9000/j/" in out
    assert "█" in out or "▀" in out  # the QR code drawn in the terminal
    assert main(["invite", inspection_id, "--json", "--public-url", "https://inspect.example"]) == 0
    link = json.loads(capsys.readouterr().out)
    assert link["join_url"].startswith("https://inspect.example/j/")
    token = link["join_url"].rsplit("/", 1)[1]
    with Store(data_dir) as store:
        from inspector.live.tokens import Invitations

        invitations = Invitations(store, 60)
        assert invitations.check(token) == inspection_id
        assert invitations.mode_of(token) == "operator"  # at a desk, the operator guides
        assert store.get_inspection(inspection_id).status.value == "invited"
    assert main(["revoke", inspection_id]) == 0
    assert "Revoked 2 link(s)" in capsys.readouterr().out
    assert main(["invite", inspection_id, "--public-url", "ftp://nope"]) == 1
    assert "--public-url" in capsys.readouterr().err


def test_invite_with_no_server_running_says_how_to_start_one(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "--make", "Fiat"]) == 0
    inspection_id = capsys.readouterr().out.strip()
    assert main(["invite", inspection_id]) == 1
    err = capsys.readouterr().err
    assert "no phone server is running" in err and "inspector serve" in err, err
    with Store(data_dir) as store:  # no link issued: the draft stays a draft
        assert store.get_inspection(inspection_id).status.value == "draft"
    # An explicit address is trusted, with a warning that nothing listens there yet.
    assert main(["invite", inspection_id, "--port", "9000", "--no-qr"]) == 0
    out, err = capsys.readouterr()
    assert "http://127.0.0.1:9000/j/" in out
    assert "warning: no phone server is running" in err and "--port 9000" in err


@pytest.mark.timeout(90)
def test_invite_points_at_the_server_running_on_the_folder(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`serve --port 0` takes a free port: invite's link must use it, not 8080."""
    assert main(["new", "--make", "Fiat"]) == 0
    inspection_id = capsys.readouterr().out.strip()
    proc = _serve(data_dir)
    assert proc.stdout is not None
    try:
        url = _read_event(proc.stdout, "listening")["url"]
        assert not url.endswith(":8080")
        assert main(["invite", inspection_id, "--json"]) == 0
        link = json.loads(capsys.readouterr().out)
        assert link["join_url"].startswith(f"{url}/j/")

        async def join() -> int:
            import aiohttp

            async with aiohttp.ClientSession() as http, http.get(link["join_url"]) as page:
                return page.status

        assert asyncio.run(join()) == 200  # the link works on the running server
        proc.send_signal(signal.SIGKILL)  # dies without a word: its record must not be trusted
        proc.wait(10)
        assert main(["invite", inspection_id]) == 1
        assert "no phone server is running" in capsys.readouterr().err
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()
        assert proc.stderr is not None
        proc.stderr.close()


@pytest.mark.timeout(120)
def test_demo_walks_a_checklist_and_writes_a_report(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "demo.pdf"
    code = main(["demo", "--checklist", "quick", "-o", str(report), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out.strip().splitlines()[-1])
    assert result["captures"] >= 8
    assert result["report"] == str(report)
    with Store(data_dir) as store:
        inspection = store.get_inspection(result["inspection_id"])
        assert inspection.status.value == "reported"  # the report was written
        assert len(store.captures(inspection.id)) == result["captures"]
    assert len(PdfReader(report).pages) >= 2


@pytest.mark.timeout(90)
def test_demo_on_a_full_disk_says_so_at_once(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    from inspector.atomic import TMP_SUFFIX

    real_fsync = os.fsync
    folder = str(data_dir)  # its photos and its spool: one disk

    def fsync(fd: int) -> None:  # the bytes reach a temporary file, then the disk is full
        path = os.readlink(f"/proc/self/fd/{fd}")
        if path.endswith(TMP_SUFFIX) and path.startswith(folder):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    started = time.monotonic()
    assert main(["demo", "--checklist", "quick"]) == 1
    err = capsys.readouterr().err
    assert "demo failed: photo not saved: the disk is full" in err, err
    assert "not completed" not in err
    assert time.monotonic() - started < 60  # not the 90 s checklist timeout
    with Store(data_dir) as store:
        assert [i.status.value for i in store.list_inspections()] == ["invited"]


def test_ice_servers_parse_with_clear_errors() -> None:
    from inspector.config import IceServer

    assert IceServer.parse("stun:stun.example.org:3478").to_dict() == {
        "urls": ["stun:stun.example.org:3478"]
    }
    turn = IceServer.parse("turn:alice:s3cret@turn.example.org:3478?transport=udp")
    assert turn.to_dict() == {
        "urls": ["turn:turn.example.org:3478?transport=udp"],
        "username": "alice",
        "credential": "s3cret",
    }
    for bad in ("http://x", "stun:u:p@host:1", "turn:alice@host:3478", "turn:"):
        with pytest.raises(ValueError, match="ICE server"):
            IceServer.parse(bad)


@pytest.mark.timeout(60)
def test_serve_passes_configured_ice_servers_to_the_phone(data_dir: Path) -> None:
    proc = _serve(data_dir, "--new-inspection", "--ice-server", "turn:alice:s3cret@127.0.0.1:3478")
    assert proc.stdout is not None and proc.stderr is not None
    try:
        _read_event(proc.stdout, "listening")
        invite = _read_event(proc.stdout, "invite")

        async def config() -> dict[str, Any]:
            import aiohttp

            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                async with http.get(invite["join_url"]) as page:
                    assert page.status == 200
                ws_url = invite["join_url"].replace("/j/", "/ws/").replace("http", "ws", 1)
                async with http.ws_connect(ws_url) as ws:
                    message: dict[str, Any] = await ws.receive_json(timeout=10)
                    return message

        message = asyncio.run(config())
        assert message["type"] == "config"
        assert message["ice_servers"] == [
            {"urls": ["turn:127.0.0.1:3478"], "username": "alice", "credential": "s3cret"}
        ]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        proc.stdout.close()
        proc.stderr.close()


def _configs(join_url: str, sockets: int) -> list[dict[str, Any]]:
    """The ``config`` message of each of ``sockets`` signaling sockets opened one after
    the other by one device, a second apart."""

    async def configs() -> list[dict[str, Any]]:
        import aiohttp

        found: list[dict[str, Any]] = []
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            async with http.get(join_url) as page:
                assert page.status == 200
            ws_url = join_url.replace("/j/", "/ws/").replace("http", "ws", 1)
            for i in range(sockets):
                if i:
                    await asyncio.sleep(1.1)  # a later expiry, so other credentials
                async with http.ws_connect(ws_url) as ws:
                    found.append(await ws.receive_json(timeout=10))
        return found

    return asyncio.run(configs())


@pytest.mark.timeout(60)
def test_serve_mints_turn_credentials_per_socket(data_dir: Path, tmp_path: Path) -> None:
    """--turn-url with the shared secret in a file: each signaling socket gets its own
    short-lived credentials (coturn's REST API), the static servers alongside; the secret
    itself never reaches the phone."""
    secret = "s3cret-shared-with-coturn"
    secret_file = tmp_path / "turn-secret"
    secret_file.write_text(secret + "\n")
    proc = _serve(
        data_dir,
        "--new-inspection",
        "--ice-server", "stun:127.0.0.1:3478",
        "--turn-url", "turn:127.0.0.1:3478",
        "--turn-url", "turns:127.0.0.1:5349",
        "--turn-secret-file", str(secret_file),
        "--turn-ttl", "600",
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    try:
        _read_event(proc.stdout, "listening")
        invite = _read_event(proc.stdout, "invite")
        first, second = _configs(invite["join_url"], 2)
        for message in (first, second):
            stun, turn = message["ice_servers"]
            assert stun == {"urls": ["stun:127.0.0.1:3478"]}
            assert turn["urls"] == ["turn:127.0.0.1:3478", "turns:127.0.0.1:5349"]
            expiry, tag = turn["username"].split(":")
            assert 590 <= int(expiry) - time.time() <= 600
            assert tag == f"phone-{invite['inspection_id'][:8]}"
            assert turn["credential"] == turn_rest_password(secret, turn["username"])
            assert secret not in json.dumps(message)
        assert first["ice_servers"][1] != second["ice_servers"][1]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        proc.stdout.close()
        proc.stderr.close()


def test_serve_refuses_turn_url_without_secret(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INSPECTOR_TURN_SECRET", raising=False)
    assert main(["serve", "--port", "0", "--turn-url", "turn:127.0.0.1:3478"]) == 1
    assert "INSPECTOR_TURN_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("INSPECTOR_TURN_SECRET", "s3cret")
    assert main(["serve", "--port", "0", "--turn-url", "turn:u:p@127.0.0.1:3478"]) == 1
    assert "no credentials: they are minted" in capsys.readouterr().err
