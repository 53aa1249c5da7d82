"""The ``inspector`` command line: headless access to everything the core does.

Bad input prints one clear line on stderr and exits non-zero; a traceback
is a bug. Storage failures (a damaged, busy or read-only database, a full
disk) are worded for the user at this boundary too. Read-only commands
(``list``, ``show``, ``report``, ``verify``) never create or change the data
folder; text from the database or a bundle is printed through
:mod:`inspector.terminal`, never raw.
"""

from __future__ import annotations

import argparse
import errno
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from inspector import __version__
from inspector.cli import live as cli_live
from inspector.cli import review as cli_review
from inspector.cli.terminal import json_text, printable
from inspector.config import resolve_data_dir
from inspector.domain.checklist import ChecklistError, available_checklists, load_checklist
from inspector.domain.models import Capture, Fuel, Language
from inspector.domain.progress import progress
from inspector.storage import NoDatabase, NotFound, StoreError, storage_error
from inspector.storage.repair import repair
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection, inspection_to_dict

EXIT_USAGE = 2
EXIT_FAILURE = 1
EXIT_ALTERED = 3
"""``list --check``, ``show --check``, ``repair``: photos are missing or altered."""


class CliError(Exception):
    """A failure to report as one line, with the exit code to use."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


Handler = Callable[[argparse.Namespace], int]

#: Modules adding their own commands through ``register(add)``.
_COMMAND_MODULES = (cli_live, cli_review)


def _print_json(data: Any) -> None:
    print(json_text(data))


def _store(args: argparse.Namespace, *, readonly: bool = False) -> Store:
    """The data folder's store; ``readonly`` creates and changes nothing."""
    try:
        return Store(resolve_data_dir(args.data_dir, create=not readonly), readonly=readonly)
    except OSError as exc:
        raise CliError(f"cannot use the data directory: {exc}") from exc


def _photo_states(store: Store, captures: list[Capture], deep: bool) -> dict[str, str]:
    """Each photo's state: "ok", "missing" or "altered" (``deep``: checked by SHA-256)."""
    states: dict[str, str] = {}
    for c in captures:
        if c.sha256 not in states:
            states[c.sha256] = store.photo_state(c.sha256, deep=deep)
    return states


def _photos_summary(captures: list[Capture], states: dict[str, str]) -> str:
    counts = Counter(states[c.sha256] for c in captures)
    bad = [f"{counts[k]} {k}" for k in ("missing", "altered") if counts[k]]
    return ", ".join(bad) if bad else ("ok" if captures else "-")


def _warn_photos(problems: int, deep: bool) -> None:
    print(
        f"inspector: warning: {problems} photo{'s are' if problems > 1 else ' is'} "
        f"{'missing or altered' if deep else 'missing'}: report and export of "
        "those inspections will fail; restore photos/ from a backup",
        file=sys.stderr,
    )


# -- commands ---------------------------------------------------------------


def cmd_new(args: argparse.Namespace) -> int:
    with _store(args) as store:
        inspection, warnings = create_inspection(
            store,
            checklist=args.checklist,
            operator=args.operator,
            vehicle={
                "make": args.make,
                "model": args.model,
                "year": args.year,
                "plate": args.plate,
                "vin": args.vin,
                "mileage": args.mileage,
                "fuel": args.fuel,
                "colour": args.colour,
            },
            seller={
                "name": args.seller_name,
                "phone": args.seller_phone,
                "email": args.seller_email,
                "language": args.seller_lang,
            },
        )
    for warning in warnings:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    if args.json:
        _print_json({**inspection_to_dict(inspection), "warnings": warnings})
    else:
        print(inspection.id)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    rows = []
    problems = 0
    try:
        store: Store | None = _store(args, readonly=True)
    except NoDatabase:  # nothing stored yet, and nothing to create for a listing
        store = None
    if store is not None:
        with store:
            for inspection in store.list_inspections():
                captures = store.captures(inspection.id)
                states = _photo_states(store, captures, args.check)
                present = [c for c in captures if states[c.sha256] == "ok"]
                problems += len(captures) - len(present)
                try:
                    prog = str(
                        progress(
                            load_checklist(inspection.checklist),
                            present,
                            store.damages(inspection.id),
                        )
                    )
                except ChecklistError:
                    prog = "?"
                rows.append((inspection, prog, captures, states))
    if args.json:
        _print_json(
            [
                {
                    **inspection_to_dict(i),
                    "progress": p,
                    "photos": dict(Counter(states[c.sha256] for c in captures)),
                }
                for i, p, captures, states in rows
            ]
        )
    elif not rows:
        print("No inspections yet. Create one with: inspector new --make ... --plate ...")
    else:
        header = ("ID", "STATUS", "VEHICLE", "PLATE", "SELLER", "SHOTS", "PHOTOS", "CREATED")
        table = [header] + [
            tuple(
                printable(cell)
                for cell in (
                    i.id,
                    i.status.value,
                    i.vehicle.title() or "-",
                    i.vehicle.plate or "-",
                    i.seller.name or "-",
                    p,
                    _photos_summary(captures, states),
                    i.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                )
            )
            for i, p, captures, states in rows
        ]
        widths = [max(len(r[c]) for r in table) for c in range(len(header))]
        for row in table:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if problems:
        _warn_photos(problems, args.check)
    return EXIT_ALTERED if problems and args.check else 0


