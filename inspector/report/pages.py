"""Page decoration: the cover's band, running header and footer, "Page n of N".

Every page's decoration also calls ``checkpoint()``, so a cancel is noticed
between pages while reportlab lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from inspector.report.context import Context
from inspector.report.i18n import label
from inspector.report.theme import (
    ACCENT,
    CONTENT_H,
    CONTENT_W,
    FONT,
    MARGIN_BOTTOM,
    MARGIN_X,
    MUTED,
    PAGE_H,
    PAGE_W,
    RULE,
    fmt_dt,
)

__all__ = ["numbered_canvas", "page_templates"]


def numbered_canvas(lang: str) -> type[Canvas]:
    """A canvas class that stamps "Page n of N" once the page count is known."""

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


def _decoration(
    ctx: Context, checkpoint: Callable[[], None], cover: bool
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
        checkpoint()
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


def page_templates(ctx: Context, checkpoint: Callable[[], None]) -> list[PageTemplate]:
    """The "cover" template (a band on top, a taller frame) and the "body" one."""
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
    return [
        PageTemplate("cover", [cover_frame], onPage=_decoration(ctx, checkpoint, True)),
        PageTemplate("body", [frame], onPage=_decoration(ctx, checkpoint, False)),
    ]
