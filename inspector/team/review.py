"""An inspector's review of a team inspection from a remote console.

The review (the console's :class:`ui.review.review_model.ReviewModel`, the same as at a
desk) reads and writes a :class:`~inspector.storage.store.Store`: here a
:class:`TeamCopy`, the inspection's **working copy** in the console's cache of that
server (the folder :class:`~inspector.team.desk.RemoteDesk` keeps its calls' copies
in), whose review writes go to the team server **first**. The server is the source
of truth: a write it refuses, or cannot be reached for, is not kept in the copy and
comes out as a :class:`~inspector.storage.StoreError` in words (the review shows it
and reads the copy again); one refused because a colleague changed the record since
this console read it (HTTP 409) is :class:`~inspector.storage.ChangedElsewhere`, so the
review offers to reload.

Versions: the copy's own row versions only order this console's writes; what the
server checks is the version this console last *saw on the server*, kept here
(:meth:`TeamCopy.pull` reads them, each acknowledged write moves them).

:meth:`TeamCopy.pull` brings the copy in step with the server (the review calls it
before every load): the whole copy is downloaded (``GET …/copy``) the first time, or
when the photos changed; otherwise the records that differ (the inspection's fields
and status, the photos' decisions, the damages) are written into the copy, without
downloading a photo again.

Its history (the audit log) is the server's too (:meth:`TeamCopy.history`). The report
of a team inspection is the server's (:meth:`TeamCopy.download_report`:
built and sealed there, saved whole or not at all).
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from inspector.domain import status as status_rules
from inspector.domain.audit import AuditEntry
from inspector.domain.models import Damage, Inspection, InspectionStatus
from inspector.domain.privacy import BlurBox
from inspector.domain.views import DamageView
from inspector.storage.blur import BlurScan
from inspector.storage.errors import (
    ChangedElsewhere,
    NotFound,
    StoreError,
    StoreUnreachable,
)
from inspector.storage.store import Store
from inspector.team.client import TIMEOUT, Client, RemoteError, SessionEnded

__all__ = ["CHANGED_BY_A_COLLEAGUE", "TeamCopy", "fetch_copy", "vehicle_body", "worded"]

log = logging.getLogger(__name__)

CHANGED_BY_A_COLLEAGUE = "a colleague changed it on the team server since you read it"
_BLUR_NOT_SHARED = (
    "blur boxes are not kept on the team server yet: mark them at the desk that exports the listing"
)
_DECISIONS = {True: "accept", False: "reject", None: "undecided"}


def fetch_copy(store: Store, client: Client, inspection_id: str) -> str:
    """Download the inspection's working copy (``GET …/copy``) into ``store``, in place of
    any older one; its full id. Blocking."""
    from inspector.bundle import import_bundle

    with tempfile.TemporaryDirectory(dir=store.data_dir) as folder:
        copy = client.copy(inspection_id, Path(folder) / "copy.zip")
        try:
            old = store.find_inspection(inspection_id)
        except NotFound:
            pass
        else:
            store.delete_inspection(old.id)
        return import_bundle(store, copy).id


def worded(exc: RemoteError) -> StoreError:
    """A refusal of the server as the store's error a review shows (see the module)."""
    if isinstance(exc, SessionEnded):
        return StoreError(f"your session on the team server ended ({exc.message}): connect again")
    if exc.status == 0 or exc.status == 429 or exc.status >= 500:
        return StoreUnreachable(f"the team server did not take it ({exc.message})")
    if exc.status == 409 and exc.code == "conflict":
        return ChangedElsewhere(CHANGED_BY_A_COLLEAGUE)
    return StoreError(f"the team server refused it: {exc.message}")


def vehicle_body(inspection: Inspection) -> dict[str, Any]:
    """The vehicle as the API takes it (``POST inspections``' and ``PATCH``'s shape)."""
    v = inspection.vehicle
    return {
        "make": v.make,
        "model": v.model,
        "year": v.year,
        "plate": v.plate,
        "vin": v.vin,
        "mileage": v.mileage_km,
        "fuel": v.fuel.value if v.fuel is not None else None,
        "colour": v.colour,
    }


def _damage_body(damage: Damage) -> dict[str, Any]:
    return DamageView.of(damage).to_json()


