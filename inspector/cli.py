"""The ``inspector`` command line: headless access to everything the core does.

Bad input prints one clear line on stderr and exits non-zero; a traceback
is a bug.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

from inspector import __version__, cli_live, cli_review
from inspector.checklist import ChecklistError, available_checklists, load_checklist
from inspector.config import resolve_data_dir
from inspector.engine import EngineStartError
from inspector.inspections import (
    create_inspection,
    inspection_to_dict,
    progress,
)
from inspector.models import Fuel, Language
from inspector.store import Store, StoreError

EXIT_USAGE = 2
EXIT_FAILURE = 1


class CliError(Exception):
    """A failure to report as one line, with the exit code to use."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


Handler = Callable[[argparse.Namespace], int]

#: Modules adding their own commands through ``register(add)``.
_COMMAND_MODULES = (cli_live, cli_review)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _store(args: argparse.Namespace) -> Store:
    try:
        return Store(resolve_data_dir(args.data_dir))
    except OSError as exc:
        raise CliError(f"cannot use the data directory: {exc}") from exc


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
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        _print_json({**inspection_to_dict(inspection), "warnings": warnings})
    else:
        print(inspection.id)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with _store(args) as store:
        rows = []
        for inspection in store.list_inspections():
            captures = store.captures(inspection.id)
            try:
                prog = str(progress(load_checklist(inspection.checklist), captures))
            except ChecklistError:
                prog = "?"
            rows.append((inspection, prog))
    if args.json:
        _print_json([{**inspection_to_dict(i), "progress": p} for i, p in rows])
        return 0
    if not rows:
        print("No inspections yet. Create one with: inspector new --make ... --plate ...")
        return 0
    header = ("ID", "STATUS", "VEHICLE", "PLATE", "SELLER", "SHOTS", "CREATED")
    table = [header] + [
        (
            i.id,
            i.status.value,
            i.vehicle.title() or "-",
            i.vehicle.plate or "-",
            i.seller.name or "-",
            p,
            i.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
        )
        for i, p in rows
    ]
    widths = [max(len(r[c]) for r in table) for c in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _store(args) as store:
        inspection = store.find_inspection(args.id)
        captures = store.captures(inspection.id)
        damages = store.damages(inspection.id)
    checklist = load_checklist(inspection.checklist)
    prog = progress(checklist, captures)
    if args.json:
        data = inspection_to_dict(inspection, captures)
        data["progress"] = {"done": prog.done, "required": prog.required}
        data["damages"] = [
            {"id": d.id, "part": d.part.value, "type": d.type.value, "severity": int(d.severity)}
            for d in damages
        ]
        _print_json(data)
        return 0
    v, s = inspection.vehicle, inspection.seller
    lines = [
        f"Inspection {inspection.id} ({inspection.status.value})",
        f"  Vehicle   {v.title() or '-'}  plate {v.plate or '-'}  VIN {v.vin or '-'}",
        f"  Mileage   {f'{v.mileage_km:,} km' if v.mileage_km is not None else '-'}"
        f"  fuel {v.fuel.value if v.fuel else '-'}  colour {v.colour or '-'}",
        f"  Seller    {s.name or '-'}  {s.phone}  {s.email}  ({s.language.value})",
        f"  Operator  {inspection.operator or '-'}",
        f"  Checklist {checklist.id}: {prog} required shots, {len(captures)} captures",
        f"  Created   {inspection.created_at.astimezone():%Y-%m-%d %H:%M}",
    ]
    for c in captures:
        lines.append(
            f"    {c.captured_at.astimezone():%H:%M:%S}  {c.shot_id:<28} {c.width}x{c.height} "
            f"{c.source.value:<5} {c.quality.verdict.value:<6} {c.sha256[:12]}"
        )
    print("\n".join(lines))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with _store(args) as store:
        inspection = store.find_inspection(args.id)
        store.delete_inspection(inspection.id)
    print(f"Deleted inspection {inspection.id}")
    return 0


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

    p = add("list", cmd_list, "list inspections, newest first")
    p.add_argument("--json", action="store_true")

    p = add("show", cmd_show, "show one inspection and its captures")
    p.add_argument("id", help="inspection id (or an unambiguous start of it)")
    p.add_argument("--json", action="store_true")

    p = add("delete", cmd_delete, "delete an inspection and its photos")
    p.add_argument("id")

    p = add("checklists", cmd_checklists, "list checklist templates with their shots")
    p.add_argument("--json", action="store_true")

    add("console", cmd_console, "open the operator console (the default)")
    for module in _COMMAND_MODULES:
        module.register(add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "data_dir"):
        args.data_dir = None
    handler: Handler = getattr(args, "handler", cmd_console)
    try:
        return handler(args)
    except (ValueError, StoreError, CliError, EngineStartError) as exc:
        print(f"inspector: error: {exc}", file=sys.stderr)
        return exc.code if isinstance(exc, CliError) else EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
