"""The operator API of a real ``inspector server`` (PostgreSQL, S3): every route's
access (401 without a session, 403 for a role without the permission, success for
one with it), phone tokens and session tokens kept apart, the login's limits, the
events socket, bundles sent, and the log never holding a password or a token. Its
writes: a remote console's stills and originals (hash-checked before they are
acknowledged, idempotent), review decisions, status changes, damages, users and
deletion, their refusals and audit entries, colleagues told on the events socket; the
client methods (:class:`inspector.team.client.Client`) are what those tests call where
the answer matters.

One server for the module (``team``): the tests share its users and data, and run in
the file's order (the log is read last).
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import io
import json
import time
import zipfile
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from inspector.bundle import export_bundle
from inspector.domain.audit import AuditAction
from inspector.domain.photo_check import MAX_PHOTO_BYTES
from inspector.live.tokens import Invitations
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from inspector.team.client import Client, RemoteError
from inspector.usecases import audit
from inspector.usecases.inspections import create_inspection
from tests.data import jpeg_bytes, scene

from .api_fixtures import CALL_INTERVAL, PASSWORDS, Team, team
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
        ("GET", f"inspections/{inspection_id}/copy", {}, ""),  # a call's, or a review's
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


# -- the writes: a remote console's captures, review, status, damages, users, delete --

QUICK_SHOTS = (
    "three_quarter_front_left",
    "three_quarter_rear_left",
    "three_quarter_rear_right",
    "three_quarter_front_right",
    "vin_windscreen",
    "odometer",
    "front_seats",
    "boot",
)


def _record(shot: str, **changes: Any) -> dict[str, Any]:
    return {
        "shot_id": shot,
        "source": "still",
        "captured_at": datetime.now(UTC).isoformat(),
        "quality": {"verdict": "ok", "reasons": [], "metrics": {"sharpness": 120.0}},
        **changes,
    }


def _photo(seed: int, width: int = 320, height: int = 240) -> bytes:
    return jpeg_bytes(scene(width, height, seed=seed))


class Paced(Client):
    """The client, at most 8 requests a second (the server's per-address limit is 10)."""

    def __init__(self, team: Team, user: str) -> None:
        super().__init__(team.url, team.login(user))
        self._team = team

    def _open(self, request: Any) -> Any:
        t = self._team
        time.sleep(max(0.0, t.last_call + CALL_INTERVAL - time.monotonic()))
        t.last_call = time.monotonic()
        return super()._open(request)


@pytest.fixture(scope="module")
def clients(team: Team) -> dict[str, Paced]:
    return {name: Paced(team, name) for name in PASSWORDS}


@pytest.fixture(scope="module")
def remote(clients: dict[str, Paced]) -> str:
    """A draft inspection a remote console's call fills (the writes' tests)."""
    return str(clients["olga"].create(NEW)["id"])


def _multipart(record: dict[str, Any], photo: bytes) -> tuple[bytes, dict[str, str]]:
    boundary = "testboundary1234"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="record"\r\n'
        "Content-Type: application/json\r\n\r\n"
    ).encode()
    body += json.dumps(record).encode()
    body += (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body += photo + f"\r\n--{boundary}--\r\n".encode()
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Content-SHA256": hashlib.sha256(photo).hexdigest(),
    }
    return body, headers


