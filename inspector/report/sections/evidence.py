"""The evidence appendix: every capture's time, resolution, source and SHA-256, when
and by what the report was made, and how a buyer verifies the bundle."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from inspector import __version__
from inspector.domain.identity import Kind, decode_vin, mismatch
from inspector.domain.models import CaptureSource
from inspector.domain.progress import best_captures, usable
from inspector.report.context import Context
from inspector.report.theme import (
    CONTENT_W,
    FONT_MONO,
    fmt_clock,
    fmt_day,
    fmt_dt,
    fmt_km,
    para,
    sep,
    table_style,
    utc_offset,
)

__all__ = ["evidence", "identity"]


def identity(ctx: Context) -> list[Flowable]:
    """Entered beside read from the photos (the latest reading of each kind), mismatches
    flagged; nothing when no identity photo was read."""
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    v = ctx.inspection.vehicle
    decoded = _vin_line(ctx)
    if not ctx.readings:
        return [para(t("identity_read"), st["h2"]), decoded, Spacer(1, 3 * mm)] if decoded else []
    latest = {r.kind: r for r in ctx.readings}
    rows: list[list[Any]] = [
        [para(t(k), st["th"]) for k in ("col_field", "col_entered", "col_read", "col_check")]
    ]
    checks: tuple[tuple[Kind, str, str | int | None], ...] = (
        ("vin", "vin", v.vin),
        ("odometer", "mileage", v.mileage_km),
        ("plate", "plate", v.plate),
    )
    for kind, key, entered in checks:
        r = latest.get(kind)
        if r is None:
            continue
        read = r.text if r.text is not None else t("nothing_read")
        if kind == "odometer" and r.text is not None:
            read = fmt_km(int(r.text), lang)
        if r.text is not None:
            read += f" ({r.confidence:.0%})"
        if r.filled:
            verdict = t("read_from_photo")
        elif r.text is None or entered in (None, ""):
            verdict = "—"
        elif mismatch(kind, entered, r.text):
            verdict = t("mismatch")
        else:
            verdict = t("matches")
        shown = fmt_km(int(entered), lang) if isinstance(entered, int) else entered
        rows.append(
            [
                para(t(key), st["tiny"]),
                para(str(shown or "—"), st["tiny"]),
                para(read, st["tiny"]),
                para(verdict, st["tiny"]),
            ]
        )
    table = Table(rows, colWidths=[25 * mm, 50 * mm, 55 * mm, None], repeatRows=1)
    table.setStyle(table_style(pad=1.6))
    return [
        para(t("identity_read"), st["h2"]),
        para(t("identity_read_text"), st["small"]),
        table,
        *([decoded] if decoded else []),
        Spacer(1, 4 * mm),
    ]


def _vin_line(ctx: Context) -> Flowable | None:
    """What the entered VIN says (vininfo, offline): maker, country, model years."""
    vin = ctx.inspection.vehicle.vin
    if len(vin) != 17:
        return None
    info = decode_vin(vin)
    years = "/".join(str(y) for y in info.years) or "—"
    text = ctx.t(
        "vin_decoded",
        maker=info.manufacturer or "—",
        country=info.country or "—",
        years=years,
    )
    if info.warnings:
        text += " " + ctx.t("vin_check_digit_warning")
    return para(text, ctx.styles["small"])


def evidence(ctx: Context) -> list[Flowable]:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    days = {fmt_day(c.captured_at, lang) for c in ctx.captures}
    one_day = len(days) == 1
    where = utc_offset(ctx.generated) or "UTC"
    intro = t("times_local", zone=where) + (
        f" {t('date')}{sep(lang)}{days.pop()}." if one_day else ""
    )
    story: list[Flowable] = [
        para(t("evidence"), st["h1"]),
        para(t("evidence_intro"), st["base"]),
        para(intro, st["muted"]),
        Spacer(1, 3 * mm),
    ]
    story += identity(ctx)
    shown = {p.capture.id for p in ctx.plan.photos}
    best_ids = {c.id for c in best_captures(ctx.captures).values()}
    data: list[list[Any]] = [
        [
            para(t(k), st["th"])
            for k in ("col_shot", "col_clock" if one_day else "col_time", "col_file", "col_sha")
        ]
    ]
    for c in ctx.captures:
        title = ctx.plan.titles.get(c.id, c.shot_id)
        if c.id not in shown:
            status = (
                t("rejected") if not usable(c) else t("retaken") if c.id not in best_ids else ""
            )
            title = f"{title} ({status})" if status else title
        source = t(
            {CaptureSource.STILL: "still", CaptureSource.PREVIEW: "preview"}.get(c.source, "frame")
        )
        when = fmt_clock(c.captured_at, lang, seconds=True)
        data.append(
            [
                para(title, st["tiny"]),
                para(
                    when if one_day else fmt_dt(c.captured_at, lang, seconds=True, zone=False),
                    st["tiny"],
                ),
                para(f"{c.width} × {c.height}, {source}", st["tiny"]),
                para(c.sha256, st["mono"]),
            ]
        )
    sha_w = pdfmetrics.stringWidth("0" * 64, FONT_MONO, st["mono"].fontSize) + 6
    widths = [0.0, 15 * mm if one_day else 26 * mm, 30 * mm, sha_w]
    widths[0] = CONTENT_W - sum(widths)
    table = Table(data, colWidths=widths, repeatRows=1)
    style = table_style(pad=1.6)
    style.add("LEFTPADDING", (0, 0), (-1, -1), 3)
    style.add("RIGHTPADDING", (0, 0), (-1, -1), 3)
    table.setStyle(style)
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    facts = [
        (t("generated"), fmt_dt(ctx.generated, lang, seconds=True)),
        (t("software"), f"vehicle-inspector {__version__}"),
        (t("inspection_id"), ctx.inspection.id),
    ]
    for key, value in facts:
        story.append(Paragraph(f"<b>{escape(key)}</b>{sep(lang)}{escape(value)}", st["small"]))
    story.append(
        KeepTogether(
            [
                para(t("how_to_verify"), st["h2"]),
                para(t("verify_text"), st["small"]),
                para("inspector verify inspection.zip", st["code"]),
                para(t("verify_text2"), st["small"]),
            ]
        )
    )
    return story
