"""Shared fixtures: a fresh data directory and store per test, sample input, and the
database backends a storage test runs on (``database_url``: the folder's SQLite, or a
new database on the session's real PostgreSQL server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from inspector.storage.store import Store
from tests.inspector.postgres_fixtures import pg_url, postgres
from tests.s3_fixtures import photo_store, s3_env, s3_server, s3_url

__all__ = ["pg_url", "photo_store", "postgres", "s3_env", "s3_server", "s3_url"]  # fixtures

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory, also set as INSPECTOR_DATA_DIR."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("INSPECTOR_DATA_DIR", str(path))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str | None:
    """Where a storage test keeps its records: None (the data folder's SQLite file) or
    the URL of a new, empty PostgreSQL database (dropped after the test)."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    s = Store(data_dir)
    yield s
    s.close()


@pytest.fixture
def vehicle_input() -> dict[str, Any]:
    return {
        "make": "Peugeot",
        "model": "308",
        "year": 2019,
        "plate": "AB-123-CD",
        "vin": "VF3LBYHZPKS123456",
        "mileage": 84500,
        "fuel": "diesel",
        "colour": "gris",
    }


@pytest.fixture
def seller_input() -> dict[str, Any]:
    return {
        "name": "Élodie Martin",
        "phone": "+33 6 12 34 56 78",
        "email": "elodie@example.fr",
        "language": "fr",
    }
