"""``inspector migrate``: copy this desk's store into the team's shared one (the work is
:mod:`inspector.usecases.migrate`)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from inspector.cli.common import EXIT_ALTERED, AddCommand, open_store, print_json
from inspector.cli.terminal import printable


def cmd_migrate(args: argparse.Namespace) -> int:
    from inspector.storage.store import Store
    from inspector.usecases.migrate import migrate

    # The target's own working folder (locks, thumbnails) is a temporary one: its records
    # and photos are where the URLs say.
    with (
        open_store(args, readonly=True) as source,
        tempfile.TemporaryDirectory(prefix="inspector-migrate-") as work,
        Store(Path(work), database_url=args.to_database, photo_store=args.to_photo_store) as target,
    ):
        report = migrate(source, target, _progress if sys.stderr.isatty() else None)
    if args.json:
        print_json({**asdict(report), "complete": report.complete})
    else:
        for line in report.lines():
            print(printable(line))
    return 0 if report.complete else EXIT_ALTERED


def _progress(done: int, total: int, _what: str) -> None:
    end = "\n" if done == total else ""
    print(f"\r{done}/{total} inspections", end=end, file=sys.stderr, flush=True)


def register(add: AddCommand) -> None:
    """Add migrate to the ``inspector`` parser."""
    p = add(
        "migrate",
        cmd_migrate,
        "copy every inspection of this store into another (the team's PostgreSQL and "
        "object storage); can be run again after an interruption",
    )
    p.add_argument(
        "--to-database", required=True, metavar="URL", help="postgresql://… or sqlite:///…"
    )
    p.add_argument(
        "--to-photo-store", required=True, metavar="URL", help="s3://BUCKET/PREFIX or a folder"
    )
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
