"""The operator API of a real ``inspector server`` (PostgreSQL, S3): every route's
access (401 without a session, 403 for a role without the permission, success for
one with it), phone tokens and session tokens kept apart, the login's limits, the
events socket, bundles sent, and the log never holding a password or a token.

One server for the module (``team``): the tests share its users and data, and run in
the file's order (the log is read last).
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import zipfile
from typing import Any

import aiohttp
import pytest

from inspector.bundle import export_bundle
from inspector.live.tokens import Invitations
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection

from .api_fixtures import PASSWORDS, Team, team
from .team_fixtures import invited_inspection, wait_for

__all__ = ["team"]  # the module's fixture

pytestmark = pytest.mark.timeout(300)

NEW = {
    "checklist": "quick",
    "operator": "olga",
    "vehicle": {"make": "Renault", "model": "Clio", "year": 2018, "plate": "AA-123-BB"},
    "seller": {"name": "Jean Dupont", "language": "fr"},
}


@pytest.fixture(scope="module")
def tokens(team: Team) -> dict[str, str]:
    return {name: team.login(name) for name in PASSWORDS}


@pytest.fixture(scope="module")
def inspection_id(team: Team, tokens: dict[str, str]) -> str:
    answer = team.call("POST", "inspections", token=tokens["olga"], body=NEW)
    assert answer.status == 201, answer
    return str(answer.json()["id"])


@pytest.fixture(scope="module")
def bundle_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A bundle of an inspection made elsewhere (a desk's own store)."""
    folder = tmp_path_factory.mktemp("elsewhere")
    with Store(folder / "data") as store:
        inspection, _ = create_inspection(
            store,
            checklist="quick",
            vehicle={"make": "Fiat", "model": "500", "plate": "CC-456-DD"},
            seller={"name": "Ana Lima", "language": "en"},
        )
        out = export_bundle(store, inspection.id, folder / "elsewhere.zip", report=False)
    return out.read_bytes()


