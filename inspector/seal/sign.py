"""Sealing a PDF: a PAdES signature over the whole file, made with pyHanko.

The seal is an incremental update (the report's bytes stay as written, the signature
dictionary and its value are appended) covering every byte but the signature value.
Without a TSA it is PAdES B-B and needs no network; with ``tsa_url`` the signature
also carries a timestamp token from that authority (B-T).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from inspector.seal.identity import SealError, SealIdentity

__all__ = ["FIELD_NAME", "Sealer", "seal_pdf"]

FIELD_NAME = "InspectionSeal"
REASON = "Sealed by the inspection platform: any change made after sealing is detectable"
TSA_TIMEOUT_S = 10


@dataclass(frozen=True)
class Sealer:
    """Who seals and how: the identity, and a TSA's URL when timestamps are wanted."""

    identity: SealIdentity
    tsa_url: str | None = None

    def seal(self, src: Path, dst: Path) -> None:
        seal_pdf(src, dst, self.identity, tsa_url=self.tsa_url)


def _asn1_cert(cert: object) -> asn1_x509.Certificate:
    der = cert.public_bytes(serialization.Encoding.DER)  # type: ignore[attr-defined]
    return asn1_x509.Certificate.load(der)


def _signer(identity: SealIdentity) -> signers.SimpleSigner:
    key_der = identity.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    registry.register_multiple([_asn1_cert(c) for c in identity.chain])
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(identity.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=registry,
    )


def seal_pdf(src: Path, dst: Path, identity: SealIdentity, *, tsa_url: str | None = None) -> None:
    """Write ``src`` sealed to ``dst`` (a different path; the caller makes it atomic)."""
    md = "sha512" if isinstance(identity.key, ed25519.Ed25519PrivateKey) else "sha256"
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm=md,
        reason=REASON,
        name=identity.certificate.subject.rfc4514_string()[:200],
    )
    timestamper = (
        RequestsHTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT_S)  # type: ignore[no-untyped-call]
        if tsa_url is not None
        else None
    )
    pdf_signer = signers.PdfSigner(meta, signer=_signer(identity), timestamper=timestamper)
    data = Path(src).read_bytes()
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        out = io.BytesIO()
        pdf_signer.sign_pdf(writer, output=out)
    except TimestampRequestError as exc:  # an OSError too: not the disk's fault
        raise SealError(f"cannot seal the PDF (timestamp authority {tsa_url}): {exc}") from exc
    except OSError:
        raise
    except Exception as exc:  # pyHanko's own errors
        where = f" (timestamp authority {tsa_url})" if tsa_url else ""
        raise SealError(f"cannot seal the PDF{where}: {exc}") from exc
    with open(dst, "wb") as f:
        f.write(out.getvalue())
        f.flush()
        os.fsync(f.fileno())
