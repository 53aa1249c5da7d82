"""A database's schema as plain data, read back through SQLAlchemy's inspector.

Comparable across databases: names, column order, nullability, defaults, keys,
indexes, foreign keys with their ON DELETE; types are compared separately (they
differ by dialect on purpose). SQLite's foreign keys come from
``PRAGMA foreign_key_list``: SQLAlchemy does not read ON DELETE from the inline
``REFERENCES … ON DELETE`` form today's migrations use.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def _default(value: str | None) -> str | None:
    if value is None or value.startswith("nextval("):
        return None  # PostgreSQL's serial key: SQLite's INTEGER PRIMARY KEY numbers rows too
    value = value.split("::")[0].strip("()")
    return {"false": "0", "true": "1"}.get(value, value)


def _foreign_keys(conn: sa.Connection, inspector: Any, table: str) -> list[tuple[Any, ...]]:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(f"PRAGMA foreign_key_list({table})").mappings()
        return sorted((r["from"], r["table"], r["to"], r["on_delete"]) for r in rows)
    return sorted(
        (
            *fk["constrained_columns"],
            fk["referred_table"],
            *fk["referred_columns"],
            fk["options"].get("ondelete", "NO ACTION"),
        )
        for fk in inspector.get_foreign_keys(table)
    )


def describe(engine: sa.Engine) -> dict[str, Any]:
    """Every table but Alembic's own, as comparable data."""
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        view: dict[str, Any] = {}
        for table in sorted(inspector.get_table_names()):
            if table == "alembic_version":
                continue
            pk = inspector.get_pk_constraint(table)["constrained_columns"]
            view[table] = {
                "columns": [
                    (
                        c["name"],
                        # A key column is never NULL: SQLite's old allowance is not schema.
                        bool(c["nullable"]) and c["name"] not in pk,
                        _default(c["default"]),
                    )
                    for c in inspector.get_columns(table)
                ],
                "primary_key": pk,
                "foreign_keys": _foreign_keys(conn, inspector, table),
                "indexes": sorted(
                    (
                        i["name"],
                        tuple(i["column_names"]),
                        bool(i["unique"]),
                        " ".join(
                            str(w)
                            for k, w in i.get("dialect_options", {}).items()
                            if k.endswith("_where")
                        ).strip("()"),
                    )
                    for i in inspector.get_indexes(table)
                ),
                "checks": len(inspector.get_check_constraints(table)),
            }
        return view


def column_types(engine: sa.Engine) -> dict[tuple[str, str], str]:
    """(table, column) → the type as the database declares it."""
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        return {
            (t, c["name"]): c["type"].compile(dialect=conn.dialect)
            for t in inspector.get_table_names()
            if t != "alembic_version"
            for c in inspector.get_columns(t)
        }


def check_texts(engine: sa.Engine) -> dict[str, list[str]]:
    """The CHECK constraints' text, per table (only comparable within one dialect)."""
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        return {
            t: sorted(c["sqltext"] for c in inspector.get_check_constraints(t))
            for t in inspector.get_table_names()
        }