def cmd_show(args: argparse.Namespace) -> int:
    try:
        store = _store(args, readonly=True)
    except NoDatabase as exc:
        raise NotFound(f"no inspection {args.id!r} ({exc})") from exc
    with store:
        inspection = store.find_inspection(args.id)
        captures = store.captures(inspection.id)
        damages = store.damages(inspection.id)
        states = _photo_states(store, captures, args.check)
    present = [c for c in captures if states[c.sha256] == "ok"]
    problems = len(captures) - len(present)
    checklist = load_checklist(inspection.checklist)
    prog = progress(checklist, present, damages)
    if args.json:
        data = inspection_to_dict(inspection, captures)
        data["progress"] = {"done": prog.done, "required": prog.required}
        for entry, c in zip(data["captures"], captures, strict=True):
            entry["photo"] = states[c.sha256]
        data["photos"] = dict(Counter(states[c.sha256] for c in captures))
        data["damages"] = [
            {
                "id": d.id,
                "part": d.part.value,
                "type": d.type.value,
                "severity": int(d.severity),
                "pair": d.pair,
                "to_complete": d.to_complete,
            }
            for d in damages
        ]
        _print_json(data)
    else:
        v, s = inspection.vehicle, inspection.seller
        checked = " (checked by SHA-256)" if args.check else ""
        lines = [
            f"Inspection {inspection.id} ({inspection.status.value})",
            f"  Vehicle   {v.title() or '-'}  plate {v.plate or '-'}  VIN {v.vin or '-'}",
            f"  Mileage   {f'{v.mileage_km:,} km' if v.mileage_km is not None else '-'}"
            f"  fuel {v.fuel.value if v.fuel else '-'}  colour {v.colour or '-'}",
            f"  Seller    {s.name or '-'}  {s.phone}  {s.email}  ({s.language.value})",
            f"  Operator  {inspection.operator or '-'}",
            f"  Checklist {checklist.id}: {prog} required shots, {len(captures)} captures",
            f"  Photos    {_photos_summary(captures, states)}{checked}",
            f"  Created   {inspection.created_at.astimezone():%Y-%m-%d %H:%M}",
        ]
        for c in captures:
            state = states[c.sha256]
            lines.append(
                f"    {c.captured_at.astimezone():%H:%M:%S}  {c.shot_id:<28} {c.width}x{c.height} "
                f"{c.source.value:<5} {c.quality.verdict.value:<6} {c.sha256[:12]}"
                + ("" if state == "ok" else f"  {state.upper()}")
            )
        print("\n".join(printable(line) for line in lines))
    if problems:
        _warn_photos(problems, args.check)
    return EXIT_ALTERED if problems and args.check else 0


def cmd_delete(args: argparse.Namespace) -> int:
    with _store(args) as store:
        inspection = store.find_inspection(args.id)
        store.delete_inspection(inspection.id)
    print(f"Deleted inspection {inspection.id}")
    return 0


def cmd_repair(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir, create=False)
    report = repair(data_dir)
    for line in report.lines():
        print(printable(line))
    return 0 if report.complete else EXIT_ALTERED


