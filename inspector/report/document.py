"""The PDF report of an inspection: what a buyer reads and can check.

Pages, as a professional condition report:

1. a cover with the verdict: the overall grade, or "Incomplete — N of M
   required photos missing" in its place (see :mod:`inspector.grading`), a
   hero photo, the vehicle and who inspected it when;
2. a one-page summary: completeness (missing shots, photos to check), the
   verdict, the damage list beside the vehicle diagram, the inspector's notes;
3. the damages, each with its close-up (large) beside its wide shot;
4. the remaining photos as a contact sheet, three by three, titled by shot;
5. an evidence appendix: the technical details (resolution, source, the
   SHA-256 of every photo), times, software version, how to verify the bundle.

What is said (damage identifiers D1, D2…, photo titles, completion, grade)
is decided in :mod:`inspector.report_plan`; the photos are prepared by
:mod:`inspector.report_photos`; the look is :mod:`inspector.report_style` and
the drawing pieces :mod:`inspector.report_flowables`. This module lays the
pages out with reportlab. ASCII85 wrapping is off (``rl_config.useA85 = 0``).

The file is written to a temporary name and renamed at the end: a failure or
a cancel never leaves a partial PDF behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from inspector import __version__
from inspector.domain.checklist import Checklist, ChecklistError, load_checklist
from inspector.domain.grading import OverallGrade, grade_name
from inspector.domain.models import Capture, CaptureSource, Inspection, Region
from inspector.domain.progress import best_captures, kept_after_attempts, usable
from inspector.report.diagram import VehicleDiagram
from inspector.report.flowables import (
    Dot,
    GradeBadge,
    Picture,
    PictureRow,
    Pill,
    ProgressBar,
    mark_colour,
)
from inspector.report.i18n import (
    LANGS,
    damage_type_name,
    fuel_name,
    label,
    part_name,
    plural,
    severity_name,
)
from inspector.report.photos import (
    PHOTO_MAX_PX,
    PHOTO_QUALITY,
    PhotoError,
    PreparationCancelled,
    Prepared,
    prepare_photos,
)
from inspector.report.plan import DamageBlock, Photo, ReportPlan, plan_report
from inspector.report.theme import (
    ACCENT,
    CONTENT_H,
    CONTENT_W,
    FONT,
    FONT_BOLD,
    FONT_MONO,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE_H,
    PAGE_W,
    PANEL,
    RULE,
    UNRECORDED,
    FontError,
    fmt_day,
    fmt_dt,
    fmt_km,
    para,
    plain_table,
    register_fonts,
    sep,
    styles,
    table_style,
    utc_offset,
)
from inspector.storage.store import NotFound, Store, StoreError

__all__ = ["PHOTO_MAX_PX", "PHOTO_QUALITY", "ReportCancelled", "ReportError", "build_report"]

HERO_SHOTS = ("three_quarter_front_left", "three_quarter_front_right", "front")


class ReportError(StoreError):
    """The report cannot be made; ``str()`` says why in one line."""


class ReportCancelled(Exception):
    """``cancelled()`` turned true; no file was left behind."""


# -- the document ----------------------------------------------------------------------


@dataclass
class _Context:
    inspection: Inspection
    checklist: Checklist | None
    captures: list[Capture]
    plan: ReportPlan
    lang: str
    inspector_name: str
    generated: datetime
    styles: dict[str, ParagraphStyle]
    prepared: dict[str, Prepared]
    hero: Photo | None

    def t(self, key: str, **values: object) -> str:
        return label(key, self.lang, **values)

    def image(self, photo: Photo | None) -> tuple[Path, tuple[int, int]] | None:
        prepared = self.prepared.get(photo.capture.sha256) if photo else None
        return (prepared.path, prepared.size) if prepared else None


def _verdict(ctx: _Context, badge: float) -> Table:
    """The grade with its reasons, or in its place why there is none: "Incomplete — N of M
    required photos missing", "Damages to complete — N"."""
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    g = ctx.plan.grade
    lines: list[Flowable] = []
    if g.grade is None:
        if g.incomplete:
            lines.append(para(plural("incomplete", g.missing, lang, **_counts(g)), st["verdict"]))
        if g.to_complete:
            lines.append(para(t("to_complete", n=g.to_complete), st["verdict"]))
        why = "no_grade_both" if g.incomplete and g.to_complete else "no_grade"
        lines.append(para(t(why if g.incomplete else "no_grade_damages"), st["base"]))
    else:
        name = grade_name(g.grade, lang)
        lines.append(para(t("grade_of", grade=g.grade, name=name), st["verdict"]))
        lines.append(
            para(t("grade_set") if g.set_by_inspector else t("grade_suggested"), st["base"])
        )
        n = len(ctx.plan.to_check)
        if g.capped:
            lines.append(para(plural("grade_capped", n, lang, cap=g.cap, base=g.base), st["base"]))
        elif n:
            lines.append(para(plural("grade_limited", n, lang), st["base"]))
    table = plain_table(
        [[GradeBadge(g.grade, badge), "", lines]], [badge, 5 * mm, CONTENT_W - badge - 5 * mm]
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, -1), PANEL),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (2, 0), (2, 0), 6),
            ]
        )
    )
    return table


