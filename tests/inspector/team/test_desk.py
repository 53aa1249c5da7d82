"""A remote console's call on a real team server (PostgreSQL, S3): the console has
no database, only the operator API. Its engine runs the call on a working copy; every
still reaches the server, hash-checked, before the phone is told "saved"; with the
server out of reach a still is refused (the phone sends it again) and never kept
unacknowledged, while marks wait in the desk's spool and follow in order."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from inspector.config import turn_rest_password
from inspector.domain.models import CaptureSource, InspectionStatus, QualityReport, Verdict
from inspector.live import events as ev
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.storage.errors import StoreError
from inspector.storage.spool import LiveWriter
from inspector.storage.store import Store
from inspector.team.client import Client, RemoteError
from inspector.team.desk import RemoteDesk, ServerMirror, cache_folder
from inspector.usecases import accounts
from tests.data import jpeg_bytes, scene
from tests.paced_relay import PacedRelay

from ..live_fixtures import EventLog
from .api_fixtures import PASSWORDS, Team, team
from .team_fixtures import TeamProcess, wait_for
from .test_relay import NEW

__all__ = ["team"]  # the module's fixture

pytestmark = pytest.mark.timeout(180)

FRONT, REAR = "three_quarter_front_left", "three_quarter_rear_left"


def _new(team: Team, token: str) -> str:
    made = team.call("POST", "inspections", token=token, body=NEW)
    assert made.status == 201, made
    return str(made.json()["id"])


@pytest.fixture
def olga(team: Team) -> str:
    return team.login("olga")


@pytest.fixture
def desk(team: Team, olga: str, tmp_path: Path) -> Iterator[tuple[RemoteDesk, EventLog]]:
    log = EventLog()
    desk = RemoteDesk(team.url, olga, tmp_path / "console", log)
    desk.start()
    try:
        yield desk, log
    finally:
        desk.close()


def test_the_console_runs_the_call_and_the_server_has_each_still_before_saved(
    team: Team, olga: str, desk: tuple[RemoteDesk, EventLog]
) -> None:
    remote, log = desk
    inspection_id = _new(team, olga)
    assert remote.take(inspection_id) == inspection_id
    assert remote.store.data_dir == cache_folder(remote.store.data_dir.parents[1], team.url)
    invite = remote.engine.invite(inspection_id).result(30)
    assert invite.join_url.startswith(team.server.public_url + "/j/")
    calls_before = team.server.metric("inspector_calls_total")
    stored_before = team.server.metric("inspector_captures_stored_total")

    async def scenario() -> list[str]:
        phone = SimulatedPhone(
            invite.join_url, width=320, height=240, fps=10, still_size=(1600, 1200)
        )
        await phone.start(timeout=60)
        captured = []
        try:
            for _ in range(2):
                capture_id = await asyncio.wrap_future(remote.engine.capture(inspection_id))
                result = await phone.wait_for(
                    "capture_result", where=lambda m, c=capture_id: m["id"] == c, timeout=30
                )
                assert result["stored"] is True  # "saved": the server has it already
                server = team.store.get_capture(capture_id)
                assert hashlib.sha256(team.store.read_photo(server.sha256)).hexdigest() == (
                    server.sha256
                )
                captured.append(capture_id)
                await asyncio.wrap_future(remote.engine.accept(inspection_id, capture_id))
        finally:
            await phone.stop()
        return captured

    captured = asyncio.run(scenario())
    for capture_id in captured:
        local, server = remote.store.get_capture(capture_id), team.store.get_capture(capture_id)
        assert (local.sha256, local.shot_id) == (server.sha256, server.shot_id)
    log_has = [e for e in log.of(ev.CaptureStored) if e.capture.inspection_id == inspection_id]
    assert len(log_has) == 2
    # The accept marks reached the server too.
    assert all(team.store.get_capture(c).accepted for c in captured)
    # The server saw no media, but counts the call by the path the console told it.
    wait_for(
        lambda: team.server.metric("inspector_calls_total") == calls_before + 1,
        10,
        "the call counted by path",
    )
    # And its stills as stored (sent again, one would not count twice).
    assert team.server.metric("inspector_captures_stored_total") == stored_before + 2


def test_a_second_take_resumes_from_the_servers_copy(
    team: Team, olga: str, desk: tuple[RemoteDesk, EventLog], tmp_path: Path
) -> None:
    """Another console takes the call over: its copy has every still the first sent."""
    remote, _ = desk
    inspection_id = _new(team, olga)
    remote.take(inspection_id)
    photo = jpeg_bytes(scene(640, 480, seed=5))
    assert remote.engine.writer is not None
    saved = remote.engine.writer.add_capture(
        inspection_id, "three_quarter_front_left", photo, width=640, height=480,
        source=CaptureSource.STILL, quality=QualityReport(Verdict.OK),
    )  # fmt: skip
    assert not saved.spooled
    remote.leave()

    other = RemoteDesk(team.url, team.login("adam"), tmp_path / "other", EventLog())
    other.start()
    try:
        other.take(inspection_id)
        [copied] = other.store.captures(inspection_id)
        assert copied.id == saved.capture.id and other.store.read_photo(copied.sha256) == photo
    finally:
        other.close()


@pytest.fixture
def cut_off(team: Team) -> Iterator[PacedRelay]:
    """The only way from a desk to the team server; ``cut()`` and ``resume()`` it."""
    address = urlsplit(team.url)
    relay = PacedRelay(
        (address.hostname or "127.0.0.1", address.port or 80),
        bytes_per_second=1 << 30,
        after_bytes=1 << 40,
    )
    yield relay
    relay.close()


def test_out_of_reach_a_still_is_refused_and_marks_wait_in_order(
    team: Team, olga: str, cut_off: PacedRelay, tmp_path: Path
) -> None:
    inspection_id = _new(team, olga)
    with Store(tmp_path / "copy") as store:
        client = Client(cut_off.url, olga, timeout=10)
        copy = client.copy(inspection_id, tmp_path / "copy.zip")
        from inspector.bundle import import_bundle

        import_bundle(store, copy)
        writer = LiveWriter(store, mirror=ServerMirror(client, store))
        details = {
            "width": 640, "height": 480, "source": CaptureSource.STILL,
            "quality": QualityReport(Verdict.OK),
        }  # fmt: skip
        first = writer.add_capture(inspection_id, FRONT, jpeg_bytes(scene(640, 480)), **details)  # type: ignore[arg-type]
        assert not first.spooled and team.store.get_capture(first.capture.id)

        cut_off.cut()
        with pytest.raises(StoreError, match="team server"):
            writer.add_capture(
                inspection_id, "rear", jpeg_bytes(scene(640, 480, seed=2)), **details
            )  # type: ignore[arg-type]
        assert writer.pending() == 0  # never kept unacknowledged
        assert [c.shot_id for c in store.captures(inspection_id)] == [FRONT]
        assert writer.review(first.capture.id, True)  # spooled for the server
        assert writer.transition(
            inspection_id, InspectionStatus.INVITED, allowed_from=[InspectionStatus.DRAFT]
        )
        assert writer.pending() == 2 and writer.flush().left == 2

        cut_off.resume()
        result = writer.flush()
        assert (result.written, result.left, result.failed) == (2, 0, ())
        assert team.store.get_capture(first.capture.id).accepted is True
        assert store.get_capture(first.capture.id).accepted is True
        assert team.store.get_inspection(inspection_id).status is InspectionStatus.INVITED


def test_a_console_gets_the_teams_turn_minted_for_it(tmp_path: Path) -> None:
    secret = "shared-with-coturn-5f2a"
    (tmp_path / "turn.secret").write_text(secret + "\n")
    with Store(tmp_path / "server") as store:
        accounts.add_user(store, "olga", "operator", PASSWORDS["olga"], actor="test")
        accounts.add_user(store, "ines", "inspector", PASSWORDS["ines"], actor="test")
    server = TeamProcess(
        tmp_path / "server",
        "--ice-server", "stun:stun.example.org:3478",
        "--turn-url", "turn:turn.example.org:3478",
        "--turn-secret-file", str(tmp_path / "turn.secret"),
    )  # fmt: skip
    try:
        client = Client(server.url)
        client.token = client.login("olga", PASSWORDS["olga"])["token"]
        stun, turn = client.ice_servers()
        assert stun == {"urls": ["stun:stun.example.org:3478"]}
        assert turn["urls"] == ["turn:turn.example.org:3478"]
        assert turn["username"].endswith(":desk-olga")
        assert turn["credential"] == turn_rest_password(secret, turn["username"])
        ines = Client(server.url)
        ines.token = ines.login("ines", PASSWORDS["ines"])["token"]
        with pytest.raises(RemoteError) as refused:
            ines.ice_servers()
        assert refused.value.status == 403
        assert secret not in server.log_text()
    finally:
        server.close()


def test_another_operator_takes_the_call_over_at_the_same_shot(
    team: Team, olga: str, desk: tuple[RemoteDesk, EventLog], tmp_path: Path
) -> None:
    """Olga's console runs the call; Adam's takes it over: Olga's lets go (told why, and
    does not take it back), the phone goes on with Adam's console at the shot Olga left,
    with her stills (the working copy comes from the server)."""
    first, first_log = desk
    inspection_id = _new(team, olga)
    first.take(inspection_id)
    invite = first.engine.invite(inspection_id).result(30)
    second_log = EventLog()
    second = RemoteDesk(team.url, team.login("adam"), tmp_path / "adam", second_log)
    second.start()

    async def scenario() -> None:
        phone = SimulatedPhone(
            invite.join_url, width=320, height=240, fps=10, still_size=(1600, 1200)
        )
        await phone.start(timeout=60)
        try:
            capture_id = await asyncio.wrap_future(first.engine.capture(inspection_id))
            await phone.wait_for(
                "capture_result", where=lambda m: m["id"] == capture_id, timeout=30
            )
            await asyncio.wrap_future(first.engine.accept(inspection_id, capture_id))
            info = await asyncio.wrap_future(first.engine.session_info(inspection_id))
            shot_left = info["shot_id"]
            assert shot_left != FRONT  # the walk moved on

            seen = len(phone.messages)
            await asyncio.to_thread(second.take, inspection_id)
            await first_log.wait(ev.DeskLinkChanged, lambda e: e.reason == "replaced", timeout=30)
            resumed = await phone.wait_for("shot", after=seen, timeout=60)
            assert resumed["id"] == shot_left  # the same shot, on Adam's console
            taken = await asyncio.wrap_future(second.engine.session_info(inspection_id))
            assert taken["shot_id"] == shot_left
            assert [c.id for c in second.store.captures(inspection_id)] == [capture_id]
        finally:
            await phone.stop()

    try:
        asyncio.run(scenario())
        assert first.link is not None and first.link.reason == "replaced"
        assert not first.link.running  # it does not take the call back
    finally:
        second.close()
