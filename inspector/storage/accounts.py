"""The team server's accounts on the records' database (revision 0009): users, their
sessions (only each token's SHA-256), and failed logins (shared by every process).

Reached as ``Store.accounts``. The rules (who may do what, hashing, limits) are in
:mod:`inspector.usecases.accounts` and :mod:`inspector.domain.accounts`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from inspector.domain.accounts import Role, User, UserSession
from inspector.storage.database import Database
from inspector.storage.errors import ChangedElsewhere, Conflict, DatabaseDamaged, NotFound
from inspector.storage.sql.tables import login_failures, user_sessions, users

__all__ = ["AccountRecords", "stamp"]


def stamp(value: datetime) -> str:
    """A time as stored here: ISO 8601 UTC with microseconds, so that texts sort as times."""
    return value.isoformat(timespec="microseconds")


def _user(r: RowMapping) -> User:
    try:
        return User(
            id=r["id"],
            name=r["name"],
            role=Role(r["role"]),
            created_at=datetime.fromisoformat(r["created_at"]),
            changed_at=datetime.fromisoformat(r["changed_at"]),
            disabled=bool(r["disabled"]),
            version=int(r["version"]),
            password_hash=r["password_hash"],
        )
    except (ValueError, TypeError) as exc:
        raise DatabaseDamaged(f"user {r['id']!r} cannot be read: {exc}") from exc


def _session(r: RowMapping) -> UserSession:
    return UserSession(
        token_hash=r["token_hash"],
        user_id=r["user_id"],
        created_at=datetime.fromisoformat(r["created_at"]),
        expires_at=datetime.fromisoformat(r["expires_at"]),
        last_seen_at=datetime.fromisoformat(r["last_seen_at"]),
        client_address=r["client_address"],
    )


class AccountRecords:
    """Users, sessions and failed logins of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- users ------------------------------------------------------------------

    def add_user(self, user: User) -> User:
        """Insert a user; Conflict if the name is taken (on any process)."""
        try:
            with self._db.transaction() as c:
                c.execute(
                    users.insert().values(
                        id=user.id,
                        name=user.name,
                        role=user.role.value,
                        password_hash=user.password_hash,
                        disabled=user.disabled,
                        created_at=stamp(user.created_at),
                        changed_at=stamp(user.changed_at),
                        version=user.version,
                    )
                )
        except Conflict as exc:
            raise Conflict(f"a user named {user.name!r} already exists") from exc
        return user

    def user(self, name: str) -> User | None:
        found = self._db.query(sa.select(users).where(users.c.name == name))
        return _user(found[0]) if found else None

    def user_by_id(self, user_id: str) -> User | None:
        found = self._db.query(sa.select(users).where(users.c.id == user_id))
        return _user(found[0]) if found else None

    def users(self) -> list[User]:
        return [_user(r) for r in self._db.query(sa.select(users).order_by(users.c.name))]

    def update_user(self, user: User, at: datetime, *, end_sessions: bool) -> User:
        """Write role, hash and disabled flag if the row is still at ``user.version``
        (ChangedElsewhere if not); with ``end_sessions`` every session of the user is
        deleted in the same transaction. Returns the user at its new version."""
        with self._db.transaction() as c:
            done = c.execute(
                users.update()
                .where(users.c.id == user.id, users.c.version == user.version)
                .values(
                    role=user.role.value,
                    password_hash=user.password_hash,
                    disabled=user.disabled,
                    changed_at=stamp(at),
                    version=users.c.version + 1,
                )
            )
            if not done.rowcount:
                exists = c.execute(sa.select(users.c.id).where(users.c.id == user.id)).first()
                if exists is None:
                    raise NotFound(f"no user {user.name!r}")
                raise ChangedElsewhere(f"user {user.name!r} was changed by someone else; retry")
            if end_sessions:
                c.execute(user_sessions.delete().where(user_sessions.c.user_id == user.id))
        user.version += 1
        user.changed_at = at
        return user

    # -- sessions -----------------------------------------------------------------

    def add_session(self, session: UserSession) -> None:
        with self._db.transaction() as c:
            c.execute(
                user_sessions.insert().values(
                    token_hash=session.token_hash,
                    user_id=session.user_id,
                    created_at=stamp(session.created_at),
                    expires_at=stamp(session.expires_at),
                    last_seen_at=stamp(session.last_seen_at),
                    client_address=session.client_address,
                )
            )

    def session(self, token_hash: str) -> tuple[UserSession, User] | None:
        """A session and its user, in one query (None: no such session)."""
        found = self._db.query(
            sa.select(user_sessions, users)
            .join(users, users.c.id == user_sessions.c.user_id)
            .where(user_sessions.c.token_hash == token_hash)
        )
        if not found:
            return None
        return _session(found[0]), _user(found[0])

    def sessions(self, user_id: str) -> list[UserSession]:
        found = self._db.query(
            sa.select(user_sessions)
            .where(user_sessions.c.user_id == user_id)
            .order_by(user_sessions.c.created_at)
        )
        return [_session(r) for r in found]

    def touch_session(self, token_hash: str, at: datetime) -> None:
        with self._db.transaction() as c:
            c.execute(
                user_sessions.update()
                .where(user_sessions.c.token_hash == token_hash)
                .values(last_seen_at=stamp(at))
            )

    def end_session(self, token_hash: str) -> bool:
        with self._db.transaction() as c:
            done = c.execute(user_sessions.delete().where(user_sessions.c.token_hash == token_hash))
            return bool(done.rowcount)

    def end_sessions(self, user_id: str) -> int:
        """End every session of a user; how many."""
        with self._db.transaction() as c:
            done = c.execute(user_sessions.delete().where(user_sessions.c.user_id == user_id))
            return int(done.rowcount)

    def end_expired_sessions(self, now: datetime) -> int:
        with self._db.transaction() as c:
            done = c.execute(user_sessions.delete().where(user_sessions.c.expires_at <= stamp(now)))
            return int(done.rowcount)

    # -- failed logins ------------------------------------------------------------

    def add_failure(
        self, account: str, address: str, at: datetime, forget_before: datetime
    ) -> None:
        """Note a failed login; failures older than ``forget_before`` are dropped meanwhile."""
        with self._db.transaction() as c:
            c.execute(
                login_failures.insert().values(at=stamp(at), account=account, address=address)
            )
            c.execute(login_failures.delete().where(login_failures.c.at < stamp(forget_before)))

    def failures(
        self, since: datetime, *, account: str | None = None, address: str | None = None
    ) -> list[datetime]:
        """The times of failed logins since ``since`` for an account name or an address."""
        where = [login_failures.c.at >= stamp(since)]
        if account is not None:
            where.append(login_failures.c.account == account)
        if address is not None:
            where.append(login_failures.c.address == address)
        found = self._db.query(
            sa.select(login_failures.c.at).where(*where).order_by(login_failures.c.at)
        )
        return [datetime.fromisoformat(r["at"]) for r in found]

    def clear_failures(self, account: str) -> None:
        """A successful login forgets its account's failures (not its address's)."""
        with self._db.transaction() as c:
            c.execute(login_failures.delete().where(login_failures.c.account == account))
