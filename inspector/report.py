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
:mod:`inspector.report_photos`. This module lays them out with reportlab.
ASCII85 wrapping is off (``rl_config.useA85 = 0``); the fonts are the DejaVu
TTFs shipped in ``assets/fonts`` (embedded as subsets), so accents, € and
Polish names render whatever the machine.

The file is written to a temporary name and renamed at the end: a failure or
a cancel never leaves a partial PDF behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
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
from inspector.assets import asset_path
from inspector.checklist import Checklist, ChecklistError, load_checklist
from inspector.grading import grade_name
from inspector.inspections import best_captures, kept_after_attempts, usable
from inspector.models import Capture, CaptureSource, Inspection, InspectionStatus, Severity
from inspector.report_diagram import PILL_H, VehicleDiagram, draw_pill
from inspector.report_i18n import (
    LANGS,
    damage_type_name,
    fuel_name,
    label,
    part_name,
    plural,
    severity_name,
)
from inspector.report_photos import (
    PHOTO_MAX_PX,
    PHOTO_QUALITY,
    PhotoError,
    PreparationCancelled,
    Prepared,
    View,
    prepare_photos,
)
from inspector.report_plan import DamageBlock, DamageRef, Photo, ReportPlan, plan_report
from inspector.store import NotFound, Store, StoreError

__all__ = ["PHOTO_MAX_PX", "PHOTO_QUALITY", "ReportCancelled", "ReportError", "build_report"]

HERO_SHOTS = ("three_quarter_front_left", "three_quarter_front_right", "front")

PAGE_W, PAGE_H = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 19 * mm
CONTENT_W = PAGE_W - 2 * MARGIN_X
CONTENT_H = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM

ACCENT = colors.HexColor("#0E5A8A")
INK = colors.HexColor("#1D2329")
MUTED = colors.HexColor("#5B6670")
RULE = colors.HexColor("#D5DCE4")
PANEL = colors.HexColor("#F5F7F9")
WARNING = colors.HexColor("#A35F00")
MISSING = colors.HexColor("#C0392B")
INCOMPLETE = colors.HexColor("#8E2A20")
UNRECORDED = colors.HexColor("#6B7680")
SEVERITY_COLOURS = {
    Severity.MINOR: colors.HexColor("#D99A00"),
    Severity.MODERATE: colors.HexColor("#E36C0A"),
    Severity.SEVERE: colors.HexColor("#C0392B"),
}
GRADE_COLOURS = {
    5: colors.HexColor("#2E8B57"),
    4: colors.HexColor("#5E9E3A"),
    3: colors.HexColor("#C99400"),
    2: colors.HexColor("#E36C0A"),
    1: colors.HexColor("#C0392B"),
}

FONT = "InspectorSans"
FONT_BOLD = "InspectorSans-Bold"
FONT_MONO = "InspectorMono"


class ReportError(StoreError):
    """The report cannot be made; ``str()`` says why in one line."""


class ReportCancelled(Exception):
    """``cancelled()`` turned true; no file was left behind."""


# -- fonts and styles --------------------------------------------------------------

_font_lock = threading.Lock()


