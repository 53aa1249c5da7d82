"""A small synchronous client of the team server's operator API (``/api/v1/``).

Standard library only (``urllib``): the command line imports it when a command runs
against a server (``--server``), and must stay quick to start. Every failure is a
:class:`RemoteError` with the HTTP status (0: no answer) and the server's message;
:class:`SessionEnded` when the server says the session is missing, expired or ended
(HTTP 401). Its ``code`` says what kind: the server's own (``login_refused``,
``too_many_attempts``…), or ``unreachable``, ``tls`` (no secure connection: an
untrusted certificate, or not HTTPS), ``not_team_server`` (an answer, but not from
an inspector team server), ``unavailable`` (a proxy's 502-504: the team server
behind it does not answer), ``error``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

from inspector.atomic import folder_problem, fsync_dir

__all__ = ["API", "Client", "RemoteError", "SessionEnded"]

API = "/api/v1"
TIMEOUT = 120.0
"""Seconds to wait for an answer (a report or a bundle is made while the client waits)."""
_CHUNK = 1 << 20
_LISTING_NAME = re.compile(r"[0-9]{2,3}-[A-Za-z0-9_-]{1,120}\.jpg")
_MAX_PHOTO = 64 << 20
SHA256_HEADER = "X-Content-SHA256"
"""The photo's SHA-256 (hex), which the server checks before it stores anything."""


