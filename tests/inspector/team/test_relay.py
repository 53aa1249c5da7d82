"""Operator-guided calls through the team server's signaling relay (issue 14).

A real ``inspector server`` (PostgreSQL, S3), a real aiortc phone
(:class:`SimulatedPhone`) and, on the test's side, the operator's console: a real
:class:`Engine` attached by a :class:`DeskLink`. The phone's media goes to that engine
(the server only relays offer and answer): the call connects and a still is stored;
with no console the phone waits and resumes when one attaches; a console that leaves
and comes back finds the same shot, and so does another operator's console (another
engine) taking the call over; a second console replaces the first, which stops for
good; the desk route admits operators and admins only, from our origin only.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from inspector.config import ServerSettings
from inspector.domain.models import InspectionStatus
from inspector.live import events as ev
from inspector.live.contrib.simphone import SimulatedPhone
from inspector.live.engine import Engine
from inspector.live.timings import ABANDONED_CHECK
from inspector.storage.store import Store
from inspector.team.desk_link import DeskLink
from inspector.usecases import status as lifecycle

from ..live_fixtures import EventLog
from .api_fixtures import PASSWORDS, Team, team
from .team_fixtures import wait_for

__all__ = ["team"]  # the module's fixture

pytestmark = pytest.mark.timeout(120)

NEW = {
    "checklist": "quick",
    "operator": "olga",
    "vehicle": {"make": "Peugeot", "model": "308", "plate": "AB-123-CD"},
    "seller": {"name": "Élodie Martin", "language": "fr"},
}


class Desk:
    """The operator's console of the tests: an engine on the team's store, and its links."""

    def __init__(self, team: Team, engine: Engine, log: EventLog) -> None:
        self.team = team
        self.engine = engine
        self.log = log
        self.links: list[DeskLink] = []
        self.states: list[tuple[int, str, str | None]] = []
        self._lock = threading.Lock()

    def link(self, token: str, inspection_id: str) -> DeskLink:
        number = len(self.links)

        def said(state: str, reason: str | None) -> None:
            with self._lock:
                self.states.append((number, state, reason))

        link = DeskLink(self.team.url, token, inspection_id, self.engine, on_state=said)
        self.links.append(link)
        link.start()
        return link

    def said(self, number: int) -> list[tuple[str, str | None]]:
        with self._lock:
            return [(s, r) for n, s, r in self.states if n == number]


@pytest.fixture(scope="module")
def tokens(team: Team) -> dict[str, str]:
    return {name: team.login(name) for name in PASSWORDS}


@pytest.fixture(scope="module")
def desk(team: Team, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    store = Store(
        tmp_path_factory.mktemp("console"),
        database_url=team.database_url,
        photo_store=team.photo_store,
    )
    log = EventLog()
    # A console on the team's database: inspections another process left live are not
    # its to settle.
    engine = Engine(store, ServerSettings(port=0), log, settle_interrupted=False)
    engine.start()
    desk = Desk(team, engine, log)
    try:
        yield desk
    finally:
        for link in desk.links:
            link.stop()
        engine.stop()
        store.close()


@pytest.fixture
def call(team: Team, tokens: dict[str, str], desk: Desk) -> Iterator[tuple[str, str]]:
    """A new inspection invited for an operator-guided call: (its id, its join URL)."""
    made = team.call("POST", "inspections", token=tokens["olga"], body=NEW)
    assert made.status == 201, made
    inspection_id = str(made.json()["id"])
    invited = team.call(
        "POST", f"inspections/{inspection_id}/invite", token=tokens["olga"], body={}
    )
    assert invited.status == 200, invited
    yield inspection_id, str(invited.json()["join_url"])
    for link in desk.links:
        if link.inspection_id == inspection_id:
            link.stop()


def _phone(join_url: str) -> SimulatedPhone:
    return SimulatedPhone(join_url, width=320, height=240, fps=10, still_size=(1600, 1200))


async def _until(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def _attached(link: DeskLink) -> Callable[[], bool]:
    return lambda: link.state == "attached"


def test_invites_remember_their_mode(team: Team, tokens: dict[str, str]) -> None:
    made = team.call("POST", "inspections", token=tokens["olga"], body=NEW)
    inspection_id = str(made.json()["id"])
    for body in ({}, {"self": True}):
        answer = team.call(
            "POST", f"inspections/{inspection_id}/invite", token=tokens["olga"], body=body
        )
        assert answer.status == 200, answer
    modes = [m for _, i, _, m in team.store.valid_tokens() if i == inspection_id]
    assert sorted(modes) == ["operator", "self"]


def test_the_call_connects_through_the_relay_and_the_console_stores_a_still(
    team: Team, tokens: dict[str, str], desk: Desk, call: tuple[str, str]
) -> None:
    inspection_id, join_url = call
    link = desk.link(tokens["olga"], inspection_id)

    async def scenario() -> None:
        await _until(_attached(link), "the desk to attach")
        phone = _phone(join_url)
        await phone.start(timeout=30)
        try:
            assert phone.config is not None and phone.config["mode"] == "operator"
            assert phone.waits == 0
            capture_id = await asyncio.wrap_future(desk.engine.capture(inspection_id))
            stored = await desk.log.wait(
                ev.CaptureStored, lambda e: e.capture.id == capture_id, timeout=30
            )
            assert stored.capture.inspection_id == inspection_id
        finally:
            await phone.stop()

    asyncio.run(scenario())
    assert link.answered == 1
    assert team.server.metric("inspector_desks_attached") == 1
    assert team.server.metric("inspector_relayed_offers_total") >= 1
    # The server never ran the call: its engine saw no phone (the console's did).
    assert team.server.metric("inspector_phones_joined_total") == 0


def test_with_no_console_the_phone_waits_then_resumes_when_one_attaches(
    tokens: dict[str, str], desk: Desk, call: tuple[str, str]
) -> None:
    inspection_id, join_url = call

    async def scenario() -> None:
        phone = _phone(join_url)
        joining = asyncio.ensure_future(phone.start(timeout=60))
        try:
            await _until(lambda: phone.waiting, "the phone to be told to wait")
            assert not joining.done()
            link = desk.link(tokens["olga"], inspection_id)
            await asyncio.wait_for(joining, 30)
            assert not phone.waiting and phone.connected
            assert {"type": "resume"} in phone.signaling
            assert link.state == "attached"
        finally:
            await phone.stop()

    asyncio.run(scenario())


def test_a_console_that_leaves_and_comes_back_finds_the_same_shot(
    tokens: dict[str, str], desk: Desk, call: tuple[str, str]
) -> None:
    inspection_id, join_url = call
    first = desk.link(tokens["olga"], inspection_id)

    async def scenario() -> None:
        await _until(_attached(first), "the desk to attach")
        phone = _phone(join_url)
        await phone.start(timeout=30)
        try:
            shot = await asyncio.wrap_future(desk.engine.next_shot(inspection_id))
            await phone.wait_for("shot", where=lambda m: m["id"] == shot.id, timeout=10)
            first.stop()  # the console drops
            await _until(lambda: phone.waiting, "the phone to be told to wait")
            assert not phone.connected
            seen = len(phone.messages)
            again = desk.link(tokens["olga"], inspection_id)  # it comes back
            await _until(lambda: phone.connected, "the call to come back", timeout=30)
            resumed = await phone.wait_for("shot", after=seen, timeout=10)
            assert resumed["id"] == shot.id
            info = await asyncio.wrap_future(desk.engine.session_info(inspection_id))
            assert info["shot_id"] == shot.id
            assert again.answered == 1
        finally:
            await phone.stop()

    asyncio.run(scenario())


def test_a_second_console_replaces_the_first_which_does_not_come_back(
    tokens: dict[str, str], desk: Desk, call: tuple[str, str]
) -> None:
    inspection_id, join_url = call
    first = desk.link(tokens["olga"], inspection_id)
    number = len(desk.links) - 1

    async def scenario() -> None:
        await _until(_attached(first), "the first desk to attach")
        second = desk.link(tokens["adam"], inspection_id)  # an admin takes it over
        await _until(lambda: first.state == "stopped", "the first desk to stop")
        assert first.reason == "replaced"
        await _until(_attached(second), "the second desk to attach")
        await asyncio.sleep(1.5)  # longer than the link's first backoff
        assert not first.running
        assert desk.said(number)[-1] == ("stopped", "replaced")
        assert [s for s, _ in desk.said(number)].count("attached") == 1
        phone = _phone(join_url)
        await phone.start(timeout=30)
        await phone.stop()
        assert second.answered == 1 and first.answered == 0

    asyncio.run(scenario())


def test_an_ended_session_closes_the_desk_for_good(
    team: Team, desk: Desk, call: tuple[str, str]
) -> None:
    inspection_id, join_url = call
    token = team.login("olga")
    link = desk.link(token, inspection_id)

    async def scenario() -> None:
        await _until(_attached(link), "the desk to attach")
        assert team.call("POST", "logout", token=token).status == 200
        phone = _phone(join_url)
        joining = asyncio.ensure_future(phone.start(timeout=60))
        try:
            # The offer finds the session ended: the desk is closed (4401), the phone waits.
            await _until(lambda: link.state == "stopped", "the desk to be closed")
            assert link.reason == "session_ended"
            await _until(lambda: phone.waiting, "the phone to be told to wait")
        finally:
            joining.cancel()
            await asyncio.gather(joining, return_exceptions=True)
            await phone.stop()

    asyncio.run(scenario())


async def _desk_status(url: str, token: str | None, origin: str | None = None) -> int:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if origin is not None:
        headers["Origin"] = origin
    async with aiohttp.ClientSession() as http, asyncio.timeout(15):
        try:
            ws = await http.ws_connect(url, headers=headers)
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
        await ws.close()
        return 101


def test_the_desk_route_admits_operators_and_admins_only_from_our_origin(
    team: Team, tokens: dict[str, str], desk: Desk, call: tuple[str, str]
) -> None:
    inspection_id, join_url = call
    base = team.url.replace("http", "ws", 1)
    url = f"{base}/api/v1/inspections/{inspection_id}/desk"
    phone_token = join_url.rsplit("/", 1)[1]

    async def statuses() -> dict[str, Any]:
        return {
            "no session": await _desk_status(url, None),
            "inspector": await _desk_status(url, tokens["ines"]),
            "phone token": await _desk_status(url, phone_token),
            "foreign origin": await _desk_status(url, tokens["olga"], "https://evil.example"),
            "prefix": await _desk_status(
                url.replace(inspection_id, inspection_id[:6]), tokens["olga"]
            ),
            "unknown": await _desk_status(url.replace(inspection_id, "nope"), tokens["olga"]),
            "operator": await _desk_status(url, tokens["olga"], team.url),
            "admin": await _desk_status(url, tokens["adam"]),
        }

    assert asyncio.run(statuses()) == {
        "no session": 401,
        "inspector": 403,
        "phone token": 401,
        "foreign origin": 403,
        "prefix": 400,
        "unknown": 404,
        "operator": 101,
        "admin": 101,
    }
    # A session token opens no phone page; the desk link says why it stops.
    status, _ = team.server.get(f"/j/{tokens['olga']}")
    assert status == 404
    link = desk.link(tokens["ines"], inspection_id)
    wait_for(lambda: link.state == "stopped", 15, "the inspector's desk link to stop")
    assert link.reason == "forbidden"


def test_a_desk_link_needs_an_http_server_url(desk: Desk) -> None:
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        DeskLink("ftp://inspect.example", "token", "abc", desk.engine)


def test_what_a_desk_sends_wrong_is_ignored_and_logged(
    team: Team, tokens: dict[str, str], call: tuple[str, str]
) -> None:
    inspection_id, _ = call
    url = f"{team.url.replace('http', 'ws', 1)}/api/v1/inspections/{inspection_id}/desk"

    async def scenario() -> bool:
        headers = {"Authorization": f"Bearer {tokens['olga']}"}
        async with aiohttp.ClientSession() as http, asyncio.timeout(15):
            ws = await http.ws_connect(url, headers=headers)
            assert (await ws.receive_json())["type"] == "attached"
            await ws.send_str("not JSON {")
            await ws.send_json(["a", "list"])
            await ws.send_json({"type": "answer", "id": "no such offer", "sdp": "v=0"})
            await ws.send_bytes(b"\x00binary")
            await asyncio.sleep(0.5)
            still_open = not ws.closed
            await ws.close()
            return still_open

    assert asyncio.run(scenario())
    wait_for(lambda: "a desk sent what is not JSON" in team.server.log_text(), 10, "the log")
    assert "Traceback" not in team.server.log_text()


def test_a_path_told_without_a_call_or_nonsense_is_not_counted(
    team: Team, tokens: dict[str, str], call: tuple[str, str]
) -> None:
    """The server sees no media of a relayed call: the console tells it the call's path
    (``inspector_calls_total{path}``, counted in ``test_desk``), once per offer it
    answered; a path told with no call answered, or anything but "direct" or "relay",
    counts nothing."""
    inspection_id, _ = call
    url = f"{team.url.replace('http', 'ws', 1)}/api/v1/inspections/{inspection_id}/desk"
    before = team.server.metric("inspector_calls_total")

    async def scenario() -> None:
        headers = {"Authorization": f"Bearer {tokens['olga']}"}
        async with aiohttp.ClientSession() as http, asyncio.timeout(15):
            ws = await http.ws_connect(url, headers=headers)
            assert (await ws.receive_json())["type"] == "attached"
            for path in ("relay", "direct", "bogus", None, ["relay"]):
                await ws.send_json({"type": "path", "path": path})
            await asyncio.sleep(0.5)
            assert not ws.closed
            await ws.close()

    asyncio.run(scenario())
    assert team.server.metric("inspector_calls_total") == before
    status, body = team.server.get("/metrics")
    assert status == 200 and "bogus" not in body.decode()
    assert "Traceback" not in team.server.log_text()


def test_an_offer_the_replaced_console_left_unanswered_goes_to_its_successor(
    team: Team, tokens: dict[str, str], call: tuple[str, str]
) -> None:
    inspection_id, join_url = call
    desk_url = f"{team.url.replace('http', 'ws', 1)}/api/v1/inspections/{inspection_id}/desk"

    async def attach(http: aiohttp.ClientSession, user: str) -> aiohttp.ClientWebSocketResponse:
        ws = await http.ws_connect(desk_url, headers={"Authorization": f"Bearer {tokens[user]}"})
        assert (await ws.receive_json())["type"] == "attached"
        return ws

    async def scenario() -> list[str]:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http, asyncio.timeout(30):
            first = await attach(http, "olga")
            async with http.get(join_url) as page:
                assert page.status == 200
            phone = await http.ws_connect(join_url.replace("/j/", "/ws/").replace("http", "ws", 1))
            assert (await phone.receive_json())["type"] == "config"
            await phone.send_json({"type": "offer", "sdp": "v=0 first"})
            assert (await first.receive_json())["sdp"] == "v=0 first"  # never answered
            second = await attach(http, "adam")
            assert (await first.receive()).data == 4409
            # The phone hangs up with the replaced console ("wait") and calls the new
            # one ("resume": offer again); a "resume" for its cancelled offer may come first.
            heard: list[str] = []
            while heard[-2:] != ["wait", "resume"]:
                heard.append((await phone.receive_json())["type"])
            await phone.send_json({"type": "offer", "sdp": "v=0 again"})
            offer = await second.receive_json()
            assert offer["sdp"] == "v=0 again"
            await second.send_json({"type": "answer", "id": offer["id"], "sdp": "v=0 answer"})
            while heard[-1] != "answer":  # a late "resume" for the cancelled offer: ignored
                heard.append((await phone.receive_json())["type"])
            for ws in (phone, second):
                await ws.close()
            return heard

    heard = asyncio.run(scenario())
    assert heard[-1] == "answer" and heard.index("wait") < heard.index(
        "resume", heard.index("wait")
    )


def test_another_console_takes_the_call_over_at_the_same_shot(
    team: Team,
    tokens: dict[str, str],
    call: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    inspection_id, join_url = call
    consoles = []
    for name in ("first-console", "second-console"):
        store = Store(
            tmp_path_factory.mktemp(name),
            database_url=team.database_url,
            photo_store=team.photo_store,
        )
        log = EventLog()
        engine = Engine(store, ServerSettings(port=0), log, settle_interrupted=False)
        consoles.append((store, engine, log))
    (_, first, first_log), (_, second, _) = consoles
    links: list[DeskLink] = []

    async def scenario() -> None:
        first.start()
        links.append(DeskLink(team.url, tokens["olga"], inspection_id, first))
        links[-1].start()
        await _until(_attached(links[-1]), "the first console to attach")
        phone = _phone(join_url)
        await phone.start(timeout=30)
        try:
            # The first shot taken and accepted: the walk moves on to the second (the
            # position a console that did not see the walk finds in the store).
            opening = await asyncio.wrap_future(first.session_info(inspection_id))
            capture_id = await asyncio.wrap_future(first.capture(inspection_id))
            await first_log.wait(ev.CaptureStored, lambda e: e.capture.id == capture_id, timeout=30)
            await asyncio.wrap_future(first.accept(inspection_id, capture_id))
            info = await asyncio.wrap_future(first.session_info(inspection_id))
            assert info["shot_id"] != opening["shot_id"]
            await phone.wait_for("shot", where=lambda m: m["id"] == info["shot_id"], timeout=10)
            links[-1].stop()  # the first console is gone, engine and all
            first.stop()
            await _until(lambda: phone.waiting, "the phone to be told to wait")
            second.start()  # another operator's console takes the inspection over
            seen = len(phone.messages)
            links.append(DeskLink(team.url, tokens["adam"], inspection_id, second))
            links[-1].start()
            await _until(lambda: phone.connected, "the call to come back", timeout=30)
            resumed = await phone.wait_for("shot", after=seen, timeout=10)
            assert resumed["id"] == info["shot_id"]
            taken_over = await asyncio.wrap_future(second.session_info(inspection_id))
            assert taken_over["shot_id"] == info["shot_id"]
            assert taken_over["done"] == info["done"] == 1
        finally:
            await phone.stop()

    try:
        asyncio.run(scenario())
    finally:
        for link in links:
            link.stop()
        for store, engine, _ in consoles:
            engine.stop()
            store.close()


@pytest.mark.timeout(150)
def test_a_relayed_call_is_not_settled_as_abandoned_while_its_console_is_attached(
    team: Team, tokens: dict[str, str], desk: Desk
) -> None:
    """After the phone's process dies, the call's media goes on phone ⇄ console and no
    phone socket renews the device claim: the process the console is attached to must
    count the call as its own, not settle it as one a dead process left "live"."""
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    ids = []
    for _ in range(2):
        made = team.call("POST", "inspections", token=tokens["olga"], body=NEW)
        ids.append(str(made.json()["id"]))
        invited = team.call("POST", f"inspections/{ids[-1]}/invite", token=tokens["olga"], body={})
        assert invited.status == 200, invited
    relayed, abandoned = ids
    link = desk.link(tokens["olga"], relayed)
    wait_for(lambda: link.state == "attached", 20, "the desk to attach")
    for inspection_id in ids:  # both left "live" by a process killed in the call
        lifecycle.live(team.store, inspection_id)
        team.store.claims.take(inspection_id, "device", "dead-host:1:0", long_ago, long_ago)
    # The server's next round (every ABANDONED_CHECK seconds) settles the call nobody runs…
    deadline = time.monotonic() + ABANDONED_CHECK + 30
    while team.store.get_inspection(abandoned).status is InspectionStatus.LIVE:
        assert time.monotonic() < deadline, "the abandoned call was never settled"
        time.sleep(0.5)
    # …and leaves the one whose console is attached to it.
    assert team.store.get_inspection(relayed).status is InspectionStatus.LIVE
    link.stop()
