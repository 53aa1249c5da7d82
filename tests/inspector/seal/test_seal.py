"""The report's seal: made with pyHanko, checked strictly; who seals; any changed byte fails."""

from __future__ import annotations

import datetime
import io
import os
import random
import re
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.pdfgen import canvas

from inspector.seal import (
    SealError,
    check_pdf,
    company_identity,
    installation_identity,
    pkcs12_identity,
    seal_pdf,
)
from inspector.seal.identity import INSTALLATION_FILE, PASSWORD_ENV


def plain_pdf(path: Path, text: str = "Inspection report") -> Path:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 700, text)
    c.showPage()
    c.save()
    path.write_bytes(buf.getvalue())
    return path


@pytest.fixture
def sealed(tmp_path: Path) -> bytes:
    identity = installation_identity(tmp_path / "data")
    seal_pdf(plain_pdf(tmp_path / "plain.pdf"), tmp_path / "sealed.pdf", identity)
    return (tmp_path / "sealed.pdf").read_bytes()


def test_the_installation_key_is_made_once_and_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = installation_identity(data)
    path = data / INSTALLATION_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert installation_identity(data).fingerprint == first.fingerprint  # reused, not remade
    assert first.installation and first.certificate.issuer == first.certificate.subject
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left

    path.chmod(0o640)
    with pytest.raises(SealError, match=r"can be read by other users.*chmod 600"):
        installation_identity(data)


def test_a_sealed_pdf_checks_out_and_names_its_certificate(tmp_path: Path) -> None:
    identity = installation_identity(tmp_path / "data")
    seal_pdf(plain_pdf(tmp_path / "p.pdf"), tmp_path / "s.pdf", identity)
    result = check_pdf((tmp_path / "s.pdf").read_bytes())
    assert result.ok, result.problems
    assert result.fingerprint == identity.fingerprint
    assert result.signer == identity.subject and result.self_signed
    assert result.signed_at is not None
    now = datetime.datetime.now(datetime.UTC)
    assert abs((now - result.signed_at).total_seconds()) < 300
    assert check_pdf(b"%PDF-1.4 nothing").problems  # unreadable: named, not raised
    other = check_pdf((tmp_path / "s.pdf").read_bytes(), expected_fingerprint="ab" * 32)
    assert not other.ok and "another certificate" in other.problems[0]


def test_an_unsealed_pdf_fails(tmp_path: Path) -> None:
    result = check_pdf(plain_pdf(tmp_path / "p.pdf").read_bytes())
    assert result.problems == ["the PDF carries no seal (no signature)"]
    assert check_pdf(b"PK\x03\x04").problems == ["not a PDF file (it does not start with %PDF-)"]


def _flipped(data: bytes, pos: int) -> bytes:
    changed = bytearray(data)
    changed[pos] = (changed[pos] + 1) % 256
    return bytes(changed)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_any_changed_byte_fails(sealed: bytes) -> None:
    """Every part of the file: content, structure, and the signature value (incl. the
    bytes a plain validation ignores: its padding, its version numbers)."""
    m = re.search(rb"/Contents <([0-9a-fA-F]+)>", sealed)
    assert m is not None
    start, end = m.span(1)
    der_hex = len(m.group(1).rstrip(b"0"))
    rng = random.Random(16)
    positions = {
        0,
        len(sealed) - 1,
        start,
        start + der_hex + 1,  # the padding after the value
        end - 1,
        start + 2 * 25,  # SignedData's version (unused by validation)
        start + 2 * 25 + 1,
        *rng.sample(range(0, start), 25),
        *rng.sample(range(start, start + der_hex), 25),
        *rng.sample(range(start + der_hex, end), 5),
        *rng.sample(range(end, len(sealed)), 10),
    }
    accepted = [p for p in sorted(positions) if check_pdf(_flipped(sealed, p)).ok]
    assert accepted == []


def test_the_version_bytes_and_padding_of_the_value_are_checked(sealed: bytes) -> None:
    m = re.search(rb"/Contents <([0-9a-fA-F]+)>", sealed)
    assert m is not None
    start = m.start(1)
    der_len = len(m.group(1).rstrip(b"0"))
    padding = _flipped(sealed, start + der_len + 4)
    assert "bytes after its end" in " ".join(check_pdf(padding).problems)
    # The SignerInfo's version: found by its DER (INTEGER 1 after the SignerInfo's SEQUENCE).
    value = bytes.fromhex(m.group(1).decode())
    si = value.rfind(bytes.fromhex("020101"), 0, value.find(bytes.fromhex("3082"), 300) + 8)
    assert si > 0
    changed = check_pdf(_flipped(sealed, start + 2 * (si + 2) + 1))
    assert not changed.ok


