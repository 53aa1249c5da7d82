"""The damages of an inspection over the API, for inspectors at other desks.

==============================================  ==========  ================================
route                                           permission  answer
==============================================  ==========  ================================
``GET inspections/{id}/damages``                view        the damages, each with its
                                                            ``version``
``POST inspections/{id}/damages``               annotate    the damage (201)
``PUT inspections/{id}/damages/{damage}``       annotate    the damage at its new version
``DELETE inspections/{id}/damages/{damage}``    annotate    ``{deleted}``
==============================================  ==========  ================================

A damage is the bundle's record of one (``part``, ``type``, ``severity`` 1-3, ``region``
``[x, y, w, h]`` or null, ``note``, ``capture_id``, ``pair``, ``to_complete``); ``id``
and ``created_at`` may be left out of a new one. A change names the ``version`` it was
read at (``PUT``'s body, ``DELETE``'s ``?version=``): one changed by someone else since
is 409 and nothing is written. The rules are :mod:`inspector.usecases.damages`', as
in the console's review.
"""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, PlainValidator, ValidationError

from inspector.bundle.schema import DamageRecord, Ident, IsoTime, _region
from inspector.domain import validation as rules
from inspector.domain.accounts import Permission
from inspector.domain.models import ROW_VERSION, Damage, Region, Severity, utcnow
from inspector.domain.views import DamageView
from inspector.storage.rows import new_id
from inspector.team.api.auth import guarded
from inspector.team.api.base import API_KEY, API_PREFIX, Api, ApiError, answer, read_json
from inspector.team.api.inspections import _changed, _version
from inspector.usecases import damages as marking
from inspector.usecases.accounts import Identity

__all__ = ["DamageUpload", "add_routes", "damage_to_dict"]


class DamageUpload(DamageRecord):
    """A damage as a client sends it (the bundle's record; id and time may be left out)."""

    id: Ident | None = None  # type: ignore[assignment]
    created_at: IsoTime | None = None  # type: ignore[assignment]
    capture_id: Ident | None = None
    note: str = Field(default="", max_length=rules.DAMAGE_NOTE_MAX)
    region: Annotated[Region | None, PlainValidator(_region)] = None
    version: int | None = Field(default=None, ge=1)


def damage_to_dict(damage: Damage) -> dict[str, Any]:
    return {**DamageView.of(damage).to_json(), "version": damage.version}


def _parse(body: dict[str, Any]) -> DamageUpload:
    try:
        return DamageUpload.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "damage"
        if error["type"] == "missing":
            message = f"the damage has no {where!r}"
        else:
            message = f"the damage's {where!r}: {error['msg']}"
        raise ApiError(400, "invalid", message) from None


def _damage(upload: DamageUpload, inspection_id: str, damage_id: str | None = None) -> Damage:
    return Damage(
        id=damage_id or upload.id or new_id(),
        inspection_id=inspection_id,
        capture_id=upload.capture_id,
        part=upload.part,
        type=upload.type,
        severity=Severity(upload.severity),
        region=upload.region,
        note=upload.note,
        created_at=upload.created_at or utcnow(),
        pair=upload.pair,
        to_complete=upload.to_complete,
        version=upload.version or ROW_VERSION,
    )


def _inspection(api: Api, inspection_id: str) -> str:
    return str(api.store.find_inspection(inspection_id).id)


def _list(api: Api, inspection_id: str) -> list[dict[str, Any]]:
    return [damage_to_dict(d) for d in api.store.damages(_inspection(api, inspection_id))]


@guarded(Permission.VIEW)
async def list_damages(request: web.Request, identity: Identity) -> web.Response:
    api = request.app[API_KEY]
    return answer(await api.run(_list, api, request.match_info["id"]))


def _add(api: Api, inspection_id: str, upload: DamageUpload) -> Damage:
    damage = _damage(upload, _inspection(api, inspection_id))
    return marking.add_damage(api.store, damage)


@guarded(Permission.ANNOTATE)
async def add(request: web.Request, identity: Identity) -> web.Response:
    api = request.app[API_KEY]
    body = await read_json(request)
    upload = _parse(body)
    damage = await api.run(_add, api, request.match_info["id"], upload)
    _changed(request, damage.inspection_id)
    return answer(damage_to_dict(damage), 201)


def _change(api: Api, inspection_id: str, damage_id: str, upload: DamageUpload) -> Damage:
    found = _inspection(api, inspection_id)
    current = marking.find_damage(api.store, found, damage_id)
    damage = _damage(upload, found, damage_id)
    if upload.created_at is None:
        damage.created_at = current.created_at
    return marking.change_damage(api.store, damage)


@guarded(Permission.ANNOTATE)
async def change(request: web.Request, identity: Identity) -> web.Response:
    api = request.app[API_KEY]
    body = await read_json(request)
    upload = _parse(body)
    if upload.version is None:
        raise ApiError(400, "invalid", 'give the "version" of the damage you changed')
    if upload.id is not None and upload.id != request.match_info["damage"]:
        raise ApiError(400, "invalid", "the damage's id is not the one of the URL")
    damage = await api.run(
        _change,
        api,
        request.match_info["id"],
        request.match_info["damage"],
        upload,
    )
    _changed(request, damage.inspection_id)
    return answer(damage_to_dict(damage))


def _delete(api: Api, inspection_id: str, damage_id: str, version: int | None) -> Damage:
    return marking.delete_damage(
        api.store, _inspection(api, inspection_id), damage_id, version=version
    )


@guarded(Permission.ANNOTATE)
async def delete(request: web.Request, identity: Identity) -> web.Response:
    api = request.app[API_KEY]
    gone = await api.run(
        _delete, api, request.match_info["id"], request.match_info["damage"], _version(request)
    )
    _changed(request, gone.inspection_id)
    return answer({"deleted": gone.id})


def add_routes(app: web.Application) -> None:
    base = f"{API_PREFIX}/inspections/{{id}}/damages"
    app.router.add_get(base, list_damages)
    app.router.add_post(base, add)
    app.router.add_put(base + "/{damage}", change)
    app.router.add_delete(base + "/{damage}", delete)
