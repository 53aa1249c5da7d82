"""Accounts of a team deployment, as rules: roles, what each may do, names, passwords,
sessions and the failed-login limits (no I/O; hashing and storage are elsewhere).

What each role may do (issue 14), decided here and nowhere else:

=================  ========  =========  =====
permission         operator  inspector  admin
=================  ========  =========  =====
view inspections   yes       yes        yes
create, invite     yes       no         yes
run live sessions  yes       no         yes
review, annotate   no        yes        yes
report, export     no        yes        yes
import a bundle    no        yes        yes
delete             no        no         yes
manage users       no        no         yes
read audit log     yes       yes        yes
=================  ========  =========  =====

An operator runs the call (creates the inspection, sends the link, guides and captures,
accepts or asks for a retake during the call); an inspector works on what was captured
(reviews, marks damages, writes the report, exports); an admin manages the accounts
and may stand in for either, and is the only one who deletes an inspection (deleting
destroys evidence a buyer may rely on).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "ACCOUNT_FAILURES",
    "ADDRESS_FAILURES",
    "FAILURE_WINDOW",
    "NAME_MAX",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "PERMISSIONS",
    "SESSION_LIFETIME",
    "Permission",
    "Role",
    "User",
    "UserSession",
    "allows",
    "check_name",
    "check_password",
    "retry_after",
]


class Role(StrEnum):
    OPERATOR = "operator"
    INSPECTOR = "inspector"
    ADMIN = "admin"

    @classmethod
    def of(cls, value: str) -> Role:
        """A role by its name; ValueError naming the choices."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            choices = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role {value!r}: choose {choices}") from None


class Permission(StrEnum):
    VIEW = "view"
    """Read inspections, their photos, damages and reports."""
    CREATE = "create"
    """Create an inspection."""
    INVITE = "invite"
    """Send or revoke a join link, start a self-inspection."""
    RUN_LIVE = "run_live"
    """Run a live session: guide, capture, accept or ask for a retake."""
    REVIEW = "review"
    """Accept or reject photos after the call, edit the vehicle, mark reviewed."""
    ANNOTATE = "annotate"
    """Add, change or delete damages and blur boxes."""
    REPORT = "report"
    """Write the PDF report (the inspection is then marked reported)."""
    EXPORT = "export"
    """Export a bundle or the listing's photos."""
    IMPORT = "import"
    """Import a bundle."""
    DELETE = "delete"
    """Delete an inspection and its photos."""
    MANAGE_USERS = "manage_users"
    """Add, disable users, set their passwords."""
    AUDIT = "audit"
    """Read an inspection's audit log."""


_EVERYONE = {Permission.VIEW, Permission.AUDIT}

PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset(
        {*_EVERYONE, Permission.CREATE, Permission.INVITE, Permission.RUN_LIVE}
    ),
    Role.INSPECTOR: frozenset(
        {
            *_EVERYONE,
            Permission.REVIEW,
            Permission.ANNOTATE,
            Permission.REPORT,
            Permission.EXPORT,
            Permission.IMPORT,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}
"""What each role may do (the table of the module's docstring)."""


def allows(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]


NAME_MAX = 64
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
"""Longer passwords are refused: hashing megabytes per attempt is a denial of service."""

_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]*")

SESSION_LIFETIME = timedelta(hours=12)
"""A session ends this long after login (a working day), whatever its use."""
FAILURE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
"""Failed logins on one account within the window before it is refused for a while."""
ADDRESS_FAILURES = 20
"""Failed logins from one address (any account) within the window."""


def check_name(name: str) -> str:
    """A user name as stored (lower case); ValueError saying what is wrong."""
    value = name.strip().lower()
    if not value:
        raise ValueError("a user name is needed")
    if len(value) > NAME_MAX:
        raise ValueError(f"a user name has at most {NAME_MAX} characters")
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"user name {name!r}: use letters a-z, digits and . _ @ - (starting with a "
            "letter or digit)"
        )
    return value


def check_password(password: str) -> str:
    """The password if it may be set; ValueError saying why not (never echoing it)."""
    if not password:
        raise ValueError("the password is empty")
    if len(password) < PASSWORD_MIN:
        raise ValueError(f"the password is too short: at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise ValueError(f"the password is too long: at most {PASSWORD_MAX} characters")
    return password


@dataclass
class User:
    """One account. ``password_hash`` is the argon2 encoded hash, never the password."""

    id: str
    name: str
    role: Role
    created_at: datetime
    changed_at: datetime
    disabled: bool = False
    version: int = 1
    password_hash: str = field(default="", repr=False)

    def may(self, permission: Permission) -> bool:
        return not self.disabled and allows(self.role, permission)


@dataclass(frozen=True)
class UserSession:
    """A logged-in session: the SHA-256 of its token (the token itself is never kept)."""

    token_hash: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    client_address: str = ""

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def retry_after(
    failures: Iterable[datetime], now: datetime, limit: int, window: timedelta = FAILURE_WINDOW
) -> float:
    """Seconds until one more attempt is allowed (0: now), a sliding window.

    Refused while ``limit`` failures or more fall within ``window`` before ``now``; the
    wait ends when enough of them have aged out of it.
    """
    recent = sorted(t for t in failures if now - t < window)
    if len(recent) < limit:
        return 0.0
    # The (len - limit + 1)-th oldest must leave the window for the count to drop below.
    leaving = recent[len(recent) - limit]
    return max(0.0, (leaving + window - now).total_seconds())
