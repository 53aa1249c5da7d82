"""Invitation tokens for the phone's join link.

A token is 256 random bits (``secrets.token_urlsafe(32)``). Only its SHA-256
is stored, so a copy of the database cannot be used to join a session. Tokens
never go to a log: use :func:`token_tag` (the first 8 hex digits of the hash).

The phone-facing server must answer without waiting on the database, so
:class:`Invitations` also keeps the hashes of the valid tokens in memory:
:meth:`Invitations.known` is a dictionary lookup by hash (the timing of a
lookup by SHA-256 tells an attacker nothing about any token), and
:meth:`Invitations.refresh` reloads them from the store, off the engine's loop.
Tokens issued or revoked through this object are seen at once; those of other
processes (``inspector invite``/``revoke``) at the next refresh.

Each token remembers its mode (:meth:`Invitations.mode_of`): "self" (the server runs
the call, autopilot) or "operator" (a team server relays the call's signaling to the
operator's console, :mod:`inspector.team.relay`). Tokens issued before links had a
mode are "self", what every server did with them.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import datetime, timedelta

from inspector.domain.audit import AuditAction
from inspector.domain.models import utcnow
from inspector.storage.store import Store
from inspector.usecases import audit

__all__ = ["INVALID_MESSAGE", "InvalidToken", "Invitations", "hash_token", "token_tag"]

INVALID_MESSAGE = "this link is not valid"
_MAX_TOKEN_LEN = 128


class InvalidToken(Exception):
    """Unknown, expired or revoked: one message for all, so nothing is hinted."""

    def __init__(self) -> None:
        super().__init__(INVALID_MESSAGE)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def token_tag(token: str) -> str:
    """What may be logged about a token."""
    return hash_token(token)[:8]


class Invitations:
    """Issue, check and revoke join tokens of inspections; the valid ones in memory too."""

    def __init__(self, store: Store, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            raise ValueError("the token lifetime must be positive")
        self._store = store
        self._ttl = timedelta(seconds=ttl_seconds)
        self._lock = threading.Lock()
        # hash → (inspection, expiry, mode)
        self._known: dict[str, tuple[str, datetime, str]] = {}
        self._changes = 0  # issued, found or revoked here: a refresh must not undo one
        #: ``time.monotonic()`` of the last successful :meth:`refresh` (never: -inf).
        self.refreshed_at = float("-inf")

    def issue(
        self,
        inspection_id: str,
        *,
        mode: str = "self",
        actor: str | None = None,
        request_id: str | None = None,
    ) -> tuple[str, datetime]:
        """A new token for the inspection and when it expires; ``mode`` "self" or
        "operator" (how its call runs). The audit log records who sent it: ``actor``,
        else the one acting now; ``request_id``: the request asking."""
        token = secrets.token_urlsafe(32)
        expires_at = utcnow() + self._ttl
        digest = hash_token(token)
        self._store.add_token(digest, inspection_id, expires_at, mode)
        with self._lock:
            self._known[digest] = (inspection_id, expires_at, mode)
            self._changes += 1
        audit.record(
            self._store,
            AuditAction.INVITED,
            inspection_id,
            {"expires_at": expires_at.isoformat(), "mode": mode},
            actor=actor,
            request_id=request_id,
        )
        return token, expires_at

    def check(self, token: str) -> str:
        """The inspection id a valid token opens, from the store; raises :class:`InvalidToken`."""
        if not token or len(token) > _MAX_TOKEN_LEN:
            raise InvalidToken()
        record = self._store.token_record(hash_token(token))
        if record is None:
            raise InvalidToken()
        inspection_id, expires_at, revoked, mode = record
        if revoked or expires_at <= utcnow():
            raise InvalidToken()
        with self._lock:  # valid in the store: memory knows it from now on
            self._known[hash_token(token)] = (inspection_id, expires_at, mode)
            self._changes += 1
        return inspection_id

    def known(self, token: str) -> str | None:
        """The inspection a token opens if it is valid as far as memory knows; no I/O.

        Safe on the engine's loop: never touches the store.
        """
        entry = self._entry(token)
        return None if entry is None else entry[0]

    def mode_of(self, token: str) -> str | None:
        """ "self" or "operator" for a token memory knows valid (else None); no I/O."""
        entry = self._entry(token)
        return None if entry is None else entry[2]

    def _entry(self, token: str) -> tuple[str, datetime, str] | None:
        """Memory's (inspection, expiry, mode) of a valid token, or None; no I/O."""
        if not token or len(token) > _MAX_TOKEN_LEN:
            return None
        with self._lock:
            entry = self._known.get(hash_token(token))
        if entry is None or entry[1] <= utcnow():
            return None
        return entry

    def refresh(self) -> None:
        """Reload the valid tokens from the store (a worker thread: this reads the database)."""
        while True:
            with self._lock:
                changes = self._changes
            table = {h: (i, e, m) for h, i, e, m in self._store.valid_tokens()}
            with self._lock:
                if self._changes == changes:  # else an issue or revoke raced the read: again
                    self._known = table
                    self.refreshed_at = time.monotonic()
                    return

    def revoke(self, inspection_id: str, *, actor: str | None = None) -> int:
        """Revoke every token of the inspection; returns how many were live."""
        count = self._store.revoke_tokens(inspection_id)
        if count:
            audit.record(
                self._store, AuditAction.REVOKED, inspection_id, {"links": count}, actor=actor
            )
        with self._lock:
            self._known = {h: v for h, v in self._known.items() if v[0] != inspection_id}
            self._changes += 1
        return count