class TeamCopy(Store):
    """The working copies of one team server's inspections (a cache folder), for review:
    reads are the copy's, review writes reach the server first (see the module)."""

    def __init__(self, data_dir: Path, client: Client) -> None:
        super().__init__(data_dir)
        self.client = client
        self._server_versions: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        # One pull or write at a time: two pulls would both fetch the copy, and a pull
        # that read the server before a write reached it must not write the copy after.
        self._serial = threading.RLock()

    # -- the server's versions ---------------------------------------------------------

    def _seen(self, key: tuple[str, str]) -> int | None:
        with self._lock:
            return self._server_versions.get(key)

    def _saw(self, key: tuple[str, str], version: Any) -> None:
        if isinstance(version, int):
            with self._lock:
                self._server_versions[key] = version

    # -- talking to the server -----------------------------------------------------------

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A server call, its failures as the store's errors, worded for the user."""
        try:
            return fn(*args, **kwargs)
        except RemoteError as exc:
            raise worded(exc) from exc

    def pull(self, inspection_id: str) -> bool:
        """Bring the copy of an inspection in step with the server (see the module):
        whether it changed. Blocking; one at a time (the review's load and a change the
        server told of may ask together)."""
        with self._serial:
            return self._pull(inspection_id)

    def _pull(self, inspection_id: str) -> bool:
        data = self._call(self.client.inspection, inspection_id)
        full = str(data["id"])
        damages = self._call(self.client.damages, full)
        try:
            local = self.get_inspection(full)
        except NotFound:
            local = None
        photos = {(str(c["id"]), str(c["sha256"])) for c in data.get("captures") or []}
        if local is None or photos != {(c.id, c.sha256) for c in self.captures(full)}:
            fetch_copy(self, self.client, full)
            changed = True
        else:
            changed = self._apply(local, data, damages)
        self._saw(("inspection", full), data.get("version"))
        for damage in damages:
            self._saw(("damage", str(damage["id"])), damage.get("version"))
        return changed

    def _apply(
        self, local: Inspection, data: dict[str, Any], damages: list[dict[str, Any]]
    ) -> bool:
        """Write into the copy what differs from the server's records (no photo);
        whether anything did."""
        from inspector.domain.views import InspectionFields

        changed = False
        server = InspectionFields.model_validate(data).inspection()
        fields = ("vehicle", "notes", "grade", "inspector", "operator", "seller")
        if any(getattr(server, f) != getattr(local, f) for f in fields):
            changes = {f: getattr(server, f) for f in fields}
            Store.update_inspection(self, dataclasses.replace(local, **changes))
            changed = True
        if server.status is not local.status:
            self._set_local_status(local.id, server.status, local.status)
            changed = True
        decided = {str(c["id"]): c.get("accepted") for c in data.get("captures") or []}
        for capture in self.captures(local.id):
            if capture.id in decided and decided[capture.id] != capture.accepted:
                Store.set_capture_accepted(self, capture.id, decided[capture.id])
                changed = True
        theirs = {str(d["id"]): DamageView.model_validate(d).damage(local.id) for d in damages}
        mine = {d.id: d for d in self.damages(local.id)}
        for damage_id in mine:
            if damage_id not in theirs:
                Store.delete_damage(self, damage_id)
                changed = True
        for damage_id, damage in theirs.items():
            if damage_id not in mine:
                Store.add_damage(self, damage)
                changed = True
            elif damage != mine[damage_id]:
                damage.version = mine[damage_id].version
                Store.update_damage(self, damage)
                changed = True
        return changed

    def _set_local_status(
        self, inspection_id: str, to: InspectionStatus, now: InspectionStatus
    ) -> None:
        try:
            Store.transition(self, inspection_id, to, allowed_from=[now])
        except status_rules.IllegalTransition:
            # The server's status moved by a road the copy cannot take: the copy's
            # status is only what it shows.
            with self._transaction() as db:
                from inspector.storage.sql.tables import inspections

                db.execute(
                    inspections.update()
                    .where(inspections.c.id == inspection_id)
                    .values(status=to.value)
                )

    def history(self, inspection_id: str) -> list[AuditEntry]:
        """The inspection's audit log as the server keeps it (the copy's own is only
        what this console wrote into it). Blocking."""
        data = self._call(self.client.inspection, inspection_id)
        return [
            AuditEntry(
                datetime.fromisoformat(str(e["at"])),
                str(e.get("actor", "")),
                str(e.get("action", "")),
                e.get("inspection_id"),
                dict(e.get("detail") or {}),
                str(e.get("request_id", "")),
            )
            for e in data.get("audit") or []
        ]

    def download_report(
        self,
        inspection_id: str,
        out: Path,
        *,
        lang: str | None = None,
        inspector: str | None = None,
        allow_incomplete: bool = False,
    ) -> Path:
        """The server's report (built and sealed there; the inspection marked reported
        there), saved as ``out`` whole or not at all. RemoteError 409 ``incomplete``
        when required photos are missing and ``allow_incomplete`` is False."""
        # The client's own timeout is for small requests: a report of many full-size
        # photos is made while it waits.
        slow = Client(self.client.url, self.client.token, timeout=max(self.client.timeout, TIMEOUT))
        slow.report(
            inspection_id,
            out,
            lang=lang,
            inspector=inspector,
            allow_incomplete=allow_incomplete,
        )
        return out

    # -- the review's writes: the server first ---------------------------------------------

    def add_damage(self, damage: Damage) -> Damage:
        with self._serial:
            return self._add_damage(damage)

    def _add_damage(self, damage: Damage) -> Damage:
        answer = self._call(self.client.add_damage, damage.inspection_id, _damage_body(damage))
        self._saw(("damage", damage.id), answer.get("version"))
        return super().add_damage(damage)

    def update_damage(self, damage: Damage) -> Damage:
        with self._serial:
            return self._update_damage(damage)

    def _update_damage(self, damage: Damage) -> Damage:
        body = {**_damage_body(damage), "version": self._seen(("damage", damage.id)) or 1}
        answer = self._call(self.client.change_damage, damage.inspection_id, damage.id, body)
        self._saw(("damage", damage.id), answer.get("version"))
        return super().update_damage(damage)

    def delete_damage(self, damage_id: str, *, version: int | None = None) -> None:
        with self._serial:
            self._delete_damage(damage_id, version=version)

    def _delete_damage(self, damage_id: str, *, version: int | None = None) -> None:
        inspection_id = self._damage_inspection(damage_id)
        seen = self._seen(("damage", damage_id))
        self._call(self.client.delete_damage, inspection_id, damage_id, version=seen)
        with self._lock:
            self._server_versions.pop(("damage", damage_id), None)
        super().delete_damage(damage_id, version=version)

    def _damage_inspection(self, damage_id: str) -> str:
        import sqlalchemy as sa

        from inspector.storage.sql.tables import damages

        found = self._query(sa.select(damages.c.inspection_id).where(damages.c.id == damage_id))
        if not found:
            raise NotFound(f"no damage {damage_id!r}")
        return str(found[0]["inspection_id"])

    def set_capture_accepted(self, capture_id: str, accepted: bool | None) -> None:
        with self._serial:
            return self._set_capture_accepted(capture_id, accepted)

    def _set_capture_accepted(self, capture_id: str, accepted: bool | None) -> None:
        inspection_id = self.get_capture(capture_id).inspection_id
        self._call(self.client.review, inspection_id, capture_id, _DECISIONS[accepted])
        super().set_capture_accepted(capture_id, accepted)

    def update_inspection(self, inspection: Inspection) -> Inspection:
        with self._serial:
            return self._update_inspection(inspection)

    def _update_inspection(self, inspection: Inspection) -> Inspection:
        current = super().get_inspection(inspection.id)
        changes: dict[str, Any] = {}
        if inspection.vehicle != current.vehicle:
            changes["vehicle"] = vehicle_body(inspection)
        if inspection.notes != current.notes:
            changes["notes"] = inspection.notes
        if inspection.grade != current.grade:
            changes["grade"] = inspection.grade
        if changes:
            seen = self._seen(("inspection", inspection.id)) or 1
            answer = self._call(self.client.edit, inspection.id, seen, **changes)
            self._saw(("inspection", inspection.id), answer.get("version"))
        return super().update_inspection(inspection)

    def transition(
        self,
        inspection_id: str,
        to: InspectionStatus,
        *,
        allowed_from: Iterable[InspectionStatus],
    ) -> bool:
        with self._serial:
            return self._transition(inspection_id, to, list(allowed_from))

    def _transition(
        self, inspection_id: str, to: InspectionStatus, allowed: list[InspectionStatus]
    ) -> bool:
        if to is InspectionStatus.REPORTED:  # the server's report marks it there
            return super().transition(inspection_id, to, allowed_from=allowed)
        try:
            answer = self.client.set_status(inspection_id, to.value)
        except RemoteError as exc:
            if exc.status == 409:  # a move its life refuses, not a colleague's edit
                raise StoreError(f"the team server refused it: {exc.message}") from exc
            raise worded(exc) from exc
        now = InspectionStatus(str(answer.get("status", to.value)))
        local = super().get_inspection(inspection_id).status
        if now is not local:
            self._set_local_status(inspection_id, now, local)
        return bool(answer.get("moved"))

    # -- what the server does not keep yet ---------------------------------------------

    def add_blur_box(self, box: BlurBox) -> BlurBox:
        raise StoreError(_BLUR_NOT_SHARED)

    def update_blur_box(self, box: BlurBox) -> BlurBox:
        raise StoreError(_BLUR_NOT_SHARED)

    def delete_blur_box(self, box_id: str) -> None:
        raise StoreError(_BLUR_NOT_SHARED)

    def add_blur_scan(self, scan: BlurScan, boxes: Iterable[BlurBox]) -> bool:
        raise StoreError(_BLUR_NOT_SHARED)
