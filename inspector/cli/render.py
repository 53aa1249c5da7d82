"""The text of ``list``, ``show`` and ``invite``, made from the dicts their ``--json``
prints: whether the data came from the local store or from a team server
(``--server``), the same dict gives the same text.

Only light modules are imported here (the parser loads this module).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from inspector.cli.terminal import printable
from inspector.domain.audit import action_label
from inspector.domain.models import Vehicle

__all__ = ["ListRow", "list_row", "photos_summary", "print_invite", "print_list", "print_show"]


class ListRow(NamedTuple):
    """One line of ``inspector list``."""

    id: str
    status: str
    vehicle: str
    """Make, model and year, as :meth:`Vehicle.title` makes them."""
    plate: str
    seller: str
    progress: str
    photos: dict[str, int]
    created_at: datetime


def list_row(entry: Mapping[str, Any]) -> ListRow:
    """The line of one ``list --json`` entry."""
    v = entry["vehicle"]
    return ListRow(
        id=entry["id"],
        status=entry["status"],
        vehicle=Vehicle(make=v["make"], model=v["model"], year=v["year"]).title(),
        plate=v["plate"],
        seller=entry["seller"]["name"],
        progress=entry["progress"],
        photos=entry["photos"],
        created_at=datetime.fromisoformat(entry["created_at"]),
    )


def photos_summary(photos: Mapping[str, int]) -> str:
    counts = Counter(photos)
    bad = [f"{counts[k]} {k}" for k in ("missing", "altered") if counts[k]]
    return ", ".join(bad) if bad else ("ok" if counts.total() else "-")


def print_list(rows: list[ListRow]) -> None:
    if not rows:
        print("No inspections yet. Create one with: inspector new --make ... --plate ...")
        return
    header = ("ID", "STATUS", "VEHICLE", "PLATE", "SELLER", "SHOTS", "PHOTOS", "CREATED")
    table = [header] + [
        tuple(
            printable(cell)
            for cell in (
                r.id,
                r.status,
                r.vehicle or "-",
                r.plate or "-",
                r.seller or "-",
                r.progress,
                photos_summary(r.photos),
                r.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            )
        )
        for r in rows
    ]
    widths = [max(len(r[c]) for r in table) for c in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def print_show(data: Mapping[str, Any], *, checked: bool) -> None:
    """``show``'s text from ``show --json``'s dict."""
    v, s = data["vehicle"], data["seller"]
    captures = data["captures"]
    history = data["audit"]
    title = Vehicle(make=v["make"], model=v["model"], year=v["year"]).title()
    mileage = f"{v['mileage_km']:,} km" if v["mileage_km"] is not None else "-"
    prog = data["progress"]
    created = datetime.fromisoformat(data["created_at"])
    lines = [
        f"Inspection {data['id']} ({data['status']})",
        f"  Vehicle   {title or '-'}  plate {v['plate'] or '-'}  VIN {v['vin'] or '-'}",
        f"  Mileage   {mileage}  fuel {v['fuel'] or '-'}  colour {v['colour'] or '-'}",
        f"  Seller    {s['name'] or '-'}  {s['phone']}  {s['email']}  ({s['language']})",
        f"  Operator  {data['operator'] or '-'}",
        f"  Checklist {data['checklist']}: {prog['done']}/{prog['required']} required shots, "
        f"{len(captures)} captures",
        f"  Photos    {photos_summary(data['photos'])}"
        + (" (checked by SHA-256)" if checked else ""),
        f"  Created   {created.astimezone():%Y-%m-%d %H:%M}",
    ]
    for c in captures:
        state = c["photo"]
        at = datetime.fromisoformat(c["captured_at"])
        lines.append(
            f"    {at.astimezone():%H:%M:%S}  {c['shot_id']:<28} {c['width']}x{c['height']} "
            f"{c['source']:<5} {c['quality']['verdict']:<6} {c['sha256'][:12]}"
            + ("" if state == "ok" else f"  {state.upper()}")
        )
    lines.append(f"  History   {len(history) or '-'}")
    width = max((len(e["actor"]) for e in history), default=0)
    for e in history:
        at = datetime.fromisoformat(e["at"])
        lines.append(
            f"    {at.astimezone():%Y-%m-%d %H:%M:%S}  {e['actor']:<{width}}  "
            f"{action_label(e['action'], 'en')}{_detail_text(e['detail'] or {})}"
        )
    print("\n".join(printable(line) for line in lines))


def _detail_text(detail: Mapping[str, object]) -> str:
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


def print_invite(data: Mapping[str, Any], *, as_json: bool, qr: bool) -> None:
    """``invite``'s output from its ``--json`` dict: inspection_id, join_url, expires_at."""
    import json

    if as_json:
        print(
            json.dumps(
                {
                    "inspection_id": data["inspection_id"],
                    "join_url": data["join_url"],
                    "expires_at": data["expires_at"],
                }
            )
        )
        return
    url = data["join_url"]
    expires_at = datetime.fromisoformat(data["expires_at"])
    print(
        f"Join link for inspection {data['inspection_id']} (valid until "
        f"{expires_at.astimezone():%Y-%m-%d %H:%M %Z}):\n{url}\n"
    )
    if qr:
        import segno

        segno.make(url, error="m").terminal(out=sys.stdout, compact=True)
