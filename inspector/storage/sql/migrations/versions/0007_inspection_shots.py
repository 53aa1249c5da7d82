"""Each inspection's shots taken and usable, kept with it for listings (``user_version`` 7).

A list of thousands of inspections with their completion read every capture row and
decoded it; ``inspections.shots`` keeps what completion needs of them instead, written
by the store with every change to the inspection's captures (JSON ``{"captures": n,
"taken": [shot ids], "unusable": [those of them without a usable photo]}``). NULL: not
known, the listing reads that inspection's captures. Existing inspections are filled here by
the rule of this revision: a capture is usable if accepted, or not yet reviewed and not
rejected by its quality check.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

from inspector.storage.sql.legacy import set_schema_version

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 2000


def upgrade() -> None:
    op.add_column("inspections", sa.Column("shots", sa.Text))
    _fill(op.get_bind())
    set_schema_version(7)


def _fill(db: sa.Connection) -> None:
    captures = sa.table(
        "captures",
        sa.column("inspection_id"),
        sa.column("shot_id"),
        sa.column("accepted"),
        sa.column("quality"),
    )
    inspections = sa.table("inspections", sa.column("id"), sa.column("shots"))
    found: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    damaged: set[str] = set()
    c = captures.c
    for r in db.execute(sa.select(c.inspection_id, c.shot_id, c.accepted, c.quality)):
        try:
            verdict = json.loads(r.quality)["verdict"]
            if verdict not in ("ok", "warn", "reject"):
                raise ValueError(verdict)
        except (ValueError, KeyError, TypeError):
            damaged.add(r.inspection_id)  # left NULL: read the slow way, which names it
            continue
        usable = bool(r.accepted) if r.accepted is not None else verdict != "reject"
        found[r.inspection_id].append((r.shot_id, usable))
    values: list[dict[str, Any]] = [
        {"key": inspection_id, "shots": _summary(shots)}
        for inspection_id, shots in found.items()
        if inspection_id not in damaged
    ]
    ids = [i for (i,) in db.execute(sa.select(inspections.c.id))]
    values += [
        {"key": i, "shots": _summary([])} for i in ids if i not in found and i not in damaged
    ]
    update = inspections.update().where(inspections.c.id == sa.bindparam("key"))
    for start in range(0, len(values), _BATCH):
        db.execute(update.values(shots=sa.bindparam("shots")), values[start : start + _BATCH])


def _summary(shots: list[tuple[str, bool]]) -> str:
    taken = {s for s, _ in shots}
    return json.dumps(
        {
            "captures": len(shots),
            "taken": sorted(taken),
            "unusable": sorted(taken - {s for s, usable in shots if usable}),
        }
    )


def downgrade() -> None:
    op.drop_column("inspections", "shots")
    set_schema_version(6)