def _counts(g: OverallGrade) -> dict[str, int]:
    return {"missing": g.missing, "required": g.required}


def _cover(ctx: _Context) -> list[Flowable]:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    i = ctx.inspection
    v = i.vehicle
    story: list[Flowable] = [
        para(t("report_caps"), st["kicker"]),
        Spacer(1, 2 * mm),
        para(v.title() or t("unknown_vehicle"), st["title"]),
    ]
    sub = "  ·  ".join(x for x in (v.plate, v.vin) if x)
    if sub:
        story.append(para(sub, st["subtitle"]))
    story += [Spacer(1, 5 * mm), _verdict(ctx, 22 * mm), Spacer(1, 5 * mm)]
    hero = ctx.hero
    title = f"{hero.title} — {fmt_dt(hero.capture.captured_at, lang)}" if hero else ""
    story.append(PictureRow([Picture(None, title, ctx.image(hero))], [(CONTENT_W, 112 * mm)], lang))
    story.append(Spacer(1, 4 * mm))

    def rows(pairs: list[tuple[str, str]]) -> Table:
        data = [[para(k, st["muted"]), para(val or "—", st["cell_bold"])] for k, val in pairs]
        table = Table(data, colWidths=[27 * mm, None])
        table.setStyle(table_style(header=False, pad=2.5))
        return table

    vehicle_rows = [
        (t("plate"), v.plate),
        (t("vin"), v.vin),
        (t("mileage"), fmt_km(v.mileage_km, lang) if v.mileage_km is not None else ""),
        (t("year"), str(v.year) if v.year else ""),
        (t("fuel"), fuel_name(v.fuel, lang) if v.fuel else ""),
        (t("colour"), v.colour),
    ]
    times = [c.captured_at for c in ctx.captures]
    when = min(times) if times else i.created_at
    inspection_rows = [
        (t("date"), fmt_dt(when, lang)),
        (t("operator"), i.operator),
        (t("inspector"), ctx.inspector_name),
        (t("seller"), i.seller.name),
        (t("checklist"), ctx.checklist.title.get(lang) if ctx.checklist else i.checklist),
        (t("inspection_id"), i.id),
    ]
    gap = 8 * mm
    col_w = (CONTENT_W - gap) / 2
    story.append(
        plain_table(
            [
                [para(t("vehicle"), st["h2"]), "", para(t("inspection"), st["h2"])],
                [rows(vehicle_rows), "", rows(inspection_rows)],
            ],
            [col_w, gap, col_w],
        )
    )
    return story


def _photo_list(photos: Iterable[tuple[str, str]], st: ParagraphStyle, head: str) -> Paragraph:
    items = "; ".join(f"{escape(t)}{escape(extra)}" for t, extra in photos)
    return Paragraph(f"{head}{items}", st)


