"""The inspections over the API: what ``list``, ``show``, ``new``, ``invite``,
``report`` and ``export`` do at a desk, with the same JSON.

=====================================  ==========  =====================================
route                                  permission  answer
=====================================  ==========  =====================================
``GET inspections?status=&assignee=``  view        ``list --json`` (``check=1``: SHA-256)
``POST inspections``                   create      ``new --json`` (201)
``GET inspections/{id}``               view        ``show --json``, with the
                                                   inspection's ``version``
``POST inspections/{id}/invite``       invite      ``invite --json``; ``{"self": true}``
                                                   for a self-inspection
``GET inspections/{id}/report``        report      the sealed PDF (409 if incomplete,
                                                   unless ``allow_incomplete=1``)
``GET inspections/{id}/bundle``        export      the bundle (zip)
``GET inspections/{id}/copy``          run_live or the bundle without a report: the
                                       review      working copy a console runs a call
                                                   on, or reviews
``GET inspections/{id}/listing``       export      ``export --listing``: a zip of the
                                                   ``NN-shot.jpg`` photos, blurred
                                                   (``size=``, ``include_withheld=1``)
``POST inspections/{id}/status``       by change   ``{id, status, moved}`` (409 refused)
``PATCH inspections/{id}``             review      ``{vehicle?, notes?, grade?, version}``
                                                   → ``show``'s fields at the new
                                                   ``version`` (409 changed since, 422
                                                   a bad field, named)
``DELETE inspections/{id}?version=``   delete      ``{deleted}`` (409 changed since)
=====================================  ==========  =====================================

Captures and their review are in :mod:`.captures`, damages in :mod:`.damages`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from aiohttp import web

from inspector.domain.accounts import Permission
from inspector.live.server.guards import GuardedHandler
from inspector.team.api.auth import guarded
from inspector.team.api.base import API_KEY, API_PREFIX, Api, ApiError, answer
from inspector.team.logs import request_id
from inspector.usecases.accounts import Identity

__all__ = ["add_routes"]

_VEHICLE = ("make", "model", "year", "plate", "vin", "mileage", "fuel", "colour")
_SELLER = ("name", "phone", "email", "language")
_CHUNK = 1 << 20


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "inspection"


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")


def _text(request: web.Request, name: str) -> str | None:
    value = request.query.get(name)
    return value if value else None


def _changed(request: web.Request, inspection_id: str) -> None:
    hub = request.app[API_KEY].events
    if hub is not None:
        hub.look_soon(inspection_id)


@guarded(Permission.VIEW)
async def list_inspections(request: web.Request, identity: Identity) -> web.Response:
    from inspector.usecases.reading import list_entries

    api = request.app[API_KEY]
    entries, _ = await api.run(
        list_entries,
        api.store,
        deep=_flag(request, "check"),
        status=_text(request, "status"),
        assignee=_text(request, "assignee"),
    )
    return answer(entries)


def _fields(body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    given = body.get(name, {})
    if not isinstance(given, dict):
        raise ApiError(400, "invalid", f'"{name}" must be a JSON object')
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ApiError(
            400,
            "invalid",
            f'unknown field(s) in "{name}": {", ".join(unknown)} (known: {", ".join(allowed)})',
        )
    for key, value in given.items():
        if isinstance(value, bool) or not isinstance(value, str | int | float | None):
            raise ApiError(400, "invalid", f'"{name}.{key}" must be text or a number')
    return {k: v for k, v in given.items() if v is not None}


@guarded(Permission.CREATE)
async def create(request: web.Request, identity: Identity) -> web.Response:
    from inspector.team.api.base import read_json
    from inspector.usecases.inspections import create_inspection, inspection_to_dict

    api = request.app[API_KEY]
    body = await read_json(request)
    unknown = sorted(set(body) - {"checklist", "operator", "notes", "vehicle", "seller"})
    if unknown:
        raise ApiError(400, "invalid", f"unknown field(s): {', '.join(unknown)}")
    texts = {}
    for key, default in (("checklist", "standard"), ("operator", ""), ("notes", "")):
        value = body.get(key, default)
        if not isinstance(value, str):
            raise ApiError(400, "invalid", f'"{key}" must be text')
        texts[key] = value
    inspection, warnings = await api.run(
        create_inspection,
        api.store,
        checklist=texts["checklist"] or "standard",
        operator=texts["operator"],
        notes=texts["notes"],
        vehicle=_fields(body, "vehicle", _VEHICLE),
        seller=_fields(body, "seller", _SELLER),
    )
    _changed(request, inspection.id)
    return answer({**inspection_to_dict(inspection), "warnings": warnings}, 201)


@guarded(Permission.VIEW)
async def show(request: web.Request, identity: Identity) -> web.Response:
    from inspector.usecases.reading import inspection_details

    api = request.app[API_KEY]

    def details(inspection_id: str, deep: bool) -> dict[str, Any]:
        # The version read first: a change made meanwhile makes a PATCH at it refused,
        # never one accepted over a change its sender did not see.
        version = api.store.find_inspection(inspection_id).version
        return {**inspection_details(api.store, inspection_id, deep=deep), "version": version}

    return answer(await api.run(details, request.match_info["id"], _flag(request, "check")))


@guarded(Permission.INVITE)
async def invite(request: web.Request, identity: Identity) -> web.Response:
    from inspector.team.api.base import read_json

    api = request.app[API_KEY]
    body = await read_json(request)
    self_inspection = body.get("self", False)
    if not isinstance(self_inspection, bool):
        raise ApiError(400, "invalid", '"self" must be true or false')
    inspection = await api.run(api.store.find_inspection, request.match_info["id"])
    engine = api.team.engine
    done = engine.invite(
        inspection.id,
        "self" if self_inspection else "operator",
        actor=identity.actor,
        request_id=request_id.get(),
    )
    invitation = await asyncio.wrap_future(done)
    _changed(request, inspection.id)
    return answer(
        {
            "inspection_id": invitation.inspection_id,
            "join_url": invitation.join_url,
            "expires_at": invitation.expires_at,
        }
    )


def _long(request: web.Request) -> None:
    """A logged-in user's download or upload may take longer than a phone's page load."""
    if isinstance(request.protocol, GuardedHandler):
        request.protocol.long_lived = True


def _report(api: Api, inspection_id: str, out: Path, options: dict[str, Any]) -> Path:
    from inspector.report.document import build_report
    from inspector.report.readiness import readiness
    from inspector.usecases import status as lifecycle

    store = api.store
    inspection = store.find_inspection(inspection_id)
    found = readiness(store, inspection.id)
    if not found.complete and not options["allow_incomplete"]:
        raise ApiError(
            409,
            "incomplete",
            f"{found.message()}; no report written (allow_incomplete=1 writes one marked "
            "incomplete)",
        )
    path = build_report(
        store,
        inspection.id,
        out,
        lang=options["lang"] or inspection.seller.language.value,
        inspector_name=options["inspector"],
        sealer=api.team.sealer,
    )
    lifecycle.reported(store, inspection.id)
    return path


def _bundle(api: Api, inspection_id: str, out: Path, options: dict[str, Any]) -> Path:
    from inspector.bundle import export_bundle
    from inspector.usecases import status as lifecycle

    store = api.store
    inspection = store.find_inspection(inspection_id)
    path = export_bundle(
        store,
        inspection.id,
        out,
        report=not options["no_report"],
        lang=options["lang"] or inspection.seller.language.value,
        inspector_name=options["inspector"],
        sealer=api.team.sealer,
    )
    if not options["no_report"]:
        lifecycle.reported(store, inspection.id)
    return path


def _options(request: web.Request) -> dict[str, Any]:
    from inspector.report.i18n import report_languages

    lang = _text(request, "lang")
    if lang is not None and lang not in report_languages():
        raise ApiError(
            400, "invalid", f"unknown report language {lang!r}: {', '.join(report_languages())}"
        )
    return {
        "lang": lang,
        "inspector": _text(request, "inspector"),
        "allow_incomplete": _flag(request, "allow_incomplete"),
        "no_report": _flag(request, "no_report"),
    }


async def _send_made(
    request: web.Request,
    make: Any,
    suffix: str,
    content_type: str,
    *,
    options: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.StreamResponse:
    """Make a file in the scratch folder (``make(api, id, out, options)``), send it, delete
    it. ``headers`` are sent too, as ``make`` left them."""
    api = request.app[API_KEY]
    options = _options(request) if options is None else options
    _long(request)
    inspection_id = request.match_info["id"]
    folder = api.scratch()
    out = folder / f"{secrets.token_hex(8)}{suffix}"
    try:
        path = await api.run(make, api, inspection_id, out, options)
        _changed(request, inspection_id)
        response = web.StreamResponse(
            headers={
                "Content-Type": content_type,
                "Content-Disposition": f'attachment; filename="{_safe(inspection_id)}{suffix}"',
                "Cache-Control": "no-store",
                **(headers or {}),
            }
        )
        response.content_length = path.stat().st_size
        await response.prepare(request)
        with open(path, "rb") as f:
            while chunk := await api.run(f.read, _CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        with contextlib.suppress(OSError):
            out.unlink(missing_ok=True)


@guarded(Permission.REPORT)
async def report(request: web.Request, identity: Identity) -> web.StreamResponse:
    return await _send_made(request, _report, ".pdf", "application/pdf")


@guarded(Permission.EXPORT)
async def bundle(request: web.Request, identity: Identity) -> web.StreamResponse:
    return await _send_made(request, _bundle, ".zip", "application/zip")


def _copy(api: Api, inspection_id: str, out: Path, options: dict[str, Any]) -> Path:
    from inspector.bundle import export_bundle

    inspection = api.store.find_inspection(inspection_id)
    return export_bundle(api.store, inspection.id, out, report=False, audited=False)


@guarded((Permission.RUN_LIVE, Permission.REVIEW))
async def copy(request: web.Request, identity: Identity) -> web.StreamResponse:
    """What a remote console needs to run the call itself (the checklist walked so far,
    its captures), or an inspector's console to review it (:mod:`inspector.team.review`):
    a bundle without a report, not an export (no audit line)."""
    return await _send_made(request, _copy, ".zip", "application/zip", options={})


def _listing_options(request: web.Request) -> dict[str, Any]:
    from inspector.privacy.render import DEFAULT_LONG_SIDE
    from inspector.usecases.privacy import MAX_LONG_SIDE, MIN_LONG_SIDE

    size = _text(request, "size")
    try:
        long_side = int(size) if size is not None else DEFAULT_LONG_SIDE
    except ValueError:
        long_side = 0
    if not MIN_LONG_SIDE <= long_side <= MAX_LONG_SIDE:
        raise ApiError(
            400,
            "invalid",
            f"the size must be between {MIN_LONG_SIDE} and {MAX_LONG_SIDE} pixels, not {size}",
        )
    return {"long_side": long_side, "include_withheld": _flag(request, "include_withheld")}


@guarded(Permission.EXPORT)
async def listing(request: web.Request, identity: Identity) -> web.StreamResponse:
    """The publishable photos as ``export --listing`` writes them, in one zip (stored:
    JPEGs do not shrink); how many boxes were blurred and photos scanned in headers."""
    counts: dict[str, str] = {}

    def make(api: Api, inspection_id: str, out: Path, options: dict[str, Any]) -> Path:
        import zipfile

        from inspector.usecases.privacy import ListingError, export_listing

        folder = out.with_suffix("")
        try:
            result = export_listing(api.store, inspection_id, folder, **options)
        except ListingError as exc:
            raise ApiError(409, "no_listing", str(exc)) from exc
        try:
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
                for path in result.files:
                    archive.write(path, path.name)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        counts["X-Listing-Blurred"] = str(result.blurred)
        counts["X-Listing-Scanned"] = str(result.scanned)
        return out

    return await _send_made(
        request,
        make,
        ".zip",
        "application/zip",
        options=_listing_options(request),
        headers=counts,
    )


_STATUS_PERMISSIONS = {
    "invited": Permission.INVITE,
    "live": Permission.RUN_LIVE,
    "captured": Permission.RUN_LIVE,
    "restored": Permission.RUN_LIVE,
    "reviewed": Permission.REVIEW,
}


def _set_status(api: Api, inspection_id: str, change: str) -> dict[str, Any]:
    from inspector.usecases import status as lifecycle

    inspection = api.store.find_inspection(inspection_id)
    moved = lifecycle.set_status(api.store, inspection.id, change)
    now = api.store.get_inspection(inspection.id)
    return {"id": now.id, "status": now.status.value, "moved": moved}


@guarded((Permission.RUN_LIVE, Permission.REVIEW, Permission.INVITE))
async def set_status(request: web.Request, identity: Identity) -> web.Response:
    """``{"status": "invited" | "live" | "captured" | "reviewed" | "restored"}`` →
    ``{id, status, moved}``; 409 for a change the inspection's life refuses (a status
    never goes back: asking for one it is past is ``moved: false``)."""
    from inspector.team.api.base import read_json
    from inspector.usecases import accounts

    api = request.app[API_KEY]
    body = await read_json(request)
    change = body.get("status")
    permission = _STATUS_PERMISSIONS.get(change) if isinstance(change, str) else None
    if permission is None:
        raise ApiError(400, "invalid", f'"status" must be one of {", ".join(_STATUS_PERMISSIONS)}')
    try:
        accounts.require(identity.user, permission)
    except accounts.Forbidden as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    done = await api.run(_set_status, api, request.match_info["id"], change)
    _changed(request, done["id"])
    return answer(done)


def _edit(api: Api, inspection_id: str, version: int, changes: dict[str, Any]) -> dict[str, Any]:
    from inspector.usecases.inspections import edit_inspection, inspection_to_dict

    inspection = api.store.find_inspection(inspection_id)
    edited, warnings = edit_inspection(api.store, inspection.id, version=version, **changes)
    return {**inspection_to_dict(edited), "version": edited.version, "warnings": warnings}


@guarded(Permission.REVIEW)
async def edit(request: web.Request, identity: Identity) -> web.Response:
    """Change the vehicle data (given whole, as ``POST inspections`` takes it), the notes
    or the grade (1-5, null: the suggested one) of an inspection read at ``version``
    (``GET inspections/{id}`` gives it): the review's edits from a remote console."""
    from inspector.domain.validation import ValidationError
    from inspector.team.api.base import read_json
    from inspector.usecases.inspections import EDITABLE

    api = request.app[API_KEY]
    body = await read_json(request)
    unknown = sorted(set(body) - {*EDITABLE, "version"})
    if unknown:
        raise ApiError(400, "invalid", f"unknown field(s): {', '.join(unknown)}")
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ApiError(400, "invalid", 'give the "version" of the inspection you changed')
    changes: dict[str, Any] = {}
    if "vehicle" in body:
        changes["vehicle"] = _fields(body, "vehicle", _VEHICLE)
    if "notes" in body:
        if not isinstance(body["notes"], str):
            raise ApiError(422, "invalid_field", '"notes" must be text', field="notes")
        changes["notes"] = body["notes"]
    if "grade" in body:
        changes["grade"] = body["grade"]
    if not changes:
        raise ApiError(400, "invalid", f"nothing to change: give {', '.join(EDITABLE)}")
    try:
        done = await api.run(_edit, api, request.match_info["id"], version, changes)
    except ValidationError as exc:
        raise ApiError(422, "invalid_field", str(exc), field=exc.field) from None
    _changed(request, done["id"])
    return answer(done)


