"""The inspections as a list shows them (:meth:`Store.listing`): one light row each,
read straight from the ``inspections`` table.

A row holds what the console's home and ``inspector list`` show and what completion
needs, nothing more: no :class:`~inspector.domain.models.Inspection` is made, no
pydantic model checks anything. The database takes the vehicle's and the seller's few
shown fields out of their JSON (``json_extract`` on SQLite, ``->>`` on PostgreSQL), and
the shots summary (``inspections.shots``, revision 0007) is parsed once per row into the
lists completion counts against (:func:`~inspector.domain.progress.listed_completion`).

A JSON text the database cannot take apart (damaged, a ``\\u0000``, or a lone surrogate
escape that stands for bytes that were not UTF-8) makes the whole listing go the long
way: every row decoded in Python as the records are, so such a row is listed as before
or named as damaged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from inspector.domain.checklist import Checklist
from inspector.domain.models import InspectionStatus, Seller, Vehicle
from inspector.domain.progress import Completion, ShotsTaken, damage_pairs, listed_completion
from inspector.storage import rows
from inspector.storage.errors import REPAIR_HINT, DatabaseDamaged, StoreError
from inspector.storage.sql.tables import damages, inspections

__all__ = ["ListingRow", "read_listing"]

log = logging.getLogger(__name__)


class ListingRow(NamedTuple):
    """One inspection as a list shows it, with what its completion needs.

    A named tuple rather than a dataclass: a listing makes thousands, and a tuple is
    the cheapest object Python makes.
    """

    id: str
    status: InspectionStatus
    checklist: str
    vehicle: str
    """The vehicle as a list names it: make, model and year (``Vehicle.title()``)."""
    plate: str
    seller: str
    """The seller's name."""
    created_at: datetime
    updated_at: datetime
    version: int
    """The row version this was read at (a delete decided on the list names it)."""
    captures: int
    """How many captures the inspection has."""
    taken: Sequence[str]
    """The shots photographed, each once."""
    unusable: Sequence[str]
    """Those of ``taken`` without a usable photo (usually none)."""
    damage_pairs: int
    """How many damage pairs it has: the highest number photographed or recorded."""

    @property
    def shots(self) -> ShotsTaken:
        """The summary as :class:`ShotsTaken` (sets made: not for thousands of rows)."""
        taken = frozenset(self.taken)
        return ShotsTaken(self.captures, taken, taken.difference(self.unusable))

    def completion(self, checklist: Checklist) -> Completion:
        """Its completion against ``checklist``: what ``progress`` gives from the captures
        and damages themselves."""
        return listed_completion(checklist, self.taken, self.unusable, self.damage_pairs)


_STATUS = {s.value: s for s in InspectionStatus}

_ShotsCapturesFor = Callable[[str], ShotsTaken]
"""The shots of one inspection worked out from its captures (summary not known)."""


def read_listing(
    query: Callable[[sa.Executable], list[Any]], sqlite: bool, shots_of: _ShotsCapturesFor
) -> list[ListingRow]:
    """Every inspection, newest first, as :class:`ListingRow`.

    ``query`` runs a statement and gives its rows as tuples; ``shots_of`` reads one
    inspection's captures, for a row whose summary is not known (NULL).
    """
    pairs: dict[str, int | None] = dict(
        query(
            sa.select(damages.c.inspection_id, sa.func.max(damages.c.pair))
            .where(damages.c.pair.is_not(None))
            .group_by(damages.c.inspection_id)
        )
    )
    try:
        found = query(_fast_statement(sqlite))
    except StoreError as exc:  # a JSON text the database cannot take apart
        log.info("listing the long way: %s", exc)
        found = [_fields_in_python(r) for r in query(_long_statement())]
    return _rows(found, pairs, shots_of)


_C = inspections.c
_COMMON = (_C.id, _C.status, _C.checklist, _C.created_at, _C.updated_at, _C.version, _C.shots)


def _fast_statement(sqlite: bool) -> sa.Select[Any]:
    def field(column: sa.ColumnElement[str], key: str) -> sa.ColumnElement[Any]:
        if sqlite:
            # SQLite's text would stop at the NUL of a \u0000 escape, silently: such a
            # text is made malformed instead, so that the listing goes the long way.
            nul = sa.literal("\\u0000")
            guarded = sa.case((sa.func.instr(column, nul) > 0, nul), else_=column)
            return sa.func.json_extract(guarded, f"$.{key}")
        text: sa.ColumnElement[Any] = sa.cast(column, postgresql.JSON)[key].astext
        return text

    year = field(_C.vehicle, "year")
    return sa.select(
        *_COMMON,
        field(_C.vehicle, "make"),
        field(_C.vehicle, "model"),
        year if sqlite else sa.cast(year, sa.Integer),
        field(_C.vehicle, "plate"),
        field(_C.seller, "name"),
    ).order_by(_C.created_at.desc())


def _long_statement() -> sa.Select[Any]:
    return sa.select(*_COMMON, _C.vehicle, _C.seller).order_by(_C.created_at.desc())


def _fields_in_python(r: Any) -> tuple[Any, ...]:
    """A row of :func:`_long_statement` as :func:`_fast_statement` gives it."""
    with rows.damaged_record("inspection", r._mapping):
        vehicle = Vehicle.from_json(r.vehicle)
        seller = Seller.from_json(r.seller)
    shown = (vehicle.make, vehicle.model, vehicle.year, vehicle.plate, seller.name)
    return (*r[: len(_COMMON)], *shown)


def _rows(
    found: list[Any], pairs: dict[str, int | None], shots_of: _ShotsCapturesFor
) -> list[ListingRow]:
    listed = []
    loads, fromiso, status_of, pair_of = json.loads, datetime.fromisoformat, _STATUS, pairs.get
    for (
        ident,
        status,
        checklist,
        created,
        updated,
        version,
        shots,
        make,
        model,
        year,
        plate,
        name,
    ) in found:
        try:
            if shots is not None:
                summary = loads(shots)
                captures, taken, unusable = (
                    int(summary["captures"]),
                    summary["taken"],
                    summary["unusable"],
                )
            else:  # not known: from its captures
                known = shots_of(ident)
                captures, taken = known.captures, sorted(known.taken)
                unusable = sorted(known.taken - known.usable)
            recorded = pair_of(ident)
            if shots is None or "damage_" in shots:  # a damage pair may be photographed
                count = damage_pairs(taken, (recorded,))
            else:
                count = recorded or 0
            row = ListingRow(
                ident,
                status_of[status],
                checklist,
                " ".join(p for p in (make, model, str(year or "")) if p).strip(),
                plate or "",
                name or "",
                fromiso(created),
                fromiso(updated),
                int(version),
                captures,
                taken,
                unusable,
                count,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DatabaseDamaged(
                f"the record of inspection {ident!r} is damaged — {REPAIR_HINT} ({exc})"
            ) from exc
        listed.append(row)
    return listed
