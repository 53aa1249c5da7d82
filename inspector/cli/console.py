"""``inspector console`` (also what ``inspector`` alone does): open the operator console."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from inspector.cli.common import AddCommand


def cmd_console(args: argparse.Namespace) -> int:
    """Open the Qt console in its own interpreter: the core never imports Qt."""
    argv = [sys.executable, "-m", "ui"]
    if args.data_dir:
        argv += ["--data-dir", str(args.data_dir)]
    if os.name != "posix":  # no exec there: run it as a child and pass its exit code on
        return subprocess.call(argv)
    sys.stdout.flush()
    os.execv(sys.executable, argv)  # replaces this process: never returns


def register(add: AddCommand) -> None:
    """Add console to the ``inspector`` parser."""
    add("console", cmd_console, "open the operator console (the default)")
