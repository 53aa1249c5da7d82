"""The PDF report of an inspection: what a buyer reads and can check.

Pages, as a professional condition report, one module each under
:mod:`inspector.report.sections`:

1. a cover with the verdict: the overall grade, or "Incomplete — N of M
   required photos missing" in its place (see :mod:`inspector.domain.grading`),
   a hero photo, the vehicle and who inspected it when;
2. a one-page summary: completeness (missing shots, photos to check), the
   verdict, the damage list beside the vehicle diagram, the inspector's notes;
3. the damages, each with its close-up (large) beside its wide shot;
4. the remaining photos as a contact sheet, three by three, titled by shot;
5. an evidence appendix: the technical details (resolution, source, the
   SHA-256 of every photo), times, software version, how to verify the bundle;
6. the signatures page: the seller's confirmation and the platform's seal, and
   plainly what kind of signature each is.

The finished PDF is sealed (:mod:`inspector.seal`): a PAdES signature over the
whole file, by this installation's key unless the caller gives a company's.

What is said (damage identifiers D1, D2…, photo titles, completion, grade)
is decided in :mod:`inspector.report.plan`; the photos are prepared by
:mod:`inspector.report.photos`; the look is :mod:`inspector.report.theme`, the
drawing pieces :mod:`inspector.report.flowables` and the page decoration
:mod:`inspector.report.pages`. This module puts them in order. ASCII85 wrapping
is off (``rl_config.useA85 = 0``).

The file is written through :func:`inspector.atomic.atomic_path`: a failure or
a cancel never leaves a partial PDF behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    NextPageTemplate,
    PageBreak,
)

from inspector import __version__
from inspector.atomic import atomic_path
from inspector.domain.checklist import Checklist, ChecklistError, load_checklist
from inspector.domain.models import Capture, Damage, Inspection, Region
from inspector.domain.recording import latest_consent
from inspector.domain.signature import make_summary
from inspector.report.context import Context, SellerConfirmation
from inspector.report.i18n import label, report_languages
from inspector.report.pages import numbered_canvas, page_templates
from inspector.report.photos import (
    PHOTO_MAX_PX,
    PHOTO_QUALITY,
    PhotoError,
    PreparationCancelled,
    prepare_photos,
)
from inspector.report.plan import ReportPlan, plan_report
from inspector.report.sections.contact_sheet import contact_sheet
from inspector.report.sections.cover import cover
from inspector.report.sections.damages import damage_pages
from inspector.report.sections.evidence import evidence
from inspector.report.sections.signatures import signatures
from inspector.report.sections.summary import summary
from inspector.report.theme import (
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    FontError,
    register_fonts,
    styles,
)
from inspector.seal import (
    Sealer,
    SealError,
    SealIdentity,
    SealKeyUnwritable,
    installation_identity,
    one_time_identity,
)
from inspector.storage import NotFound, StoreError
from inspector.storage.store import Store

__all__ = ["PHOTO_MAX_PX", "PHOTO_QUALITY", "ReportCancelled", "ReportError", "build_report"]


class ReportError(StoreError):
    """The report cannot be made; ``str()`` says why in one line."""


class ReportCancelled(Exception):
    """``cancelled()`` turned true; no file was left behind."""


def _crops(plan: ReportPlan) -> dict[str, list[tuple[str, Region]]]:
    """The enlargements to cut, by photo SHA-256: (damage id, region)."""
    crops: dict[str, list[tuple[str, Region]]] = {}
    for block in plan.blocks:
        ref = block.crop_of
        if ref is not None and block.wide is not None and ref.damage.region is not None:
            crops.setdefault(block.wide.capture.sha256, []).append(
                (ref.damage.id, ref.damage.region)
            )
    return crops


def build_report(
    store: Store,
    inspection_id: str,
    out_path: str | os.PathLike[str],
    *,
    lang: str = "fr",
    inspector_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    sealer: Sealer | None = None,
) -> Path:
    """Write the PDF report of one inspection (id or unambiguous prefix); return its path.

    The PDF is sealed by ``sealer``, by default with this installation's key (made on
    first use in the store's data folder).

    An incomplete inspection gets an honest report ("Incomplete", no grade);
    refusing one is the caller's choice (the CLI does without
    ``--allow-incomplete``). ``progress(done, total)`` is called as photos are
    prepared and once at the end; ``cancelled()`` is polled between steps and
    pages, and when it turns true :class:`ReportCancelled` is raised and no file
    is left at ``out_path``. It only reads the store: a caller that issues the
    report marks the inspection reported (:func:`inspector.usecases.status.reported`).
    """
    if lang not in (langs := report_languages()):
        raise ReportError(f"report language must be one of {', '.join(langs)}, not {lang!r}")
    out = Path(out_path)
    try:
        register_fonts()
    except FontError as exc:
        raise ReportError(str(exc)) from exc
    rl_config.useA85 = 0
    try:
        sealer = sealer or Sealer(_installation_or_one_time(store.data_dir))
    except SealError as exc:
        raise ReportError(str(exc)) from exc
    inspection = store.find_inspection(inspection_id)
    captures = store.captures(inspection.id)
    damages = store.damages(inspection.id)
    try:
        checklist: Checklist | None = load_checklist(inspection.checklist)
    except ChecklistError:
        checklist = None
    plan = plan_report(inspection, checklist, captures, damages, lang)
    shas = list(dict.fromkeys(p.capture.sha256 for p in plan.photos))
    total_steps = len(shas) + 1
    checkpoint = _checkpoint(cancelled)
    checkpoint()
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="inspector-report-") as work,
            atomic_path(out, hidden=True) as tmp,
        ):
            try:
                prepared = prepare_photos(
                    store,
                    shas,
                    _crops(plan),
                    Path(work),
                    None if progress is None else lambda done: progress(done, total_steps),
                    cancelled,
                )
            except PreparationCancelled as exc:
                raise ReportCancelled(str(exc)) from exc
            except PhotoError as exc:
                raise ReportError(str(exc)) from exc
            except NotFound as exc:
                raise ReportError(f"cannot make the report: {exc}") from exc
            ctx = Context(
                inspection=inspection,
                checklist=checklist,
                captures=captures,
                plan=plan,
                lang=lang,
                inspector_name=inspection.inspector if inspector_name is None else inspector_name,
                generated=datetime.now().astimezone(),
                styles=styles(),
                prepared=prepared,
                seller=_seller(store, inspection, captures, damages, Path(work)),
                readings=store.readings(inspection.id),
                seal=sealer.identity,
                recording=latest_consent(store.recordings(inspection.id)),
            )
            unsealed = Path(work) / "unsealed.pdf"
            _build_pdf(ctx, unsealed, checkpoint)
            checkpoint()
            try:
                sealer.seal(unsealed, tmp)
            except SealError as exc:
                raise ReportError(str(exc)) from exc
            checkpoint()
    except OSError as exc:
        raise ReportError(f"cannot write the report {out}: {exc.strerror or exc}") from exc
    if progress is not None:
        progress(total_steps, total_steps)
    return out


def _installation_or_one_time(data_dir: Path) -> SealIdentity:
    """This installation's seal; a one-time one when it has none and cannot make it."""
    try:
        return installation_identity(data_dir)
    except SealKeyUnwritable:
        return one_time_identity()


