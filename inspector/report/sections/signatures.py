"""The signatures page: what the seller confirmed and signed, and the platform's seal.

It says plainly what kind of signature each is: the seller's is a simple electronic
signature; the platform's seal makes any later change to the PDF detectable and names
the certificate that made it; neither is a qualified electronic signature.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, KeepTogether, Spacer, Table

from inspector.report.context import Context
from inspector.report.theme import (
    CONTENT_W,
    FONT_BOLD,
    WARNING,
    fmt_dt,
    para,
    sep,
    table_style,
)
from inspector.seal import SealIdentity

__all__ = ["signatures"]


def signatures(ctx: Context) -> list[Flowable]:
    st, t = ctx.styles, ctx.t
    story: list[Flowable] = [para(t("signatures"), st["h1"])]
    story += seller_block(ctx)
    story += recording_block(ctx)
    seal = ctx.seal
    if seal is not None:
        story.append(
            KeepTogether(
                [
                    para(t("platform_seal"), st["h2"]),
                    para(t("seal_text"), st["small"]),
                    para(f"{t('seal_certificate')}{sep(ctx.lang)}{seal.subject}", st["small"]),
                    para(f"SHA-256: {seal.fingerprint}", st["mono"]),
                    para(t(_seal_kind(seal)), st["small"]),
                    para("inspector verify report.pdf", st["code"]),
                ]
            )
        )
    story += [
        Spacer(1, 3 * mm),
        para(t("signature_kind_title"), st["h2"]),
        para(t("signature_kind"), st["small"]),
    ]
    return story


def recording_block(ctx: Context) -> list[Flowable]:
    """The seller's answer to "may the call be recorded?" (when asked) and what was kept."""
    recording = ctx.recording
    if recording is None:
        return []
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    when = fmt_dt(recording.consent_at, lang, seconds=True)
    story: list[Flowable] = [para(t("call_recording"), st["h2"])]
    if not recording.consent:
        story.append(para(t("recording_declined", when=when), st["small"]))
        return story
    story.append(para(t("recording_agreed", when=when), st["small"]))
    if recording.sha256 is None:
        story.append(para(t("recording_none"), st["small"]))
        return story
    minutes, seconds = divmod(round(recording.duration), 60)
    story.append(para(t("recording_made", duration=f"{minutes}:{seconds:02d}"), st["small"]))
    story.append(para(f"SHA-256: {recording.sha256}", st["mono"]))
    if recording.deleted_at is not None:
        deleted = fmt_dt(recording.deleted_at, lang)
        story.append(para(t("recording_deleted", when=deleted), st["small"]))
    return story


def _seal_kind(seal: SealIdentity) -> str:
    if seal.one_time:
        return "seal_one_time"
    return "seal_self_signed" if seal.installation else "seal_company"


def seller_block(ctx: Context) -> list[Flowable]:
    """The seller's latest signature: what they approved, when, on what device; the
    drawing; or that there is none, or that it is superseded."""
    st, t, lang = ctx.styles, ctx.t, ctx.lang
    story: list[Flowable] = [para(t("seller_signature"), st["h2"])]
    seller = ctx.seller
    if seller is None:
        story.append(para(t("not_signed"), st["small"]))
        return story
    sig = seller.signature
    if seller.superseded:
        warn = ParagraphStyle("superseded", st["small"], textColor=WARNING, fontName=FONT_BOLD)
        story.append(para(t("signature_superseded"), warn))
    rows = [
        (t("signed_by"), sig.name or "—"),
        (t("signed_at_server"), fmt_dt(sig.signed_at, lang, seconds=True)),
        (
            t("signed_at_phone"),
            fmt_dt(sig.phone_time, lang, seconds=True) if sig.phone_time else "—",
        ),
        (t("signed_device"), sig.user_agent or "—"),
    ]
    data = [[para(k, st["muted"]), para(v, st["tiny"])] for k, v in rows]
    data.append([para(t("summary_hash"), st["muted"]), para(sig.summary_sha256, st["mono"])])
    table = Table(data, colWidths=[38 * mm, CONTENT_W - 38 * mm])
    table.setStyle(table_style(header=False, pad=2))
    story.append(table)
    story.append(Spacer(1, 2 * mm))
    if seller.png is not None:
        story.append(_signature_image(seller.png))
    story.append(para(t("summary_seen"), st["muted"]))
    # Line for line as on the phone (an empty line keeps its height).
    lines = [para(line or "\u00a0", st["tiny"]) for line in sig.summary_text.split("\n")]
    box = Table([[lines]], colWidths=[CONTENT_W], hAlign="LEFT")
    box.setStyle(table_style(header=False, pad=4))
    story.append(box)
    if seller.remarks:
        story.append(para(t("seller_remarks"), st["muted"]))
        for remark in seller.remarks:
            story.append(para(f"{fmt_dt(remark.at, lang)} — {remark.text}", st["small"]))
    return story


def _signature_image(path: Path) -> Flowable:
    with PILImage.open(path) as img:
        w, h = img.size
    width = min(70 * mm, w * 0.35)
    return Image(str(path), width=width, height=width * h / w, hAlign="LEFT")
