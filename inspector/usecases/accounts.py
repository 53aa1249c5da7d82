"""Accounts of a team deployment: users, passwords, login, sessions, role checks.

Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher``, its RFC 9106
low-memory profile) and never kept, printed or logged. A login gives a session token
of 256 random bits; only its SHA-256 is stored, so a copy of the database opens no
session. A session ends at its expiry (``SESSION_LIFETIME`` after login), at logout,
and for every session of a user at once when the user is disabled or their password
changes. Failed logins are limited per account name and per client address over a
sliding window, counted in the database so that every server process sees them.

What each role may do is :data:`inspector.domain.accounts.PERMISSIONS`; a front end
calls :func:`require` (or ``user.may``) before acting. Every error here is an
:class:`AccountError` (a ``ValueError``: one line, worded for the user).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from inspector.domain.accounts import (
    ACCOUNT_FAILURES,
    ADDRESS_FAILURES,
    FAILURE_WINDOW,
    NAME_MAX,
    PERMISSIONS,
    SESSION_LIFETIME,
    Permission,
    Role,
    User,
    UserSession,
    allows,
    check_name,
    check_password,
    retry_after,
)
from inspector.domain.audit import AuditAction
from inspector.domain.models import utcnow
from inspector.storage import Conflict
from inspector.storage.rows import new_id
from inspector.storage.store import Store
from inspector.usecases import audit

__all__ = [
    "PERMISSIONS",
    "AccountError",
    "Forbidden",
    "Identity",
    "Login",
    "LoginRefused",
    "Permission",
    "Role",
    "SessionInvalid",
    "TooManyAttempts",
    "User",
    "add_user",
    "disable_user",
    "enable_user",
    "hash_password",
    "list_users",
    "login",
    "logout",
    "require",
    "set_password",
    "token_hash",
    "user_to_dict",
    "validate_session",
    "verify_password",
]

_HASHER = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4 (RFC 9106 low-memory)
_TOUCH_EVERY = timedelta(minutes=1)
"""A session's ``last_seen_at`` is written at most this often (not on every request)."""


class AccountError(ValueError):
    """A refusal worded for the user (one line)."""


class LoginRefused(AccountError):
    """Wrong name or password (the same words either way), or a disabled account;
    ``reason`` ("credentials" or "disabled") for metrics, never shown to the client."""

    def __init__(self, message: str, reason: str = "credentials") -> None:
        super().__init__(message)
        self.reason = reason


class TooManyAttempts(AccountError):
    """Too many failed logins for this account or address; ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many attempts, try again in {self.retry_after} s")


class SessionInvalid(AccountError):
    """No such session, or it expired, or its user was disabled: log in again."""


class Forbidden(AccountError):
    """The user's role does not allow this."""


@dataclass(frozen=True)
class Login:
    """A successful login: the token to give the client (shown once, never stored)."""

    token: str
    user: User
    session: UserSession

    def __repr__(self) -> str:  # never the token in a log line or a traceback
        return f"Login(user={self.user.name!r}, expires_at={self.session.expires_at})"


@dataclass(frozen=True)
class Identity:
    """Who a valid session token belongs to."""

    user: User
    session: UserSession

    @property
    def actor(self) -> str:
        """The audit log's name for this user."""
        return self.user.name


def hash_password(password: str) -> str:
    return _HASHER.hash(check_password(password))


def verify_password(encoded: str, password: str) -> bool:
    try:
        return _HASHER.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against for an unknown name: the same time as a known one."""
    if not _DUMMY:
        _DUMMY.append(_HASHER.hash(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def token_hash(token: str) -> str:
    """What is stored of a session token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _find(store: Store, name: str) -> User:
    user = store.accounts.user(check_name(name))
    if user is None:
        raise AccountError(f"no user {name.strip().lower()!r}")
    return user


# -- managing users ----------------------------------------------------------------


def _recorded(store: Store, action: AuditAction, user: User, actor: str | None) -> User:
    """User management goes to the audit log too (no inspection; the user in the detail)."""
    audit.record(store, action, None, {"user": user.name, "role": user.role.value}, actor=actor)
    return user


def add_user(
    store: Store, name: str, role: Role | str, password: str, *, actor: str | None = None
) -> User:
    """A new enabled user; AccountError for a bad name or role, a weak password or a
    name already taken. ``actor``: who adds it, for the audit log."""
    try:
        checked = check_name(name)
        the_role = role if isinstance(role, Role) else Role.of(role)
        encoded = hash_password(password)
    except AccountError:
        raise
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    now = utcnow()
    user = User(
        id=new_id(),
        name=checked,
        role=the_role,
        created_at=now,
        changed_at=now,
        password_hash=encoded,
    )
    try:
        store.accounts.add_user(user)
    except Conflict as exc:
        raise AccountError(str(exc)) from None
    return _recorded(store, AuditAction.USER_ADDED, user, actor)