def test_bytes_added_after_the_seal_fail(sealed: bytes) -> None:
    result = check_pdf(sealed + b"\n% appended\n")
    assert "12 bytes were added after the seal" in result.problems[0]


def test_an_incremental_update_after_the_seal_fails(sealed: bytes) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    writer.root["/Forged"] = generic.BooleanObject(True)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = check_pdf(out.getvalue())
    assert not result.ok and "added after the seal" in " ".join(result.problems)


# -- a company's certificate -----------------------------------------------------------


def _company(tmp_path: Path, *, days: int = 365) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Acme Test CA")])
    now = datetime.datetime.now(datetime.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Acme Cars seal"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Cars"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def test_a_company_certificate_and_encrypted_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, cert = _company(tmp_path)
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(SealError, match=f"encrypted.*{PASSWORD_ENV}"):
        company_identity(tmp_path / "c.pem", tmp_path / "k.pem")
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    identity = company_identity(tmp_path / "c.pem", tmp_path / "k.pem")
    seal_pdf(plain_pdf(tmp_path / "p.pdf"), tmp_path / "s.pdf", identity)
    result = check_pdf((tmp_path / "s.pdf").read_bytes())
    assert result.ok, result.problems
    assert "Acme Cars seal" in (result.signer or "") and not result.self_signed

    other, _ = _company(tmp_path)
    (tmp_path / "other.pem").write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(SealError, match="does not match the private key"):
        company_identity(tmp_path / "c.pem", tmp_path / "other.pem")
    with pytest.raises(SealError, match="cannot read the signing key"):
        company_identity(tmp_path / "c.pem", tmp_path / "missing.pem")


def test_pkcs12_and_an_expired_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key, cert = _company(tmp_path)
    blob = pkcs12.serialize_key_and_certificates(
        b"seal", key, cert, None, serialization.BestAvailableEncryption(b"pw")
    )
    (tmp_path / "s.p12").write_bytes(blob)
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with pytest.raises(SealError, match="cannot open this PKCS#12 file"):
        pkcs12_identity(tmp_path / "s.p12")
    monkeypatch.setenv(PASSWORD_ENV, "pw")
    identity = pkcs12_identity(tmp_path / "s.p12")
    assert identity.fingerprint == cert.fingerprint(hashes.SHA256()).hex()

    key, old = _company(tmp_path, days=-1)
    expired = pkcs12.serialize_key_and_certificates(
        b"old", key, old, None, serialization.BestAvailableEncryption(b"pw")
    )
    (tmp_path / "old.p12").write_bytes(expired)
    with pytest.raises(SealError, match=r"valid from .* not today"):
        pkcs12_identity(tmp_path / "old.p12")


def test_two_first_uses_agree_on_one_key(tmp_path: Path) -> None:
    """Processes racing to make the installation key end up with the same one."""
    data = tmp_path / "data"
    pids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                installation_identity(data)
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    prints = {installation_identity(data).fingerprint for _ in range(2)}
    assert len(prints) == 1
    assert [p.name for p in (data / "seal").iterdir()] == ["installation.pem"]


def test_a_timestamp_from_a_tsa_on_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--tsa-url: the seal carries an RFC 3161 token (a TSA served here, pyHanko's dummy)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from asn1crypto import keys as asn1_keys
    from asn1crypto import tsp
    from asn1crypto import x509 as asn1_x509
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # dummy: RSA only
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
    now = datetime.datetime.now(datetime.UTC)
    tsa_cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(tsa_key, hashes.SHA256())
    )
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa_cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            tsa_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )

    class Tsa(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tsa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
        identity = installation_identity(tmp_path / "data")
        seal_pdf(plain_pdf(tmp_path / "p.pdf"), tmp_path / "s.pdf", identity, tsa_url=url)
    finally:
        server.shutdown()
        server.server_close()
    result = check_pdf((tmp_path / "s.pdf").read_bytes())
    assert result.ok, result.problems
    assert result.timestamped is not None
    assert abs((now - result.timestamped).total_seconds()) < 300

    with pytest.raises(SealError, match=r"timestamp authority http://127\.0\.0\.1:9/"):
        seal_pdf(tmp_path / "p.pdf", tmp_path / "x.pdf", identity, tsa_url="http://127.0.0.1:9/")