def test_every_write_route_needs_a_session_and_the_role(
    team: Team, tokens: dict[str, str], remote: str
) -> None:
    body, headers = _multipart(_record("boot"), _photo(1))
    capture = f"inspections/{remote}/captures/{new_id()}"
    damage = f"inspections/{remote}/damages/{new_id()}"
    routes: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
        ("PUT", capture, {"data": body, "headers": headers}, ("ines",)),
        ("PUT", capture + "/original", {"data": _photo(2), "headers": headers}, ("ines",)),
        ("POST", capture + "/review", {"body": {"decision": "accept"}}, ()),
        ("POST", f"inspections/{remote}/status", {"body": {"status": "live"}}, ("ines",)),
        (
            "POST",
            f"inspections/{remote}/status",
            {"body": {"status": "reviewed"}},
            ("olga",),
        ),
        ("GET", f"inspections/{remote}/damages", {}, ()),
        (
            "POST",
            f"inspections/{remote}/damages",
            {"body": {"part": "bonnet", "type": "dent", "severity": 2}},
            ("olga",),
        ),
        ("PUT", damage, {"body": {"part": "bonnet", "type": "dent", "severity": 2}}, ("olga",)),
        ("DELETE", damage, {}, ("olga",)),
        ("DELETE", f"inspections/{remote}", {}, ("olga", "ines")),
        ("PATCH", f"inspections/{remote}", {"body": {"notes": "x", "version": 1}}, ("olga",)),
        ("GET", "users", {}, ("olga", "ines")),
        (
            "POST",
            "users",
            {"body": {"name": "x", "role": "operator", "password": "p" * 12}},
            ("olga", "ines"),
        ),
        ("POST", "users/olga/disable", {"body": {}}, ("olga", "ines")),
        ("POST", "users/olga/enable", {"body": {}}, ("olga", "ines")),
        ("POST", "users/olga/password", {"body": {"password": "p" * 12}}, ("olga", "ines")),
    ]
    for method, path, sent, refused in routes:
        where = f"{method} {path}"
        for bad in (None, "not-a-session-token"):
            answer = team.call(method, path, token=bad, **sent)
            assert answer.status == 401, (where, answer)
            assert answer.json()["error"] in ("unauthenticated", "session_invalid"), where
        for user in refused:
            answer = team.call(method, path, token=tokens[user], **sent)
            assert answer.status == 403, (where, user, answer)
            assert "not allowed" in answer.json()["message"], where
    # Nothing of it was done.
    assert team.store.captures(remote) == []
    assert team.store.get_inspection(remote).status.value == "draft"


def test_a_still_is_stored_once_its_hash_is_checked_and_only_once(
    team: Team, clients: dict[str, Paced], remote: str
) -> None:
    olga = clients["olga"]
    photo, capture_id = _photo(3), new_id()
    stored = olga.put_capture(remote, capture_id, _record("boot"), photo)
    assert stored["created"] is True and stored["id"] == capture_id
    assert stored["sha256"] == hashlib.sha256(photo).hexdigest()
    assert (stored["width"], stored["height"], stored["size"]) == (320, 240, len(photo))
    # Durable before the answer: the row and the photo are there for another process.
    (row,) = team.store.captures(remote)
    assert row.id == capture_id and team.store.read_photo(row.sha256) == photo
    # Sent again (an answer lost on the way): 200, nothing doubled.
    again = olga.put_capture(remote, capture_id, _record("boot"), photo)
    assert again["created"] is False and again["id"] == capture_id
    assert len(team.store.captures(remote)) == 1
    # The same id with another photo: 409, the first one stays.
    with pytest.raises(RemoteError) as refused:
        olga.put_capture(remote, capture_id, _record("boot"), _photo(4))
    assert refused.value.status == 409 and "never overwritten" in refused.value.message
    assert team.store.get_capture(capture_id).sha256 == row.sha256
    # In the audit log once, naming the operator.
    entries = [e for e in audit.history(team.store, remote) if e.action == "captured"]
    assert [(e.actor, e.detail["capture"]) for e in entries] == [("olga", capture_id)]
    assert entries[0].request_id


