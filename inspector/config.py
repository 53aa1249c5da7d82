"""Where data lives and the product's settings, declared in one place.

The data directory is, in order of precedence: an explicit ``--data-dir``,
the ``INSPECTOR_DATA_DIR`` environment variable, then the user data directory
that platformdirs gives for this OS. The records are in that folder's SQLite
file unless a database URL is given: ``--database-url``, else the
``INSPECTOR_DATABASE_URL`` environment variable (the data directory stays the
local working folder then).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP_NAME = "vehicle-inspector"
DATA_DIR_ENV = "INSPECTOR_DATA_DIR"
DATABASE_URL_ENV = "INSPECTOR_DATABASE_URL"
PHOTO_STORE_ENV = "INSPECTOR_PHOTO_STORE"
SERVER_ENV = "INSPECTOR_SERVER"
"""The team server the command line works against (``--server``)."""
CONFIG_DIR_ENV = "INSPECTOR_CONFIG_DIR"
"""Where the command line keeps its logged-in sessions (default: the user config folder)."""
RECORDING_RETENTION_ENV = "INSPECTOR_RECORDING_RETENTION_DAYS"
RECORDING_RETENTION_DAYS = 30
"""Call recordings older than this many days are deleted (their consent stays on record)."""
TURN_SECRET_ENV = "INSPECTOR_TURN_SECRET"
TURN_CREDENTIAL_TTL = 4 * 3600
"""How long minted TURN credentials are valid. coturn refuses a refresh of an allocation
whose username has expired, so this bounds one negotiation's relay, not the call: every
reconnection opens a new signaling socket and gets new credentials."""
SIGNING_PASSWORD_ENV = "INSPECTOR_SIGNING_PASSWORD"
"""The password of the company's sealing key or PKCS#12 file (:mod:`inspector.seal`)."""
LISTING_LONG_SIDE = 1920
"""The long side, in pixels, of the publishable photos (``export --listing``)."""


def resolve_data_dir(
    explicit: str | os.PathLike[str] | None = None, *, create: bool = True
) -> Path:
    """The data directory to use, created if missing (unless ``create`` is false:
    read-only commands never create anything)."""
    if explicit:
        path = Path(explicit)
    elif os.environ.get(DATA_DIR_ENV):
        path = Path(os.environ[DATA_DIR_ENV])
    else:
        path = Path(user_data_dir(APP_NAME, appauthor=False))
    path = path.expanduser().resolve()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_config_dir() -> Path:
    """The user's configuration folder: ``INSPECTOR_CONFIG_DIR``, else platformdirs'
    (``~/.config/vehicle-inspector`` on Linux); not created here."""
    given = os.environ.get(CONFIG_DIR_ENV, "").strip()
    path = Path(given) if given else Path(user_config_dir(APP_NAME, appauthor=False))
    return path.expanduser().resolve()


def resolve_server(explicit: str | None = None) -> str | None:
    """The team server to work against: ``--server``, else ``INSPECTOR_SERVER``; None:
    the local store."""
    found = explicit or os.environ.get(SERVER_ENV, "")
    return found.strip().rstrip("/") or None


def resolve_database_url(explicit: str | None = None) -> str | None:
    """The records' database URL (``sqlite:///…``, ``postgresql://…``); None: the data
    directory's own SQLite file."""
    return explicit or os.environ.get(DATABASE_URL_ENV) or None


def resolve_photo_store(explicit: str | None = None) -> str | None:
    """Where photos are kept: an explicit ``--photo-store``, else ``INSPECTOR_PHOTO_STORE``
    (a folder or ``s3://bucket/prefix``), else None: the data directory's own ``photos/``."""
    found = explicit or os.environ.get(PHOTO_STORE_ENV, "")
    return found.strip() or None


def resolve_recording_retention(explicit: int | None = None) -> int:
    """Days call recordings are kept: ``--recording-retention-days``, else
    ``INSPECTOR_RECORDING_RETENTION_DAYS``, else 30. ValueError for a negative or bad value."""
    value: int | str | None = explicit
    if value is None:
        value = os.environ.get(RECORDING_RETENTION_ENV, "").strip() or RECORDING_RETENTION_DAYS
    try:
        days = int(value)
    except ValueError:
        raise ValueError(f"recording retention must be a number of days, not {value!r}") from None
    if days < 0:
        raise ValueError(f"recording retention must be 0 days or more, not {days}")
    return days


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server passed to both peers."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    @classmethod
    def parse(cls, spec: str) -> IceServer:
        """``stun:host:3478`` or ``turn:user:password@host:3478`` (credentials for TURN)."""
        scheme, _, rest = spec.strip().partition(":")
        if scheme not in ("stun", "stuns", "turn", "turns") or not rest:
            raise ValueError(
                f"ICE server {spec!r} must look like stun:HOST:PORT or turn:USER:PASS@HOST:PORT"
            )
        credentials, at, address = rest.rpartition("@")
        if not at:
            return cls(urls=(spec.strip(),))
        if scheme.startswith("stun"):
            raise ValueError(f"ICE server {spec!r}: STUN servers take no credentials")
        username, colon, credential = credentials.partition(":")
        if not (username and colon and credential and address):
            raise ValueError(f"ICE server {spec!r}: give turn:USER:PASS@HOST:PORT")
        return cls(urls=(f"{scheme}:{address}",), username=username, credential=credential)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"urls": list(self.urls)}
        if self.username is not None:
            data["username"] = self.username
        if self.credential is not None:
            data["credential"] = self.credential
        return data


