"""The real PostgreSQL server of the session, for the schema tests."""

from tests.inspector.postgres_fixtures import pg_url, postgres

__all__ = ["pg_url", "postgres"]
