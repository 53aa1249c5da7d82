"""The evidence appendix: every capture's time, resolution, source and SHA-256, when
and by what the report was made, and how a buyer verifies the bundle."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from inspector import __version__
from inspector.domain.models import CaptureSource
from inspector.domain.progress import best_captures, usable
from inspector.report.context import Context
from inspector.report.theme import (
    CONTENT_W,
    FONT_MONO,
    fmt_clock,
    fmt_day,
    fmt_dt,
    para,
    sep,
    table_style,
    utc_offset,
)

__all__ = ["evidence"]


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
        source = t("still" if c.source is CaptureSource.STILL else "frame")
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
