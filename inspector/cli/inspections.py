"""Commands on the inspections in the data folder: ``new``, ``list``, ``show``,
``delete``, and ``checklists`` (the templates they are created from).

``list`` and ``show`` only read: they never create or change the data folder.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from inspector.cli.common import EXIT_ALTERED, AddCommand, open_store, print_json
from inspector.cli.remote import remote
from inspector.cli.render import ListRow, list_row, print_list, print_show
from inspector.cli.terminal import printable
from inspector.domain.models import Fuel, Language
from inspector.storage import NoDatabase, NotFound

if TYPE_CHECKING:
    from inspector.storage.store import Store

# The checklists (pydantic), the store (SQLAlchemy) and the use cases are imported by
# the commands, not here: building the parser must stay light (docs/PERFORMANCE.md).


def _warn_photos(problems: int, deep: bool) -> None:
    print(
        f"inspector: warning: {problems} photo{'s are' if problems > 1 else ' is'} "
        f"{'missing or altered' if deep else 'missing'}: report and export of "
        "those inspections will fail; restore photos/ from a backup",
        file=sys.stderr,
    )


def cmd_new(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {
        "checklist": args.checklist,
        "operator": args.operator,
        "vehicle": {
            "make": args.make,
            "model": args.model,
            "year": args.year,
            "plate": args.plate,
            "vin": args.vin,
            "mileage": args.mileage,
            "fuel": args.fuel,
            "colour": args.colour,
        },
        "seller": {
            "name": args.seller_name,
            "phone": args.seller_phone,
            "email": args.seller_email,
            "language": args.seller_lang,
        },
    }
    client = remote(args)
    if client is not None:
        data = client.create(fields)
    else:
        from inspector.usecases.inspections import create_inspection, inspection_to_dict

        with open_store(args) as store:
            inspection, warnings = create_inspection(store, **fields)
        data = {**inspection_to_dict(inspection), "warnings": warnings}
    for warning in data["warnings"]:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    if args.json:
        print_json(data)
    else:
        print(data["id"])
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        entries = client.inspections(check=args.check)
        rows = [list_row(e) for e in entries]
        problems = sum(_problems(e["photos"]) for e in entries)
    else:
        entries, rows, problems = _list_local(args)
    if args.json:
        print_json(entries)
    else:
        print_list(rows)
    if problems:
        _warn_photos(problems, args.check)
    return EXIT_ALTERED if problems and args.check else 0


def _list_local(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[ListRow], int]:
    """``list --json``'s entries (read whole only with ``--json``), the table's rows, and
    how many photos are missing or altered."""
    from inspector.usecases.reading import list_entries, listed

    try:
        store: Store | None = open_store(args, readonly=True)
    except NoDatabase:  # nothing stored yet, and nothing to create for a listing
        return [], [], 0
    assert store is not None
    with store:
        if args.json:  # every field of each inspection: read whole
            entries, problems = list_entries(store, deep=args.check)
            return entries, [], problems
        found, problems = listed(store, args.check)
    rows = [
        ListRow(
            id=i.id,
            status=i.status.value,
            vehicle=i.vehicle,
            plate=i.plate,
            seller=i.seller,
            progress=p,
            photos=dict(counts),
            created_at=i.created_at,
        )
        for i, p, counts in found
    ]
    return [], rows, problems


def _problems(photos: dict[str, int]) -> int:
    return sum(n for state, n in photos.items() if state != "ok")


def cmd_show(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        data = client.inspection(args.id, check=args.check)
        data.pop("version", None)  # the API's, for a later change: not show's output
    else:
        from inspector.usecases.reading import inspection_details

        try:
            store = open_store(args, readonly=True)
        except NoDatabase as exc:
            raise NotFound(f"no inspection {args.id!r} ({exc})") from exc
        with store:
            data = inspection_details(store, args.id, deep=args.check)
    problems = _problems(data["photos"])
    if args.json:
        print_json(data)
    else:
        print_show(data, checked=args.check)
    if problems:
        _warn_photos(problems, args.check)
    return EXIT_ALTERED if problems and args.check else 0


def cmd_delete(args: argparse.Namespace) -> int:
    from inspector.usecases.inspections import delete_inspection

    with open_store(args) as store:
        inspection = store.find_inspection(args.id)
        delete_inspection(store, inspection.id, version=inspection.version)
    print(f"Deleted inspection {inspection.id}")
    return 0


def cmd_checklists(args: argparse.Namespace) -> int:
    from inspector.domain.checklist import available_checklists, load_checklist

    checklists = [load_checklist(name) for name in available_checklists()]
    if args.json:
        print_json([c.to_dict() for c in checklists])
        return 0
    for c in checklists:
        required = sum(1 for s in c.shots if s.required)
        print(f"{c.id}: {c.title.en} — {len(c.shots)} shots ({required} required)")
        for shot in c.shots:
            mark = "*" if shot.required else " "
            print(f"  {mark} {shot.id:<28} {shot.category:<10} {shot.title.en}")
    return 0


def register(add: AddCommand) -> None:
    """Add new, list, show, delete and checklists to the ``inspector`` parser."""
    p = add("new", cmd_new, "create an inspection and print its id")
    p.add_argument("--make", default="", help="e.g. Peugeot")
    p.add_argument("--model", default="", help="e.g. 308")
    p.add_argument("--year", default=None, help="year of first registration, e.g. 2019")
    p.add_argument("--plate", default="", help="registration plate, e.g. AB-123-CD")
    p.add_argument("--vin", default="", help="the 17-character vehicle identification number")
    p.add_argument("--mileage", default=None, help="odometer reading in km")
    p.add_argument("--fuel", default=None, help=", ".join(f.value for f in Fuel))
    p.add_argument("--colour", "--color", default="", help="e.g. grey")
    p.add_argument("--seller-name", default="", help="the seller's name, as the report prints it")
    p.add_argument("--seller-phone", default="", help="e.g. +33 6 12 34 56 78")
    p.add_argument("--seller-email", default="", help="where the join link can be sent")
    p.add_argument(
        "--seller-lang",
        default="fr",
        help=" or ".join(lang.value for lang in Language)
        + " (default: %(default)s): the report's and the invitation e-mail's language "
        "(the phone page speaks the phone's own language)",
    )
    p.add_argument("--operator", default="", help="who runs the inspection")
    p.add_argument(
        "--checklist",
        default="standard",
        help="checklist template (default: %(default)s; see `inspector checklists`)",
    )
    p.add_argument("--json", action="store_true", help="print the inspection as JSON")

    check_help = "check every photo against its SHA-256 (exit 3 if one is missing or altered)"
    p = add("list", cmd_list, "list inspections, newest first")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.add_argument("--check", action="store_true", help=check_help)

    p = add("show", cmd_show, "show one inspection, its captures and its history (audit log)")
    p.add_argument("id", help="inspection id (or an unambiguous start of it)")
    p.add_argument("--json", action="store_true", help="print the inspection as JSON")
    p.add_argument("--check", action="store_true", help=check_help)

    p = add("delete", cmd_delete, "delete an inspection and its photos")
    p.add_argument("id", help="inspection id (or an unambiguous start of it)")

    p = add("checklists", cmd_checklists, "list checklist templates with their shots")
    p.add_argument("--json", action="store_true", help="print the templates as JSON")
