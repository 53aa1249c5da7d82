"""``inspector console`` (also what ``inspector`` alone does): open the operator console."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from inspector.cli.common import AddCommand, CliError
from inspector.cli.ice import add_ice_options, ice_argv, ice_servers, turn_rest

NO_DISPLAY = (
    "no display available; the console needs one — every other command works "
    "headless (`inspector --help`)"
)


def display_missing(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """True where Qt would abort for want of a display (Linux without X or Wayland).

    Qt's own failure is an abort (exit 134) blaming a missing xcb library; we
    say what is really wrong before starting it.
    """
    if not sys.platform.startswith("linux"):
        return False
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return False  # offscreen, vnc, eglfs…: no display needed
    if environ.get("WAYLAND_DISPLAY"):
        return False
    display = environ.get("DISPLAY", "")
    if not display:
        return True
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if local is None:
        return False  # a remote display (host:0): only trying tells
    return not Path(f"/tmp/.X11-unix/X{local.group(1)}").exists()


def cmd_console(args: argparse.Namespace) -> int:
    """Open the Qt console in its own interpreter: the core never imports Qt."""
    if display_missing():
        raise CliError(NO_DISPLAY)
    ice_servers(args)  # a malformed ICE option is one line here, not a dialog later
    turn_rest(args)
    argv = [sys.executable, "-m", "ui"]
    if args.data_dir:
        argv += ["--data-dir", str(args.data_dir)]
    if getattr(args, "database_url", None):
        argv += ["--database-url", str(args.database_url)]
    photo_store = getattr(args, "photo_store", None)
    if photo_store:  # INSPECTOR_PHOTO_STORE reaches the console through the environment
        argv += ["--photo-store", str(photo_store)]
    port = getattr(args, "port", None)
    if port is not None:
        argv += ["--port", str(port)]
    argv += ice_argv(args)
    if os.name != "posix":  # no exec there: run it as a child and pass its exit code on
        return subprocess.call(argv)
    sys.stdout.flush()
    os.execv(sys.executable, argv)  # replaces this process: never returns


def register(add: AddCommand) -> None:
    """Add console to the ``inspector`` parser."""
    p = add("console", cmd_console, "open the operator console (the default)")
    p.add_argument(
        "--port",
        type=int,
        default=None,
        help="port of the phone server the console runs (default: 8080, a free one if taken)",
    )
    add_ice_options(p)  # an operator behind a company firewall needs the TURN relay too
