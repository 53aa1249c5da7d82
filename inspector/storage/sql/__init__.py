"""The records' schema for SQLite and PostgreSQL: SQLAlchemy Core metadata and Alembic.

Not used by the store yet (issue 13, first step): ``Store`` still runs on sqlite3
and ``storage.schema``'s ``user_version`` migrations. This package holds the same
schema as ``tables.metadata``, the Alembic revisions that build it on either
backend (``migrations/``, configured in code: no alembic.ini), ``revisions.upgrade``
that also adopts a database today's code made, and ``make_engine`` for a URL.
"""

from inspector.storage.sql.engine import database_url, make_engine
from inspector.storage.sql.revisions import head, revision_of, upgrade
from inspector.storage.sql.tables import metadata

__all__ = ["database_url", "head", "make_engine", "metadata", "revision_of", "upgrade"]
