"""The storage tests run on every backend: ``store`` is opened on ``database_url``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.storage.store import Store


@pytest.fixture
def store(data_dir: Path, database_url: str | None) -> Iterator[Store]:
    s = Store(data_dir, database_url=database_url)
    yield s
    s.close()
