"""The damage pages: each damage with its close-up (large) beside its wide shot.

A damage marked on a photo without a close-up gets an enlargement of its region
instead; a photo pair no damage belongs to is shown as "unrecorded".
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, TableStyle

from inspector.report.context import Context
from inspector.report.flowables import Picture, PictureRow, Pill, mark_colour
from inspector.report.i18n import damage_type_name, part_name, severity_name
from inspector.report.plan import DamageBlock, Photo
from inspector.report.theme import CONTENT_W, UNRECORDED, para, plain_table

__all__ = ["CLOSEUP_W", "WIDE_W", "damage_pages"]

CLOSEUP_W = 104 * mm
WIDE_W = CONTENT_W - CLOSEUP_W - PictureRow.GAP


def _block(ctx: Context, block: DamageBlock) -> Flowable:
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


def damage_pages(ctx: Context) -> list[Flowable]:
    if not ctx.plan.blocks:
        return []
    story: list[Flowable] = [para(ctx.t("damages"), ctx.styles["h1"])]
    story += [_block(ctx, b) for b in ctx.plan.blocks]
    return story
