"""The PDF report of an inspection: what a buyer reads and can check.

Pages: a cover (vehicle identity, who and when, the overall grade, a hero
photo), a summary (checklist completion, damages by severity, a vehicle
diagram with numbered damage markers), the damage table (with a close-up
cropped around each damage), the photos grouped by checklist category with
their damage marks, and an evidence appendix (the full SHA-256 of every photo,
times, software version, how to verify the bundle).

Speed and size: every photo is decoded once, at reduced scale (Pillow's JPEG
draft mode), to at most ``PHOTO_MAX_PX`` on its long side, and saved
as a JPEG file in a temporary folder; reportlab embeds such a file unchanged.
ASCII85 wrapping is turned off (``rl_config.useA85 = 0``). The fonts are the
DejaVu TTFs shipped in ``assets/fonts`` (embedded as subsets), so accents, €
and Polish names render whatever the machine.

The file is written to a temporary name and renamed at the end: a failure or
a cancel never leaves a partial PDF behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, ImageOps
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
from inspector.checklist import Checklist, ChecklistError, category_title, load_checklist
from inspector.grading import grade_name, suggest_grade, summarize
from inspector.inspections import best_captures, progress, usable
from inspector.models import (
    Capture,
    CaptureSource,
    Damage,
    Inspection,
    InspectionStatus,
    Region,
    Severity,
    Verdict,
)
from inspector.report_diagram import VehicleDiagram
from inspector.report_i18n import (
    LANGS,
    damage_type_name,
    fuel_name,
    label,
    part_name,
    severity_name,
)
from inspector.store import NotFound, Store, StoreError

__all__ = ["PHOTO_MAX_PX", "PHOTO_QUALITY", "ReportCancelled", "ReportError", "build_report"]

PHOTO_MAX_PX = 1600
"""Cap on the long side, in pixels, of the photos embedded in the report.

