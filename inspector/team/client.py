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
import json
import os
import shutil
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["API", "Client", "RemoteError", "SessionEnded"]

API = "/api/v1"
TIMEOUT = 120.0
"""Seconds to wait for an answer (a report or a bundle is made while the client waits)."""
_CHUNK = 1 << 20


class RemoteError(Exception):
    """The server refused, failed, or did not answer (``status`` 0)."""

    def __init__(self, status: int, code: str, message: str, server: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        #: The server's base URL.
        self.server = server


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

    def import_bundle(self, path: Path) -> dict[str, Any]:
        return self._object(self._upload("bundles", path))

    def verify(self, path: Path) -> dict[str, Any]:
        return self._object(self._upload("bundles/verify", path))

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
        headers = self._headers(auth)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self._address(path, query), data=data, method=method, headers=headers
        )
        with self._open(request) as response:
            raw = response.read()
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise self._bad_answer() from None

    def _download(self, path: str, out: Path, query: dict[str, Any]) -> Path:
        request = urllib.request.Request(
            self._address(path, query), method="GET", headers=self._headers(True)
        )
        partial = out.with_name(f".{out.name}.part")
        with self._open(request) as response:
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
        return out

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
    return kind(status, code, message, server)


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _text(value: Any) -> str:
    return "1" if value is True else str(value)
