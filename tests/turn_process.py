"""A coturn process a test starts on loopback with its own configuration (never the
Debian service): the binary (a failure under CI, where .ci/run installs it; a skip
elsewhere) and its start and stop."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tests.unavailable import unavailable


def turnserver() -> str:
    binary = shutil.which("turnserver")
    if binary is None:
        unavailable("turnserver is not installed (apt-get install coturn)")
    return binary


@contextmanager
def running_turnserver(args: Sequence[str]) -> Iterator[subprocess.Popen[bytes]]:
    """``turnserver ARGS`` for the block; terminated (killed if it lingers) after."""
    proc = subprocess.Popen(
        [turnserver(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
