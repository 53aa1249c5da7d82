"""A tool a test needs is missing: skipped on a developer's machine, failed under CI.

``.ci/run`` installs every tool the tests use (Chromium, PostgreSQL, nginx, coturn, node,
the network lab's ip/nft/tc), so there a missing one is a broken set-up, never a reason
to skip.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(
            f"{reason} (CI is set: .ci/run installs it, these tests must run)", pytrace=False
        )
    pytest.skip(reason)