@dataclass(frozen=True)
class TurnRest:
    """TURN with short-lived credentials: coturn's REST API (``use-auth-secret``).

    The server and coturn share ``secret``; each peer gets a username
    ``EXPIRY:TAG`` (Unix time when it stops being valid, and who it is for) and the
    password ``base64(HMAC-SHA1(secret, username))``, which coturn recomputes. No
    password is ever configured in, or written into, the phone's page for good.
    """

    secret: str
    urls: tuple[str, ...]
    ttl_seconds: int = TURN_CREDENTIAL_TTL

    def __post_init__(self) -> None:
        if not self.secret:
            raise ValueError("the TURN shared secret is empty")
        if not self.urls:
            raise ValueError("give at least one TURN URL (turn:HOST:PORT or turns:HOST:PORT)")
        for url in self.urls:
            scheme, _, rest = url.partition(":")
            if scheme not in ("turn", "turns") or not rest or "@" in rest:
                raise ValueError(
                    f"TURN URL {url!r} must look like turn:HOST:PORT, turn:HOST:PORT?transport=tcp"
                    " or turns:HOST:PORT (no credentials: they are minted)"
                )
        if self.ttl_seconds <= 0:
            raise ValueError(
                f"the TURN credentials' lifetime must be positive, not {self.ttl_seconds}"
            )

    def mint(self, tag: str, now: float | None = None) -> IceServer:
        """Credentials for one peer, valid ``ttl_seconds`` from ``now``."""
        expiry = int(now if now is not None else time.time()) + self.ttl_seconds
        username = f"{expiry}:{tag}"
        return IceServer(
            urls=self.urls, username=username, credential=turn_rest_password(self.secret, username)
        )


def turn_rest_password(secret: str, username: str) -> str:
    """coturn's ``use-auth-secret`` password: base64(HMAC-SHA1(secret, username))."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def resolve_turn_secret(path: str | os.PathLike[str] | None = None) -> str | None:
    """The TURN shared secret: the first line of ``path`` if given, else
    ``INSPECTOR_TURN_SECRET``, else None (never on a command line, where ``ps`` shows it)."""
    if path is not None:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        found = lines[0].strip() if lines else ""
        if not found:
            raise ValueError(f"the TURN secret file {os.fspath(path)!r} is empty")
        return found
    return os.environ.get(TURN_SECRET_ENV, "").strip() or None


@dataclass(frozen=True)
class ServerSettings:
    """How the phone-facing server listens.

    Loopback by default; ``lan`` serves HTTPS with a self-signed certificate;
    ``public_url`` is the address phones use behind a TLS reverse proxy. With no
    ICE servers configured no outside server is ever contacted.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    lan: bool = False
    public_url: str | None = None
    ice_servers: tuple[IceServer, ...] = field(default_factory=tuple)
    # TURN with credentials minted per peer (coturn's use-auth-secret), besides ice_servers.
    turn_rest: TurnRest | None = None
    token_ttl_seconds: int = 24 * 3600
    # Whether the phone asks the seller to record the call (recorded only after a yes),
    # and for how many days the recordings are kept (swept when the engine starts).
    record_calls: bool = True
    recording_retention_days: int = RECORDING_RETENTION_DAYS
    # The reverse proxies whose X-Forwarded-For / Forwarded are believed (addresses or
    # CIDR networks): one on this host by default (the console's and the tests' engine);
    # `serve` and `server` set it from --trusted-proxy / --public-url (cli/live.py).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")

    def ice_servers_for(self, tag: str) -> tuple[IceServer, ...]:
        """The ICE servers one peer is given: the configured ones, and TURN credentials
        minted for it (``tag`` names the peer in coturn's log: no secret, no token)."""
        if self.turn_rest is None:
            return self.ice_servers
        return (*self.ice_servers, self.turn_rest.mint(tag))