def _seller(
    store: Store,
    inspection: Inspection,
    captures: list[Capture],
    damages: list[Damage],
    work: Path,
) -> SellerConfirmation | None:
    """The latest signature, superseded or not; its drawing copied (checked) for the PDF."""
    signatures = store.signatures(inspection.id)
    if not signatures:
        return None
    sig = signatures[-1]
    now = make_summary(inspection, captures, damages, sig.language or "fr")
    path = work / f"signature-{sig.png_sha256}.png"
    png: Path | None = path
    try:
        path.write_bytes(store.signature_png(sig.png_sha256))
    except StoreError:
        png = None  # the page says the signature was recorded; the drawing is missing
    return SellerConfirmation(sig, png, sig.superseded(now), store.remarks(inspection.id))


def _checkpoint(cancelled: Callable[[], bool] | None) -> Callable[[], None]:
    """Raises :class:`ReportCancelled` once ``cancelled()`` turns true."""

    def checkpoint() -> None:
        if cancelled is not None and cancelled():
            raise ReportCancelled("report cancelled")

    return checkpoint


def _build_pdf(ctx: Context, path: Path, checkpoint: Callable[[], None]) -> None:
    i = ctx.inspection
    title = f"{label('report', ctx.lang)} — {i.vehicle.title() or i.id}"
    doc = BaseDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=ctx.inspector_name or i.operator,
        subject=f"{label('inspection', ctx.lang)} {i.id}",
        creator=f"vehicle-inspector {__version__}",
        lang=ctx.lang,
    )
    doc.addPageTemplates(page_templates(ctx, checkpoint))
    story: list[Flowable] = [*cover(ctx), NextPageTemplate("body"), PageBreak()]
    story += summary(ctx)
    damages = damage_pages(ctx)
    if damages:
        story += [PageBreak(), *damages]
    contact = contact_sheet(ctx)
    if contact:
        story += contact if damages else [PageBreak(), *contact]
    # The appendix starts on a fresh page only when little room is left: no near-blank
    # page after the last row of photos. The signatures close the report, on their page.
    story += [CondPageBreak(90 * mm) if contact else PageBreak(), *evidence(ctx)]
    story += [PageBreak(), *signatures(ctx)]
    doc.build(story, canvasmaker=numbered_canvas(ctx.lang))
