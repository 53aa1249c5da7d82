"""What the report says, before any layout: numbered damages, their photos, the rest.

One identifier per damage, ``D1``, ``D2``…, in the order the damages were
recorded (the console's list uses the same order): in the damage list, on the
photo marks, on the diagram and in the titles of the damage photos.

The photo pair of a damage taken during the live call (shots
``damage_<n>_wide`` / ``damage_<n>_closeup``) is numbered by the call, not by
the damage list, so its photos are titled by the D-number of the damage(s) of
that pair: a damage's ``pair`` (recorded by "Add damage", so its photos are
found whether or not its close-up was linked yet), or else the pair of the
photo it is marked on (:func:`inspector.domain.progress.damage_photos`). A pair no
damage belongs to is titled "Unrecorded damage photo (pair n)": a buyer cannot
take it for a damage of the list.

Kept apart from the PDF code so that these rules are tested on plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from inspector.domain.checklist import Checklist, parse_damage_shot_id
from inspector.domain.grading import OverallGrade
from inspector.domain.models import Capture, Damage, Inspection
from inspector.domain.progress import (
    Progress,
    below_bar,
    best_captures,
    damage_photos,
    inspection_grade,
    progress,
)
from inspector.report.i18n import damage_ref, label

__all__ = ["DamageBlock", "DamageRef", "Photo", "ReportPlan", "plan_report"]

WIDE, CLOSEUP = "wide", "closeup"


@dataclass(frozen=True)
class DamageRef:
    """A damage with its report identifier ("D1")."""

    ref: str
    damage: Damage


@dataclass
class Photo:
    """A capture shown in the report, titled for a buyer."""

    capture: Capture
    title: str
    category: str
    order: int
    marks: list[DamageRef] = field(default_factory=list)
    """Damages marked on this photo (with a region), in D order."""
    to_check: bool = False
    """Kept although below the quality bar: one of the completion's ``to_check``."""


@dataclass
class DamageBlock:
    """One block of the damage pages: the damages and the photos that show them.

    ``closeup`` is the pair's close-up photo, or None; when ``crop_of`` is set
    the report shows, in its place, the wide photo enlarged around that
    damage's mark.
    """

    title: str
    damages: list[DamageRef]
    """Empty for an unrecorded damage pair."""
    pair: int | None = None
    wide: Photo | None = None
    closeup: Photo | None = None
    crop_of: DamageRef | None = None


@dataclass
class ReportPlan:
    refs: list[DamageRef]
    blocks: list[DamageBlock]
    contact: list[Photo]
    """The photos not shown in a damage block: the contact sheet, in checklist order."""
    photos: list[Photo]
    """Every photo the report shows, each once."""
    progress: Progress | None
    """None when the inspection's checklist is unknown."""
    grade: OverallGrade
    titles: dict[str, str]
    """Capture id -> title, for every capture (shown or not: the evidence appendix)."""
    checklist: Checklist | None
    pair_refs: dict[int, list[DamageRef]]
    lang: str

    def shot_title(self, shot_id: str) -> str:
        """A shot's title as the report words it (damage pairs by their D-numbers)."""
        parsed = parse_damage_shot_id(shot_id)
        if parsed is not None:
            return _pair_title(self.pair_refs.get(parsed[0], []), *parsed, self.lang)
        return _shot_info(self.checklist, shot_id, self.lang)[0]

    @property
    def to_check(self) -> list[Photo]:
        return [p for p in self.photos if p.to_check]

    @property
    def unrecorded(self) -> list[DamageBlock]:
        return [b for b in self.blocks if not b.damages]

    @property
    def to_complete(self) -> list[DamageRef]:
        """Damages recorded live and not described yet: listed as "to be confirmed"."""
        return [r for r in self.refs if r.damage.to_complete]


def _shot_info(checklist: Checklist | None, shot_id: str, lang: str) -> tuple[str, str, int]:
    """(title, category, order) of a non-damage shot; unknown shots sort last by id."""
    if checklist is not None:
        try:
            shot = checklist.shot(shot_id)
            return shot.title.get(lang), shot.category, checklist.index(shot_id)
        except KeyError:
            pass
    title = shot_id.replace("_", " ").capitalize()
    return title, "other", 10_000


def _pair_title(refs: list[DamageRef], pair: int, suffix: str, lang: str) -> str:
    """ "D1 – close-up", or "Unrecorded damage photo (pair 2) – close-up"."""
    who = ", ".join(r.ref for r in refs) if refs else label("unrecorded_pair", lang, n=pair)
    if suffix in (WIDE, CLOSEUP):
        return label(f"pair_{suffix}", lang, ref=who)
    return f"{who} – {suffix.replace('_', ' ')}"