def register_fonts() -> None:
    """Register the shipped DejaVu fonts with reportlab (once per process)."""
    with _font_lock:
        if FONT in pdfmetrics.getRegisteredFontNames():
            return
        files = {
            FONT: "DejaVuSans.ttf",
            FONT_BOLD: "DejaVuSans-Bold.ttf",
            FONT_MONO: "DejaVuSansMono.ttf",
        }
        for name, file_name in files.items():
            path = asset_path("fonts", file_name)
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except Exception as exc:  # reportlab raises TTFError or OSError
                raise ReportError(f"cannot load the report font {path}: {exc}") from exc
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    # No space shrinkage: reportlab would otherwise let a line overrun the margin by 5 %
    # of its spaces.
    base = ParagraphStyle(
        "base", fontName=FONT, fontSize=9, leading=12.5, textColor=INK, spaceShrinkage=0
    )
    return {
        "base": base,
        "small": ParagraphStyle("small", base, fontSize=8, leading=10.5),
        "muted": ParagraphStyle("muted", base, fontSize=8, leading=10.5, textColor=MUTED),
        "kicker": ParagraphStyle(
            "kicker", base, fontName=FONT_BOLD, fontSize=9, textColor=ACCENT, leading=12
        ),
        "title": ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=24, leading=29),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=11, leading=15, textColor=MUTED),
        "h1": ParagraphStyle(
            "h1", base, fontName=FONT_BOLD, fontSize=15, leading=19, textColor=ACCENT, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2", base, fontName=FONT_BOLD, fontSize=10.5, leading=13, spaceBefore=8, spaceAfter=4
        ),
        "verdict": ParagraphStyle("verdict", base, fontName=FONT_BOLD, fontSize=13, leading=16.5),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=11),
        "cell_bold": ParagraphStyle(
            "cell_bold", base, fontName=FONT_BOLD, fontSize=8.5, leading=11
        ),
        "th": ParagraphStyle(
            "th", base, fontName=FONT_BOLD, fontSize=7.5, leading=9.5, textColor=MUTED
        ),
        "tiny": ParagraphStyle("tiny", base, fontSize=6.8, leading=8.6),
        "mono": ParagraphStyle("mono", base, fontName=FONT_MONO, fontSize=5.6, leading=8.6),
        "code": ParagraphStyle(
            "code",
            base,
            fontName=FONT_MONO,
            fontSize=9,
            leading=13,
            backColor=PANEL,
            borderPadding=(4, 6, 4, 6),
            leftIndent=6,
            rightIndent=6,
            spaceBefore=5,
            spaceAfter=8,
            alignment=TA_LEFT,
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _plain_table(data: list[list[Any]], widths: Sequence[float | None]) -> Table:
    """A layout table: no padding, no lines, cells aligned at the top."""
    table = Table(data, colWidths=list(widths))
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _table_style(header: bool = True, pad: float = 3.5) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3.5),
        ("TOPPADDING", (0, 0), (-1, -1), pad),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header:
        commands += [("LINEBELOW", (0, 0), (-1, 0), 0.9, ACCENT)]
    return TableStyle(commands)


# -- dates and numbers -------------------------------------------------------------


def _zone(value: datetime) -> str:
    offset = value.astimezone().strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else ""


def _fmt_day(value: datetime, lang: str) -> str:
    return value.astimezone().strftime("%d/%m/%Y" if lang == "fr" else "%Y-%m-%d")


def _fmt_dt(value: datetime, lang: str, *, seconds: bool = False, zone: bool = True) -> str:
    """Local date and time, French or ISO-like order, with the UTC offset if asked."""
    local = value.astimezone()
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    text = f"{_fmt_day(local, lang)} {clock}"
    return f"{text} ({_zone(local)})" if zone and _zone(local) else text


def _fmt_km(value: int, lang: str) -> str:
    # No-break spaces: reportlab may break a line at a narrow no-break space (U+202F).
    grouped = f"{value:,}".replace(",", "\u00a0" if lang == "fr" else ",")
    return f"{grouped}\u00a0km"


def _sep(lang: str) -> str:
    return " : " if lang == "fr" else ": "


# -- drawing photos ------------------------------------------------------------------


def _mark_colour(ref: DamageRef) -> colors.Color:
    return SEVERITY_COLOURS[ref.damage.severity]