def cmd_checklists(args: argparse.Namespace) -> int:
    checklists = [load_checklist(name) for name in available_checklists()]
    if args.json:
        _print_json([c.to_dict() for c in checklists])
        return 0
    for c in checklists:
        required = sum(1 for s in c.shots if s.required)
        print(f"{c.id}: {c.title.en} — {len(c.shots)} shots ({required} required)")
        for shot in c.shots:
            mark = "*" if shot.required else " "
            print(f"  {mark} {shot.id:<28} {shot.category:<10} {shot.title.en}")
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    """Open the Qt console in its own interpreter: the core never imports Qt."""
    argv = [sys.executable, "-m", "ui"]
    if args.data_dir:
        argv += ["--data-dir", str(args.data_dir)]
    if os.name != "posix":  # no exec there: run it as a child and pass its exit code on
        return subprocess.call(argv)
    sys.stdout.flush()
    os.execv(sys.executable, argv)  # replaces this process: never returns


# -- parser -----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="where inspections are kept (default: $INSPECTOR_DATA_DIR or the user data folder)",
    )
    parser = argparse.ArgumentParser(
        prog="inspector",
        description="Remote vehicle inspection. With no command, opens the console.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    p = add("new", cmd_new, "create an inspection and print its id")
    p.add_argument("--make", default="")
    p.add_argument("--model", default="")
    p.add_argument("--year", default=None)
    p.add_argument("--plate", default="")
    p.add_argument("--vin", default="")
    p.add_argument("--mileage", default=None, help="odometer reading in km")
    p.add_argument("--fuel", default=None, help=", ".join(f.value for f in Fuel))
    p.add_argument("--colour", "--color", default="")
    p.add_argument("--seller-name", default="")
    p.add_argument("--seller-phone", default="")
    p.add_argument("--seller-email", default="")
    p.add_argument("--seller-lang", default="fr", help=" or ".join(lang.value for lang in Language))
    p.add_argument("--operator", default="")
    p.add_argument("--checklist", default="standard", help="checklist template name")
    p.add_argument("--json", action="store_true", help="print the inspection as JSON")

    check_help = "check every photo against its SHA-256 (exit 3 if one is missing or altered)"
    p = add("list", cmd_list, "list inspections, newest first")
    p.add_argument("--json", action="store_true")
    p.add_argument("--check", action="store_true", help=check_help)

    p = add("show", cmd_show, "show one inspection and its captures")
    p.add_argument("id", help="inspection id (or an unambiguous start of it)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--check", action="store_true", help=check_help)

    add(
        "repair",
        cmd_repair,
        "rebuild a lost or damaged database from what is left, and say what cannot be",
    )

    p = add("delete", cmd_delete, "delete an inspection and its photos")
    p.add_argument("id")

    p = add("checklists", cmd_checklists, "list checklist templates with their shots")
    p.add_argument("--json", action="store_true")

    add("console", cmd_console, "open the operator console (the default)")
    for module in _COMMAND_MODULES:
        module.register(add)
    return parser


def _check_arguments(argv: Sequence[str]) -> None:
    """Refuse arguments that are not UTF-8 (Python keeps their bytes as lone surrogates).

    Stored, they would break every later report and export of the inspection.
    """
    for i, arg in enumerate(argv):
        bad = [c for c in arg if "\udc80" <= c <= "\udcff"]
        if not bad:
            continue
        if arg.startswith("--") and "=" in arg:
            name = arg.split("=", 1)[0]
        elif i > 0 and argv[i - 1].startswith("-"):
            name = argv[i - 1]
        else:
            name = f"argument {i + 1}"
        shown = "".join(f"\\x{ord(c) - 0xDC00:02x}" for c in bad[:4])
        raise CliError(
            f"{printable(name)}: not valid UTF-8 text (bytes {shown}); check the "
            "terminal's character encoding",
            EXIT_USAGE,
        )


def _os_error(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full ({exc.filename or exc.strerror})"
    if exc.errno == errno.EROFS:
        return f"the folder is read-only ({exc.filename or exc.strerror})"
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _error(message: str) -> None:
    print(f"inspector: error: {printable(message)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        _check_arguments(arguments)
        parser = build_parser()
        args = parser.parse_args(arguments)
        if not hasattr(args, "data_dir"):
            args.data_dir = None
        handler: Handler = getattr(args, "handler", cmd_console)
        return handler(args)
    except (ValueError, StoreError, CliError) as exc:
        _error(str(exc))
        return exc.code if isinstance(exc, CliError) else EXIT_FAILURE
    except sqlite3.Error as exc:  # one that slipped past the store: still no traceback
        _error(str(storage_error(exc)))
        return EXIT_FAILURE
    except OSError as exc:
        _error(_os_error(exc))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("inspector: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
