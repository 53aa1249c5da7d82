"""The phone page's words, by the keys its script uses (``t("shutter")``), as catalog msgids.

The server sends them with the page in every language the catalogs hold
(:func:`phone_strings`), with the domain's vocabulary, so the phone speaks the
same words as the console and the report and needs no build step.
"""

from __future__ import annotations

import json
from typing import Any

from inspector.domain import vocabulary
from inspector.i18n import N_, gettext, languages

__all__ = ["PHONE_STRINGS", "phone_strings", "phone_strings_json"]

PHONE_STRINGS: dict[str, str] = {
    "page_title": N_("Vehicle inspection"),
    "consent_title": N_("Remote inspection of your vehicle"),
    "consent_intro": N_(
        "This page uses your phone's rear camera to show your vehicle live. You will "
        "be guided photo by photo."
    ),
    "consent_who_title": N_("Who sees the video?"),
    "consent_who": N_("Only the platform's operator, live, during the inspection."),
    "consent_kept_title": N_("What is kept?"),
    "consent_kept": N_(
        "The photos taken during the inspection, with their date and time. The video "
        "is not recorded."
    ),
    "consent_kept_recording": N_(
        "The photos taken during the inspection, with their date and time. The video is "
        "recorded only if you agree below."
    ),
    "consent_camera": N_("Your phone will ask for access to the camera: tap “Allow”."),
    "consent_start": N_("Start"),
    "connecting": N_("Connecting…"),
    "starting_camera": N_("Opening the camera…"),
    "reconnecting": N_("Reconnecting…"),
    "reconnecting_detail": N_("The connection was interrupted. Please stay on this page."),
    # An operator-guided call whose operator's console left (or has not joined yet).
    "advisor_away": N_("Your advisor will be back in a moment"),
    "advisor_coming": N_("Your advisor will join you in a moment"),
    "advisor_away_detail": N_(
        "Please stay on this page: the inspection will resume where it left off."
    ),
    "progress": N_("{n} / {total}"),
    "torch_on": N_("Switch the torch on"),
    "torch_off": N_("Switch the torch off"),
    "shutter": N_("Take the photo"),
    "ready_button": N_("I'm in position"),
    "capturing": N_("Taking the photo… hold still"),
    "photo_ok": N_("Photo saved"),
    "photo_retake": N_("Please take this photo again"),
    "photo_failed": N_("The photo could not be sent"),
    "uploads_progress": N_("Full-size photos sent: {done} / {total} · {percent} %"),
    "uploads_finishing": N_(
        "Finishing the upload of the full-size photos ({done} / {total}, {percent} %). "
        "Please keep this page open."
    ),
    "reason_low_resolution": N_("photo too small"),
    "reason_blurry": N_("blurry photo: hold the phone still"),
    "reason_slightly_blurry": N_("photo slightly blurry"),
    "reason_too_dark": N_("photo too dark"),
    "reason_too_bright": N_("photo too bright"),
    "reason_glare": N_("reflection on the photo"),
    "done_title": N_("Thank you!"),
    "done_text": N_("You can close this page."),
    "error_generic": N_("A technical problem occurred; the inspection goes on."),
    "denied_title": N_("Camera access denied"),
    "denied_text": N_("To continue, allow the camera for this site, then tap “Try again”."),
    "denied_android": N_(
        "Android (Chrome): tap the icon left of the address, then Permissions → Camera → Allow."
    ),
    "denied_ios": N_(
        "iPhone (Safari): tap “aA” left of the address, then Website Settings → Camera → Allow."
    ),
    "retry": N_("Try again"),
    "nocamera_title": N_("No camera available"),
    "nocamera_text": N_(
        "We could not find a camera on this phone. Try again; if it still fails, open the"
        " link on another phone."
    ),
    "busy_title": N_("Camera used by another app"),
    "busy_text": N_(
        "Your camera is used by another app (a video call, the camera app). Close that"
        " app, then tap “Try again”."
    ),
    "inapp_title": N_("Open this page in your browser"),
    "inapp_text": N_(
        "You opened the link inside {app}, where the camera may not work. Open it in"
        " Safari (iPhone) or Chrome (Android)."
    ),
    "inapp_text_unnamed": N_(
        "You opened the link inside an app, where the camera may not work. Open it in"
        " Safari (iPhone) or Chrome (Android)."
    ),
    "inapp_ios": N_(
        "iPhone: tap “…” or the share icon, then “Open in Safari”. Or copy the link and"
        " paste it into Safari."
    ),
    "inapp_android": N_(
        "Android: tap “⋮”, then “Open in Chrome” (or “Open in browser”). Or copy the link"
        " and paste it into Chrome."
    ),
    "copy_link": N_("Copy the link"),
    "link_copied": N_("Link copied: paste it into Safari or Chrome."),
    "copy_failed": N_("Could not copy: press and hold the link above to copy it."),
    "inapp_continue": N_("Continue here anyway"),
    "insecure_title": N_("Address not secure"),
    "insecure_text": N_(
        "For security, the camera only works on a secure address (https://). Open the"
        " link exactly as you received it, or ask for a new one."
    ),
    "unsupported_title": N_("Browser not supported"),
    "unsupported_text": N_(
        "This browser cannot stream live video. Open this link with an up-to-date "
        "Chrome (Android) or Safari (iPhone)."
    ),
    "invalid_title": N_("This link is not valid"),
    "invalid_text": N_(
        "It may have expired or been used already. Ask your contact for a new link."
    ),
    "in_use_title": N_("Inspection already open"),
    "in_use_text": N_(
        "This inspection is open on another device. Close it there, then try again in"
        " a few seconds, or use this phone instead (your advisor will confirm)."
    ),
    "takeover": N_("Use this phone instead"),
    "takeover_asked_title": N_("Waiting for your advisor"),
    "takeover_asked_text": N_(
        "Your advisor has been asked to move the inspection to this phone. This page"
        " opens by itself once they agree."
    ),
    "takeover_declined_title": N_("The inspection stays on the other device"),
    "takeover_declined_text": N_(
        "Your advisor kept the inspection on the other device. Continue there, or call"
        " your advisor."
    ),
    "too_many_title": N_("Too many attempts"),
    "too_many_text": N_(
        "Too many wrong links were opened from this network. Wait a few minutes, then"
        " try again; if it keeps happening, ask your advisor for a new link."
    ),
    "server_error_title": N_("Something went wrong"),
    "server_error_text": N_(
        "The inspection server could not answer. Try again in a moment; if it keeps"
        " failing, tell your advisor."
    ),
    "not_found_title": N_("Page not found"),
    "not_found_text": N_(
        "Open the link exactly as you received it, or ask your advisor for a new one."
    ),
    "guided_status": N_("Your advisor can see you and takes the photos"),
    "advisor_says": N_("Your advisor"),
    "rotate_landscape": N_("Turn your phone sideways"),
    "rotate_portrait": N_("Hold your phone upright"),
    "record_title": N_("Recording the call"),
    "record_question": N_(
        "I agree that this video call is recorded and kept with the inspection record."
    ),
    "record_detail": N_(
        "Only the picture of your camera is recorded, without sound. If you do not agree,"
        " the inspection goes on exactly the same."
    ),
    "coverage_label": N_(
        "Parts of the car photographed: {n} of {total}. Green is done, grey is still to do."
    ),
    "summary_title": N_("Please check and sign"),
    "summary_intro": N_(
        "Here is what the inspection recorded. If it is right, enter your name and sign "
        "with your finger."
    ),
    "signer_name": N_("Your name"),
    "sign_here": N_("Sign in the white box:"),
    "sign_clear": N_("Clear"),
    "sign_button": N_("I confirm and sign"),
    "sign_empty": N_("Please sign in the white box first."),
    "name_empty": N_("Please enter your name."),
    "signing": N_("Sending your signature…"),
    "not_right": N_("This is not right"),
    "remark_send": N_("Send my remark"),
    "remark_empty": N_("Please say what is not right."),
    "offline_title": N_("Cannot connect"),
    "offline_text": N_(
        "Check that your phone is connected to the Internet. Retrying automatically…"
    ),
}


def phone_strings() -> dict[str, Any]:
    """Every language's phone words and vocabulary: ``{"languages", "strings", "words"}``."""
    langs = languages()
    return {
        "languages": list(langs),
        "strings": {
            lang: {key: gettext(lang, text) for key, text in PHONE_STRINGS.items()}
            for lang in langs
        },
        "words": {
            lang: {
                "parts": vocabulary.words(vocabulary.PART_NAMES, lang),
                "damage_types": vocabulary.words(vocabulary.DAMAGE_TYPE_NAMES, lang),
                "severities": vocabulary.words(vocabulary.SEVERITY_NAMES, lang),
                "verdicts": vocabulary.words(vocabulary.VERDICT_NAMES, lang),
            }
            for lang in langs
        },
    }


def phone_strings_json(*, ask_recording: bool = False) -> str:
    """:func:`phone_strings` as JSON safe inside an HTML ``<script>`` element;
    ``ask_recording``: the page asks the seller whether the call may be recorded."""
    data = {**phone_strings(), "ask_recording": ask_recording}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