def _draw_photo(
    canv: Canvas,
    prepared: tuple[Path, tuple[int, int]] | None,
    x: float,
    y: float,
    width: float,
    height: float,
    *,
    lang: str,
    marks: Iterable[DamageRef] = (),
    view: View = (0.0, 0.0, 1.0, 1.0),
) -> tuple[float, float, float, float]:
    """Draw a prepared JPEG fitted into a box (top-aligned), with its damage marks.

    Returns the drawn image's rectangle (x, y, width, height).
    """
    if prepared is None:
        canv.saveState()
        canv.setFillColor(PANEL)
        canv.setStrokeColor(RULE)
        canv.rect(x, y, width, height, stroke=1, fill=1)
        canv.setFillColor(MUTED)
        canv.setFont(FONT, 9)
        canv.drawCentredString(x + width / 2, y + height / 2 - 3, label("no_photo", lang))
        canv.restoreState()
        return x, y, width, height
    path, (iw, ih) = prepared
    scale = min(width / iw, height / ih)
    dw, dh = iw * scale, ih * scale
    dx, dy = x + (width - dw) / 2, y + height - dh
    canv.drawImage(str(path), dx, dy, dw, dh)
    canv.saveState()
    canv.setStrokeColor(RULE)
    canv.setLineWidth(0.5)
    canv.rect(dx, dy, dw, dh, stroke=1, fill=0)
    vx, vy, vw, vh = view
    for ref in marks:
        region = ref.damage.region
        if region is None:
            continue
        colour = _mark_colour(ref)
        rx = dx + (region.x - vx) / vw * dw
        ry_top = dy + dh - (region.y - vy) / vh * dh
        canv.setStrokeColor(colour)
        canv.setLineWidth(1.6)
        half = (canv.stringWidth(ref.ref, FONT_BOLD, 7) + 7) / 2
        if region.is_point:
            canv.circle(rx, ry_top, 9, stroke=1, fill=0)
            lx, ly = rx + 9 + half, ry_top + 9 + PILL_H / 2
        else:
            # The label sits on the box's top left corner, outside it when there is room.
            rw, rh = region.w / vw * dw, region.h / vh * dh
            canv.rect(rx, ry_top - rh, rw, rh, stroke=1, fill=0)
            lx, ly = rx + half, ry_top + PILL_H / 2 + 1
        lx = min(max(lx, dx + half + 1), dx + dw - half - 1)
        ly = min(max(ly, dy + PILL_H / 2 + 1), dy + dh - PILL_H / 2 - 1)
        draw_pill(canv, lx, ly, ref.ref, colour, FONT_BOLD)
    canv.restoreState()
    return dx, dy, dw, dh


@dataclass(frozen=True)
class _Line:
    text: str
    font: str
    size: float
    colour: colors.Color

    @property
    def leading(self) -> float:
        return self.size * 1.24


def _wrap(text: str, font: str, size: float, colour: colors.Color, width: float) -> list[_Line]:
    return [_Line(t, font, size, colour) for t in simpleSplit(text, font, size, width)]


def _caption(photo: Photo | None, title: str, lang: str, width: float) -> list[_Line]:
    """A buyer's caption: the shot, the damages marked on it, a quality flag.

    Times, resolutions and fingerprints are technical details: the evidence
    appendix has them.
    """
    lines = _wrap(title, FONT_BOLD, 7.5, INK, width)
    if photo is None:
        return lines
    flags = []
    unnamed = [r.ref for r in photo.marks if r.ref not in title]
    if unnamed:
        flags.append((label("marks", lang, refs=", ".join(unnamed)), ACCENT))
    if photo.to_check:
        flags.append((label("to_check_flag", lang), WARNING))
    for text, colour in flags:
        lines += _wrap(text, FONT_BOLD, 7, colour, width)
    return lines


def _caption_height(lines: list[_Line]) -> float:
    return sum(line.leading for line in lines) + 3


def _draw_caption(canv: Canvas, lines: list[_Line], x: float, top: float) -> None:
    canv.saveState()
    y = top - 3
    for line in lines:
        y -= line.size
        canv.setFont(line.font, line.size)
        canv.setFillColor(line.colour)
        canv.drawString(x, y, line.text)
        y -= line.leading - line.size
    canv.restoreState()


@dataclass
class _Picture:
    """One picture of a flowable: the photo (or an enlargement of it) and its caption."""

    photo: Photo | None
    title: str
    prepared: tuple[Path, tuple[int, int]] | None
    view: View = (0.0, 0.0, 1.0, 1.0)


