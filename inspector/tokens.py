"""Invitation tokens for the phone's join link.

A token is 256 random bits (``secrets.token_urlsafe(32)``). Only its SHA-256
is stored, so a copy of the database cannot be used to join a session, and we
look tokens up by hash (no constant-time comparison needed). Tokens never go
to a log: use :func:`token_tag` (the first 8 hex digits of the hash).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from inspector.models import utcnow
from inspector.store import Store

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
    """Issue, check and revoke join tokens of inspections."""

    def __init__(self, store: Store, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            raise ValueError("the token lifetime must be positive")
        self._store = store
        self._ttl = timedelta(seconds=ttl_seconds)

    def issue(self, inspection_id: str) -> tuple[str, datetime]:
        """A new token for the inspection and when it expires."""
        token = secrets.token_urlsafe(32)
        expires_at = utcnow() + self._ttl
        self._store.add_token(hash_token(token), inspection_id, expires_at)
        return token, expires_at

    def check(self, token: str) -> str:
        """The inspection id a valid token opens; raises :class:`InvalidToken`."""
        if not token or len(token) > _MAX_TOKEN_LEN:
            raise InvalidToken()
        record = self._store.token_record(hash_token(token))
        if record is None:
            raise InvalidToken()
        inspection_id, expires_at, revoked = record
        if revoked or expires_at <= utcnow():
            raise InvalidToken()
        return inspection_id

    def revoke(self, inspection_id: str) -> int:
        """Revoke every token of the inspection; returns how many were live."""
        return self._store.revoke_tokens(inspection_id)
