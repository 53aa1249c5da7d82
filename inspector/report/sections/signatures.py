"""The signatures page: what the seller confirmed and signed, and the platform's seal.

It says plainly what kind of signature each is: the seller's is a simple electronic
signature; the platform's seal makes any later change to the PDF detectable and names
the certificate that made it; neither is a qualified electronic signature.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from inspector.report.context import Context
from inspector.report.theme import para

__all__ = ["signatures"]


def signatures(ctx: Context) -> list[Flowable]:
    st, t = ctx.styles, ctx.t
    story: list[Flowable] = [para(t("signatures"), st["h1"])]
    story += seller_block(ctx)
    seal = ctx.seal
    if seal is not None:
        story.append(
            KeepTogether(
                [
                    para(t("platform_seal"), st["h2"]),
                    para(t("seal_text"), st["small"]),
                    para(f"{t('seal_certificate')}: {seal.subject}", st["small"]),
                    para(f"SHA-256: {seal.fingerprint}", st["mono"]),
                    para(
                        t("seal_self_signed" if seal.installation else "seal_company"),
                        st["small"],
                    ),
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


def seller_block(ctx: Context) -> list[Flowable]:
    """The seller's confirmation (filled in by the seller-signature work)."""
    st, t = ctx.styles, ctx.t
    return [para(t("seller_signature"), st["h2"]), para(t("not_signed"), st["small"])]