class _PictureRow(Flowable):  # type: ignore[misc]
    """Pictures side by side, each in a box of its own width, captions underneath.

    Used for the contact sheet (three equal boxes) and for a damage (its wide
    shot beside a larger close-up). The row is as tall as its tallest caption
    needs: no caption is ever cut.
    """

    GAP = 5 * mm

    def __init__(self, pictures: list[_Picture], boxes: list[tuple[float, float]], lang: str):
        super().__init__()
        self.pictures, self.boxes, self.lang = pictures, boxes, lang
        self.captions = [
            _caption(p.photo, p.title, lang, w) for p, (w, _h) in zip(pictures, boxes, strict=True)
        ]
        self.width = sum(w for w, _ in boxes) + self.GAP * (len(boxes) - 1)
        self.height = max(
            h + _caption_height(c) for (_w, h), c in zip(boxes, self.captions, strict=True)
        )

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        x = 0.0
        for picture, (w, h), caption in zip(self.pictures, self.boxes, self.captions, strict=True):
            marks = picture.photo.marks if picture.photo else []
            left, bottom, _dw, _dh = _draw_photo(
                self.canv,
                picture.prepared,
                x,
                self.height - h,
                w,
                h,
                lang=self.lang,
                marks=marks,
                view=picture.view,
            )
            _draw_caption(self.canv, caption, left if picture.prepared else x, bottom)
            x += w + self.GAP


class _Pill(Flowable):  # type: ignore[misc]
    """A damage identifier as in the photos and the diagram, for tables."""

    def __init__(self, text: str, colour: colors.Color) -> None:
        super().__init__()
        self.text, self.colour = text, colour
        self.width = pdfmetrics.stringWidth(text, FONT_BOLD, 7) + 8
        self.height = PILL_H + 1

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.saveState()
        draw_pill(self.canv, self.width / 2, self.height / 2, self.text, self.colour, FONT_BOLD)
        self.canv.restoreState()


class _GradeBadge(Flowable):  # type: ignore[misc]
    """The grade as a coloured square ("4/5"), or a "!" when there is none."""

    def __init__(self, grade: int | None, size: float) -> None:
        super().__init__()
        self.grade = grade
        self.width = self.height = size

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canv, s = self.canv, self.width
        canv.saveState()
        canv.setFillColor(GRADE_COLOURS[self.grade] if self.grade else INCOMPLETE)
        canv.roundRect(0, 0, s, s, 4, stroke=0, fill=1)
        canv.setFillColor(colors.white)
        if self.grade is None:
            canv.setFont(FONT_BOLD, s * 0.55)
            canv.drawCentredString(s / 2, s * 0.3, "!")
        else:
            big = s * 0.5
            text, tail = str(self.grade), "/5"
            wb = canv.stringWidth(text, FONT_BOLD, big)
            wt = canv.stringWidth(tail, FONT, big * 0.42)
            x0 = (s - wb - wt) / 2
            canv.setFont(FONT_BOLD, big)
            canv.drawString(x0, s * 0.3, text)
            canv.setFont(FONT, big * 0.42)
            canv.drawString(x0 + wb, s * 0.3, tail)
        canv.restoreState()


class _ProgressBar(Flowable):  # type: ignore[misc]
    def __init__(self, done: int, total: int, width: float) -> None:
        super().__init__()
        self.done, self.total, self.width, self.height = done, total, width, 6

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height + 4

    def draw(self) -> None:
        canv = self.canv
        share = self.done / self.total if self.total else 1.0
        canv.saveState()
        canv.setFillColor(RULE)
        canv.roundRect(0, 2, self.width, self.height, 3, stroke=0, fill=1)
        if share > 0:
            canv.setFillColor(GRADE_COLOURS[5] if share >= 1 else MISSING)
            canv.roundRect(0, 2, max(self.width * share, 6), self.height, 3, stroke=0, fill=1)
        canv.restoreState()


