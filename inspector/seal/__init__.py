"""The report's seal: a PAdES signature made with pyHanko, and its strict check.

What kind of signature this is, said plainly (the report and the docs say the same):
the seller's drawn signature is a *simple electronic signature*; the platform then
seals the whole PDF with its certificate so that any later change is detectable.
Neither is a qualified electronic signature (eIDAS): the default certificate is
self-signed, generated for this installation, and vouched for by no authority.

- :mod:`.identity`: the key and certificate that seal (this installation's, made on
  first use in the data folder, or the company's PEM files or PKCS#12);
- :mod:`.sign`: sealing a PDF (optionally timestamped by a TSA);
- :mod:`.check`: checking a sealed PDF, stricter than a plain validation (every byte
  of the signature value counts).
"""

from inspector.seal.check import SealCheck, check_pdf
from inspector.seal.identity import (
    SealError,
    SealIdentity,
    SealKeyUnwritable,
    company_identity,
    installation_identity,
    one_time_identity,
    pkcs12_identity,
)
from inspector.seal.sign import Sealer, seal_pdf

__all__ = [
    "SealCheck",
    "SealError",
    "SealIdentity",
    "SealKeyUnwritable",
    "Sealer",
    "check_pdf",
    "company_identity",
    "installation_identity",
    "one_time_identity",
    "pkcs12_identity",
    "seal_pdf",
]
