"""Accounts on a real SQLite and a real PostgreSQL: users, argon2 hashes, login, sessions,
the failed-login limits shared by several store instances (as by several processes),
and the role table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from inspector.domain.accounts import (
    ACCOUNT_FAILURES,
    ADDRESS_FAILURES,
    FAILURE_WINDOW,
    PERMISSIONS,
    Permission,
    Role,
    retry_after,
)
from inspector.domain.models import utcnow
from inspector.storage.store import Store
from inspector.usecases import accounts
from inspector.usecases.accounts import (
    AccountError,
    Forbidden,
    LoginRefused,
    SessionInvalid,
    TooManyAttempts,
)

pytestmark = pytest.mark.timeout(180)

PASSWORD = "correct horse battery"


@pytest.fixture
def store(data_dir: Path, database_url: str | None) -> Iterator[Store]:
    s = Store(data_dir, database_url=database_url)
    yield s
    s.close()


def test_a_user_is_kept_with_an_argon2_hash_never_the_password(store: Store) -> None:
    user = accounts.add_user(store, "Alice", "operator", PASSWORD)
    assert user.name == "alice" and user.role is Role.OPERATOR and not user.disabled
    stored = store.accounts.user("alice")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash and PASSWORD not in repr(stored)
    assert [u.name for u in accounts.list_users(store)] == ["alice"]


@pytest.mark.parametrize(
    ("name", "role", "password", "said"),
    [
        ("bob", "pilot", PASSWORD, "unknown role 'pilot'"),
        ("", "admin", PASSWORD, "a user name is needed"),
        ("bo b", "admin", PASSWORD, "use letters"),
        ("bob", "admin", "", "the password is empty"),
        ("bob", "admin", "short", "too short"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    store: Store, name: str, role: str, password: str, said: str
) -> None:
    with pytest.raises(AccountError, match=said):
        accounts.add_user(store, name, role, password)
    assert accounts.list_users(store) == []


def test_a_name_is_unique_on_the_database(
    store: Store, data_dir: Path, database_url: str | None
) -> None:
    accounts.add_user(store, "alice", "admin", PASSWORD)
    with (
        Store(data_dir, database_url=database_url) as other,  # another process's view
        pytest.raises(AccountError, match="a user named 'alice' already exists"),
    ):
        accounts.add_user(other, "ALICE", "inspector", PASSWORD)


def test_login_gives_a_token_whose_hash_only_is_stored(store: Store) -> None:
    accounts.add_user(store, "alice", "inspector", PASSWORD)
    done = accounts.login(store, "Alice", PASSWORD, address="192.0.2.1")
    assert len(done.token) >= 43  # 32 random bytes, URL-safe base64
    assert done.token not in repr(done)
    session, user = store.accounts.session(accounts.token_hash(done.token)) or (None, None)
    assert session is not None and user is not None and user.name == "alice"
    assert session.client_address == "192.0.2.1"
    assert store.accounts.session(done.token) is None  # the token itself is no key
    identity = accounts.validate_session(store, done.token)
    assert identity.user.name == "alice" and identity.actor == "alice"
    assert accounts.logout(store, done.token)
    with pytest.raises(SessionInvalid, match="log in again"):
        accounts.validate_session(store, done.token)


def test_wrong_password_and_unknown_user_get_the_same_words(store: Store) -> None:
    accounts.add_user(store, "alice", "inspector", PASSWORD)
    with pytest.raises(LoginRefused) as wrong:
        accounts.login(store, "alice", "not the password")
    with pytest.raises(LoginRefused) as unknown:
        accounts.login(store, "mallory", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == "wrong user name or password"


def test_an_expired_session_says_so_and_is_gone(store: Store) -> None:
    accounts.add_user(store, "alice", "operator", PASSWORD)
    now = utcnow()
    done = accounts.login(store, "alice", PASSWORD, now=now, lifetime=timedelta(hours=1))
    accounts.validate_session(store, done.token, now=now + timedelta(minutes=59))
    with pytest.raises(SessionInvalid, match=r"the session expired at .* UTC: log in again"):
        accounts.validate_session(store, done.token, now=now + timedelta(hours=1))
    assert store.accounts.session(accounts.token_hash(done.token)) is None


def test_disabling_a_user_ends_every_session_at_once(
    store: Store, data_dir: Path, database_url: str | None
) -> None:
    accounts.add_user(store, "alice", "operator", PASSWORD)
    tokens = [accounts.login(store, "alice", PASSWORD).token for _ in range(3)]
    with Store(data_dir, database_url=database_url) as other:
        accounts.disable_user(other, "alice")
    for token in tokens:
        with pytest.raises(SessionInvalid):
            accounts.validate_session(store, token)
    with pytest.raises(LoginRefused, match="disabled"):
        accounts.login(store, "alice", PASSWORD)
    accounts.enable_user(store, "alice")
    accounts.validate_session(store, accounts.login(store, "alice", PASSWORD).token)


def test_a_new_password_ends_the_sessions_and_replaces_the_old_one(store: Store) -> None:
    accounts.add_user(store, "alice", "operator", PASSWORD)
    token = accounts.login(store, "alice", PASSWORD).token
    accounts.set_password(store, "alice", "another long password")
    with pytest.raises(SessionInvalid):
        accounts.validate_session(store, token)
    with pytest.raises(LoginRefused):
        accounts.login(store, "alice", PASSWORD)
    accounts.login(store, "alice", "another long password")
    with pytest.raises(AccountError, match="no user 'nobody'"):
        accounts.set_password(store, "nobody", "another long password")


def test_failed_logins_are_limited_per_account_across_processes(
    store: Store, data_dir: Path, database_url: str | None
) -> None:
    accounts.add_user(store, "alice", "operator", PASSWORD)
    now = utcnow()
    with Store(data_dir, database_url=database_url) as other:
        for i in range(ACCOUNT_FAILURES):
            s = store if i % 2 else other  # two "server processes" on one database
            with pytest.raises(LoginRefused):
                accounts.login(s, "alice", "wrong guess", address=f"198.51.100.{i}", now=now)
    # Even the right password is refused now, without being checked.
    with pytest.raises(TooManyAttempts, match=r"too many attempts, try again in \d+ s") as e:
        accounts.login(store, "alice", PASSWORD, address="203.0.113.9", now=now)
    assert e.value.retry_after == FAILURE_WINDOW.total_seconds()
    later = now + FAILURE_WINDOW
    assert accounts.login(store, "alice", PASSWORD, now=later).user.name == "alice"


def test_failed_logins_are_limited_per_address(store: Store) -> None:
    accounts.add_user(store, "alice", "operator", PASSWORD)
    now = utcnow()
    for i in range(ADDRESS_FAILURES):
        with pytest.raises(LoginRefused):
            accounts.login(store, f"guess{i}", "wrong guess", address="198.51.100.7", now=now)
    with pytest.raises(TooManyAttempts):
        accounts.login(store, "alice", PASSWORD, address="198.51.100.7", now=now)
    # Another address is not held back by that one.
    accounts.login(store, "alice", PASSWORD, address="198.51.100.8", now=now)


def test_the_window_slides() -> None:
    now = utcnow()
    times = [now - timedelta(minutes=m) for m in (14, 10, 5, 1, 0)]
    assert retry_after(times, now, 5) == pytest.approx(60)  # the 14-minute one leaves first
    assert retry_after(times[1:], now, 5) == 0
    assert retry_after(times, now, 3) == pytest.approx(10 * 60)


def test_roles_allow_what_the_table_says() -> None:
    operator = {Permission.VIEW, Permission.AUDIT, Permission.CREATE}
    assert operator | {Permission.INVITE, Permission.RUN_LIVE} == PERMISSIONS[Role.OPERATOR]
    assert Permission.REPORT in PERMISSIONS[Role.INSPECTOR]
    assert Permission.RUN_LIVE not in PERMISSIONS[Role.INSPECTOR]
    assert Permission.MANAGE_USERS not in PERMISSIONS[Role.INSPECTOR]
    assert PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert all(Permission.DELETE not in PERMISSIONS[r] for r in (Role.OPERATOR, Role.INSPECTOR))


def test_require_checks_the_role_and_the_account(store: Store) -> None:
    inspector = accounts.add_user(store, "ines", "inspector", PASSWORD)
    accounts.require(inspector, Permission.EXPORT)
    with pytest.raises(Forbidden, match="ines is inspector: not allowed to run live"):
        accounts.require(inspector, Permission.RUN_LIVE)
    inspector.disabled = True
    with pytest.raises(Forbidden, match="disabled"):
        accounts.require(inspector, Permission.EXPORT)
