"""The remaining photos, three by three, each titled by its shot."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from inspector.report.context import Context
from inspector.report.flowables import Picture, PictureRow
from inspector.report.theme import CONTENT_W, para

__all__ = ["CONTACT_COLS", "contact_sheet"]

CONTACT_COLS = 3


def contact_sheet(ctx: Context) -> list[Flowable]:
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