Photos are decoded at a JPEG scale that lands between half this and this
(a 12-megapixel phone photo becomes 1000x750: about 175 dpi on the page)."""
PHOTO_QUALITY = 80
CROP_MAX_PX = 480
HERO_SHOTS = ("three_quarter_front_left", "three_quarter_front_right", "front")

PAGE_W, PAGE_H = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 20 * mm
CONTENT_W = PAGE_W - 2 * MARGIN_X
CONTENT_H = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM

ACCENT = colors.HexColor("#0E5A8A")
ACCENT_LIGHT = colors.HexColor("#E8F1F8")
INK = colors.HexColor("#1D2329")
MUTED = colors.HexColor("#5B6670")
RULE = colors.HexColor("#D5DCE4")
PANEL = colors.HexColor("#F5F7F9")
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


# -- fonts -----------------------------------------------------------------------

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


# -- styles ----------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12.5, textColor=INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", base, fontSize=8, leading=10.5),
        "muted": ParagraphStyle("muted", base, fontSize=8, leading=10.5, textColor=MUTED),
        "kicker": ParagraphStyle(
            "kicker", base, fontName=FONT_BOLD, fontSize=9, textColor=ACCENT, leading=12
        ),
        "title": ParagraphStyle(
            "title", base, fontName=FONT_BOLD, fontSize=24, leading=29, spaceAfter=2
        ),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=11, leading=15, textColor=MUTED),
        "h1": ParagraphStyle(
            "h1",
            base,
            fontName=FONT_BOLD,
            fontSize=16,
            leading=20,
            textColor=ACCENT,
            spaceAfter=8,
        ),
        "h2": ParagraphStyle(
            "h2",
            base,
            fontName=FONT_BOLD,
            fontSize=11,
            leading=14,
            spaceBefore=10,
            spaceAfter=5,
        ),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=11),
        "cell_bold": ParagraphStyle(
            "cell_bold", base, fontName=FONT_BOLD, fontSize=8.5, leading=11
        ),
        "th": ParagraphStyle(
            "th", base, fontName=FONT_BOLD, fontSize=7.5, leading=9.5, textColor=MUTED
        ),
        "mono": ParagraphStyle("mono", base, fontName=FONT_MONO, fontSize=6.3, leading=9),
        "code": ParagraphStyle(
            "code",
            base,
            fontName=FONT_MONO,
            fontSize=9,
            leading=13,
            backColor=PANEL,
            borderPadding=(5, 6, 5, 6),
            leftIndent=6,
            rightIndent=6,
            spaceBefore=6,
            spaceAfter=10,
            alignment=TA_LEFT,
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


# -- dates -----------------------------------------------------------------------


def _zone(value: datetime) -> str:
    offset = value.astimezone().strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else ""


def _fmt_dt(value: datetime, lang: str, *, seconds: bool = False, zone: bool = True) -> str:
    """Local date and time, French or ISO-like order, with the UTC offset if asked."""
    local = value.astimezone()
    clock = "%H:%M:%S" if seconds else "%H:%M"
    day = "%d/%m/%Y" if lang == "fr" else "%Y-%m-%d"
    text = f"{local.strftime(day)} {local.strftime(clock)}"
    return f"{text} ({_zone(local)})" if zone and _zone(local) else text


def _fmt_km(value: int, lang: str) -> str:
    grouped = f"{value:,}".replace(",", "\u202f" if lang == "fr" else ",")
    return f"{grouped} km"


# -- photos ----------------------------------------------------------------------


@dataclass
class _Prepared:
    path: Path
    size: tuple[int, int]
    crops: dict[str, tuple[Path, tuple[float, float, float, float]]] = field(default_factory=dict)


def _crop_box(region: Region | None, width: int, height: int) -> tuple[int, int, int, int]:
    """A 4:3 pixel box around a damage region, with context around it."""
    if region is None:
        return 0, 0, width, height
    cx = (region.x + region.w / 2) * width
    cy = (region.y + region.h / 2) * height
    cw = max(region.w * width * 1.8, region.h * height * 1.8 * 4 / 3, 0.3 * width)
    cw = min(cw, width, height * 4 / 3)
    ch = cw * 3 / 4
    x0 = min(max(cx - cw / 2, 0), width - cw)
    y0 = min(max(cy - ch / 2, 0), height - ch)
    return round(x0), round(y0), round(x0 + cw), round(y0 + ch)


def _prepare_photo(
    data: bytes, sha256: str, folder: Path, crops: list[tuple[str, Region | None]]
) -> _Prepared:
    """Check, decode once at reduced scale, save the report copy and damage crops."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ReportError(
            f"photo {sha256[:12]} no longer matches its fingerprint: the file in the data "
            "directory is damaged"
        )
    try:
        with Image.open(io.BytesIO(data)) as img:
            # Decode at the smallest JPEG scale (1/2, 1/4, 1/8) that keeps the long
            # side at PHOTO_MAX_PX / 2 or more: a 4000x3000 photo decodes straight to
            # 1000x750, several times faster than decoding it whole and resizing.
            w, h = img.size
            half = PHOTO_MAX_PX / 2 / max(w, h, 1)
            img.draft("RGB", (math.ceil(w * half), math.ceil(h * half)))
            small = ImageOps.exif_transpose(img.convert("RGB"))
    except (OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ReportError(f"photo {sha256[:12]} cannot be read: {exc}") from exc
    small.thumbnail((PHOTO_MAX_PX, PHOTO_MAX_PX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    path = folder / f"{sha256}.jpg"
    small.save(path, "JPEG", quality=PHOTO_QUALITY, optimize=False, progressive=False)
    prepared = _Prepared(path, small.size)
    w, h = small.size
    for key, region in crops:
        box = _crop_box(region, w, h)
        piece = small.crop(box)
        piece.thumbnail((CROP_MAX_PX, CROP_MAX_PX), Image.Resampling.BILINEAR)
        crop_path = folder / f"crop_{key}.jpg"
        piece.save(crop_path, "JPEG", quality=PHOTO_QUALITY)
        x0, y0, x1, y1 = box
        prepared.crops[key] = (crop_path, (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h))
    return prepared


# -- flowables -------------------------------------------------------------------

Mark = tuple[int, Region, colors.Color]


def _draw_image_fit(
    canv: Canvas,
    path: Path | None,
    size: tuple[int, int] | None,
    x: float,
    y: float,
    width: float,
    height: float,
    *,
    lang: str,
    marks: Iterable[Mark] = (),
    view: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0),
    align_top: bool = False,
) -> tuple[float, float, float, float]:
    """Draw a JPEG file fitted into a box, with damage marks; returns the image rect."""
    if path is None or size is None:
        canv.saveState()
        canv.setFillColor(PANEL)
        canv.setStrokeColor(RULE)
        canv.rect(x, y, width, height, stroke=1, fill=1)
        canv.setFillColor(MUTED)
        canv.setFont(FONT, 9)
        canv.drawCentredString(x + width / 2, y + height / 2 - 3, label("no_photo", lang))
        canv.restoreState()
        return x, y, width, height
    iw, ih = size
    scale = min(width / iw, height / ih)
    dw, dh = iw * scale, ih * scale
    dx = x + (width - dw) / 2
    dy = y + (height - dh) if align_top else y + (height - dh) / 2
    canv.drawImage(str(path), dx, dy, dw, dh)
    canv.saveState()
    canv.setStrokeColor(RULE)
    canv.setLineWidth(0.5)
    canv.rect(dx, dy, dw, dh, stroke=1, fill=0)
    vx, vy, vw, vh = view
    for number, region, colour in marks:
        rx = dx + (region.x - vx) / vw * dw
        ry_top = dy + dh - (region.y - vy) / vh * dh
        canv.setStrokeColor(colour)
        canv.setLineWidth(1.6)
        if region.is_point:
            canv.circle(rx, ry_top, 9, stroke=1, fill=0)
            lx, ly = rx + 8, ry_top + 8
        else:
            rw, rh = region.w / vw * dw, region.h / vh * dh
            canv.rect(rx, ry_top - rh, rw, rh, stroke=1, fill=0)
            lx, ly = rx, ry_top
        lx = min(max(lx, dx + 7), dx + dw - 7)
        ly = min(max(ly, dy + 7), dy + dh - 7)
        canv.setFillColor(colour)
        canv.setStrokeColor(colors.white)
        canv.setLineWidth(0.8)
        canv.circle(lx, ly, 6.5, stroke=1, fill=1)
        canv.setFillColor(colors.white)
        canv.setFont(FONT_BOLD, 7.5)
        canv.drawCentredString(lx, ly - 2.7, str(number))
    canv.restoreState()
    return dx, dy, dw, dh


class _ImageFlowable(Flowable):  # type: ignore[misc]
    def __init__(
        self,
        path: Path | None,
        size: tuple[int, int] | None,
        width: float,
        height: float,
        lang: str,
        marks: list[Mark] | None = None,
        view: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0),
    ) -> None:
        super().__init__()
        self.path, self.size, self.lang = path, size, lang
        self.width, self.height = width, height
        self.marks = marks or []
        self.view = view

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        _draw_image_fit(
            self.canv,
            self.path,
            self.size,
            0,
            0,
            self.width,
            self.height,
            lang=self.lang,
            marks=self.marks,
            view=self.view,
        )


@dataclass
class _Shown:
    """A capture shown on the photo pages."""

    capture: Capture
    title: str
    category: str
    order: int
    damages: list[tuple[int, Damage]] = field(default_factory=list)
    prepared: _Prepared | None = None


def _landscape(item: _Shown) -> bool:
    size = item.prepared.size if item.prepared else (item.capture.width, item.capture.height)
    return size[0] >= size[1]


class _PhotoRow(Flowable):  # type: ignore[misc]
    """Half a page: one landscape photo, or two portrait photos side by side.

    So a page holds two landscape or four portrait photos, each as large as
    fits, with its caption right under it.
    """

    CAPTION_H = 42.0
    GAP = 6 * mm

    def __init__(self, items: list[_Shown], width: float, height: float, lang: str) -> None:
        super().__init__()
        self.items, self.width, self.height, self.lang = items, width, height, lang

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        n = len(self.items)
        cell_w = (self.width - self.GAP * (n - 1)) / n
        for i, item in enumerate(self.items):
            self._cell(item, i * (cell_w + self.GAP), cell_w)

    def _cell(self, item: _Shown, x: float, width: float) -> None:
        canv = self.canv
        lang = self.lang
        img_h = self.height - self.CAPTION_H
        prepared = item.prepared
        marks = [
            (n, d.region, SEVERITY_COLOURS[d.severity])
            for n, d in item.damages
            if d.region is not None
        ]
        left, bottom, _, _ = _draw_image_fit(
            canv,
            prepared.path if prepared else None,
            prepared.size if prepared else None,
            x,
            self.CAPTION_H,
            width,
            img_h,
            lang=lang,
            marks=marks,
            align_top=True,
        )
        c = item.capture
        top = bottom - 4
        canv.saveState()
        canv.setFillColor(INK)
        canv.setFont(FONT_BOLD, 8.5)
        title = simpleSplit(item.title, FONT_BOLD, 8.5, width)[:1]
        canv.drawString(left, top - 8, title[0] if title else "")
        source = label("still" if c.source is CaptureSource.STILL else "frame", lang)
        meta = (
            f"{_fmt_dt(c.captured_at, lang, seconds=True, zone=False)}  ·  {source}  ·  "
            f"{c.width} × {c.height}  ·  SHA-256 {c.sha256[:12]}"
        )
        canv.setFillColor(MUTED)
        canv.setFont(FONT, 7)
        canv.drawString(left, top - 18, meta)
        extra = []
        if item.damages:
            numbers = ", ".join(str(n) for n, _ in item.damages)
            sep = " : " if lang == "fr" else ": "
            extra.append(f"{label('damage_marks', lang)}{sep}{numbers}")
        if c.quality.verdict is Verdict.WARN:
            extra.append(label("quality_warn", lang))
        elif c.quality.verdict is Verdict.REJECT:
            extra.append(label("quality_reject", lang))
        if extra:
            canv.setFillColor(ACCENT)
            canv.setFont(FONT_BOLD, 7)
            canv.drawString(left, top - 27, "  ·  ".join(extra))
        canv.restoreState()


class _GradeBadge(Flowable):  # type: ignore[misc]
    def __init__(self, grade: int, caption: str, note: str, width: float, lang: str) -> None:
        super().__init__()
        self.grade, self.caption, self.note, self.lang = grade, caption, note, lang
        self.width, self.height = width, 30 * mm

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        colour = GRADE_COLOURS[self.grade]
        canv.saveState()
        canv.setFillColor(colour)
        canv.roundRect(0, 0, self.width, self.height, 4, stroke=0, fill=1)
        canv.setFillColor(colors.white)
        canv.setFont(FONT, 7.5)
        canv.drawCentredString(self.width / 2, self.height - 11, self.caption.upper())
        canv.setFont(FONT_BOLD, 26)
        canv.drawCentredString(self.width / 2 - 6, self.height - 40, str(self.grade))
        canv.setFont(FONT, 11)
        canv.drawString(self.width / 2 + 4, self.height - 40, "/ 5")
        canv.setFont(FONT_BOLD, 10)
        canv.drawCentredString(self.width / 2, self.height - 56, grade_name(self.grade, self.lang))
        canv.setFont(FONT, 6.5)
        lines = simpleSplit(self.note, FONT, 6.5, self.width - 8)[:2]
        for i, line in enumerate(lines):
            canv.drawCentredString(self.width / 2, self.height - 67 - i * 8, line)
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
            canv.setFillColor(GRADE_COLOURS[5] if share >= 1 else ACCENT)
            canv.roundRect(0, 2, max(self.width * share, 6), self.height, 3, stroke=0, fill=1)
        canv.restoreState()


class _Dot(Flowable):  # type: ignore[misc]
    def __init__(self, colour: colors.Color, number: int | None = None) -> None:
        super().__init__()
        self.colour, self.number = colour, number
        self.width = self.height = 12

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        canv.saveState()
        canv.setFillColor(self.colour)
        canv.circle(6, 6, 6 if self.number is not None else 4, stroke=0, fill=1)
        if self.number is not None:
            canv.setFillColor(colors.white)
            canv.setFont(FONT_BOLD, 7.5)
            canv.drawCentredString(6, 3.3, str(self.number))
        canv.restoreState()


# -- the document ----------------------------------------------------------------


def _table_style(header: bool = True) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header:
        commands += [
            ("LINEBELOW", (0, 0), (-1, 0), 0.9, ACCENT),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 4),
        ]
    return TableStyle(commands)