def test_a_damaged_or_refused_upload_stores_nothing(
    team: Team, tokens: dict[str, str], clients: dict[str, Paced], remote: str
) -> None:
    token = tokens["olga"]
    photo, capture_id = _photo(5), new_id()
    path = f"inspections/{remote}/captures/{capture_id}"
    body, headers = _multipart(_record("odometer"), photo)
    # One bit flipped on the way: the hash announced is not the photo's.
    damaged = body.replace(photo[200:260], bytes(b ^ 1 for b in photo[200:260]))
    answer = team.call("PUT", path, token=token, data=damaged, headers=headers)
    assert answer.status == 422 and answer.json()["error"] == "hash_mismatch", answer
    assert "nothing was stored" in answer.json()["message"]
    # Bytes that hash right but are no JPEG.
    junk = b"\xff\xd8 not a jpeg" * 50
    body2, headers2 = _multipart(_record("odometer"), junk)
    answer = team.call("PUT", path, token=token, data=body2, headers=headers2)
    assert answer.status == 422 and answer.json()["error"] == "bad_photo", answer
    cases = [
        (_record("odometer", captured_at="yesterday"), "captured_at"),
        (_record("odometer", quality={"verdict": "splendid"}), "quality"),
        ({k: v for k, v in _record("odometer").items() if k != "shot_id"}, "shot_id"),
        (_record("no_such_shot"), "no shot 'no_such_shot'"),
        (_record("odometer", width=640, height=480), "320x240"),
        (_record("odometer", id="another"), "capture id of the URL"),
        (_record("odometer", size=5), "the photo has"),
        (_record("odometer", sha256="0" * 64), "X-Content-SHA256"),
    ]
    for record, said in cases:
        body3, headers3 = _multipart(record, photo)
        answer = team.call("PUT", path, token=token, data=body3, headers=headers3)
        assert answer.status == 400, (record, answer)
        error = answer.json()
        assert error["error"] == "bad_record" and said in error["message"], error
        assert "Traceback" not in error["message"]
    not_json, headers4 = _multipart({}, photo)
    not_json = not_json.replace(b"{}", b"{oops", 1)
    answer = team.call("PUT", path, token=token, data=not_json, headers=headers4)
    assert answer.status == 400 and "not JSON" in answer.json()["message"]
    no_hash = {k: v for k, v in headers.items() if k != "X-Content-SHA256"}
    answer = team.call("PUT", path, token=token, data=body, headers=no_hash)
    assert answer.status == 400 and "X-Content-SHA256" in answer.json()["message"]
    answer = team.call(
        "PUT", path, token=token, data=photo, headers={**headers, "Content-Type": "image/jpeg"}
    )
    assert answer.status == 400 and "multipart/form-data" in answer.json()["message"]
    answer = team.call(
        "PUT",
        f"inspections/000000000000/captures/{capture_id}",
        token=token,
        data=body,
        headers=headers,
    )
    assert answer.status == 404, answer
    assert team.store.captures(remote) == [] or all(
        c.id != capture_id for c in team.store.captures(remote)
    )
    # Announced larger than a photo may be: 413 before a byte of it is read.
    host, port = team.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("PUT", f"/api/v1/{path}")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Content-Type", headers["Content-Type"])
        connection.putheader("X-Content-SHA256", headers["X-Content-SHA256"])
        connection.putheader("Content-Length", str(MAX_PHOTO_BYTES * 2))
        connection.endheaders()
        connection.send(b"--testboundary1234\r\n")
        response = connection.getresponse()
        assert response.status == 413
        refused = json.loads(response.read())
        assert refused["error"] == "too_large" and "MiB" in refused["message"]
    finally:
        connection.close()
    assert all(c.id != capture_id for c in team.store.captures(remote))
    # Sent without a length (chunked): cut off once the photo passes the cap.
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        chunks = [body.split(b"\xff\xd8", 1)[0], b"\xff\xd8"] + [b"\0" * 2**20] * 27
        connection.request(
            "PUT",
            f"/api/v1/{path}",
            body=iter(chunks),
            headers={"Authorization": f"Bearer {token}", **headers},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 413
        refused = json.loads(response.read())
        assert refused["error"] == "too_large" and "a photo is at most 25 MiB" in refused["message"]
    finally:
        connection.close()
    assert all(c.id != capture_id for c in team.store.captures(remote))


def test_an_original_replaces_its_preview_once_checked(
    team: Team, clients: dict[str, Paced], remote: str
) -> None:
    olga = clients["olga"]
    preview, original, capture_id = _photo(6, 160, 120), _photo(7, 640, 480), new_id()
    olga.put_capture(remote, capture_id, _record("front_seats", source="preview"), preview)
    with pytest.raises(RemoteError) as damaged:  # the hash announced is another photo's
        olga._send(
            "PUT",
            f"inspections/{remote}/captures/{capture_id}/original",
            original,
            {"X-Content-SHA256": hashlib.sha256(preview).hexdigest()},
        )
    assert damaged.value.status == 422 and damaged.value.code == "hash_mismatch"
    assert team.store.get_capture(capture_id).source.value == "preview"
    done = olga.put_original(remote, capture_id, original)
    assert done["created"] is True and done["source"] == "still"
    assert (done["width"], done["height"]) == (640, 480)
    stored = team.store.get_capture(capture_id)
    assert stored.sha256 == hashlib.sha256(original).hexdigest()
    assert team.store.read_photo(stored.sha256) == original
    assert olga.put_original(remote, capture_id, original)["created"] is False
    with pytest.raises(RemoteError) as refused:  # another original for a still: 409
        olga.put_original(remote, capture_id, _photo(8))
    assert refused.value.status == 409
    with pytest.raises(RemoteError) as missing:
        olga.put_original(remote, new_id(), original)
    assert missing.value.status == 404
    actions = [e.action for e in audit.history(team.store, remote)]
    assert AuditAction.ORIGINAL_STORED in actions


def test_review_status_and_the_audit_log(
    team: Team, clients: dict[str, Paced], remote: str
) -> None:
    olga, ines = clients["olga"], clients["ines"]
    ids = {}
    for n, shot in enumerate(QUICK_SHOTS):
        capture_id = new_id()
        olga.put_capture(remote, capture_id, _record(shot), _photo(20 + n))
        ids[shot] = capture_id
    # Reviewed is not a jump a draft may make: 409, and it stays.
    with pytest.raises(RemoteError) as illegal:
        ines.set_status(remote, "reviewed")
    assert illegal.value.status == 409 and "only from" in illegal.value.message
    assert olga.set_status(remote, "live") == {
        "id": remote,
        "status": "live",
        "moved": True,
    }
    assert olga.set_status(remote, "live")["moved"] is False
    retake = olga.review(remote, ids["vin_windscreen"], "retake")
    assert retake["accepted"] is False
    with pytest.raises(RemoteError) as incomplete:  # the VIN photo was turned down
        olga.set_status(remote, "captured")
    assert incomplete.value.status == 409 and "missing" in incomplete.value.message
    kept = olga.review(
        remote,
        ids["vin_windscreen"],
        "accept",
        note={"code": "kept", "fr": "Gardée", "en": "Kept"},
    )
    assert kept["accepted"] is True and "kept" in [r["code"] for r in kept["quality"]["reasons"]]
    assert olga.set_status(remote, "captured")["status"] == "captured"
    assert ines.review(remote, ids["odometer"], "reject")["accepted"] is False
    assert ines.review(remote, ids["odometer"], "undecided")["accepted"] is None
    for bad, said in (
        ({"decision": "maybe"}, "decision"),
        ({"decision": "retake", "note": {"code": "x", "fr": "x", "en": "x"}}, "accept only"),
    ):
        answer = team.call(
            "POST",
            f"inspections/{remote}/captures/{ids['boot']}/review",
            token=ines.token,
            body=bad,
        )
        assert answer.status == 400 and said in answer.json()["message"], answer
    answer = team.call(
        "POST", f"inspections/{remote}/status", token=olga.token, body={"status": "reported"}
    )
    assert answer.status == 400 and "must be one of" in answer.json()["message"]
    assert ines.set_status(remote, "reviewed")["status"] == "reviewed"
    entries = audit.history(team.store, remote)
    by = {(e.action, e.actor) for e in entries}
    assert {("retake", "olga"), ("accepted", "olga"), ("rejected", "ines")} <= by
    assert {("status_changed", "olga"), ("reviewed", "ines")} <= by
    moves = [e.detail for e in entries if e.action == "status_changed"]
    assert {"from": "draft", "to": "live"} in moves and {"from": "live", "to": "captured"} in moves


def test_inspectors_mark_damages_and_a_stale_change_is_refused(
    team: Team, clients: dict[str, Paced], remote: str
) -> None:
    ines = clients["ines"]
    capture_id = team.store.captures(remote)[0].id
    added = ines.add_damage(
        remote,
        {
            "part": "bonnet",
            "type": "dent",
            "severity": 2,
            "capture_id": capture_id,
            "region": [0.1, 0.2, 0.3, 0.2],
            "note": "Petite bosse",
        },
    )
    assert added["version"] == 1 and added["region"] == [0.1, 0.2, 0.3, 0.2]
    changed = ines.change_damage(remote, added["id"], {**added, "severity": 3, "note": "Bosse"})
    assert changed["severity"] == 3 and changed["version"] == 2
    assert changed["created_at"] == added["created_at"]
    with pytest.raises(RemoteError) as stale:  # read at version 1, changed since
        ines.change_damage(remote, added["id"], {**added, "severity": 1})
    assert stale.value.status == 409
    with pytest.raises(RemoteError) as stale_delete:
        ines.delete_damage(remote, added["id"], version=1)
    assert stale_delete.value.status == 409
    assert [d["severity"] for d in ines.damages(remote)] == [3]
    bad_cases = [
        ({"part": "wing_mirror_of_doom", "type": "dent", "severity": 2}, "part"),
        ({"part": "bonnet", "type": "dent", "severity": 7}, "severity"),
        ({"part": "bonnet", "type": "dent", "severity": "2"}, "severity"),
        ({"part": "bonnet", "type": "dent"}, "no 'severity'"),
        (
            {"part": "bonnet", "type": "dent", "severity": 1, "region": [0.9, 0.9, 0.5, 0.5]},
            "region",
        ),
        (
            {"part": "bonnet", "type": "dent", "severity": 1, "capture_id": "nope00000000"},
            "no photo",
        ),
    ]
    for body, said in bad_cases:
        answer = team.call("POST", f"inspections/{remote}/damages", token=ines.token, body=body)
        assert answer.status == 400, (body, answer)
        assert said in answer.json()["message"], answer.json()
    assert ines.delete_damage(remote, added["id"], version=2) == {"deleted": added["id"]}
    assert ines.damages(remote) == []
    with pytest.raises(RemoteError) as gone:
        ines.delete_damage(remote, added["id"])
    assert gone.value.status == 404
    actions = [(e.action, e.actor) for e in audit.history(team.store, remote)]
    for action in ("damage_added", "damage_changed", "damage_deleted"):
        assert (action, "ines") in actions


def test_inspectors_edit_vehicle_notes_and_grade_and_a_stale_edit_is_refused(
    team: Team, clients: dict[str, Paced], remote: str
) -> None:
    ines, adam = clients["ines"], clients["adam"]
    read = ines.inspection(remote)
    version = read["version"]
    vehicle = {**NEW["vehicle"], "mileage": 84200, "colour": "Bleu"}
    edited = ines.edit(remote, version, vehicle=vehicle, notes="Rayure\nsur le capot", grade=3)
    assert edited["version"] == version + 1
    assert edited["vehicle"]["mileage_km"] == 84200 and edited["vehicle"]["colour"] == "Bleu"
    assert edited["notes"] == "Rayure\nsur le capot" and edited["grade"] == 3
    stored = team.store.get_inspection(remote)
    assert (stored.notes, stored.grade, stored.version) == (edited["notes"], 3, edited["version"])
    assert ines.inspection(remote)["version"] == edited["version"]
    # Read at the old version: a colleague's change since is refused, nothing written.
    with pytest.raises(RemoteError) as stale:
        adam.edit(remote, version, notes="Autre chose")
    assert stale.value.status == 409
    assert team.store.get_inspection(remote).notes == "Rayure\nsur le capot"
    now = edited["version"]
    assert adam.edit(remote, now, grade=None)["grade"] is None  # back to the suggestion
    now += 1
    for body, field in (
        ({"grade": 9}, "grade"),
        ({"grade": "3"}, "grade"),
        ({"notes": 5}, "notes"),
        ({"notes": "bell\x07"}, "notes"),
        ({"vehicle": {"make": "Renault", "year": 1700}}, "year"),
        ({"vehicle": {"make": "Renault", "vin": "NOT-A-VIN"}}, "VIN"),
    ):
        answer = team.call(
            "PATCH", f"inspections/{remote}", token=ines.token, body={**body, "version": now}
        )
        assert answer.status == 422, (body, answer)
        said = answer.json()
        assert said["error"] == "invalid_field" and field.lower() in said["field"].lower(), said
        assert field.lower() in said["message"].lower(), said
    for body, said in (
        ({"notes": "x"}, "version"),
        ({"notes": "x", "version": "2"}, "version"),
        ({"status": "reported", "version": now}, "unknown field"),
        ({"version": now}, "nothing to change"),
        ({"vehicle": {"wheels": 4}, "version": now}, "unknown field"),
    ):
        answer = team.call("PATCH", f"inspections/{remote}", token=ines.token, body=body)
        assert answer.status == 400 and said in answer.json()["message"], (body, answer)
    assert team.store.get_inspection(remote).version == now  # none of it was written
    actors = [
        (e.actor, e.detail) for e in audit.history(team.store, remote) if e.action == "edited"
    ]
    assert ("ines", {"fields": ["grade", "notes", "vehicle"]}) in actors
    assert ("adam", {"fields": ["grade"]}) in actors


def test_admins_manage_users(team: Team, clients: dict[str, Paced]) -> None:
    adam = clients["adam"]
    password = "new-user-pass-Tq9z"
    team.secrets.append(password)
    made = adam.add_user("nina", "inspector", password)
    assert made == {**made, "name": "nina", "role": "inspector", "disabled": False}
    assert "nina" in [u["name"] for u in adam.users()]
    assert all("hash" not in json.dumps(u) for u in adam.users())
    nina = Paced(team, "adam")  # a client to log in as nina
    nina.login("nina", password)
    assert nina.me()["role"] == "inspector"
    with pytest.raises(RemoteError) as taken:
        adam.add_user("nina", "operator", password)
    assert taken.value.status == 400 and "nina" in taken.value.message
    with pytest.raises(RemoteError) as weak:
        adam.add_user("nora", "operator", "short")
    assert weak.value.status == 400 and "too short" in weak.value.message
    with pytest.raises(RemoteError) as role:
        adam.add_user("nora", "pilot", password)
    assert role.value.status == 400 and "unknown role" in role.value.message
    with pytest.raises(RemoteError) as unknown:
        adam.disable_user("nobody")
    assert unknown.value.status == 404
    with pytest.raises(RemoteError) as myself:
        adam.disable_user("adam")
    assert myself.value.status == 409
    second = "second-user-pass-Wx4c"
    team.secrets.append(second)
    adam.set_password("nina", second)
    with pytest.raises(RemoteError) as ended:  # her sessions ended with the change
        nina.me()
    assert ended.value.status == 401
    nina.login("nina", second)
    assert adam.disable_user("nina")["disabled"] is True
    with pytest.raises(RemoteError) as disabled:
        nina.me()
    assert disabled.value.status == 401
    assert adam.enable_user("nina")["disabled"] is False
    entries = team.store.audit.recent(50)
    done = {(e.action, e.actor, e.detail.get("user")) for e in entries}
    for action in ("user_added", "password_changed", "user_disabled", "user_enabled"):
        assert (action, "adam", "nina") in done
    assert all(password not in json.dumps(e.to_dict()) for e in entries)


def test_colleagues_see_the_changes_and_admins_delete(
    team: Team, clients: dict[str, Paced], tokens: dict[str, str]
) -> None:
    olga, ines, adam = clients["olga"], clients["ines"], clients["adam"]
    inspection = str(olga.create(NEW)["id"])

    async def listen() -> None:
        headers = {"Authorization": f"Bearer {tokens['ines']}"}
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"{team.url}/api/v1/events", headers=headers)
            try:
                await asyncio.sleep(1.5)  # the baseline is taken
                for change in (
                    lambda: olga.put_capture(inspection, new_id(), _record("boot"), _photo(40)),
                    lambda: ines.add_damage(
                        inspection, {"part": "bonnet", "type": "dent", "severity": 1}
                    ),
                    lambda: adam.delete(inspection),
                ):
                    await asyncio.to_thread(change)
                    async with asyncio.timeout(30):
                        while (message := await ws.receive_json())["id"] != inspection:
                            pass
                    assert message["type"] == "inspection_changed"
                assert message.get("deleted") is True
            finally:
                await ws.close()

    asyncio.run(listen())
    with pytest.raises(RemoteError) as gone:
        adam.inspection(inspection)
    assert gone.value.status == 404
    deleted = [e for e in audit.history(team.store, inspection) if e.action == "deleted"]
    assert [e.actor for e in deleted] == ["adam"]
    other = str(olga.create(NEW)["id"])
    with pytest.raises(RemoteError) as stale:
        adam.delete(other, version=7)
    assert stale.value.status == 409
    assert adam.delete(other, version=1) == {"deleted": other}


def test_the_log_never_holds_a_password_or_a_token(team: Team, tokens: dict[str, str]) -> None:
    wait_for(lambda: "/api/v1/login" in team.server.log_text(), 30, "the login lines")
    text = team.server.log_text()
    for secret in [*team.secrets, *tokens.values()]:
        assert secret not in text
    lines = team.server.log_events()
    routes = {e.get("route") for e in lines if e.get("event") == "request"}
    assert "/api/v1/login" in routes and "/api/v1/inspections/{id}" in routes
