"""Which device holds each live inspection, shared by every server process (revision 0010).

The device rule (``docs/LIVE_LINK.md``) is kept in memory by each process's
signaling; on a shared database a second device could otherwise join the same
inspection through another process. A **claim** names the device (the SHA-256
of its cookie), the process holding its call, and when that process last said
the call was still there. A claim not renewed within ``stale_after`` is free:
its process died or its phone left. Reached as ``Store.claims``; the rules of
when to claim, renew and release are in :mod:`inspector.live.server.claims`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from inspector.domain.models import InspectionStatus
from inspector.storage.accounts import stamp
from inspector.storage.database import Database
from inspector.storage.errors import Conflict
from inspector.storage.sql.tables import inspections, phone_claims

__all__ = ["Claim", "ClaimRecords"]


@dataclass(frozen=True)
class Claim:
    inspection_id: str
    device: str  # the SHA-256 of the device's cookie
    holder: str  # the server process (host, pid, a random part)
    renewed_at: datetime


class ClaimRecords:
    """The claims of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def take(
        self, inspection_id: str, device: str, holder: str, now: datetime, stale_before: datetime
    ) -> Claim | None:
        """Claim the inspection for ``device`` on ``holder``: None when granted (free,
        stale, this device's already — it may have moved to this process —, or held by
        this same process, whose own device rule has decided), else the claim that
        stands in the way. Atomic across processes."""
        for _ in range(2):  # a concurrent first claim makes the insert fail: read it then
            try:
                with self._db.transaction() as c:
                    row = (
                        c.execute(
                            sa.select(phone_claims)
                            .where(phone_claims.c.inspection_id == inspection_id)
                            .with_for_update()
                        )
                        .mappings()
                        .first()
                    )
                    values = {"device": device, "holder": holder, "renewed_at": stamp(now)}
                    if row is None:
                        c.execute(
                            phone_claims.insert().values(inspection_id=inspection_id, **values)
                        )
                        return None
                    current = _claim(row)
                    if (
                        current.device != device
                        and current.holder != holder
                        and current.renewed_at >= stale_before
                    ):
                        return current
                    c.execute(
                        phone_claims.update()
                        .where(phone_claims.c.inspection_id == inspection_id)
                        .values(**values)
                    )
                    return None
            except Conflict:
                continue
        raise Conflict(f"inspection {inspection_id!r} is being claimed by another process")

    def current(self, inspection_id: str) -> Claim | None:
        found = self._db.query(
            sa.select(phone_claims).where(phone_claims.c.inspection_id == inspection_id)
        )
        return _claim(found[0]) if found else None

    def renew(self, holder: str, held: Mapping[str, str], now: datetime) -> set[str]:
        """Say these calls (inspection id -> device) are still there; the ids another
        process's device took over (after this holder let the claim go stale). A claim
        missing (taken while the database could not answer, or deleted) is made anew."""
        if not held:
            return set()
        with self._db.transaction() as c:
            c.execute(
                phone_claims.update()
                .where(phone_claims.c.holder == holder)
                .where(phone_claims.c.inspection_id.in_(set(held)))
                .values(renewed_at=stamp(now))
            )
            holders = dict(
                c.execute(
                    sa.select(phone_claims.c.inspection_id, phone_claims.c.holder).where(
                        phone_claims.c.inspection_id.in_(set(held))
                    )
                ).all()
            )
            missing = [i for i in held if i not in holders]
            existing = set(
                c.execute(sa.select(inspections.c.id).where(inspections.c.id.in_(missing)))
                .scalars()
                .all()
            )
            for inspection_id in missing:
                if inspection_id in existing:  # (a deleted inspection has no claim to make)
                    c.execute(
                        phone_claims.insert().values(
                            inspection_id=inspection_id,
                            device=held[inspection_id],
                            holder=holder,
                            renewed_at=stamp(now),
                        )
                    )
            return {i for i, h in holders.items() if h != holder}

    def release(self, inspection_id: str, holder: str) -> None:
        """The call on this process is over (nothing if another holds it now)."""
        with self._db.transaction() as c:
            c.execute(
                phone_claims.delete()
                .where(phone_claims.c.inspection_id == inspection_id)
                .where(phone_claims.c.holder == holder)
            )

    def clear(self, inspection_id: str) -> None:
        """Forget the inspection's claim, whoever holds it: this folder's owner found the
        call interrupted (a crash) and settled it, so no process holds it any more."""
        with self._db.transaction() as c:
            c.execute(phone_claims.delete().where(phone_claims.c.inspection_id == inspection_id))

    def abandoned_live(self, stale_before: datetime) -> list[str]:
        """Inspections marked live whose call no process holds (no claim, or a stale one):
        a server process died in a call, and nobody else will settle them."""
        fresh = sa.select(phone_claims.c.inspection_id).where(
            phone_claims.c.renewed_at >= stamp(stale_before)
        )
        found = self._db.query(
            sa.select(inspections.c.id)
            .where(inspections.c.status == InspectionStatus.LIVE.value)
            .where(inspections.c.id.not_in(fresh))
        )
        return [r["id"] for r in found]


def _claim(r: sa.RowMapping) -> Claim:
    return Claim(
        inspection_id=r["inspection_id"],
        device=r["device"],
        holder=r["holder"],
        renewed_at=datetime.fromisoformat(r["renewed_at"]),
    )
