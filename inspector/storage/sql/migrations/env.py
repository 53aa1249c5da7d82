"""Alembic's environment: runs on the connection ``storage.sql.revisions.upgrade`` hands it.

There is no alembic.ini and no URL here: the caller opens the connection (and its
transaction), so the whole upgrade commits once or not at all.
"""

from __future__ import annotations

from alembic import context

from inspector.storage.sql.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
