"""The one-page summary: identity, verdict, completeness, the damage list beside the
vehicle diagram, the inspector's notes and how the grade is given."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from inspector.domain.progress import kept_after_attempts
from inspector.report.context import Context
from inspector.report.diagram import VehicleDiagram
from inspector.report.flowables import Dot, Pill, ProgressBar, mark_colour
from inspector.report.i18n import damage_type_name, part_name, plural, severity_name
from inspector.report.sections.verdict import verdict
from inspector.report.theme import (
    CONTENT_W,
    FONT,
    FONT_BOLD,
    MUTED,
    fmt_day,
    fmt_km,
    para,
    plain_table,
    sep,
    table_style,
)

__all__ = ["DIAGRAM_W", "SIDE_BY_SIDE_MAX", "summary"]

DIAGRAM_W = 56 * mm
SIDE_BY_SIDE_MAX = 14
"""More damages than this: the list goes under the diagram, where it can split across pages."""


def _photo_list(photos: Iterable[tuple[str, str]], st: ParagraphStyle, head: str) -> Paragraph:
    items = "; ".join(f"{escape(t)}{escape(extra)}" for t, extra in photos)
    return Paragraph(f"{head}{items}", st)


def _completion(ctx: Context) -> list[Flowable]:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    story: list[Flowable] = [para(t("completion"), st["h2"])]
    prog = ctx.plan.progress
    if prog is None:
        story.append(
            para(f"{t('checklist')}{sep(lang)}{ctx.inspection.checklist} (?)", st["muted"])
        )
    else:
        story.append(para(t("required_done", done=prog.done, required=prog.required), st["base"]))
        story.append(Spacer(1, 1 * mm))
        story.append(ProgressBar(prog.done, prog.required, CONTENT_W))
        story.append(Spacer(1, 1 * mm))
        if prog.missing:
            head = f'<font color="#C0392B"><b>{escape(t("missing_required"))}</b></font>{sep(lang)}'
            names = [(ctx.plan.shot_title(s.id), "") for s in prog.missing]
            story.append(_photo_list(names, st["base"], head))
        else:
            story.append(para(t("all_present"), st["base"]))
        if prog.optional_missing:
            names = [(ctx.plan.shot_title(s.id), "") for s in prog.optional_missing]
            story.append(
                _photo_list(names, st["muted"], f"{escape(t('missing_optional'))}{sep(lang)}")
            )
    to_check = ctx.plan.to_check
    if to_check:
        head = f'<font color="#A35F00"><b>{escape(t("to_check"))}</b></font>{sep(lang)}'
        items = []
        for photo in to_check:
            reasons = [r.message.get(lang) for r in photo.capture.quality.reasons]
            if kept_after_attempts(photo.capture) and not reasons:
                reasons = [t("kept_after")]
            items.append((photo.title, f" ({', '.join(reasons)})" if reasons else ""))
        story.append(_photo_list(items, st["base"], head))
    unrecorded = ctx.plan.unrecorded
    if unrecorded:
        story.append(para(plural("unrecorded_count", len(unrecorded), lang), st["base"]))
    return story


def _damage_list(ctx: Context, width: float) -> Table:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    data: list[list[Any]] = [
        [para(t(k), st["th"]) for k in ("col_no", "col_part", "col_type", "col_severity")]
    ]
    style = table_style()
    for row, r in enumerate(ctx.plan.refs, start=1):
        d = r.damage
        if d.to_complete:  # its part is a guess, its type and severity placeholders
            data.append(
                [
                    Pill(r.ref, mark_colour(r)),
                    para(part_name(d.part, lang), st["cell"]),
                    para(t("to_be_confirmed"), st["muted"]),
                    "",
                ]
            )
            style.add("SPAN", (2, row), (3, row))
            continue
        sev = plain_table(
            [[Dot(mark_colour(r)), para(severity_name(d.severity, lang), st["cell"])]],
            [10, None],
        )
        sev.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        data.append(
            [
                Pill(r.ref, mark_colour(r)),
                para(part_name(d.part, lang), st["cell_bold"]),
                para(damage_type_name(d.type, lang), st["cell"]),
                sev,
            ]
        )
    widths = [13 * mm, 0.0, 0.28 * width, 0.24 * width]
    widths[1] = width - sum(widths)
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(style)
    return table


def summary(ctx: Context) -> list[Flowable]:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    i = ctx.inspection
    v = i.vehicle
    identity = "  ·  ".join(
        x
        for x in (
            v.title(),
            v.plate,
            f"{t('vin')} {v.vin}" if v.vin else "",
            fmt_km(v.mileage_km, lang) if v.mileage_km is not None else "",
            fmt_day(min((c.captured_at for c in ctx.captures), default=i.created_at), lang),
        )
        if x
    )
    story: list[Flowable] = [
        para(t("summary"), st["h1"]),
        para(identity, st["muted"]),
        Spacer(1, 3 * mm),
        verdict(ctx, 15 * mm),
        *_completion(ctx),
        para(t("damage_list"), st["h2"]),
    ]
    refs = ctx.plan.refs
    markers = [(r.ref, r.damage.part, mark_colour(r)) for r in refs]
    diagram = VehicleDiagram(DIAGRAM_W, 112 * mm, markers, FONT, FONT_BOLD, MUTED)
    side: list[Flowable] = []
    if refs:
        off = [r.ref for r in refs if not diagram.has(r.damage.part)]
        if off:
            side.append(para(t("not_on_diagram", refs=", ".join(off)), st["muted"]))
    else:
        side.append(para(t("no_damage"), st["base"]))
    gap = 6 * mm
    list_w = CONTENT_W - DIAGRAM_W - gap
    if len(refs) <= SIDE_BY_SIDE_MAX:
        left: list[Flowable] = [_damage_list(ctx, list_w)] if refs else []
        story.append(
            plain_table(
                [[[*left, Spacer(1, 2 * mm), *side], "", diagram]], [list_w, gap, DIAGRAM_W]
            )
        )
    else:
        story += [diagram, *side, Spacer(1, 2 * mm), _damage_list(ctx, CONTENT_W)]
    story.append(para(t("notes"), st["h2"]))
    notes = i.notes.strip()
    if notes:
        for line in notes.split("\n"):
            story.append(para(line, st["base"]) if line.strip() else Spacer(1, 2 * mm))
    else:
        story.append(para(t("no_notes"), st["muted"]))
    story.append(
        KeepTogether([para(t("how_graded"), st["h2"]), para(t("grade_rule"), st["muted"])])
    )
    return story