@dataclass
class _Context:
    store: Store
    inspection: Inspection
    checklist: Checklist | None
    captures: list[Capture]
    damages: list[Damage]
    lang: str
    inspector_name: str
    generated: datetime
    styles: dict[str, ParagraphStyle]
    shown: list[_Shown]
    prepared: dict[str, _Prepared]
    hero: _Shown | None

    def t(self, key: str, **values: object) -> str:
        return label(key, self.lang, **values)


def _shot_title(checklist: Checklist | None, shot_id: str, lang: str) -> tuple[str, str, int]:
    """(title, category, order) of a shot; unknown shots sort last under their id."""
    if checklist is not None:
        try:
            shot = checklist.shot(shot_id)
            return shot.title.get(lang), shot.category, checklist.index(shot_id)
        except KeyError:
            pass
    category = "damage" if shot_id.startswith("damage_") else "other"
    return shot_id.replace("_", " "), category, 10_000


def _select_shown(
    checklist: Checklist | None, captures: list[Capture], damages: list[Damage], lang: str
) -> list[_Shown]:
    """The best capture of each shot, plus any capture a damage points at, in order."""
    chosen: dict[str, Capture] = {c.id: c for c in best_captures(captures).values()}
    by_id = {c.id: c for c in captures}
    for d in damages:
        if d.capture_id and d.capture_id in by_id:
            chosen.setdefault(d.capture_id, by_id[d.capture_id])
    shown = []
    for capture in chosen.values():
        title, category, order = _shot_title(checklist, capture.shot_id, lang)
        shown.append(_Shown(capture, title, category, order))
    categories = list(checklist.categories()) if checklist else []

    def key(s: _Shown) -> tuple[int, int, datetime]:
        cat = categories.index(s.category) if s.category in categories else len(categories)
        return cat, s.order, s.capture.captured_at

    shown.sort(key=key)
    numbered = {d.id: (i, d) for i, d in enumerate(damages, start=1)}
    by_capture: dict[str, list[tuple[int, Damage]]] = {}
    for n, d in numbered.values():
        if d.capture_id:
            by_capture.setdefault(d.capture_id, []).append((n, d))
    for s in shown:
        s.damages = by_capture.get(s.capture.id, [])
    return shown


