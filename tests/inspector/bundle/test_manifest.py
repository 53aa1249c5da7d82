"""The manifest schema: the domain's field limits, and errors that say where and what."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from inspector.bundle.layout import photo_name
from inspector.bundle.manifest import ManifestError, manifest_dict, parse_manifest, seal_of
from inspector.domain import validation
from inspector.domain.models import utcnow
from inspector.storage.store import Store
from tests.inspector.report.test_report import make_inspection


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A valid manifest of an inspection with photos and damages."""
    with Store(tmp_path_factory.mktemp("manifest") / "data") as store:
        inspection, _, _ = make_inspection(store)
        captures = store.captures(inspection.id)
        files = {photo_name(c.sha256): {"sha256": c.sha256, "size": c.size} for c in captures}
        yield manifest_dict(inspection, captures, store.damages(inspection.id), files, utcnow())


def changed(manifest: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    edited = copy.deepcopy(manifest)
    target = edited
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    edited["seal"] = seal_of(edited)
    return edited


@pytest.mark.parametrize(
    ("path", "limit", "name"),
    [
        (("inspection", "vehicle", "make"), validation.MAKE_MAX, "make"),
        (("inspection", "vehicle", "model"), validation.MODEL_MAX, "model"),
        (("inspection", "vehicle", "colour"), validation.COLOUR_MAX, "colour"),
        (("inspection", "seller", "name"), validation.SELLER_NAME_MAX, "name"),
        (("inspection", "operator"), validation.SELLER_NAME_MAX, "operator"),
        (("inspection", "inspector"), validation.SELLER_NAME_MAX, "inspector"),
        (("inspection", "notes"), validation.NOTES_MAX, "notes"),
        (("damages", 0, "note"), validation.DAMAGE_NOTE_MAX, "note"),
    ],
)
def test_text_limits_are_the_domains(
    manifest: dict[str, Any], path: tuple[str | int, ...], limit: int, name: str
) -> None:
    """A bundle holds no text longer than ``inspector new`` or the console accept."""
    parse_manifest(changed(manifest, path, "x" * limit))
    with pytest.raises(ManifestError, match=f"'{name}' is longer than {limit} characters"):
        parse_manifest(changed(manifest, path, "x" * (limit + 1)))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("captures", 2, "accepted"),
            "yes",
            "captures[2]: 'accepted' must be bool or null, not str",
        ),
        (("captures", 2, "width"), None, "captures[2]: 'width' must be int, not null"),
        (("captures", 2, "width"), 0, "captures[2]: 'width' must be between 1 and 100000, not 0"),
        (("damages", 1, "severity"), 4, "damages[1]: 'severity' must be between 1 and 3, not 4"),
        (("damages", 1, "region"), "x", "damages[1]: 'region' must be list or null, not str"),
        (("damages", 1, "type"), "hole", "damages[1]: 'type' is 'hole', expected one of scratch,"),
        (("inspection", "seller", "language"), "de", "expected one of fr, en"),
        (("inspection", "vehicle", "year"), "2019", "'year' must be int or null, not str"),
        (("inspection", "vehicle", "vin"), "VF3", "inspection.vehicle: VIN: must be 17 charac"),
        (("inspection", "created_at"), "2024-01-01", "inspection: 'created_at' has no time zone"),
        (("files", "report.pdf"), [], "files['report.pdf'] must be an object"),
        (("captures", 1), 5, "captures[1] must be an object"),
        (("software", "version"), 5, "manifest.software: 'version' must be str, not int"),
    ],
)
def test_errors_name_the_record_and_the_field(
    manifest: dict[str, Any], path: tuple[str | int, ...], value: Any, message: str
) -> None:
    with pytest.raises(ManifestError) as error:
        parse_manifest(changed(manifest, path, value))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_manifest_of_another_format_is_named_so_before_any_field(
    manifest: dict[str, Any],
) -> None:
    other = {"format": "zip", "format_version": 3}
    with pytest.raises(ManifestError, match=r"not an inspection bundle \(format 'zip'\)"):
        parse_manifest(other)
    with pytest.raises(ManifestError, match="manifest: missing 'format_version'"):
        parse_manifest({"format": manifest["format"]})
