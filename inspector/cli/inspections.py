"""Commands on the inspections in the data folder: ``new``, ``list``, ``show``,
``delete``, and ``checklists`` (the templates they are created from).

``list`` and ``show`` only read: they never create or change the data folder.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import TYPE_CHECKING

from inspector.cli.common import EXIT_ALTERED, AddCommand, open_store, print_json
from inspector.cli.terminal import printable
from inspector.domain.audit import action_label
from inspector.domain.models import Capture, Fuel, Inspection, Language
from inspector.storage import NoDatabase, NotFound

if TYPE_CHECKING:
    from inspector.domain.checklist import Checklist
    from inspector.storage.store import ListingRow, Store

# The checklists (pydantic), the store (SQLAlchemy) and the use cases are imported by
# the commands, not here: building the parser must stay light (docs/PERFORMANCE.md).


def _photo_states(store: Store, captures: list[Capture], deep: bool) -> dict[str, str]:
    """Each photo's state: "ok", "missing" or "altered" (``deep``: checked by SHA-256)."""
    return dict(store.photo_states((c.sha256 for c in captures), deep=deep))


def _photos_summary(counts: Counter[str]) -> str:
    bad = [f"{counts[k]} {k}" for k in ("missing", "altered") if counts[k]]
    return ", ".join(bad) if bad else ("ok" if counts.total() else "-")


def _warn_photos(problems: int, deep: bool) -> None:
    print(
        f"inspector: warning: {problems} photo{'s are' if problems > 1 else ' is'} "
        f"{'missing or altered' if deep else 'missing'}: report and export of "
        "those inspections will fail; restore photos/ from a backup",
        file=sys.stderr,
    )


def cmd_new(args: argparse.Namespace) -> int:
    from inspector.usecases.inspections import create_inspection, inspection_to_dict

    with open_store(args) as store:
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
        print_json({**inspection_to_dict(inspection), "warnings": warnings})
    else:
        print(inspection.id)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    rows: list[tuple[ListingRow, str, Counter[str]]] = []
    whole: dict[str, Inspection] = {}
    problems = 0
    try:
        store: Store | None = open_store(args, readonly=True)
    except NoDatabase:  # nothing stored yet, and nothing to create for a listing
        store = None
    if store is not None:
        with store:
            rows, problems = _listed(store, args.check)
            if args.json:  # every field of each inspection: read whole
                whole = {i.id: i for i in store.list_inspections()}
    if args.json:
        from inspector.usecases.inspections import inspection_to_dict

        print_json(
            [
                {**inspection_to_dict(whole[i.id]), "progress": p, "photos": dict(counts)}
                for i, p, counts in rows
                if i.id in whole  # not deleted between the two reads
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
                    i.vehicle or "-",
                    i.plate or "-",
                    i.seller or "-",
                    p,
                    _photos_summary(counts),
                    i.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                )
            )
            for i, p, counts in rows
        ]
        widths = [max(len(r[c]) for r in table) for c in range(len(header))]
        for row in table:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if problems:
        _warn_photos(problems, args.check)
    return EXIT_ALTERED if problems and args.check else 0


def _listed(store: Store, deep: bool) -> tuple[list[tuple[ListingRow, str, Counter[str]]], int]:
    """Each inspection with its progress over the photos present, and its photos' states
    counted; and how many photos are missing or altered.

    From the store's listing (no capture read) while every photo is there; the
    inspections whose photos are not all there are read whole, as ``show`` does, to count
    progress over the photos present only.
    """
    from inspector.domain.checklist import ChecklistError, load_checklist
    from inspector.domain.progress import progress

    summaries = store.listing()
    states: dict[str, str] = {}
    if any(s.captures for s in summaries):
        states = dict(store.photo_states(store.used_photos(), deep=deep))  # one listing on S3
    bad = {sha for sha, state in states.items() if state != "ok"}
    affected = store.inspections_using(bad) if bad else set()
    checklists: dict[str, Checklist | None] = {}
    listed: list[tuple[ListingRow, str, Counter[str]]] = []
    problems = 0
    for summary in summaries:
        name = summary.checklist
        if name not in checklists:
            try:
                checklists[name] = load_checklist(name)
            except ChecklistError:
                checklists[name] = None
        checklist = checklists[name]
        if summary.id in affected:
            captures = store.captures(summary.id)
            unknown = {c.sha256 for c in captures} - states.keys()  # captured meanwhile
            states.update(store.photo_states(unknown, deep=deep))
            counts = Counter(states[c.sha256] for c in captures)
            present = [c for c in captures if states[c.sha256] == "ok"]
            problems += len(captures) - len(present)
            done = (
                str(progress(checklist, present, store.damages(summary.id)))
                if checklist is not None
                else "?"
            )
        else:
            counts = Counter({"ok": summary.captures} if summary.captures else {})
            done = str(summary.completion(checklist)) if checklist is not None else "?"
        listed.append((summary, done, counts))
    return listed, problems


def cmd_show(args: argparse.Namespace) -> int:
    try:
        store = open_store(args, readonly=True)
    except NoDatabase as exc:
        raise NotFound(f"no inspection {args.id!r} ({exc})") from exc
    with store:
        from inspector.domain.checklist import load_checklist
        from inspector.domain.progress import progress
        from inspector.usecases import audit
        from inspector.usecases.inspections import inspection_to_dict

        inspection = store.find_inspection(args.id)
        captures = store.captures(inspection.id)
        damages = store.damages(inspection.id)
        history = audit.history(store, inspection.id)
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
        data["audit"] = [e.to_dict() for e in history]
        print_json(data)
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
            f"  Photos    {_photos_summary(Counter(states[c.sha256] for c in captures))}{checked}",
            f"  Created   {inspection.created_at.astimezone():%Y-%m-%d %H:%M}",
        ]
        for c in captures:
            state = states[c.sha256]
            lines.append(
                f"    {c.captured_at.astimezone():%H:%M:%S}  {c.shot_id:<28} {c.width}x{c.height} "
                f"{c.source.value:<5} {c.quality.verdict.value:<6} {c.sha256[:12]}"
                + ("" if state == "ok" else f"  {state.upper()}")
            )
        lines.append(f"  History   {len(history) or '-'}")
        width = max((len(e.actor) for e in history), default=0)
        for e in history:
            lines.append(
                f"    {e.at.astimezone():%Y-%m-%d %H:%M:%S}  {e.actor:<{width}}  "
                f"{action_label(e.action, 'en')}{_detail_text(e.detail)}"
            )
        print("\n".join(printable(line) for line in lines))
    if problems:
        _warn_photos(problems, args.check)
    return EXIT_ALTERED if problems and args.check else 0


def _detail_text(detail: dict[str, object]) -> str:
    """A history line's detail, short: the shot, the damage's part, the file."""
    shown = [
        f"{key} {detail[key]}"
        for key in (
            "shot",
            "verdict",
            "part",
            "type",
            "severity",
            "file",
            "listing",
            "bundle",
            "links",
        )
        if key in detail
    ]
    return f" ({', '.join(shown)})" if shown else ""


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