def _routes(inspection_id: str, bundle: bytes) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, what to send, the role that may NOT; "" when every role may)."""
    zipped = {"data": bundle, "headers": {"Content-Type": "application/zip"}}
    return [
        ("GET", "me", {}, ""),
        ("GET", "inspections", {}, ""),
        ("GET", "inspections?status=draft&assignee=olga", {}, ""),
        ("POST", "inspections", {"body": NEW}, "ines"),
        ("GET", f"inspections/{inspection_id}", {}, ""),
        ("POST", f"inspections/{inspection_id}/invite", {"body": {}}, "ines"),
        ("POST", f"inspections/{inspection_id}/invite", {"body": {"self": True}}, "ines"),
        ("GET", f"inspections/{inspection_id}/report?allow_incomplete=1", {}, "olga"),
        ("GET", f"inspections/{inspection_id}/bundle?no_report=1", {}, "olga"),
        ("POST", "bundles/verify?name=elsewhere.zip", zipped, ""),
        ("POST", "bundles?name=elsewhere.zip", zipped, "olga"),
    ]


def test_every_route_needs_a_session_and_the_role(
    team: Team, tokens: dict[str, str], inspection_id: str, bundle_bytes: bytes
) -> None:
    allowed_by = {"ines": "olga", "olga": "ines"}  # who may when the other may not
    for method, path, sent, refused in _routes(inspection_id, bundle_bytes):
        where = f"{method} {path}"
        for bad in (None, "not-a-session-token", tokens["olga"][::-1]):
            answer = team.call(method, path, token=bad, **sent)
            assert answer.status == 401, where
            assert answer.json()["error"] in ("unauthenticated", "session_invalid"), where
            assert answer.headers["Content-Type"].startswith("application/json"), where
        if refused:
            answer = team.call(method, path, token=tokens[refused], **sent)
            assert answer.status == 403, (where, answer)
            error = answer.json()
            assert error["error"] == "forbidden" and "not allowed" in error["message"], where
            users = [allowed_by[refused], "adam"]
        else:
            users = ["olga", "ines", "adam"]
        for user in users:
            if path.startswith("bundles?") and user == "adam":
                continue  # imported once (by ines): a second import is refused, below
            answer = team.call(method, path, token=tokens[user], **sent)
            assert 200 <= answer.status < 300, (where, user, answer)
    # What each answered, as at a desk.
    me = team.call("GET", "me", token=tokens["ines"]).json()
    assert me["user"] == "ines" and me["role"] == "inspector" and "report" in me["permissions"]
    pdf = team.call(
        "GET", f"inspections/{inspection_id}/report?allow_incomplete=1", token=tokens["ines"]
    )
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.body.startswith(b"%PDF-")
    zipped = team.call("GET", f"inspections/{inspection_id}/bundle", token=tokens["ines"])
    assert zipfile.ZipFile(io.BytesIO(zipped.body)).testzip() is None
    again = team.call(
        "POST",
        "bundles?name=elsewhere.zip",
        token=tokens["adam"],
        data=bundle_bytes,
        headers={"Content-Type": "application/zip"},
    )
    assert again.status == 422 and "already exists" in again.json()["message"]


def test_a_report_of_an_incomplete_inspection_is_refused_unless_allowed(
    team: Team, tokens: dict[str, str], inspection_id: str
) -> None:
    answer = team.call("GET", f"inspections/{inspection_id}/report", token=tokens["ines"])
    assert answer.status == 409
    assert answer.json()["error"] == "incomplete"
    assert "required photos missing" in answer.json()["message"]


def test_the_audit_log_names_the_logged_in_user(
    team: Team, tokens: dict[str, str], inspection_id: str
) -> None:
    shown = team.call("GET", f"inspections/{inspection_id}", token=tokens["adam"]).json()
    actors = {(e["action"], e["actor"]) for e in shown["audit"]}
    assert ("created", "olga") in actors
    assert ("invited", "olga") in actors and ("invited", "adam") in actors
    assert ("exported", "ines") in actors  # (no photo: nothing reported, no "reported")
    through_api = ("created", "invited", "exported")
    assert all(e["request_id"] for e in shown["audit"] if e["action"] in through_api)


def test_bad_requests_get_a_json_error_never_a_trace(
    team: Team, tokens: dict[str, str], inspection_id: str
) -> None:
    token = tokens["adam"]
    cases = [
        (team.call("GET", "nothing-here", token=token), 404, "not_found"),
        (team.call("GET", "inspections/000000000000", token=token), 404, "not_found"),
        (team.call("GET", "inspections?status=flying", token=token), 400, "invalid"),
        (
            team.call(
                "POST",
                "inspections",
                token=token,
                data=b"{not json",
                headers={"Content-Type": "application/json"},
            ),
            400,
            "bad_json",
        ),
        (
            team.call("POST", "inspections", token=token, body={**NEW, "vehicle": {"wings": 2}}),
            400,
            "invalid",
        ),
        (
            team.call(
                "POST", "inspections", token=token, body={**NEW, "vehicle": {"year": "1066"}}
            ),
            400,
            "invalid",
        ),
        (
            team.call("POST", f"inspections/{inspection_id}/invite", token=token, body={"self": 1}),
            400,
            "invalid",
        ),
        (team.call("POST", "login", body={"user": "olga"}), 400, "invalid"),
        (team.call("DELETE", "me", token=token), 405, "method_not_allowed"),
    ]
    for answer, status, code in cases:
        assert answer.status == status, answer
        error = answer.json()
        assert error["error"] == code, error
        assert error["message"] and "Traceback" not in error["message"]


def test_hostile_and_oversized_bundles_are_refused_clearly(
    team: Team, tokens: dict[str, str]
) -> None:
    token = tokens["ines"]
    for path in ("bundles?name=x.zip", "bundles/verify?name=x.zip"):
        junk = team.call("POST", path, token=token, data=b"PK\x03\x04 not a zip at all" * 10)
        assert junk.status == 422, junk
        assert junk.json()["error"] == "bad_bundle"
        empty = team.call("POST", path, token=token, data=b"")
        assert empty.status == 400 and empty.json()["error"] == "empty"
    # A zip whose entry leaves the bundle (../) and claims to be a manifest.
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../etc/passwd", b"root:x:0:0")
        z.writestr("manifest.json", b'{"format": "nope"}')
    answer = team.call("POST", "bundles?name=evil.zip", token=token, data=evil.getvalue())
    assert answer.status == 422 and answer.json()["error"] == "bad_bundle"
    # Announced larger than the cap: refused before a byte of it is read.
    host, port = team.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("POST", "/api/v1/bundles")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Content-Type", "application/zip")
        connection.putheader("Content-Length", str(64 * 1024**3))
        connection.endheaders()
        connection.send(b"PK\x03\x04")
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["error"] == "too_large"
    finally:
        connection.close()


def test_a_phone_token_opens_no_api_and_a_session_token_no_phone_page(
    team: Team, tokens: dict[str, str]
) -> None:
    inspection, join = invited_inspection(team.store, team.url)
    phone_token = join.rsplit("/", 1)[1]
    team.secrets.append(phone_token)
    answer = team.call("GET", "me", token=phone_token)
    assert answer.status == 401 and answer.json()["error"] == "session_invalid"
    assert team.call("GET", f"inspections/{inspection}", token=phone_token).status == 401
    # The phone's page opens with its token, not with a session's.
    assert team.server.get(f"/j/{phone_token}")[0] == 200
    session = tokens["olga"]
    assert team.server.get(f"/j/{session}")[0] == 404
    status, _ = team.server.get(f"/ws/{session}")
    assert status in (403, 404)


def test_logout_ends_the_session(team: Team) -> None:
    token = team.login("ines")
    assert team.call("GET", "me", token=token).status == 200
    assert team.call("POST", "logout", token=token, body={}).status == 200
    answer = team.call("GET", "me", token=token)
    assert answer.status == 401 and "log in again" in answer.json()["message"]


def test_an_expired_or_disabled_session_opens_nothing(team: Team) -> None:
    from datetime import timedelta

    from inspector.usecases import accounts

    accounts.add_user(team.store, "temp", "operator", "temporary-pass-Hj3", actor="test")
    team.secrets.append("temporary-pass-Hj3")
    expired = accounts.login(team.store, "temp", "temporary-pass-Hj3", lifetime=timedelta(0))
    team.secrets.append(expired.token)
    answer = team.call("GET", "inspections", token=expired.token)
    assert answer.status == 401 and "expired" in answer.json()["message"]
    token = team.login_as("temp", "temporary-pass-Hj3")
    assert team.call("GET", "inspections", token=token).status == 200
    accounts.disable_user(team.store, "temp", actor="test")
    answer = team.call("GET", "inspections", token=token)
    assert answer.status == 401 and answer.json()["error"] == "session_invalid"
    refused = team.call("POST", "login", body={"user": "temp", "password": "temporary-pass-Hj3"})
    assert refused.status == 401 and "disabled" in refused.json()["message"]


def test_guessing_a_password_is_limited_and_counted(team: Team) -> None:
    from inspector.usecases import accounts

    accounts.add_user(team.store, "victim", "inspector", "victim-pass-Yt5e", actor="test")
    team.secrets.append("victim-pass-Yt5e")
    before = team.server.metric("inspector_login_failures_total")
    for n in range(5):
        guess = f"guess-number-{n}-xyz"
        team.secrets.append(guess)
        answer = team.call("POST", "login", body={"user": "victim", "password": guess})
        assert answer.status == 401, answer
        assert answer.json()["message"] == "wrong user name or password"
    # Now even the right password waits: 429 with Retry-After.
    answer = team.call("POST", "login", body={"user": "victim", "password": "victim-pass-Yt5e"})
    assert answer.status == 429, answer
    assert answer.json()["error"] == "too_many_attempts"
    assert 0 < int(answer.headers["Retry-After"]) <= 15 * 60
    assert team.server.metric("inspector_login_failures_total") >= before + 6


async def _events(
    session: aiohttp.ClientSession, team: Team, token: str, origin: str | None
) -> aiohttp.ClientWebSocketResponse:
    headers = {"Authorization": f"Bearer {token}"}
    if origin is not None:
        headers["Origin"] = origin
    return await session.ws_connect(f"{team.url}/api/v1/events", headers=headers)


async def _next_change(ws: aiohttp.ClientWebSocketResponse, inspection_id: str) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            message = await ws.receive_json()
            if message["id"] == inspection_id:
                return message


def test_the_events_socket_refuses_other_sites_and_tells_changes(
    team: Team, tokens: dict[str, str]
) -> None:
    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            await listen(session)

    async def listen(session: aiohttp.ClientSession) -> None:
        token = tokens["olga"]
        for origin in ("https://evil.example", "null"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await _events(session, team, token, origin)
            assert refused.value.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await _events(session, team, "not-a-session", None)
        assert refused.value.status == 401
        ws = await _events(session, team, token, team.url)  # the server's own origin
        try:
            await asyncio.sleep(1.5)  # the baseline is taken
            created = await asyncio.to_thread(
                team.call, "POST", "inspections", token=token, body=NEW
            )
            new_id = created.json()["id"]
            message = await _next_change(ws, new_id)
            assert message == {"type": "inspection_changed", "id": new_id, "status": "draft"}
            # Changed by another process (this one, on the same database).
            await asyncio.to_thread(Invitations(team.store, 600).issue, new_id)
            from inspector.usecases import status as lifecycle

            await asyncio.to_thread(lifecycle.invited, team.store, new_id)
            message = await _next_change(ws, new_id)
            assert message["status"] == "invited"
        finally:
            await ws.close()

    asyncio.run(run())


def test_a_logout_closes_its_event_sockets_at_once(team: Team) -> None:
    token = team.login("ines")  # a session of its own: the module's stay open

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await _events(session, team, token, None)
            try:
                answer = await asyncio.to_thread(team.call, "POST", "logout", token=token)
                assert answer.status == 200, answer
                async with asyncio.timeout(10):  # not at the 30 s recheck
                    message = await ws.receive()
                assert message.type == aiohttp.WSMsgType.CLOSE, message
                assert message.data == 4401, message
            finally:
                await ws.close()

    asyncio.run(run())


def test_the_log_never_holds_a_password_or_a_token(team: Team, tokens: dict[str, str]) -> None:
    wait_for(lambda: "/api/v1/login" in team.server.log_text(), 30, "the login lines")
    text = team.server.log_text()
    for secret in [*team.secrets, *tokens.values()]:
        assert secret not in text
    lines = team.server.log_events()
    routes = {e.get("route") for e in lines if e.get("event") == "request"}
    assert "/api/v1/login" in routes and "/api/v1/inspections/{id}" in routes