class RemoteError(Exception):
    """The server refused, failed, or did not answer (``status`` 0)."""

    def __init__(
        self, status: int, code: str, message: str, server: str = "", field: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        #: The server's base URL.
        self.server = server
        #: The input field the server named as bad, if any.
        self.field = field


class SessionEnded(RemoteError):
    """No session, or it expired or was ended (HTTP 401): log in again."""


class Client:
    """The operator API of the team server at ``url``, as the user of ``token``."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = TIMEOUT) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"the server's address must be http(s)://HOST[:PORT], not {url!r}")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    # -- the routes ----------------------------------------------------------------

    def login(self, user: str, password: str) -> dict[str, Any]:
        """``{token, user, role, expires_at}``; the token is kept for the next calls."""
        answer = self._object(
            self._json("POST", "login", {"user": user, "password": password}, auth=False)
        )
        self.token = str(answer["token"])
        return answer

    def logout(self) -> None:
        self._json("POST", "logout", {})

    def me(self) -> dict[str, Any]:
        return self._object(self._json("GET", "me"))

    def inspections(
        self, *, check: bool = False, status: str | None = None, assignee: str | None = None
    ) -> list[dict[str, Any]]:
        query = {"check": "1" if check else None, "status": status, "assignee": assignee}
        found = self._json("GET", "inspections", query=query)
        if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
            raise self._bad_answer()
        return found

    def inspection(self, inspection_id: str, *, check: bool = False) -> dict[str, Any]:
        query = {"check": "1" if check else None}
        return self._object(self._json("GET", f"inspections/{_quote(inspection_id)}", query=query))

    def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        return self._object(self._json("POST", "inspections", fields))

    def invite(self, inspection_id: str, *, self_inspection: bool = False) -> dict[str, Any]:
        return self._object(
            self._json(
                "POST", f"inspections/{_quote(inspection_id)}/invite", {"self": self_inspection}
            )
        )

    def report(self, inspection_id: str, out: Path, **options: Any) -> Path:
        return self._download(f"inspections/{_quote(inspection_id)}/report", out, options)

    def bundle(self, inspection_id: str, out: Path, **options: Any) -> Path:
        return self._download(f"inspections/{_quote(inspection_id)}/bundle", out, options)

    def ice_servers(self) -> list[dict[str, Any]]:
        """The team's STUN/TURN servers for this console's next call (TURN credentials
        minted for it): ``[{"urls", "username"?, "credential"?}]``."""
        found = self._object(self._json("GET", "ice")).get("ice_servers")
        if not isinstance(found, list) or not all(isinstance(s, dict) for s in found):
            raise self._bad_answer()
        return found

    def copy(self, inspection_id: str, out: Path) -> Path:
        """The working copy of an inspection a console runs its call on (a bundle
        without a report), written as ``out``."""
        return self._download(f"inspections/{_quote(inspection_id)}/copy", out, {})

    def import_bundle(self, path: Path) -> dict[str, Any]:
        return self._object(self._upload("bundles", path))

    def verify(self, path: Path) -> dict[str, Any]:
        return self._object(self._upload("bundles/verify", path))

    def delete(self, inspection_id: str, *, version: int | None = None) -> dict[str, Any]:
        """Delete an inspection (admin); ``version``: only while it is at the one read."""
        return self._object(
            self._json("DELETE", f"inspections/{_quote(inspection_id)}", query={"version": version})
        )

    def edit(self, inspection_id: str, version: int, **changes: Any) -> dict[str, Any]:
        """Change ``vehicle`` (whole, as :meth:`create` takes it), ``notes`` or ``grade`` of
        an inspection read at ``version`` (:meth:`inspection`'s); the inspection at its
        new ``version``. RemoteError 409 if it changed since, 422 for a bad field (its
        name in ``field``)."""
        return self._object(
            self._json(
                "PATCH", f"inspections/{_quote(inspection_id)}", {**changes, "version": version}
            )
        )

    def set_status(self, inspection_id: str, status: str) -> dict[str, Any]:
        """``{id, status, moved}``; RemoteError 409 for a change the inspection refuses."""
        return self._object(
            self._json("POST", f"inspections/{_quote(inspection_id)}/status", {"status": status})
        )

    # -- captures (a remote console's stills) ------------------------------------------

    def put_capture(
        self, inspection_id: str, capture_id: str, record: dict[str, Any], photo: bytes
    ) -> dict[str, Any]:
        """Store a still and its record (``show --json``'s shape of a capture) on the
        server, which checks the photo's SHA-256 before it answers: once this returns,
        the photo and its row are durable there (``created`` False: they already were).
        RemoteError 409 when the id is taken by another photo, 422 when the photo was
        damaged on the way (nothing stored: send it again)."""
        boundary = f"inspector-{os.urandom(12).hex()}"
        body = b"".join(
            (
                _part(boundary, 'name="record"', "application/json"),
                json.dumps(record).encode(),
                _part(boundary, 'name="photo"; filename="photo.jpg"', "image/jpeg", first=False),
                photo,
                f"\r\n--{boundary}--\r\n".encode(),
            )
        )
        return self._object(
            self._send(
                "PUT",
                f"inspections/{_quote(inspection_id)}/captures/{_quote(capture_id)}",
                body,
                {
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    SHA256_HEADER: hashlib.sha256(photo).hexdigest(),
                },
            )
        )

    def put_original(self, inspection_id: str, capture_id: str, photo: bytes) -> dict[str, Any]:
        """The full-resolution original of a capture stored as a preview (same checks)."""
        path = f"inspections/{_quote(inspection_id)}/captures/{_quote(capture_id)}/original"
        headers = {"Content-Type": "image/jpeg", SHA256_HEADER: hashlib.sha256(photo).hexdigest()}
        return self._object(self._send("PUT", path, photo, headers))

    def review(
        self,
        inspection_id: str,
        capture_id: str,
        decision: str,
        *,
        note: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Accept, retake, reject a capture or make it undecided again; the capture."""
        body: dict[str, Any] = {"decision": decision}
        if note is not None:
            body["note"] = note
        path = f"inspections/{_quote(inspection_id)}/captures/{_quote(capture_id)}/review"
        return self._object(self._json("POST", path, body))

    # -- damages -----------------------------------------------------------------------

    def damages(self, inspection_id: str) -> list[dict[str, Any]]:
        found = self._json("GET", f"inspections/{_quote(inspection_id)}/damages")
        if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
            raise self._bad_answer()
        return found

    def add_damage(self, inspection_id: str, damage: dict[str, Any]) -> dict[str, Any]:
        """A new damage (its ``version`` in the answer, for a later change)."""
        return self._object(
            self._json("POST", f"inspections/{_quote(inspection_id)}/damages", damage)
        )

    def change_damage(
        self, inspection_id: str, damage_id: str, damage: dict[str, Any]
    ) -> dict[str, Any]:
        """Write a damage read at ``damage["version"]``; RemoteError 409 if changed since."""
        path = f"inspections/{_quote(inspection_id)}/damages/{_quote(damage_id)}"
        return self._object(self._json("PUT", path, damage))

    def delete_damage(
        self, inspection_id: str, damage_id: str, *, version: int | None = None
    ) -> dict[str, Any]:
        path = f"inspections/{_quote(inspection_id)}/damages/{_quote(damage_id)}"
        return self._object(self._json("DELETE", path, query={"version": version}))

    # -- users (admins) ----------------------------------------------------------------

    def users(self) -> list[dict[str, Any]]:
        found = self._json("GET", "users")
        if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
            raise self._bad_answer()
        return found

    def add_user(self, name: str, role: str, password: str) -> dict[str, Any]:
        return self._object(
            self._json("POST", "users", {"name": name, "role": role, "password": password})
        )

    def disable_user(self, name: str) -> dict[str, Any]:
        return self._object(self._json("POST", f"users/{_quote(name)}/disable", {}))

    def enable_user(self, name: str) -> dict[str, Any]:
        return self._object(self._json("POST", f"users/{_quote(name)}/enable", {}))

    def set_password(self, name: str, password: str) -> dict[str, Any]:
        return self._object(
            self._json("POST", f"users/{_quote(name)}/password", {"password": password})
        )

    # -- HTTP ------------------------------------------------------------------------

    def _bad_answer(self) -> RemoteError:
        return RemoteError(
            0, "not_team_server", f"{self.url} did not answer as a team server", self.url
        )

    def _object(self, found: Any) -> dict[str, Any]:
        if not isinstance(found, dict):
            raise self._bad_answer()
        return found

    def _address(self, path: str, query: dict[str, Any] | None = None) -> str:
        given = {k: _text(v) for k, v in (query or {}).items() if v is not None and v is not False}
        suffix = f"?{urllib.parse.urlencode(given)}" if given else ""
        return f"{self.url}{API}/{path}{suffix}"

    def _headers(self, auth: bool) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if auth:
            if not self.token:
                raise SessionEnded(401, "unauthenticated", "not logged in", self.url)
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _open(self, request: urllib.request.Request) -> Any:
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            with exc:
                raise _refusal(exc.code, exc.read(1 << 16), self.url) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, ssl.SSLError | ssl.CertificateError):
                why = getattr(reason, "verify_message", None) or getattr(reason, "reason", None)
                raise RemoteError(
                    0,
                    "tls",
                    f"no secure connection to the team server at {self.url}: {why or reason}",
                    self.url,
                ) from None
            if isinstance(reason, socket.timeout | TimeoutError):
                reason = f"no answer within {self.timeout:g} s"
            raise RemoteError(
                0, "unreachable", f"cannot reach the team server at {self.url}: {reason}", self.url
            ) from None

    def _json(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        query: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> Any:
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        return self._send(method, path, data, headers, query=query, auth=auth)

    def _send(
        self,
        method: str,
        path: str,
        data: bytes | None,
        headers: dict[str, str],
        *,
        query: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> Any:
        """``data`` sent with ``headers``; the answer's JSON."""
        request = urllib.request.Request(
            self._address(path, query),
            data=data,
            method=method,
            headers={**self._headers(auth), **headers},
        )
        with self._open(request) as response:
            raw = response.read()
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise self._bad_answer() from None

    def listing(
        self,
        inspection_id: str,
        folder: Path,
        *,
        size: int | None = None,
        include_withheld: bool = False,
    ) -> dict[str, Any]:
        """``export --listing`` made by the server, written as the new or empty ``folder``
        (whole or not at all): ``{"folder", "photos", "blurred", "scanned"}``. A folder
        that cannot be written is a ValueError before anything is asked."""
        problem = folder_problem(folder, "the listing")
        if problem is not None:
            raise ValueError(problem)
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            archive = work / ".listing.zip"
            headers = self._fetch(
                f"inspections/{_quote(inspection_id)}/listing",
                archive,
                {"size": size, "include_withheld": include_withheld},
            )
            photos = self._unpack(archive, work)
            archive.unlink()
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(work, 0o777 & ~umask)
            if folder.is_dir():
                folder.rmdir()  # checked empty
            os.replace(work, folder)
            fsync_dir(folder.parent)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return {
            "folder": folder,
            "photos": photos,
            "blurred": _count(headers.get("X-Listing-Blurred")),
            "scanned": _count(headers.get("X-Listing-Scanned")),
        }

    def _unpack(self, archive: Path, work: Path) -> int:
        """The listing's photos out of the server's zip; anything but ``NN-shot.jpg``
        files of a sane size is a bad answer (nothing is written outside ``work``)."""
        try:
            with zipfile.ZipFile(archive) as z:
                entries = z.infolist()
                for entry in entries:
                    if not _LISTING_NAME.fullmatch(entry.filename) or entry.file_size > _MAX_PHOTO:
                        raise self._bad_answer()
                    with z.open(entry) as src, open(work / entry.filename, "wb") as dst:
                        shutil.copyfileobj(src, dst, _CHUNK)
                        dst.flush()
                        os.fsync(dst.fileno())
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
            raise self._bad_answer() from None
        return len(entries)

    def _download(self, path: str, out: Path, query: dict[str, Any]) -> Path:
        self._fetch(path, out, query)
        return out

    def _fetch(self, path: str, out: Path, query: dict[str, Any]) -> dict[str, str]:
        """The answer's body written (whole) as ``out``; its headers."""
        request = urllib.request.Request(
            self._address(path, query), method="GET", headers=self._headers(True)
        )
        partial = out.with_name(f".{out.name}.part")
        with self._open(request) as response:
            headers = dict(response.headers)
            try:
                with open(partial, "wb") as f:
                    shutil.copyfileobj(response, f, _CHUNK)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(partial, out)
            except BaseException:
                with contextlib.suppress(OSError):
                    partial.unlink()
                raise
        return headers

    def _upload(self, path: str, file: Path) -> Any:
        headers = self._headers(True)
        size = file.stat().st_size
        headers["Content-Type"] = "application/zip"
        headers["Content-Length"] = str(size)
        with open(file, "rb") as f:
            request = urllib.request.Request(
                self._address(path, {"name": file.name}),
                data=_Body(f),
                method="POST",
                headers=headers,
            )
            with self._open(request) as response:
                raw = response.read()
        try:
            return json.loads(raw)
        except ValueError:
            raise self._bad_answer() from None


class _Body:
    """A file as a request body, read in blocks (urllib would ask its length otherwise)."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f

    def read(self, n: int = _CHUNK) -> bytes:
        return self._f.read(n)


def _refusal(status: int, raw: bytes, server: str) -> RemoteError:
    try:
        data = json.loads(raw)
        code = str(data.get("error") or "error")
        message = str(data.get("message") or f"the server answered HTTP {status}")
    except (ValueError, AttributeError):  # not the team server's JSON
        if status in (502, 503, 504):  # a proxy whose team server does not answer
            message = f"{server} answered HTTP {status}: the team server behind it does not answer"
            return RemoteError(status, "unavailable", message, server)
        message = f"{server} did not answer as a team server (HTTP {status})"
        return RemoteError(status, "not_team_server", message, server)
    kind = SessionEnded if status == 401 else RemoteError
    field = data.get("field")
    return kind(status, code, message, server, field if isinstance(field, str) else None)


def _count(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def _part(boundary: str, disposition: str, content_type: str, *, first: bool = True) -> bytes:
    """The boundary and headers that open a part of a multipart body."""
    opening = "" if first else "\r\n"
    return (
        f"{opening}--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _text(value: Any) -> str:
    return "1" if value is True else str(value)
