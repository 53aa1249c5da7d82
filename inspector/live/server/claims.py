"""The device rule across server processes on one database (``phone_claims``).

Each process's :class:`~.signaling.Signaling` keeps the rule in memory: one device
holds an inspection while it has a socket open or left less than the grace period
ago. Several ``inspector server`` processes behind one proxy (or a console and a
server on one database) each see only their own phones, so a second device
reaching another process would be let in. :class:`SharedClaims` adds the shared
half: a phone's signaling socket **takes** the inspection's claim for its device,
the join page of another device is refused while a fresh claim stands
(:meth:`held_elsewhere`), the process **renews** the claims of its present phones
every ``CLAIM_RENEW`` seconds and **releases** those gone. A claim not renewed for
``CLAIM_STALE`` seconds is free: its process died, or was cut from the database.

It fails open: when the database cannot answer within ``_ANSWER_WITHIN`` seconds, a
phone is let in (each process's own rule still holds) and the captures take the
spool as usual; refusing a seller because the database hiccups would be worse
than the rare second device.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from inspector.live.timings import CLAIM_STALE
from inspector.storage.claims import ClaimRecords

__all__ = ["SharedClaims", "device_hash", "process_name"]

log = logging.getLogger(__name__)

_ANSWER_WITHIN = 3.0  # seconds the database gets to answer before a phone is let in
T = TypeVar("T")


def device_hash(device: str) -> str:
    """What the database keeps of a device's cookie (it lets whoever has it join)."""
    return hashlib.sha256(device.encode()).hexdigest()


def process_name() -> str:
    """This process among the team's: host, pid, and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class SharedClaims:
    """Take, check, renew and release this process's claims, off the event loop."""

    def __init__(
        self,
        records: ClaimRecords,
        *,
        holder: str | None = None,
        stale_after: float = CLAIM_STALE,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.records = records
        self.holder = holder or process_name()
        self.stale_after = stale_after
        self._now = now
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="claims")
        #: Inspections this process claimed and has not released -> the device's hash.
        self.held: dict[str, str] = {}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _run(self, what: str, call: Callable[[], T], fallback: T) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self._pool, call), timeout=_ANSWER_WITHIN
            )
        except Exception as exc:  # fail open (module docstring)
            log.warning("device claims: cannot %s: %s", what, exc)
            return fallback

    def _stale_before(self) -> datetime:
        return self._now() - timedelta(seconds=self.stale_after)

    async def held_elsewhere(self, inspection_id: str, device: str | None) -> bool:
        """Whether another device holds the inspection through another process, now."""

        def check() -> bool:
            claim = self.records.current(inspection_id)
            return (
                claim is not None
                and claim.holder != self.holder
                and (device is None or claim.device != device_hash(device))
                and claim.renewed_at >= self._stale_before()
            )

        return await self._run("check a claim", check, False)

    async def take(self, inspection_id: str, device: str) -> bool:
        """Claim the inspection for this device here; False if another device holds it."""

        def take() -> bool:
            found = self.records.take(
                inspection_id, device_hash(device), self.holder, self._now(), self._stale_before()
            )
            return found is None

        taken = await self._run("take a claim", take, True)
        if taken:  # (also when the database did not answer: renewing makes the claim then)
            self.held[inspection_id] = device_hash(device)
        return taken

    async def renew(self, present: Iterable[str]) -> set[str]:
        """Renew the claims of the phones still here, release the others; the inspections
        whose claim another process's device took (their phones here must go)."""
        still = set(present)
        here = {i: d for i, d in self.held.items() if i in still}
        for inspection_id in set(self.held) - set(here):
            await self.release(inspection_id)
        if not here:
            return set()
        lost: set[str] = await self._run(
            "renew the claims", lambda: self.records.renew(self.holder, here, self._now()), set()
        )
        for inspection_id in lost:
            self.held.pop(inspection_id, None)
        return lost

    async def release(self, inspection_id: str) -> None:
        self.held.pop(inspection_id, None)
        await self._run(
            "release a claim", lambda: self.records.release(inspection_id, self.holder), None
        )

    async def abandoned_live(self, local: Iterable[str]) -> list[str]:
        """Inspections left "live" by a process that is gone (none of this one's)."""
        before = self._now() - timedelta(seconds=2 * self.stale_after)
        nothing: list[str] = []
        found = await self._run(
            "look for abandoned calls", lambda: self.records.abandoned_live(before), nothing
        )
        mine = set(local) | set(self.held)
        return [i for i in found if i not in mine]
