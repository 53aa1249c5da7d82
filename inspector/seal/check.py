"""Checking a sealed PDF: intact, covering the whole file, and made by which certificate.

pyHanko's validation proves that the signed bytes are unchanged and that the signature
matches the certificate inside it. Some bytes of the signature value itself are not
covered by anything: the zero padding after it, version numbers and the list of digest
algorithms that verification never reads, a self-signed certificate's own signature.
A byte changed there would leave a plain validation happy; this check also requires the
value to be exactly what a signer writes (strict DER, zeros after it, the versions RFC
5652 prescribes, the digest algorithms the signer used, every certificate's signature
sound where its issuer is present), so that *any* changed byte fails.

Nothing here uses the network: no revocation lookups, no fetching of certificates.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext

from inspector.seal.sign import FIELD_NAME

__all__ = ["SealCheck", "check_pdf"]

_log = logging.getLogger(__name__)


@dataclass
class SealCheck:
    """What :func:`check_pdf` found; ``ok`` when the seal is there, sound and whole."""

    problems: list[str] = field(default_factory=list)
    signer: str | None = None
    """The sealing certificate's subject (RFC 4514)."""
    fingerprint: str | None = None
    """The sealing certificate's SHA-256, hex."""
    self_signed: bool = False
    signed_at: datetime | None = None
    """The signer's own clock (not proof of time); see ``timestamped``."""
    timestamped: datetime | None = None
    """A TSA's time, when the seal carries a timestamp token."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": self.problems,
            "signer": self.signer,
            "certificate_sha256": self.fingerprint,
            "self_signed": self.self_signed,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "timestamp": self.timestamped.isoformat() if self.timestamped else None,
        }


def check_pdf(data: bytes, *, expected_fingerprint: str | None = None) -> SealCheck:
    """Check the seal of a PDF given as bytes; every problem is named in the result.

    ``expected_fingerprint``: the SHA-256 of the certificate that must have sealed it.
    """
    result = SealCheck()
    try:
        _check(data, result)
    except Exception as exc:  # a damaged file can break the reader anywhere
        _log.debug("seal check failed", exc_info=True)
        result.problems.append(f"the PDF or its seal cannot be read ({_short(exc)})")
    if (
        expected_fingerprint is not None
        and result.fingerprint is not None
        and result.fingerprint != expected_fingerprint.lower().replace(":", "")
    ):
        result.problems.append(
            f"sealed by another certificate (SHA-256 {result.fingerprint}), not the "
            f"expected {expected_fingerprint}"
        )
    return result


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


def _check(data: bytes, result: SealCheck) -> None:
    if not data.startswith(b"%PDF-"):
        result.problems.append("not a PDF file (it does not start with %PDF-)")
        return
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        result.problems.append("the PDF carries no seal (no signature)")
        return
    if len(signatures) > 1:
        names = ", ".join(s.field_name for s in signatures)
        result.problems.append(f"the PDF carries {len(signatures)} signatures ({names}), not one")
        return
    sig = signatures[0]
    if sig.field_name != FIELD_NAME:
        result.problems.append(f"the signature is named {sig.field_name!r}, not {FIELD_NAME!r}")
    cert = x509.load_der_x509_certificate(sig.signer_cert.dump())
    result.signer = cert.subject.rfc4514_string()
    result.fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    result.self_signed = cert.issuer == cert.subject
    _check_value(sig.sig_object.raw_get("/Contents"), result)
    # Integrity only: whom to trust is the reader's decision (the fingerprint is shown,
    # ``expected_fingerprint`` enforces one), so the signer is its own anchor here.
    context = ValidationContext(trust_roots=[sig.signer_cert], allow_fetching=False)
    try:
        status = validate_pdf_signature(sig, signer_validation_context=context)
    except SignatureValidationError as exc:
        result.problems.append(f"the seal's signature is not valid ({_short(exc)})")
        return
    if not status.intact:
        result.problems.append(
            "the content was changed after sealing (its digest no longer matches the seal)"
        )
    elif not status.valid:
        result.problems.append("the seal's signature does not match its certificate")
    coverage = status.coverage.name if status.coverage is not None else "NONE"
    if coverage != "ENTIRE_FILE":
        sealed_end = int(sig.byte_range[2]) + int(sig.byte_range[3])
        extra = len(data) - sealed_end
        if extra > 0:
            result.problems.append(
                f"{extra} bytes were added after the seal (an update the seal does not cover)"
            )
        else:
            result.problems.append("the seal does not cover the whole file")
    # PAdES puts the signer's clock in the signature dictionary (/M), not in the CMS.
    result.signed_at = status.signer_reported_dt or sig.self_reported_timestamp
    if status.timestamp_validity is not None:
        ts = status.timestamp_validity
        if not (ts.intact and ts.valid):
            result.problems.append("the seal's timestamp token is not valid")
        result.timestamped = ts.timestamp


def _check_value(contents: Any, result: SealCheck) -> None:
    """The signature value byte for byte: strict DER, then zeros only."""
    raw = bytes(contents)
    info = cms.ContentInfo.load(raw, strict=False)
    der_len = len(info.dump())
    if raw[der_len:].strip(b"\0"):
        result.problems.append("the seal's signature value was changed (bytes after its end)")
        return
    der = raw[:der_len]
    info = cms.ContentInfo.load(der, strict=True)
    if info.dump(force=True) != der:
        result.problems.append("the seal's signature value was changed (not strict DER)")
        return
    if info["content_type"].native != "signed_data":
        result.problems.append("the seal's signature value is not CMS signed data")
        return
    signed = info["content"]
    infos = signed["signer_infos"]
    if len(infos) != 1:
        result.problems.append(f"the seal has {len(infos)} signers, not one")
        return
    signer = infos[0]
    expected_si = "v1" if signer["sid"].name == "issuer_and_serial_number" else "v3"
    if signer["version"].native != expected_si:
        result.problems.append("the seal's signature value was changed (signer version)")
    plain = signed["encap_content_info"]["content_type"].native == "data"
    expected_sd = "v1" if plain and expected_si == "v1" else "v3"
    if signed["version"].native != expected_sd:
        result.problems.append("the seal's signature value was changed (version)")
    used = signer["digest_algorithm"]["algorithm"].native
    listed = [a["algorithm"].native for a in signed["digest_algorithms"]]
    if listed != [used]:
        result.problems.append(
            "the seal's signature value was changed (digest algorithms listed: "
            f"{', '.join(listed)}; used: {used})"
        )
    unsigned = signer["unsigned_attrs"]
    names = [a["type"].native for a in unsigned] if unsigned.native else []
    if any(n != "signature_time_stamp_token" for n in names):
        result.problems.append("the seal carries unexpected unsigned attributes")
    _check_certificates(signed, result)


def _check_certificates(signed: cms.SignedData, result: SealCheck) -> None:
    certs = []
    for choice in signed["certificates"] or []:
        if choice.name != "certificate":
            result.problems.append("the seal carries a certificate of an unexpected kind")
            return
        certs.append(x509.load_der_x509_certificate(choice.chosen.dump()))
    for cert in certs:
        for issuer in certs:
            if issuer.subject != cert.issuer:
                continue
            try:
                cert.verify_directly_issued_by(issuer)
            except (InvalidSignature, ValueError, TypeError):
                result.problems.append(
                    "a certificate inside the seal was changed (its issuer's signature on it "
                    f"does not match: {cert.subject.rfc4514_string()})"
                )
