"""Fixtures every core test may use: the session's S3-compatible server (started only
when a test asks for it)."""

from tests.inspector.s3_fixtures import photo_store, s3_env, s3_server, s3_url

__all__ = ["photo_store", "s3_env", "s3_server", "s3_url"]
