"""The cover: the vehicle, the verdict, a hero photo, and who inspected it when."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from inspector.report.context import Context
from inspector.report.flowables import Picture, PictureRow
from inspector.report.i18n import fuel_name
from inspector.report.plan import Photo, ReportPlan
from inspector.report.sections.verdict import verdict
from inspector.report.theme import CONTENT_W, fmt_dt, fmt_km, para, plain_table, table_style

__all__ = ["HERO_SHOTS", "cover", "hero_photo"]

HERO_SHOTS = ("three_quarter_front_left", "three_quarter_front_right", "front")


def hero_photo(plan: ReportPlan) -> Photo | None:
    """The cover's photo: a front three-quarter view if there is one, else any exterior."""
    by_shot = {p.capture.shot_id: p for p in plan.contact}
    for shot_id in HERO_SHOTS:
        if shot_id in by_shot:
            return by_shot[shot_id]
    return next((p for p in plan.contact if p.category == "exterior"), None)


def _mileage(ctx: Context) -> str:
    km = ctx.inspection.vehicle.mileage_km
    if km is None:
        return ""
    filled = any(r.kind == "odometer" and r.filled for r in ctx.readings)
    return fmt_km(km, ctx.lang) + (f" ({ctx.t('read_from_photo')})" if filled else "")


def cover(ctx: Context) -> list[Flowable]:
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
    story += [Spacer(1, 5 * mm), verdict(ctx, 22 * mm), Spacer(1, 5 * mm)]
    hero = hero_photo(ctx.plan)
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
        (t("mileage"), _mileage(ctx)),
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