def plan_report(
    inspection: Inspection,
    checklist: Checklist | None,
    captures: list[Capture],
    damages: list[Damage],
    lang: str,
) -> ReportPlan:
    """Number the damages, match them with their photos, and sort out the rest."""
    by_id = {c.id: c for c in captures}
    refs = [DamageRef(damage_ref(n), d) for n, d in enumerate(damages, start=1)]
    best = best_captures(captures)

    # The photos shown: the best of each shot, and any photo a damage is marked on.
    shown: dict[str, Capture] = {c.id: c for c in best.values()}
    for r in refs:
        capture = by_id.get(r.damage.capture_id or "")
        if capture is not None:
            shown.setdefault(capture.id, capture)

    # Damage pairs: pair number -> suffix -> capture. A damage belongs to its pair
    # (``Damage.pair``, else that of the photo it is marked on); the pair's photos are
    # the ones its damages point at first, then the ones found for them, then the best.
    pairs: dict[int, dict[str, Capture]] = {}
    pair_refs: dict[int, list[DamageRef]] = {}
    pair_of: dict[str, int] = {}
    for r in refs:
        found = damage_photos(r.damage, captures, checklist)
        if found.number is None:
            continue
        number = pair_of[r.damage.id] = found.number
        pair_refs.setdefault(number, []).append(r)
        members = pairs.setdefault(number, {})
        marked = by_id.get(r.damage.capture_id or "")
        on = parse_damage_shot_id(marked.shot_id) if marked else None
        if marked is not None and on is not None and on[0] == number:
            members.setdefault(on[1], marked)
        for suffix, pick in ((WIDE, found.wide), (CLOSEUP, found.closeup)):
            if pick is not None:
                members.setdefault(suffix, pick)
    for capture in best.values():
        parsed = parse_damage_shot_id(capture.shot_id)
        if parsed is not None:
            pairs.setdefault(parsed[0], {}).setdefault(parsed[1], capture)
    in_pairs = {c.id for members in pairs.values() for c in members.values()}

    titles: dict[str, str] = {}
    photos: dict[str, Photo] = {}
    for capture in captures:
        parsed = parse_damage_shot_id(capture.shot_id)
        if parsed is not None:
            n, suffix = parsed
            title = _pair_title(pair_refs.get(n, []), n, suffix, lang)
            category, order = "damage", 100_000 + n
        else:
            title, category, order = _shot_info(checklist, capture.shot_id, lang)
        titles[capture.id] = title
        if capture.id in shown and (parsed is None or capture.id in in_pairs):
            photos[capture.id] = Photo(capture, title, category, order)
    for r in refs:
        photo = photos.get(r.damage.capture_id or "")
        if photo is not None and r.damage.region is not None:
            photo.marks.append(r)
    prog = progress(checklist, captures, damages) if checklist is not None else None
    # The photos to check are the completion's (the grade is capped by the same list);
    # without a checklist, the best photo of each shot when below the bar.
    flagged = (
        {c.id for c in prog.to_check}
        if prog is not None
        else {c.id for c in best.values() if below_bar(c)}
    )
    for photo in photos.values():
        photo.to_check = photo.capture.id in flagged

    blocks: list[DamageBlock] = []
    pair_blocks: dict[int, DamageBlock] = {}
    for r in refs:
        pair = pair_of.get(r.damage.id)
        if pair is not None:
            if pair not in pair_blocks:
                title = ", ".join(x.ref for x in pair_refs[pair])
                pair_blocks[pair] = DamageBlock(title, [], pair=pair)
                blocks.append(pair_blocks[pair])
            pair_blocks[pair].damages.append(r)
        else:
            photo = photos.get(r.damage.capture_id or "")
            crop = r if photo is not None and r.damage.region is not None else None
            blocks.append(DamageBlock(r.ref, [r], wide=photo, crop_of=crop))
    for n in sorted(pairs):
        if n not in pair_blocks:
            pair_blocks[n] = DamageBlock(label("unrecorded_pair", lang, n=n), [], pair=n)
            blocks.append(pair_blocks[n])
    for n, block in pair_blocks.items():
        block.wide = photos.get(pairs[n][WIDE].id) if WIDE in pairs[n] else None
        block.closeup = photos.get(pairs[n][CLOSEUP].id) if CLOSEUP in pairs[n] else None
        if block.closeup is None and block.wide is not None:
            # No close-up taken: enlarge the wide photo around the first mark on it.
            block.crop_of = next(iter(block.wide.marks), None)

    categories = list(checklist.categories()) if checklist else []

    def key(p: Photo) -> tuple[int, int, datetime]:
        cat = categories.index(p.category) if p.category in categories else len(categories)
        return cat, p.order, p.capture.captured_at

    contact = sorted(
        (
            p
            for p in photos.values()
            if parse_damage_shot_id(p.capture.shot_id) is None
            and best.get(p.capture.shot_id) is p.capture
        ),
        key=key,
    )
    return ReportPlan(
        refs=refs,
        blocks=blocks,
        contact=contact,
        photos=sorted(photos.values(), key=key),
        progress=prog,
        grade=inspection_grade(inspection, damages, prog, captures),
        titles=titles,
        checklist=checklist,
        pair_refs=pair_refs,
        lang=lang,
    )