class _Dot(Flowable):  # type: ignore[misc]
    def __init__(self, colour: colors.Color) -> None:
        super().__init__()
        self.colour = colour
        self.width = self.height = 9

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.saveState()
        self.canv.setFillColor(self.colour)
        self.canv.circle(4.5, 4.5, 3.5, stroke=0, fill=1)
        self.canv.restoreState()


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
    """The grade with its reasons, or "Incomplete — N of M required photos missing"."""
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    g = ctx.plan.grade
    lines: list[Flowable] = []
    if g.grade is None:
        lines.append(_p(plural("incomplete", g.missing, lang, **_counts(g)), st["verdict"]))
        lines.append(_p(t("no_grade"), st["base"]))
    else:
        name = grade_name(g.grade, lang)
        lines.append(_p(t("grade_of", grade=g.grade, name=name), st["verdict"]))
        lines.append(_p(t("grade_set") if g.set_by_inspector else t("grade_suggested"), st["base"]))
        n = len(ctx.plan.to_check)
        if g.capped:
            lines.append(_p(plural("grade_capped", n, lang, cap=g.cap, base=g.base), st["base"]))
        elif n:
            lines.append(_p(plural("grade_limited", n, lang), st["base"]))
    table = _plain_table(
        [[_GradeBadge(g.grade, badge), "", lines]], [badge, 5 * mm, CONTENT_W - badge - 5 * mm]
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


def _counts(g: Any) -> dict[str, int]:
    return {"missing": g.missing, "required": g.required}


def _cover(ctx: _Context) -> list[Flowable]:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    i = ctx.inspection
    v = i.vehicle
    story: list[Flowable] = [
        _p(t("report_caps"), st["kicker"]),
        Spacer(1, 2 * mm),
        _p(v.title() or t("unknown_vehicle"), st["title"]),
    ]
    sub = "  ·  ".join(x for x in (v.plate, v.vin) if x)
    if sub:
        story.append(_p(sub, st["subtitle"]))
    story += [Spacer(1, 5 * mm), _verdict(ctx, 22 * mm), Spacer(1, 5 * mm)]
    hero = ctx.hero
    title = f"{hero.title} — {_fmt_dt(hero.capture.captured_at, lang)}" if hero else ""
    story.append(
        _PictureRow([_Picture(None, title, ctx.image(hero))], [(CONTENT_W, 112 * mm)], lang)
    )
    story.append(Spacer(1, 4 * mm))

    def rows(pairs: list[tuple[str, str]]) -> Table:
        data = [[_p(k, st["muted"]), _p(val or "—", st["cell_bold"])] for k, val in pairs]
        table = Table(data, colWidths=[27 * mm, None])
        table.setStyle(_table_style(header=False, pad=2.5))
        return table

    vehicle_rows = [
        (t("plate"), v.plate),
        (t("vin"), v.vin),
        (t("mileage"), _fmt_km(v.mileage_km, lang) if v.mileage_km is not None else ""),
        (t("year"), str(v.year) if v.year else ""),
        (t("fuel"), fuel_name(v.fuel, lang) if v.fuel else ""),
        (t("colour"), v.colour),
    ]
    times = [c.captured_at for c in ctx.captures]
    when = min(times) if times else i.created_at
    inspection_rows = [
        (t("date"), _fmt_dt(when, lang)),
        (t("operator"), i.operator),
        (t("inspector"), ctx.inspector_name),
        (t("seller"), i.seller.name),
        (t("checklist"), ctx.checklist.title.get(lang) if ctx.checklist else i.checklist),
        (t("inspection_id"), i.id),
    ]
    gap = 8 * mm
    col_w = (CONTENT_W - gap) / 2
    story.append(
        _plain_table(
            [
                [_p(t("vehicle"), st["h2"]), "", _p(t("inspection"), st["h2"])],
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
    story: list[Flowable] = [_p(t("completion"), st["h2"])]
    prog = ctx.plan.progress
    if prog is None:
        story.append(_p(f"{t('checklist')}{_sep(lang)}{ctx.inspection.checklist} (?)", st["muted"]))
    else:
        story.append(_p(t("required_done", done=prog.done, required=prog.required), st["base"]))
        story.append(Spacer(1, 1 * mm))
        story.append(_ProgressBar(prog.done, prog.required, CONTENT_W))
        story.append(Spacer(1, 1 * mm))
        if prog.missing:
            head = (
                f'<font color="#C0392B"><b>{escape(t("missing_required"))}</b></font>{_sep(lang)}'
            )
            names = [(ctx.plan.shot_title(s.id), "") for s in prog.missing]
            story.append(_photo_list(names, st["base"], head))
        else:
            story.append(_p(t("all_present"), st["base"]))
        if prog.optional_missing:
            names = [(ctx.plan.shot_title(s.id), "") for s in prog.optional_missing]
            story.append(
                _photo_list(names, st["muted"], f"{escape(t('missing_optional'))}{_sep(lang)}")
            )
    to_check = ctx.plan.to_check
    if to_check:
        head = f'<font color="#A35F00"><b>{escape(t("to_check"))}</b></font>{_sep(lang)}'
        items = []
        for photo in to_check:
            reasons = [r.message.get(lang) for r in photo.capture.quality.reasons]
            if kept_after_attempts(photo.capture) and not reasons:
                reasons = [t("kept_after")]
            items.append((photo.title, f" ({', '.join(reasons)})" if reasons else ""))
        story.append(_photo_list(items, st["base"], head))
    unrecorded = ctx.plan.unrecorded
    if unrecorded:
        story.append(_p(plural("unrecorded_count", len(unrecorded), lang), st["base"]))
    return story


DIAGRAM_W = 56 * mm
SIDE_BY_SIDE_MAX = 14
"""More damages than this: the list goes under the diagram, where it can split across pages."""


def _damage_list(ctx: _Context, width: float) -> Table:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    data: list[list[Any]] = [
        [_p(t(k), st["th"]) for k in ("col_no", "col_part", "col_type", "col_severity")]
    ]
    for r in ctx.plan.refs:
        d = r.damage
        sev = _plain_table(
            [[_Dot(_mark_colour(r)), _p(severity_name(d.severity, lang), st["cell"])]],
            [10, None],
        )
        sev.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        data.append(
            [
                _Pill(r.ref, _mark_colour(r)),
                _p(part_name(d.part, lang), st["cell_bold"]),
                _p(damage_type_name(d.type, lang), st["cell"]),
                sev,
            ]
        )
    widths = [13 * mm, 0.0, 0.28 * width, 0.24 * width]
    widths[1] = width - sum(widths)
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(_table_style())
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
            _fmt_km(v.mileage_km, lang) if v.mileage_km is not None else "",
            _fmt_day(min((c.captured_at for c in ctx.captures), default=i.created_at), lang),
        )
        if x
    )
    story: list[Flowable] = [
        _p(t("summary"), st["h1"]),
        _p(identity, st["muted"]),
        Spacer(1, 3 * mm),
        _verdict(ctx, 15 * mm),
        *_completion(ctx),
        _p(t("damage_list"), st["h2"]),
    ]
    refs = ctx.plan.refs
    markers = [(r.ref, r.damage.part, _mark_colour(r)) for r in refs]
    diagram = VehicleDiagram(DIAGRAM_W, 112 * mm, markers, FONT, FONT_BOLD, MUTED)
    side: list[Flowable] = []
    if refs:
        off = [r.ref for r in refs if not diagram.has(r.damage.part)]
        if off:
            side.append(_p(t("not_on_diagram", refs=", ".join(off)), st["muted"]))
    else:
        side.append(_p(t("no_damage"), st["base"]))
    gap = 6 * mm
    list_w = CONTENT_W - DIAGRAM_W - gap
    if len(refs) <= SIDE_BY_SIDE_MAX:
        left: list[Flowable] = [_damage_list(ctx, list_w)] if refs else []
        story.append(
            _plain_table(
                [[[*left, Spacer(1, 2 * mm), *side], "", diagram]], [list_w, gap, DIAGRAM_W]
            )
        )
    else:
        story += [diagram, *side, Spacer(1, 2 * mm), _damage_list(ctx, CONTENT_W)]
    story.append(_p(t("notes"), st["h2"]))
    notes = i.notes.strip()
    if notes:
        for para in notes.split("\n"):
            story.append(_p(para, st["base"]) if para.strip() else Spacer(1, 2 * mm))
    else:
        story.append(_p(t("no_notes"), st["muted"]))
    story.append(KeepTogether([_p(t("how_graded"), st["h2"]), _p(t("grade_rule"), st["muted"])]))
    return story


CLOSEUP_W = 104 * mm
WIDE_W = CONTENT_W - CLOSEUP_W - _PictureRow.GAP


def _block(ctx: _Context, block: DamageBlock) -> Flowable:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    header: list[list[Any]] = []
    if block.damages:
        for r in block.damages:
            d = r.damage
            text = (
                f"<b>{escape(part_name(d.part, lang))}</b>  ·  "
                f"{escape(damage_type_name(d.type, lang))}  ·  "
                f"{escape(severity_name(d.severity, lang))}"
            )
            cell: list[Flowable] = [Paragraph(text, st["base"])]
            if d.note:
                cell.append(_p(d.note, st["muted"]))
            header.append([_Pill(r.ref, _mark_colour(r)), cell])
    else:
        cell = [_p(block.title, st["cell_bold"]), _p(t("unrecorded_text"), st["muted"])]
        header.append([_Pill("?", UNRECORDED), cell])
    head = _plain_table(header, [14 * mm, CONTENT_W - 14 * mm])
    head.setStyle(TableStyle([("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    pictures: list[_Picture] = []
    if block.wide is not None:
        pictures.append(_Picture(block.wide, block.wide.title, ctx.image(block.wide)))
    if block.closeup is not None:
        pictures.append(_Picture(block.closeup, block.closeup.title, ctx.image(block.closeup)))
    elif block.crop_of is not None and block.wide is not None:
        prepared = ctx.prepared.get(block.wide.capture.sha256)
        crop = prepared.crops.get(block.crop_of.damage.id) if prepared else None
        if crop is not None:
            path, size, view = crop
            enlarged = Photo(block.wide.capture, "", block.wide.category, 0, [block.crop_of])
            pictures.append(
                _Picture(enlarged, t("enlarged", ref=block.crop_of.ref), (path, size), view)
            )
    parts: list[Flowable] = [head, Spacer(1, 1.5 * mm)]
    if not pictures:
        parts.append(_p(t("no_damage_photo"), st["muted"]))
    elif len(pictures) == 1:
        parts.append(_PictureRow(pictures, [(CLOSEUP_W, CLOSEUP_W * 0.75)], lang))
    else:
        boxes = [(WIDE_W, WIDE_W * 0.75), (CLOSEUP_W, CLOSEUP_W * 0.75)]
        parts.append(_PictureRow(pictures, boxes, lang))
    parts.append(Spacer(1, 6 * mm))
    return KeepTogether(parts)


def _damage_pages(ctx: _Context) -> list[Flowable]:
    if not ctx.plan.blocks:
        return []
    story: list[Flowable] = [_p(ctx.t("damages"), ctx.styles["h1"])]
    story += [_block(ctx, b) for b in ctx.plan.blocks]
    return story


CONTACT_COLS = 3


def _contact_sheet(ctx: _Context) -> list[Flowable]:
    photos = ctx.plan.contact
    if not photos:
        return []
    cell_w = (CONTENT_W - _PictureRow.GAP * (CONTACT_COLS - 1)) / CONTACT_COLS
    rows: list[Flowable] = []
    for k in range(0, len(photos), CONTACT_COLS):
        chunk = photos[k : k + CONTACT_COLS]
        pictures = [_Picture(p, p.title, ctx.image(p)) for p in chunk]
        rows.append(_PictureRow(pictures, [(cell_w, cell_w * 0.75)] * len(chunk), ctx.lang))
        rows.append(Spacer(1, 3.5 * mm))
    heading = _p(ctx.t("photos"), ctx.styles["h1"])
    return [KeepTogether([heading, rows[0]]), *rows[1:]]


def _evidence(ctx: _Context) -> list[Flowable]:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    days = {_fmt_day(c.captured_at, lang) for c in ctx.captures}
    one_day = len(days) == 1
    zone = _zone(ctx.generated) or "UTC"
    intro = t("times_local", zone=zone) + (
        f" {t('date')}{_sep(lang)}{days.pop()}." if one_day else ""
    )
    story: list[Flowable] = [
        _p(t("evidence"), st["h1"]),
        _p(t("evidence_intro"), st["base"]),
        _p(intro, st["muted"]),
        Spacer(1, 3 * mm),
    ]
    shown = {p.capture.id for p in ctx.plan.photos}
    best_ids = {c.id for c in best_captures(ctx.captures).values()}
    data: list[list[Any]] = [
        [
            _p(t(k), st["th"])
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
                _p(title, st["tiny"]),
                _p(
                    when if one_day else _fmt_dt(c.captured_at, lang, seconds=True, zone=False),
                    st["tiny"],
                ),
                _p(f"{c.width} × {c.height}, {source}", st["tiny"]),
                _p(c.sha256, st["mono"]),
            ]
        )
    sha_w = pdfmetrics.stringWidth("0" * 64, FONT_MONO, st["mono"].fontSize) + 6
    widths = [0.0, 15 * mm if one_day else 26 * mm, 30 * mm, sha_w]
    widths[0] = CONTENT_W - sum(widths)
    table = Table(data, colWidths=widths, repeatRows=1)
    style = _table_style(pad=1.6)
    style.add("LEFTPADDING", (0, 0), (-1, -1), 3)
    style.add("RIGHTPADDING", (0, 0), (-1, -1), 3)
    table.setStyle(style)
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    facts = [
        (t("generated"), _fmt_dt(ctx.generated, lang, seconds=True)),
        (t("software"), f"vehicle-inspector {__version__}"),
        (t("inspection_id"), ctx.inspection.id),
    ]
    for key, value in facts:
        story.append(Paragraph(f"<b>{escape(key)}</b>{_sep(lang)}{escape(value)}", st["small"]))
    story.append(
        KeepTogether(
            [
                _p(t("how_to_verify"), st["h2"]),
                _p(t("verify_text"), st["small"]),
                _p("inspector verify inspection.zip", st["code"]),
                _p(t("verify_text2"), st["small"]),
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
            f"{label('generated', ctx.lang)} {_fmt_dt(ctx.generated, ctx.lang)}",
        )
        canv.restoreState()

    return decorate


def _hero(plan: ReportPlan) -> Photo | None:
    by_shot = {p.capture.shot_id: p for p in plan.contact}
    for shot_id in HERO_SHOTS:
        if shot_id in by_shot:
            return by_shot[shot_id]
    return next((p for p in plan.contact if p.category == "exterior"), None)


def _crops(plan: ReportPlan) -> dict[str, list[tuple[str, Any]]]:
    """The enlargements to cut, by photo SHA-256: (damage id, region)."""
    crops: dict[str, list[tuple[str, Any]]] = {}
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
    is left at ``out_path``.
    """
    if lang not in LANGS:
        raise ReportError(f"report language must be one of {', '.join(LANGS)}, not {lang!r}")
    out = Path(out_path)
    register_fonts()
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
                styles=_styles(),
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
    # A report now exists: the inspection has reached the end of its life cycle.
    store.set_status(inspection.id, InspectionStatus.REPORTED)
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
