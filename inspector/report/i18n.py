"""Words of the PDF report, by key, as catalog messages; part and damage names come from
the domain's vocabulary (re-exported here for the report's sections)."""

from __future__ import annotations

from inspector.domain.vocabulary import (
    damage_type_name,
    fuel_name,
    part_name,
    severity_name,
)
from inspector.i18n import Message, Plural, languages

LABELS: dict[str, Message] = {
    "report": Message("Inspection report"),
    "report_caps": Message("VEHICLE INSPECTION REPORT"),
    "vehicle": Message("Vehicle"),
    "unknown_vehicle": Message("Vehicle not specified"),
    "inspection": Message("Inspection"),
    "plate": Message("Plate"),
    "vin": Message("VIN"),
    "mileage": Message("Mileage"),
    "year": Message("Year"),
    "fuel": Message("Fuel"),
    "colour": Message("Colour"),
    "date": Message("Date"),
    "operator": Message("Operator"),
    "inspector": Message("Inspector"),
    "seller": Message("Seller"),
    "checklist": Message("Checklist"),
    "inspection_id": Message("Inspection id"),
    # the verdict
    "grade": Message("Overall grade"),
    "grade_of": Message("Overall grade: {grade}/5 — {name}"),
    "grade_set": Message("Set by the inspector."),
    "grade_suggested": Message("Suggested from the damages recorded."),
    "no_grade": Message(
        "No grade: the vehicle is graded only once every required photo is present."
    ),
    "no_grade_damages": Message(
        "No grade: the vehicle is graded only once every damage recorded is described "
        "(type and severity)."
    ),
    "no_grade_both": Message(
        "No grade: the vehicle is graded only once every required photo is present and "
        "every damage recorded is described."
    ),
    "to_complete": Message("Damages to complete — {n}"),
    "no_photo": Message("No photo"),
    # summary
    "summary": Message("Summary"),
    "completion": Message("Photo checklist"),
    "required_done": Message("{done} of {required} required photos present"),
    "all_present": Message("All required photos are present."),
    "missing_required": Message("Missing required photos"),
    "missing_optional": Message("Optional photos not taken"),
    "to_check": Message("Photos to check (below the quality bar)"),
    "to_check_flag": Message("Quality to check"),
    "kept_after": Message("kept although it failed the check"),
    "damages": Message("Damages"),
    "damage_list": Message("Damages recorded"),
    "no_damage": Message("No damage recorded."),
    "diagram": Message("Where the damages are"),
    "not_on_diagram": Message("Not on the diagram: {refs}"),
    "notes": Message("Inspector's notes"),
    "no_notes": Message("No notes."),
    "col_no": Message("Ref."),
    "col_part": Message("Part"),
    "col_type": Message("Type"),
    "col_severity": Message("Severity"),
    "to_be_confirmed": Message("To be confirmed"),
    "to_complete_text": Message(
        "Recorded during the call: its type and severity are still to be described by the "
        "inspector."
    ),
    # damage pages
    "pair_wide": Message("{ref} – wide view"),
    "pair_closeup": Message("{ref} – close-up"),
    "enlarged": Message("{ref} – enlarged"),
    "unrecorded_pair": Message("Unrecorded damage photo (pair {n})"),
    "unrecorded_text": Message(
        "Photographed as a damage during the call but not described by the inspector: "
        "not in the list of damages."
    ),
    "no_damage_photo": Message("No photo of this damage."),
    "marks": Message("Marks: {refs}"),
    # contact sheet
    "photos": Message("Vehicle photos"),
    # appendix
    "evidence": Message("Appendix: integrity evidence"),
    "evidence_intro": Message(
        "Each photo is identified by the SHA-256 fingerprint of its original file, "
        "computed when it was captured. Any change to the file changes its fingerprint."
    ),
    "times_local": Message("Times are local ({zone})."),
    "col_shot": Message("Shot"),
    "col_time": Message("Captured"),
    "col_clock": Message("Time"),
    "col_file": Message("Original file"),
    "col_sha": Message("SHA-256 of the original file"),
    "still": Message("still"),
    "frame": Message("video frame"),
    "preview": Message("preview only (the full-size original never arrived)"),
    "generated": Message("Report generated"),
    "software": Message("Software"),
    # identity read from the photos
    "identity_read": Message("Identity read from the photos"),
    "identity_read_text": Message(
        "The VIN, the mileage and the plate as entered, and as the OCR read them in the "
        "photos (with its confidence). A mismatch deserves a look at the photo."
    ),
    "vin_decoded": Message("The VIN entered decodes as: {maker}, {country}, model year {years}."),
    "vin_check_digit_warning": Message(
        "Its check digit does not match (usual outside North America)."
    ),
    "col_field": Message("Field"),
    "col_entered": Message("Entered"),
    "col_read": Message("Read from photo"),
    "col_check": Message("Check"),
    "nothing_read": Message("nothing readable"),
    "read_from_photo": Message("read from photo"),
    "mismatch": Message("Mismatch"),
    "matches": Message("Matches"),
    # the signatures page
    "signatures": Message("Signatures"),
    "seller_signature": Message("The seller's confirmation"),
    "not_signed": Message("The seller has not signed this report."),
    "signature_superseded": Message(
        "Superseded: the inspection changed after the seller signed (a damage or the "
        "vehicle). The summary below is what the seller approved; a new signature can be "
        "requested."
    ),
    "signed_by": Message("Signed by"),
    "signed_at_server": Message("Signed at (server)"),
    "signed_at_phone": Message("Phone's clock"),
    "signed_device": Message("Device"),
    "summary_hash": Message("Summary SHA-256"),
    "summary_seen": Message("The summary the seller approved, word for word:"),
    "seller_remarks": Message("Remarks from the seller"),
    "call_recording": Message("Recording of the call"),
    "recording_declined": Message("The seller declined on {when}: the call was not recorded."),
    "recording_agreed": Message("The seller agreed on {when} that the call be recorded."),
    "recording_made": Message(
        "Recorded: {duration} of video, kept with the inspection's files (SHA-256 below)."
    ),
    "recording_none": Message("No video was recorded (the call carried no picture)."),
    "recording_deleted": Message(
        "The recording was deleted on {when}, at the end of its retention period."
    ),
    "platform_seal": Message("The platform's seal"),
    "seal_text": Message(
        "This PDF is sealed with an electronic seal (PAdES) covering the whole file: any "
        "change made to it after it was issued breaks the seal. Check it with the command "
        "below, which also names the certificate that sealed it."
    ),
    "seal_certificate": Message("Sealed by"),
    "seal_self_signed": Message(
        "This certificate was generated by the installation that issued the report "
        "(self-signed): no authority vouches for it. Compare its fingerprint with the one "
        "the platform publishes."
    ),
    "seal_company": Message("This certificate is the issuing company's own."),
    "seal_one_time": Message(
        "This certificate was made for this report alone (the data folder it was issued "
        "from could not be written): the seal shows that the file is unchanged, not which "
        "installation issued it."
    ),
    "signature_kind_title": Message("What kind of signature this is"),
    "signature_kind": Message(
        "The seller's signature is a simple electronic signature: drawn on the phone and "
        "bound to the summary the seller saw by its SHA-256 fingerprint. The report is then "
        "sealed by the platform. Neither is a qualified electronic signature within the "
        "meaning of the eIDAS regulation."
    ),
    "how_to_verify": Message("How to verify"),
    "verify_text": Message(
        "The inspection bundle (inspection.zip) holds the original photos, this report and "
        "a manifest of their fingerprints. To check it, run:"
    ),
    "verify_text2": Message(
        "It names every altered, missing or added file. A single photo can also be checked "
        "with sha256sum against the list above."
    ),
    "how_graded": Message("How the grade is set"),
    "grade_rule": Message(
        "The grade (5 excellent to 1 bad) is suggested from the damages: 1 point per minor, "
        "3 per moderate, 8 per severe damage; 0 points give 5, 1-2 give 4, 3-6 give 3, "
        "7-12 give 2, more give 1. The inspector may change it. No grade is given while a "
        "required photo is missing or a damage recorded is still to be described; a photo "
        "kept with a quality warning caps the grade at 4, a photo kept although it failed "
        "the quality check caps it at 3."
    ),
    "page": Message("Page {n} of {total}"),
    "retaken": Message("superseded"),
    "rejected": Message("rejected"),
}


