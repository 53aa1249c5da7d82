"""The records' schema for SQLite and PostgreSQL: SQLAlchemy Core metadata and Alembic.

The store's records go through this package: the schema as ``tables.metadata``, the
Alembic revisions that build it on either backend (``migrations/``, configured in
code: no alembic.ini), ``revisions.upgrade`` (run when a store opens) that also
adopts a database the hand-written migrations of earlier versions made, and
``make_engine`` for a URL.
"""

from inspector.storage.sql.engine import database_url, make_engine
from inspector.storage.sql.revisions import head, revision_of, upgrade
from inspector.storage.sql.tables import metadata

__all__ = ["database_url", "head", "make_engine", "metadata", "revision_of", "upgrade"]