def _completion(ctx: _Context) -> list[Flowable]:
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


DIAGRAM_W = 56 * mm
SIDE_BY_SIDE_MAX = 14
"""More damages than this: the list goes under the diagram, where it can split across pages."""


def _damage_list(ctx: _Context, width: float) -> Table:
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


def _summary(ctx: _Context) -> list[Flowable]:
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
        _verdict(ctx, 15 * mm),
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


CLOSEUP_W = 104 * mm
WIDE_W = CONTENT_W - CLOSEUP_W - PictureRow.GAP


def _block(ctx: _Context, block: DamageBlock) -> Flowable:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    header: list[list[Any]] = []
    if block.damages:
        for r in block.damages:
            d = r.damage
            what = (
                # a damage to complete: its type and severity are placeholders, not facts
                [t("to_be_confirmed")]
                if d.to_complete
                else [damage_type_name(d.type, lang), severity_name(d.severity, lang)]
            )
            text = "  ·  ".join([f"<b>{escape(part_name(d.part, lang))}</b>", *map(escape, what)])
            cell: list[Flowable] = [Paragraph(text, st["base"])]
            if d.to_complete:
                cell.append(para(t("to_complete_text"), st["muted"]))
            if d.note:
                cell.append(para(d.note, st["muted"]))
            header.append([Pill(r.ref, mark_colour(r)), cell])
    else:
        cell = [para(block.title, st["cell_bold"]), para(t("unrecorded_text"), st["muted"])]
        header.append([Pill("?", UNRECORDED), cell])
    head = plain_table(header, [14 * mm, CONTENT_W - 14 * mm])
    head.setStyle(TableStyle([("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    pictures: list[Picture] = []
    if block.wide is not None:
        pictures.append(Picture(block.wide, block.wide.title, ctx.image(block.wide)))
    if block.closeup is not None:
        pictures.append(Picture(block.closeup, block.closeup.title, ctx.image(block.closeup)))
    elif block.crop_of is not None and block.wide is not None:
        prepared = ctx.prepared.get(block.wide.capture.sha256)
        crop = prepared.crops.get(block.crop_of.damage.id) if prepared else None
        if crop is not None:
            path, size, view = crop
            enlarged = Photo(block.wide.capture, "", block.wide.category, 0, [block.crop_of])
            pictures.append(
                Picture(enlarged, t("enlarged", ref=block.crop_of.ref), (path, size), view)
            )
    parts: list[Flowable] = [head, Spacer(1, 1.5 * mm)]
    if not pictures:
        parts.append(para(t("no_damage_photo"), st["muted"]))
    elif len(pictures) == 1:
        parts.append(PictureRow(pictures, [(CLOSEUP_W, CLOSEUP_W * 0.75)], lang))
    else:
        boxes = [(WIDE_W, WIDE_W * 0.75), (CLOSEUP_W, CLOSEUP_W * 0.75)]
        parts.append(PictureRow(pictures, boxes, lang))
    parts.append(Spacer(1, 6 * mm))
    return KeepTogether(parts)


def _damage_pages(ctx: _Context) -> list[Flowable]:
    if not ctx.plan.blocks:
        return []
    story: list[Flowable] = [para(ctx.t("damages"), ctx.styles["h1"])]
    story += [_block(ctx, b) for b in ctx.plan.blocks]
    return story


CONTACT_COLS = 3


def _contact_sheet(ctx: _Context) -> list[Flowable]:
    photos = ctx.plan.contact
    if not photos:
        return []
    cell_w = (CONTENT_W - PictureRow.GAP * (CONTACT_COLS - 1)) / CONTACT_COLS
    rows: list[Flowable] = []
    for k in range(0, len(photos), CONTACT_COLS):
        chunk = photos[k : k + CONTACT_COLS]
        pictures = [Picture(p, p.title, ctx.image(p)) for p in chunk]
        rows.append(PictureRow(pictures, [(cell_w, cell_w * 0.75)] * len(chunk), ctx.lang))
        rows.append(Spacer(1, 3.5 * mm))
    heading = para(ctx.t("photos"), ctx.styles["h1"])
    return [KeepTogether([heading, rows[0]]), *rows[1:]]


def _evidence(ctx: _Context) -> list[Flowable]:
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
        when = c.captured_at.astimezone().strftime("%H:%M:%S")
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


def _make_canvas_class(lang: str) -> type[Canvas]:
    """A canvas that stamps "Page n of N" once the page count is known."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 7.5)
                self.setFillColor(MUTED)
                self.drawRightString(
                    PAGE_W - MARGIN_X, 11 * mm, label("page", lang, n=self._pageNumber, total=total)
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def _page_decor(
    ctx: _Context, cancelled: Callable[[], bool] | None, cover: bool
) -> Callable[[Canvas, BaseDocTemplate], None]:
    i = ctx.inspection
    right = f"{label('inspection', ctx.lang)} {i.id}"
    room = CONTENT_W - pdfmetrics.stringWidth(right, FONT, 7.5) - 8 * mm
    header = ""
    for parts in (
        (label("report", ctx.lang), i.vehicle.title(), i.vehicle.plate),
        (label("report", ctx.lang), i.vehicle.plate),  # a long vehicle name: leave it out
    ):
        header = "  ·  ".join(x for x in parts if x)
        if pdfmetrics.stringWidth(header, FONT, 7.5) <= room:
            break

    def decorate(canv: Canvas, doc: BaseDocTemplate) -> None:
        if cancelled is not None and cancelled():
            raise ReportCancelled("report cancelled")
        canv.saveState()
        if cover:
            canv.setFillColor(ACCENT)
            canv.rect(0, PAGE_H - 8 * mm, PAGE_W, 8 * mm, stroke=0, fill=1)
        else:
            canv.setFont(FONT, 7.5)
            canv.setFillColor(MUTED)
            canv.drawString(MARGIN_X, PAGE_H - 13 * mm, header)
            canv.drawRightString(PAGE_W - MARGIN_X, PAGE_H - 13 * mm, right)
            canv.setStrokeColor(ACCENT)
            canv.setLineWidth(1.2)
            canv.line(MARGIN_X, PAGE_H - 15.5 * mm, PAGE_W - MARGIN_X, PAGE_H - 15.5 * mm)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(MARGIN_X, 15 * mm, PAGE_W - MARGIN_X, 15 * mm)
        canv.setFont(FONT, 7.5)
        canv.setFillColor(MUTED)
        canv.drawString(
            MARGIN_X,
            11 * mm,
            f"{label('inspection', ctx.lang)} {i.id}  ·  "
            f"{label('generated', ctx.lang)} {fmt_dt(ctx.generated, ctx.lang)}",
        )
        canv.restoreState()

    return decorate


def _hero(plan: ReportPlan) -> Photo | None:
    by_shot = {p.capture.shot_id: p for p in plan.contact}
    for shot_id in HERO_SHOTS:
        if shot_id in by_shot:
            return by_shot[shot_id]
    return next((p for p in plan.contact if p.category == "exterior"), None)


def _crops(plan: ReportPlan) -> dict[str, list[tuple[str, Region]]]:
    """The enlargements to cut, by photo SHA-256: (damage id, region)."""
    crops: dict[str, list[tuple[str, Region]]] = {}
    for block in plan.blocks:
        ref = block.crop_of
        if ref is not None and block.wide is not None and ref.damage.region is not None:
            crops.setdefault(block.wide.capture.sha256, []).append(
                (ref.damage.id, ref.damage.region)
            )
    return crops


def build_report(
    store: Store,
    inspection_id: str,
    out_path: str | os.PathLike[str],
    *,
    lang: str = "fr",
    inspector_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Write the PDF report of one inspection (id or unambiguous prefix); return its path.

    An incomplete inspection gets an honest report ("Incomplete", no grade);
    refusing one is the caller's choice (the CLI does without
    ``--allow-incomplete``). ``progress(done, total)`` is called as photos are
    prepared and once at the end; ``cancelled()`` is polled between steps and
    pages, and when it turns true :class:`ReportCancelled` is raised and no file
    is left at ``out_path``. It only reads the store: a caller that issues the
    report marks the inspection reported (:func:`inspector.usecases.status.reported`).
    """
    if lang not in LANGS:
        raise ReportError(f"report language must be one of {', '.join(LANGS)}, not {lang!r}")
    out = Path(out_path)
    try:
        register_fonts()
    except FontError as exc:
        raise ReportError(str(exc)) from exc
    rl_config.useA85 = 0
    inspection = store.find_inspection(inspection_id)
    captures = store.captures(inspection.id)
    damages = store.damages(inspection.id)
    try:
        checklist: Checklist | None = load_checklist(inspection.checklist)
    except ChecklistError:
        checklist = None
    plan = plan_report(inspection, checklist, captures, damages, lang)
    shas = list(dict.fromkeys(p.capture.sha256 for p in plan.photos))
    total_steps = len(shas) + 1
    if cancelled is not None and cancelled():
        raise ReportCancelled("report cancelled")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="inspector-report-") as work:
            try:
                prepared = prepare_photos(
                    store,
                    shas,
                    _crops(plan),
                    Path(work),
                    None if progress is None else lambda done: progress(done, total_steps),
                    cancelled,
                )
            except PreparationCancelled as exc:
                raise ReportCancelled(str(exc)) from exc
            except PhotoError as exc:
                raise ReportError(str(exc)) from exc
            except NotFound as exc:
                raise ReportError(f"cannot make the report: {exc}") from exc
            ctx = _Context(
                inspection=inspection,
                checklist=checklist,
                captures=captures,
                plan=plan,
                lang=lang,
                inspector_name=inspection.inspector if inspector_name is None else inspector_name,
                generated=datetime.now().astimezone(),
                styles=styles(),
                prepared=prepared,
                hero=_hero(plan),
            )
            _build_pdf(ctx, tmp, cancelled)
            if cancelled is not None and cancelled():
                raise ReportCancelled("report cancelled")
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, out)
    except OSError as exc:
        raise ReportError(f"cannot write the report {out}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    if progress is not None:
        progress(total_steps, total_steps)
    return out


def _build_pdf(ctx: _Context, path: Path, cancelled: Callable[[], bool] | None) -> None:
    i = ctx.inspection
    title = f"{label('report', ctx.lang)} — {i.vehicle.title() or i.id}"
    doc = BaseDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=ctx.inspector_name or i.operator,
        subject=f"{label('inspection', ctx.lang)} {i.id}",
        creator=f"vehicle-inspector {__version__}",
        lang=ctx.lang,
    )
    no_padding = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, CONTENT_W, CONTENT_H, id="body", **no_padding)
    cover_frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        CONTENT_W,
        PAGE_H - MARGIN_BOTTOM - 16 * mm,
        id="cover",
        **no_padding,
    )
    doc.addPageTemplates(
        [
            PageTemplate("cover", [cover_frame], onPage=_page_decor(ctx, cancelled, True)),
            PageTemplate("body", [frame], onPage=_page_decor(ctx, cancelled, False)),
        ]
    )
    story: list[Flowable] = [*_cover(ctx), NextPageTemplate("body"), PageBreak()]
    story += _summary(ctx)
    damages = _damage_pages(ctx)
    if damages:
        story += [PageBreak(), *damages]
    contact = _contact_sheet(ctx)
    if contact:
        story += contact if damages else [PageBreak(), *contact]
    # The appendix starts on a fresh page only when little room is left: no near-blank
    # page after the last row of photos.
    story += [CondPageBreak(90 * mm) if contact else PageBreak(), *_evidence(ctx)]
    doc.build(story, canvasmaker=_make_canvas_class(ctx.lang))
