"""The report's drawing pieces: photos with their damage marks, captions, rows of pictures,
the grade badge, identifiers as pills.

A caption is for a buyer: the shot, the damages marked on it, a quality flag.
Rows are as tall as their tallest caption needs, so no caption is ever cut.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from inspector.report.diagram import PILL_H, draw_pill
from inspector.report.i18n import label
from inspector.report.photos import View
from inspector.report.plan import DamageRef, Photo
from inspector.report.theme import (
    ACCENT,
    FONT,
    FONT_BOLD,
    GRADE_COLOURS,
    INCOMPLETE,
    INK,
    MISSING,
    MUTED,
    PANEL,
    RULE,
    SEVERITY_COLOURS,
    TO_CONFIRM,
    WARNING,
)

__all__ = ["Dot", "GradeBadge", "Picture", "PictureRow", "Pill", "ProgressBar", "draw_photo"]


def mark_colour(ref: DamageRef) -> colors.Color:
    """The severity's colour; grey for a damage still to complete (no severity known)."""
    if ref.damage.to_complete:
        return TO_CONFIRM
    return SEVERITY_COLOURS[ref.damage.severity]


def draw_photo(
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
    pills: list[tuple[float, float, float, DamageRef]] = []
    for ref in marks:
        region = ref.damage.region
        if region is None:
            continue
        rx = dx + (region.x - vx) / vw * dw
        ry_top = dy + dh - (region.y - vy) / vh * dh
        canv.setStrokeColor(mark_colour(ref))
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
        pills.append((lx, ly, half, ref))
    # Labels over every outline, each moved down (then right) off the ones already placed.
    placed: list[tuple[float, float, float]] = []
    for lx, ly, half, ref in pills:
        for _ in range(40):
            lx = min(max(lx, dx + half + 1), dx + dw - half - 1)
            ly = min(max(ly, dy + PILL_H / 2 + 1), dy + dh - PILL_H / 2 - 1)
            hit = next(
                (
                    (px, py, ph)
                    for px, py, ph in placed
                    if abs(px - lx) < ph + half + 1 and abs(py - ly) < PILL_H + 1
                ),
                None,
            )
            if hit is None:
                break
            if ly - PILL_H - 1 >= dy + PILL_H / 2 + 1:
                ly = hit[1] - PILL_H - 1.5
            else:
                lx, ly = hit[0] + hit[2] + half + 1.5, hit[1]
        placed.append((lx, ly, half))
        draw_pill(canv, lx, ly, ref.ref, mark_colour(ref), FONT_BOLD)
    canv.restoreState()
    return dx, dy, dw, dh


@dataclass(frozen=True)
class Line:
    text: str
    font: str
    size: float
    colour: colors.Color

    @property
    def leading(self) -> float:
        return self.size * 1.24


def wrap(text: str, font: str, size: float, colour: colors.Color, width: float) -> list[Line]:
    return [Line(t, font, size, colour) for t in simpleSplit(text, font, size, width)]


def caption(photo: Photo | None, title: str, lang: str, width: float) -> list[Line]:
    """A buyer's caption: the shot, the damages marked on it, a quality flag.

    Times, resolutions and fingerprints are technical details: the evidence
    appendix has them.
    """
    lines = wrap(title, FONT_BOLD, 7.5, INK, width)
    if photo is None:
        return lines
    flags = []
    unnamed = [r.ref for r in photo.marks if r.ref not in title]
    if unnamed:
        flags.append((label("marks", lang, refs=", ".join(unnamed)), ACCENT))
    if photo.to_check:
        flags.append((label("to_check_flag", lang), WARNING))
    for text, colour in flags:
        lines += wrap(text, FONT_BOLD, 7, colour, width)
    return lines


def caption_height(lines: list[Line]) -> float:
    return sum(line.leading for line in lines) + 3


def draw_caption(canv: Canvas, lines: list[Line], x: float, top: float) -> None:
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
class Picture:
    """One picture of a flowable: the photo (or an enlargement of it) and its caption."""

    photo: Photo | None
    title: str
    prepared: tuple[Path, tuple[int, int]] | None
    view: View = (0.0, 0.0, 1.0, 1.0)


class PictureRow(Flowable):  # type: ignore[misc]
    """Pictures side by side, each in a box of its own width, captions underneath.

    Used for the contact sheet (three equal boxes) and for a damage (its wide
    shot beside a larger close-up). The row is as tall as its tallest caption
    needs: no caption is ever cut.
    """

    GAP = 5 * mm

    def __init__(self, pictures: list[Picture], boxes: list[tuple[float, float]], lang: str):
        super().__init__()
        self.pictures, self.boxes, self.lang = pictures, boxes, lang
        self.captions = [
            caption(p.photo, p.title, lang, w) for p, (w, _h) in zip(pictures, boxes, strict=True)
        ]
        self.width = sum(w for w, _ in boxes) + self.GAP * (len(boxes) - 1)
        self.height = max(
            h + caption_height(c) for (_w, h), c in zip(boxes, self.captions, strict=True)
        )

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        x = 0.0
        for picture, (w, h), caption in zip(self.pictures, self.boxes, self.captions, strict=True):
            marks = picture.photo.marks if picture.photo else []
            left, bottom, _dw, _dh = draw_photo(
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
            draw_caption(self.canv, caption, left if picture.prepared else x, bottom)
            x += w + self.GAP


class Pill(Flowable):  # type: ignore[misc]
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


class GradeBadge(Flowable):  # type: ignore[misc]
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
            canv.setFont(FONT_BOLD, s * 0.36)
            canv.drawCentredString(s / 2, s * 0.37, f"{self.grade}/5")
        canv.restoreState()


class ProgressBar(Flowable):  # type: ignore[misc]
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


class Dot(Flowable):  # type: ignore[misc]
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
