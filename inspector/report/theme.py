"""The report's look: page geometry, colours, fonts, paragraph styles, dates and numbers.

The fonts are the DejaVu TTFs shipped in ``assets/fonts`` (embedded as
subsets), so accents, € and Polish names render whatever the machine.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, Table, TableStyle

from inspector.assets import asset_path
from inspector.domain import palette
from inspector.i18n import colon, format_clock, format_day, format_km, format_moment
from inspector.storage import StoreError

__all__ = [
    "CONTENT_H",
    "CONTENT_W",
    "FONT",
    "FONT_BOLD",
    "FONT_MONO",
    "MARGIN_X",
    "PAGE_H",
    "PAGE_W",
    "FontError",
    "fmt_dt",
    "para",
    "register_fonts",
    "styles",
]


class FontError(StoreError):
    """The report's fonts cannot be loaded."""


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
TO_CONFIRM = colors.HexColor(palette.TO_COMPLETE_COLOUR)
"""A damage still to complete: its severity is a placeholder, so no severity colour."""
SEVERITY_COLOURS = {s: colors.HexColor(c) for s, c in palette.SEVERITY_COLOURS.items()}
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
                raise FontError(f"cannot load the report font {path}: {exc}") from exc
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


def styles() -> dict[str, ParagraphStyle]:
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


def para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def plain_table(data: list[list[Any]], widths: Sequence[float | None]) -> Table:
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


def table_style(header: bool = True, pad: float = 3.5) -> TableStyle:
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


def utc_offset(value: datetime) -> str:
    offset = value.astimezone().strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else ""


def fmt_day(value: datetime, lang: str) -> str:
    return format_day(value, lang)


def fmt_clock(value: datetime, lang: str, *, seconds: bool = False) -> str:
    return format_clock(value, lang, seconds=seconds)


def fmt_dt(value: datetime, lang: str, *, seconds: bool = False, zone: bool = True) -> str:
    """Local date and time as the locale writes them, with the UTC offset if asked."""
    local = value.astimezone()
    text = format_moment(local, lang, seconds=seconds)
    return f"{text} ({utc_offset(local)})" if zone and utc_offset(local) else text


def fmt_km(value: int, lang: str) -> str:
    return format_km(value, lang)


def sep(lang: str) -> str:
    return colon(lang)
