"""The seller's confirmation: the summary sent to the phone, then a signature or a remark.

The summary is made from the store (:func:`inspector.domain.signature.make_summary`) in
the seller's language; its exact text and SHA-256 go to the phone. A signature comes
back with that SHA-256: one for an older summary (a damage changed meanwhile) is turned
down and the new summary sent. The drawing (PNG) is checked before it is kept: a real
PNG, of sane size, whose pixels decode.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import math
from datetime import UTC, datetime
from typing import Any

from PIL import Image

from inspector.domain.signature import (
    MAX_STROKE_POINTS,
    SellerRemark,
    SellerSignature,
    Summary,
    make_summary,
)
from inspector.i18n import Message
from inspector.live import events
from inspector.live.protocol import MAX_TEXT_MESSAGE
from inspector.live.session.context import SessionContext
from inspector.storage import StoreError
from inspector.usecases import audit
from inspector.usecases.audit import AuditAction

__all__ = ["Confirmation", "SignatureRefused"]

log = logging.getLogger(__name__)

PNG_PREFIX = "data:image/png;base64,"
THUMB_PX = 160
MAX_SIGNATURE_SIDE = 3000
_SUMMARY_BUDGET = MAX_TEXT_MESSAGE - 8 * 1024  # the text, its lines and the thumbnails

_SIGNED = Message("Thank you: your signature is recorded.")
_CHANGED = Message("The summary has changed: please read it again before signing.")
_NOT_KEPT = Message("Your signature could not be recorded: please sign again.")
_REMARK_SENT = Message("Your remark was sent to your advisor.")


class SignatureRefused(ValueError):
    """A signature message that cannot be kept; ``str()`` says why (for the log)."""


class Confirmation:
    """The summary on the phone, and what the seller answers."""

    def __init__(self, ctx: SessionContext) -> None:
        self._ctx = ctx
        self.summary: Summary | None = None
        self.user_agent = ""

    async def request(self) -> Summary:
        """Make the summary now and show it on the phone (operator's "Ask to sign")."""
        ctx = self._ctx
        summary, damages = await ctx.run(self._make)
        self.summary = summary
        ctx.send("summary", text=summary.text, sha256=summary.sha256, damages=damages)
        ctx.emit(events.SignatureRequested(ctx.inspection_id, summary.sha256))
        return summary

    def _make(self) -> tuple[Summary, list[dict[str, Any]]]:
        ctx = self._ctx
        store = ctx.store
        inspection = store.get_inspection(ctx.inspection_id)
        summary = make_summary(
            inspection,
            store.captures(ctx.inspection_id),
            store.damages(ctx.inspection_id),
            ctx.language,
        )
        budget = _SUMMARY_BUDGET - len(summary.text.encode("utf-8"))
        items: list[dict[str, Any]] = []
        for d in summary.damages:
            thumb = None
            if d.photo_sha256 is not None:
                try:
                    data = store.thumbnail(d.photo_sha256, THUMB_PX).read_bytes()
                    url = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
                    if len(url) + 200 < budget:
                        thumb = url
                except (OSError, StoreError):
                    log.info("%s: no thumbnail for %s", ctx.inspection_id, d.ref)
            item = {"ref": d.ref, "text": d.text, "thumb": thumb}
            budget -= len(d.text.encode("utf-8")) + 40 + len(thumb or "")
            items.append(item)
        return summary, items

    async def on_signature(self, msg: dict[str, Any]) -> SellerSignature | None:
        """Keep the seller's signature of the current summary, or say why not."""
        ctx = self._ctx
        if self.summary is None or msg["sha256"] != self.summary.sha256:
            ctx.send("signed", ok=False, text=ctx.say(_CHANGED))
            await self.request()
            return None
        current, _ = await ctx.run(self._make)
        if current.sha256 != self.summary.sha256:  # changed since it was sent
            ctx.send("signed", ok=False, text=ctx.say(_CHANGED))
            await self.request()
            return None
        try:
            png = _png(msg["png"])
            strokes = _strokes(msg["strokes"])
        except SignatureRefused as exc:
            log.warning("%s: signature refused: %s", ctx.inspection_id, exc)
            ctx.send("signed", ok=False, text=ctx.say(_NOT_KEPT))
            return None
        signature = SellerSignature(
            inspection_id=ctx.inspection_id,
            summary_text=current.text,
            summary_sha256=current.sha256,
            png_sha256="",
            name=" ".join(str(msg["name"]).split())[:120],
            language=current.language,
            user_agent=self.user_agent,
            phone_time=_phone_time(msg.get("phone_time")),
            strokes=strokes,
        )
        try:
            await ctx.run(ctx.store.add_signature, signature, png)
        except (StoreError, OSError) as exc:
            log.warning("%s: cannot keep the signature: %s", ctx.inspection_id, exc)
            ctx.emit(events.EngineError(str(exc), ctx.inspection_id))
            ctx.send("signed", ok=False, text=ctx.say(_NOT_KEPT))
            return None
        ctx.send("signed", ok=True, text=ctx.say(_SIGNED))
        summary = {"summary_sha256": signature.summary_sha256}
        ctx.record(AuditAction.SIGNED, summary, actor=audit.SELLER)
        ctx.emit(
            events.SellerSigned(
                ctx.inspection_id,
                signature.signed_at.isoformat(),
                signature.name,
                signature.summary_sha256,
            )
        )
        return signature

    async def on_remark(self, msg: dict[str, Any]) -> None:
        """The seller says the summary is not right: keep it, tell the operator."""
        ctx = self._ctx
        text = str(msg["text"]).strip()
        if not text:
            return
        remark = SellerRemark(ctx.inspection_id, text, str(msg["sha256"]))
        try:
            await ctx.run(ctx.store.add_remark, remark)
        except StoreError as exc:
            log.warning("%s: cannot keep the remark: %s", ctx.inspection_id, exc)
        ctx.emit(events.SellerRemarked(ctx.inspection_id, text))
        ctx.send("signed", ok=False, text=ctx.say(_REMARK_SENT))
        summary = {"summary_sha256": remark.summary_sha256}
        ctx.record(AuditAction.REMARKED, summary, actor=audit.SELLER)


def _png(url: object) -> bytes:
    if not isinstance(url, str) or not url.startswith(PNG_PREFIX):
        raise SignatureRefused("not a PNG data: URL")
    try:
        data = base64.b64decode(url[len(PNG_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureRefused(f"bad base64: {exc}") from None
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "PNG":
                raise SignatureRefused(f"a {img.format} image, not a PNG")
            w, h = img.size
            if not (0 < w <= MAX_SIGNATURE_SIDE and 0 < h <= MAX_SIGNATURE_SIDE):
                raise SignatureRefused(f"a {w}x{h} image")
            img.load()
    except (OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise SignatureRefused(f"an image that does not decode: {exc}") from None
    return data


def _strokes(value: object) -> list[Any]:
    """signature_pad's point groups, reduced to numbers: [[[x, y, t], ...], ...]."""
    if not isinstance(value, list):
        raise SignatureRefused("strokes must be a list")
    total = 0
    out: list[Any] = []
    for group in value:
        points = group.get("points") if isinstance(group, dict) else group
        if not isinstance(points, list):
            raise SignatureRefused("a stroke must be a list of points")
        clean = []
        for p in points:
            if isinstance(p, dict):
                p = [p.get("x"), p.get("y"), p.get("time", 0)]
            if not (
                isinstance(p, list)
                and len(p) == 3
                and all(isinstance(v, int | float) and math.isfinite(v) for v in p)
            ):
                raise SignatureRefused("a point must be three numbers")
            clean.append([round(float(p[0]), 1), round(float(p[1]), 1), float(p[2])])
        total += len(clean)
        if total > MAX_STROKE_POINTS:
            raise SignatureRefused("too many points")
        out.append(clean)
    if total == 0:
        raise SignatureRefused("an empty signature")
    return out


def _phone_time(value: object) -> datetime | None:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
