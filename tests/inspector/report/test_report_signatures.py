"""The report's signatures page: the seller's signature (or none, or superseded) and the seal."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pypdf import PdfReader

from inspector.domain.models import Severity
from inspector.domain.signature import SellerRemark, SellerSignature, make_summary
from inspector.live.contrib.simphone import synthetic_signature
from inspector.report.document import build_report
from inspector.seal import check_pdf
from inspector.storage.store import Store
from tests.inspector.report.test_report import make_inspection


def last_page(path: Path) -> str:
    return PdfReader(path).pages[-1].extract_text() or ""


def sign(store: Store, inspection_id: str, lang: str = "fr") -> SellerSignature:
    import base64

    inspection = store.get_inspection(inspection_id)
    summary = make_summary(
        inspection, store.captures(inspection_id), store.damages(inspection_id), lang
    )
    url, strokes = synthetic_signature()
    png = base64.b64decode(url.split(",", 1)[1])
    return store.add_signature(
        SellerSignature(
            inspection_id=inspection_id,
            summary_text=summary.text,
            summary_sha256=summary.sha256,
            png_sha256="",
            name="Élodie Martin",
            language=lang,
            user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/131",
            strokes=strokes,
        ),
        png,
    )


def test_unsigned_report_says_so_and_what_kind_of_signature(store: Store, tmp_path: Path) -> None:
    inspection, _, _ = make_inspection(store)
    out = build_report(store, inspection.id, tmp_path / "r.pdf", lang="en")
    text = last_page(out)
    assert "The seller has not signed this report." in text
    assert "simple electronic signature" in text and "qualified" in text
    assert "inspector verify report.pdf" in text


def test_signed_then_superseded(store: Store, tmp_path: Path) -> None:
    inspection, _, damages = make_inspection(store)
    signature = sign(store, inspection.id)
    store.add_remark(SellerRemark(inspection.id, "La jante est d'origine.", "0" * 64))
    out = build_report(store, inspection.id, tmp_path / "signed.pdf", lang="fr")
    reader = PdfReader(out)
    text = reader.pages[-1].extract_text() or ""
    assert "Élodie Martin" in text and signature.summary_sha256 in text.replace("\n", "")
    assert "Récapitulatif de l'inspection" in text and "Caduque" not in text
    assert "La jante est d'origine." in text
    assert "Android 14" in text
    assert (
        any("/Image" in str(x) for x in reader.pages[-1]["/Resources"]["/XObject"].values())
        or reader.pages[-1].images
    )  # the drawing is on the page
    assert check_pdf(out.read_bytes()).ok

    store.update_damage(dataclasses.replace(damages[0], severity=Severity.SEVERE))
    out = build_report(store, inspection.id, tmp_path / "after.pdf", lang="en")
    assert "Superseded: the inspection changed after the seller signed" in last_page(out)


def test_identity_read_from_the_photos(store: Store, tmp_path: Path) -> None:
    from inspector.storage.readings import StoredReading

    inspection, captures, _ = make_inspection(store)
    vin_photo = captures["vin_windscreen"]
    odo_photo = captures["odometer"]
    store.add_reading(StoredReading(vin_photo.id, inspection.id, "vin", "WVWA7JVU7C3HZUGUE", 0.98))
    store.add_reading(StoredReading(odo_photo.id, inspection.id, "odometer", "84500", 0.99))
    out = build_report(store, inspection.id, tmp_path / "r.pdf", lang="en")
    text = " ".join((p.extract_text() or "") for p in PdfReader(out).pages)
    assert "Identity read from the photos" in text
    assert "WVWA7JVU7C3HZUGUE (98%)" in text and "Mismatch" in text
    assert "Matches" in text  # 84,500 km typed and read
    assert "The VIN entered decodes as: Peugeot, France, model year 2019" in text

    inspection.vehicle = dataclasses.replace(inspection.vehicle, mileage_km=84500)
    store.add_reading(
        StoredReading(odo_photo.id, inspection.id, "odometer", "84500", 0.99, filled=True)
    )
    out = build_report(store, inspection.id, tmp_path / "filled.pdf", lang="en")
    assert "84,500 km (read from photo)" in (PdfReader(out).pages[0].extract_text() or "")


def test_the_bundle_manifest_carries_readings_and_signatures(store: Store, tmp_path: Path) -> None:
    import json
    import zipfile

    from inspector.bundle import export_bundle, verify_bundle
    from inspector.storage.readings import StoredReading

    inspection, captures, _ = make_inspection(store)
    store.add_reading(
        StoredReading(captures["odometer"].id, inspection.id, "odometer", "84500", 0.99)
    )
    signature = sign(store, inspection.id)
    out = export_bundle(store, inspection.id, tmp_path / "b.zip", lang="en")
    assert verify_bundle(out).ok
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["identity_readings"][0]["text"] == "84500"
    assert manifest["seller_signatures"][0]["summary_sha256"] == signature.summary_sha256


def test_the_seller_s_answer_on_recording_is_stated(store: Store, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from inspector.domain.recording import CallRecording

    inspection, _, _ = make_inspection(store)
    out = build_report(store, inspection.id, tmp_path / "none.pdf", lang="en")
    assert "Recording of the call" not in last_page(out)  # not asked: nothing to say
    asked = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    store.add_recording(CallRecording("r1", inspection.id, False, asked))
    out = build_report(store, inspection.id, tmp_path / "declined.pdf", lang="fr")
    text = " ".join(last_page(out).split())
    assert "Enregistrement de l'appel" in text
    assert "Le vendeur a refusé le" in text and "n'a pas été enregistré" in text
    sha = "ab" * 32
    store.add_recording(
        CallRecording(
            "r2",
            inspection.id,
            True,
            asked + timedelta(minutes=5),
            sha256=sha,
            timeline_sha256="cd" * 32,
            mime="video/mp4",
            size=1000,
            duration=192.4,
            started_at=asked + timedelta(minutes=5),
            ended_at=asked + timedelta(minutes=8),
        )
    )
    out = build_report(store, inspection.id, tmp_path / "agreed.pdf", lang="en")
    text = " ".join(last_page(out).split())
    assert "The seller agreed on" in text and "Recorded: 3:12 of video" in text
    assert sha in text.replace(" ", "")