def list_users(store: Store) -> list[User]:
    return store.accounts.users()


def user_to_dict(user: User) -> dict[str, object]:
    """What ``users list --json`` (and the API) shows of a user (never the hash)."""
    return {
        "name": user.name,
        "role": user.role.value,
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
        "changed_at": user.changed_at.isoformat(),
    }


def set_password(store: Store, name: str, password: str, *, actor: str | None = None) -> User:
    """Change a user's password; every session of theirs ends."""
    user = _find(store, name)
    try:
        user.password_hash = hash_password(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    store.accounts.update_user(user, utcnow(), end_sessions=True)
    return _recorded(store, AuditAction.PASSWORD_CHANGED, user, actor)


def disable_user(store: Store, name: str, *, actor: str | None = None) -> User:
    """Disable a user: every session of theirs ends at once, and no login succeeds."""
    user = _find(store, name)
    user.disabled = True
    store.accounts.update_user(user, utcnow(), end_sessions=True)
    return _recorded(store, AuditAction.USER_DISABLED, user, actor)


def enable_user(store: Store, name: str, *, actor: str | None = None) -> User:
    user = _find(store, name)
    user.disabled = False
    store.accounts.update_user(user, utcnow(), end_sessions=False)
    return _recorded(store, AuditAction.USER_ENABLED, user, actor)


# -- login and sessions -------------------------------------------------------------


def _wait(store: Store, account: str, address: str, now: datetime) -> float:
    since = now - FAILURE_WINDOW
    records = store.accounts
    return max(
        retry_after(records.failures(since, account=account), now, ACCOUNT_FAILURES),
        retry_after(records.failures(since, address=address), now, ADDRESS_FAILURES),
    )


def login(
    store: Store,
    name: str,
    password: str,
    *,
    address: str = "",
    now: datetime | None = None,
    lifetime: timedelta = SESSION_LIFETIME,
) -> Login:
    """Check a name and password and open a session.

    ``address``: the client's address (as the server trusts it: behind a trusted
    proxy, the forwarded one). Raises TooManyAttempts while the account or the address
    is over its limit (checked before the password, so a guess then costs nothing and
    counts nothing), LoginRefused for a wrong name or password or a disabled account.
    """
    now = now or utcnow()
    account = name.strip().lower()[:NAME_MAX]
    wait = _wait(store, account, address, now)
    if wait > 0:
        raise TooManyAttempts(wait)
    user = store.accounts.user(account) if account else None
    good = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not good:
        store.accounts.add_failure(account, address, now, now - FAILURE_WINDOW)
        raise LoginRefused("wrong user name or password")
    if user.disabled:
        raise LoginRefused(f"the account {user.name!r} is disabled", "disabled")
    store.accounts.clear_failures(account)
    if _HASHER.check_needs_rehash(user.password_hash):  # parameters raised since
        user.password_hash = _HASHER.hash(password)
        user = store.accounts.update_user(user, now, end_sessions=False)
    token = secrets.token_urlsafe(32)  # 256 bits
    session = UserSession(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=now,
        expires_at=now + lifetime,
        last_seen_at=now,
        client_address=address,
    )
    store.accounts.add_session(session)
    return Login(token, user, session)


def validate_session(store: Store, token: str, *, now: datetime | None = None) -> Identity:
    """The user a session token belongs to; SessionInvalid if it is unknown, expired
    (deleted then), or its user is disabled (every session of theirs deleted)."""
    now = now or utcnow()
    if not token or len(token) > 256:
        raise SessionInvalid("not logged in: log in first")
    digest = token_hash(token)
    found = store.accounts.session(digest)
    if found is None:
        raise SessionInvalid("the session has ended or is unknown: log in again")
    session, user = found
    if session.expired(now):
        store.accounts.end_session(digest)
        raise SessionInvalid(
            f"the session expired at {session.expires_at:%Y-%m-%d %H:%M} UTC: log in again"
        )
    if user.disabled:
        store.accounts.end_sessions(user.id)
        raise SessionInvalid(f"the account {user.name!r} is disabled")
    if now - session.last_seen_at >= _TOUCH_EVERY:
        store.accounts.touch_session(digest, now)
    return Identity(user, session)


def logout(store: Store, token: str) -> bool:
    """End one session; False if it had ended already."""
    return bool(token) and store.accounts.end_session(token_hash(token))


def require(user: User, permission: Permission) -> None:
    """Forbidden unless ``user`` is enabled and their role allows ``permission``."""
    if user.disabled:
        raise Forbidden(f"the account {user.name!r} is disabled")
    if not allows(user.role, permission):
        raise Forbidden(
            f"{user.name} is {user.role.value}: not allowed to {permission.value.replace('_', ' ')}"
        )