def _cover(ctx: _Context) -> list[Flowable]:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    i = ctx.inspection
    v = i.vehicle
    if i.grade is not None:
        grade, note = i.grade, t("grade_set")
    else:
        grade, note = suggest_grade(ctx.damages), t("grade_suggested")
    badge_w = 38 * mm
    heading: list[Flowable] = [
        _p(t("report_caps"), st["kicker"]),
        Spacer(1, 2 * mm),
        _p(v.title() or t("unknown_vehicle"), st["title"]),
    ]
    sub = "  ·  ".join(x for x in (v.plate, v.vin) if x)
    if sub:
        heading.append(_p(sub, st["subtitle"]))
    top = Table(
        [[heading, _GradeBadge(grade, t("grade"), note, badge_w, lang)]],
        colWidths=[CONTENT_W - badge_w, badge_w],
    )
    top.setStyle(
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
    story: list[Flowable] = [top, Spacer(1, 6 * mm)]
    hero = ctx.hero
    prepared = hero.prepared if hero else None
    story.append(
        _ImageFlowable(
            prepared.path if prepared else None,
            prepared.size if prepared else None,
            CONTENT_W,
            132 * mm,
            lang,
        )
    )
    if hero is not None:
        story.append(Spacer(1, 1.5 * mm))
        story.append(_p(f"{hero.title} — {_fmt_dt(hero.capture.captured_at, lang)}", st["muted"]))
    story.append(Spacer(1, 6 * mm))

    def rows(pairs: list[tuple[str, str]]) -> Table:
        data = [[_p(k, st["muted"]), _p(val or "—", st["cell_bold"])] for k, val in pairs]
        table = Table(data, colWidths=[27 * mm, None])
        table.setStyle(_table_style(header=False))
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
    block = Table(
        [
            [_p(t("vehicle"), st["h2"]), "", _p(t("inspection"), st["h2"])],
            [rows(vehicle_rows), "", rows(inspection_rows)],
        ],
        colWidths=[col_w, gap, col_w],
    )
    block.setStyle(
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
    story.append(block)
    return story


def _summary(ctx: _Context) -> list[Flowable]:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    story: list[Flowable] = [_p(t("summary"), st["h1"]), _p(t("completion"), st["h2"])]
    if ctx.checklist is not None:
        prog = progress(ctx.checklist, ctx.captures)
        best = best_captures(ctx.captures)
        story.append(_p(t("required_done", done=prog.done, required=prog.required), st["base"]))
        story.append(Spacer(1, 2 * mm))
        story.append(_ProgressBar(prog.done, prog.required, CONTENT_W))
        story.append(Spacer(1, 2 * mm))
        missing = [s for s in ctx.checklist.shots if s.required and s.id not in best]
        optional = [s for s in ctx.checklist.shots if not s.required and s.id not in best]
        if missing:
            names = ", ".join(s.title.get(lang) for s in missing)
            sep = " : " if lang == "fr" else ": "
            story.append(
                Paragraph(
                    f'<font color="#C0392B"><b>{escape(t("missing_required"))}</b></font>'
                    f"{sep}{escape(names)}",
                    st["base"],
                )
            )
        else:
            story.append(_p(t("all_present"), st["base"]))
        if optional:
            names = ", ".join(s.title.get(lang) for s in optional)
            sep = " : " if lang == "fr" else ": "
            story.append(_p(f"{t('missing_optional')}{sep}{names}", st["muted"]))
    else:
        story.append(_p(f"{t('checklist')}: {ctx.inspection.checklist} (?)", st["muted"]))

    summary = summarize(ctx.damages)
    story.append(_p(t("damages_by_severity"), st["h2"]))
    sev_rows: list[list[Any]] = []
    for severity, count in summary.by_severity():
        sev_rows.append(
            [
                _Dot(SEVERITY_COLOURS[severity]),
                _p(severity_name(severity, lang), st["cell"]),
                _p(str(count), st["cell_bold"]),
            ]
        )
    sev_rows.append(["", _p(t("total"), st["cell_bold"]), _p(str(summary.total), st["cell_bold"])])
    sev = Table(sev_rows, colWidths=[7 * mm, 40 * mm, 15 * mm], hAlign="LEFT")
    sev.setStyle(_table_style(header=False))

    markers = [(n, d.part, SEVERITY_COLOURS[d.severity]) for n, d in enumerate(ctx.damages, 1)]
    diagram = VehicleDiagram(95 * mm, 120 * mm, markers, FONT, FONT_BOLD, MUTED)
    left: list[Flowable] = [sev]
    if not ctx.damages:
        left += [Spacer(1, 3 * mm), _p(t("no_damage"), st["base"])]
    off = [(n, p) for n, p, _ in markers if not diagram.has(p)]
    if off:
        left += [Spacer(1, 5 * mm), _p(t("not_on_diagram"), st["h2"])]
        left += [_p(f"{n}. {part_name(p, lang)}", st["small"]) for n, p in off]
    right: list[Flowable] = [_p(t("diagram"), st["small"]), Spacer(1, 2 * mm), diagram]
    layout = Table([[left, right]], colWidths=[CONTENT_W - 100 * mm, 100 * mm])
    layout.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(layout)
    return story


def _damage_table(ctx: _Context) -> list[Flowable]:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    story: list[Flowable] = [_p(t("damage_table"), st["h1"])]
    if not ctx.damages:
        story.append(_p(t("no_damage"), st["base"]))
        return story
    by_id = {c.id: c for c in ctx.captures}
    thumb_w, thumb_h = 40 * mm, 30 * mm
    data: list[list[Any]] = [
        [
            _p(t(k), st["th"])
            for k in ("col_no", "col_photo", "col_part", "col_type", "col_severity", "col_note")
        ]
    ]
    for n, d in enumerate(ctx.damages, start=1):
        capture = by_id.get(d.capture_id or "")
        thumb: Flowable | str = "—"
        if capture is not None and capture.sha256 in ctx.prepared:
            crop = ctx.prepared[capture.sha256].crops.get(d.id)
            if crop is not None:
                path, view = crop
                with Image.open(path) as img:
                    size = img.size
                marks = [(n, d.region, SEVERITY_COLOURS[d.severity])] if d.region else []
                thumb = _ImageFlowable(path, size, thumb_w, thumb_h, lang, marks, view)
        sev = Table(
            [[_Dot(SEVERITY_COLOURS[d.severity]), _p(severity_name(d.severity, lang), st["cell"])]],
            colWidths=[5 * mm, None],
        )
        sev.setStyle(
            TableStyle(
                [("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
            )
        )
        data.append(
            [
                _Dot(SEVERITY_COLOURS[d.severity], n),
                thumb,
                _p(part_name(d.part, lang), st["cell_bold"]),
                _p(damage_type_name(d.type, lang), st["cell"]),
                sev,
                _p(d.note or "—", st["cell"]),
            ]
        )
    widths = [9 * mm, thumb_w + 8, 36 * mm, 24 * mm, 25 * mm]
    widths.append(CONTENT_W - sum(widths))
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(_table_style())
    story.append(table)
    return story


def _rows(items: list[_Shown]) -> list[list[_Shown]]:
    """Landscape photos get a row each; portrait ones pair up."""
    rows: list[list[_Shown]] = []
    for item in items:
        if _landscape(item) or not rows or len(rows[-1]) > 1 or _landscape(rows[-1][0]):
            rows.append([item])
        else:
            rows[-1].append(item)
    return rows


def _photo_pages(ctx: _Context) -> list[Flowable]:
    st, lang = ctx.styles, ctx.lang
    story: list[Flowable] = []
    heading_h = 11 * mm
    row_h = (CONTENT_H - 2 * heading_h) / 2 - 1
    groups: dict[str, list[_Shown]] = {}
    for s in ctx.shown:
        groups.setdefault(s.category, []).append(s)
    for category, items in groups.items():
        title = category_title(category).get(lang)
        heading = _p(f"{label('photos', lang)} — {title}", st["h1"])
        for r, row in enumerate(_rows(items)):
            flow = _PhotoRow(row, CONTENT_W, row_h, lang)
            if r == 0:
                story.append(CondPageBreak(row_h + heading_h))
                story.append(KeepTogether([heading, flow]))
            else:
                story.append(flow)
    return story


def _evidence(ctx: _Context) -> list[Flowable]:
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    story: list[Flowable] = [
        _p(t("evidence"), st["h1"]),
        _p(t("evidence_intro"), st["base"]),
        _p(t("times_local", zone=_zone(ctx.generated) or "UTC"), st["muted"]),
        Spacer(1, 4 * mm),
    ]
    shown_ids = {s.capture.id for s in ctx.shown}
    best_ids = {c.id for c in best_captures(ctx.captures).values()}
    data: list[list[Any]] = [
        [_p(t(k), st["th"]) for k in ("col_shot", "col_time", "col_sha", "col_shown")]
    ]
    for c in ctx.captures:
        title, _, _ = _shot_title(ctx.checklist, c.shot_id, lang)
        if c.id in shown_ids:
            status = t("yes")
        elif not usable(c):
            status = t("rejected")
        elif c.id not in best_ids:
            status = t("retaken")
        else:
            status = "—"
        data.append(
            [
                _p(title, st["small"]),
                _p(_fmt_dt(c.captured_at, lang, seconds=True, zone=False), st["small"]),
                _p(c.sha256, st["mono"]),
                _p(status, st["small"]),
            ]
        )
    widths = [36 * mm, 29 * mm, 92 * mm]
    widths.append(CONTENT_W - sum(widths))
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(_table_style())
    story.append(table)
    story.append(Spacer(1, 6 * mm))
    sep = " : " if lang == "fr" else ": "
    facts = [
        (t("generated"), _fmt_dt(ctx.generated, lang, seconds=True)),
        (t("software"), f"vehicle-inspector {__version__}"),
        (t("inspection_id"), ctx.inspection.id),
    ]
    for key, value in facts:
        story.append(Paragraph(f"<b>{escape(key)}</b>{sep}{escape(value)}", st["base"]))
    story.append(_p(t("how_to_verify"), st["h2"]))
    story.append(_p(t("verify_text"), st["base"]))
    story.append(_p("inspector verify inspection.zip", st["code"]))
    story.append(_p(t("verify_text2"), st["base"]))
    return story


def _make_canvas_class(ctx: _Context) -> type[Canvas]:
    """A canvas that stamps "Page n of N" once the page count is known."""
    lang = ctx.lang

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
    header = "  ·  ".join(
        x for x in (label("report", ctx.lang), i.vehicle.title(), i.vehicle.plate) if x
    )

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
            canv.drawRightString(
                PAGE_W - MARGIN_X, PAGE_H - 13 * mm, f"{label('inspection', ctx.lang)} {i.id}"
            )
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


def _prepare_all(
    store: Store,
    shown: list[_Shown],
    damages: list[Damage],
    folder: Path,
    progress_cb: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool] | None,
    total_steps: int,
) -> dict[str, _Prepared]:
    """Downscale every shown photo once (in parallel), with the damage crops it needs."""
    crops: dict[str, list[tuple[str, Region | None]]] = {}
    shas: dict[str, None] = {}
    for s in shown:
        shas.setdefault(s.capture.sha256, None)
    by_capture = {s.capture.id: s.capture for s in shown}
    for d in damages:
        capture = by_capture.get(d.capture_id or "")
        if capture is not None:
            crops.setdefault(capture.sha256, []).append((d.id, d.region))
    results: dict[str, _Prepared] = {}
    workers = max(1, min(4, os.cpu_count() or 1))
    done = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report") as pool:
        pending: dict[Future[_Prepared], str] = {}
        queue = list(shas)

        def submit_next() -> None:
            sha = queue.pop(0)
            try:
                data = store.read_photo(sha)
            except NotFound as exc:
                raise ReportError(f"cannot make the report: {exc}") from exc
            pending[pool.submit(_prepare_photo, data, sha, folder, crops.get(sha, []))] = sha

        try:
            while queue and len(pending) < workers * 2:
                submit_next()
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    sha = pending.pop(future)
                    results[sha] = future.result()
                    done += 1
                    if progress_cb is not None:
                        progress_cb(done, total_steps)
                if cancelled is not None and cancelled():
                    raise ReportCancelled("report cancelled")
                while queue and len(pending) < workers * 2:
                    submit_next()
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return results


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

    ``progress(done, total)`` is called as photos are prepared and once at the
    end; ``cancelled()`` is polled between steps and pages, and when it turns
    true :class:`ReportCancelled` is raised and no file is left at ``out_path``.
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
    shown = _select_shown(checklist, captures, damages, lang)
    hero = None
    by_shot = {s.capture.shot_id: s for s in shown}
    for shot_id in HERO_SHOTS:
        if shot_id in by_shot:
            hero = by_shot[shot_id]
            break
    if hero is None and shown:
        hero = next((s for s in shown if s.category == "exterior"), None)
    unique = len({s.capture.sha256 for s in shown})
    total_steps = unique + 1
    if cancelled is not None and cancelled():
        raise ReportCancelled("report cancelled")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="inspector-report-") as work:
            prepared = _prepare_all(
                store, shown, damages, Path(work), progress, cancelled, total_steps
            )
            for s in shown:
                s.prepared = prepared.get(s.capture.sha256)
            ctx = _Context(
                store=store,
                inspection=inspection,
                checklist=checklist,
                captures=captures,
                damages=damages,
                lang=lang,
                inspector_name=inspector_name
                if inspector_name is not None
                else inspection.inspector,
                generated=datetime.now().astimezone(),
                styles=_styles(),
                shown=shown,
                prepared=prepared,
                hero=hero,
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
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        CONTENT_W,
        CONTENT_H,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    cover_frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        CONTENT_W,
        PAGE_H - MARGIN_BOTTOM - 18 * mm,
        id="cover",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates(
        [
            PageTemplate("cover", [cover_frame], onPage=_page_decor(ctx, cancelled, True)),
            PageTemplate("body", [frame], onPage=_page_decor(ctx, cancelled, False)),
        ]
    )
    story: list[Flowable] = [*_cover(ctx), NextPageTemplate("body"), PageBreak()]
    story += _summary(ctx)
    story += [PageBreak(), *_damage_table(ctx)]
    photos = _photo_pages(ctx)
    if photos:
        story += [PageBreak(), *photos]
    story += [PageBreak(), *_evidence(ctx)]
    doc.build(story, canvasmaker=_make_canvas_class(ctx))
