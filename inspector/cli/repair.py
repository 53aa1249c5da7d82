"""``inspector repair``: rebuild a lost or damaged database from what the data folder still
holds, and say what cannot be rebuilt (the work is :mod:`inspector.storage.repair`)."""

from __future__ import annotations

import argparse

from inspector.cli.common import EXIT_ALTERED, AddCommand, database_url_of, photo_store_of
from inspector.cli.terminal import printable
from inspector.config import resolve_data_dir


def cmd_repair(args: argparse.Namespace) -> int:
    from inspector.storage.repair import repair

    data_dir = resolve_data_dir(args.data_dir, create=False)
    report = repair(data_dir, database_url_of(args), photo_store_of(args))
    for line in report.lines():
        print(printable(line))
    return 0 if report.complete else EXIT_ALTERED


def register(add: AddCommand) -> None:
    """Add repair to the ``inspector`` parser."""
    add(
        "repair",
        cmd_repair,
        "rebuild a lost or damaged SQLite database from what is left, and say what cannot be",
    )