def _delete(api: Api, inspection_id: str, version: int | None) -> str:
    from inspector.usecases.inspections import delete_inspection

    inspection = api.store.find_inspection(inspection_id)
    if inspection.id != inspection_id:
        raise ApiError(400, "invalid", "give the whole id of the inspection to delete")
    delete_inspection(api.store, inspection.id, version=version)
    return str(inspection.id)


@guarded(Permission.DELETE)
async def delete(request: web.Request, identity: Identity) -> web.Response:
    """Delete an inspection, its rows and photos (``?version=N``: only while it is at the
    version the caller read, else 409); its audit log stays, with the deletion."""
    api = request.app[API_KEY]
    version = _version(request)
    deleted = await api.run(_delete, api, request.match_info["id"], version)
    _changed(request, deleted)
    return answer({"deleted": deleted})


def _version(request: web.Request) -> int | None:
    """The ``version`` query parameter (a record's version as the caller read it)."""
    text = request.query.get("version")
    if text is None or text == "":
        return None
    if not text.isdigit() or len(text) > 12:
        raise ApiError(400, "invalid", "version must be a whole number")
    return int(text)


def add_routes(app: web.Application) -> None:
    base = f"{API_PREFIX}/inspections"
    app.router.add_get(base, list_inspections)
    app.router.add_post(base, create)
    app.router.add_get(base + "/{id}", show)
    app.router.add_delete(base + "/{id}", delete)
    app.router.add_patch(base + "/{id}", edit)
    app.router.add_post(base + "/{id}/status", set_status)
    app.router.add_post(base + "/{id}/invite", invite)
    app.router.add_get(base + "/{id}/report", report)
    app.router.add_get(base + "/{id}/bundle", bundle)
    app.router.add_get(base + "/{id}/listing", listing)
    app.router.add_get(base + "/{id}/copy", copy)