PLURALS: dict[str, Plural] = {
    # Counted sentences: the catalog gives each language its own plural forms; {n} is the count.
    "grade_capped": Plural(
        "Capped at {cap}/5 (instead of {base}): {n} photo is below the quality bar.",
        "Capped at {cap}/5 (instead of {base}): {n} photos are below the quality bar.",
    ),
    "grade_limited": Plural(
        "{n} photo is below the quality bar: see “Photos to check”.",
        "{n} photos are below the quality bar: see “Photos to check”.",
    ),
    "incomplete": Plural(
        "Incomplete — {missing} of {required} required photos missing",
        "Incomplete — {missing} of {required} required photos missing",
    ),
    "damages_count": Plural("{n} damage", "{n} damages"),
    "unrecorded_count": Plural(
        "{n} unrecorded damage photo pair: see the damage pages.",
        "{n} unrecorded damage photo pairs: see the damage pages.",
    ),
}


def label(key: str, lang: str, **values: object) -> str:
    """A report label in ``lang``, with ``{name}`` fields filled in."""
    text = LABELS[key].get(lang)
    return text.format(**values) if values else text


def report_languages() -> tuple[str, ...]:
    """The languages a report can be written in: every catalog found, and English."""
    return languages()


def plural(key: str, n: int, lang: str, **values: object) -> str:
    """A counted sentence for ``n`` in ``lang``, by that language's plural rule."""
    return PLURALS[key].get(lang, n, **values)


def damage_ref(number: int) -> str:
    """The one identifier of damage ``number`` (1-based) everywhere in a report: "D3"."""
    return f"D{number}"


__all__ = [
    "LABELS",
    "PLURALS",
    "damage_ref",
    "damage_type_name",
    "fuel_name",
    "label",
    "part_name",
    "plural",
    "report_languages",
    "severity_name",
]
