"""The verdict panel shown on the cover and the summary: the grade, or why there is none."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from inspector.domain.grading import OverallGrade, grade_name
from inspector.report.context import Context
from inspector.report.flowables import GradeBadge
from inspector.report.i18n import plural
from inspector.report.theme import CONTENT_W, PANEL, para, plain_table

__all__ = ["verdict"]


def verdict(ctx: Context, badge: float) -> Table:
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
