"""Who seals: a private key and its certificate.

By default this installation's own: an ECDSA P-256 key and a self-signed certificate
made on first use in ``DATA_DIR/seal/installation.pem`` (owner-only: the folder 0700,
the file 0600; a key other users can read is refused, as ssh does). A company brings
its own certificate: PEM certificate and key files, or one PKCS#12 file.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import os
import secrets
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from inspector.atomic import fsync_dir
from inspector.config import SIGNING_PASSWORD_ENV

__all__ = [
    "INSTALLATION_FILE",
    "PASSWORD_ENV",
    "SealError",
    "SealIdentity",
    "SealKeyUnwritable",
    "company_identity",
    "installation_identity",
    "one_time_identity",
    "pkcs12_identity",
]

INSTALLATION_FILE = Path("seal") / "installation.pem"
"""This installation's key and certificate, relative to the data folder."""
PASSWORD_ENV = SIGNING_PASSWORD_ENV
"""Where a company key's or PKCS#12 file's password is read from (never an argument,
which other users could see in the process list)."""
VALIDITY = datetime.timedelta(days=20 * 365)
ORGANIZATION = "vehicle-inspector installation (self-signed)"


PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


_SIGNING_KEYS = (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)


class SealError(Exception):
    """A seal cannot be made or read; ``str()`` says why in one line."""


class SealKeyUnwritable(SealError):
    """This installation has no seal key yet and its data folder cannot be written."""


@dataclass(frozen=True)
class SealIdentity:
    """The key that seals and the certificates that go with it (the signer's first)."""

    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    installation: bool = False
    """True for this installation's self-signed certificate."""
    one_time: bool = False
    """A certificate made for one report only (the data folder could not be written)."""

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def fingerprint(self) -> str:
        """The certificate's SHA-256, hex: what the report prints and ``verify`` shows."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()


def _key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _new_installation_pem(organization: str = ORGANIZATION) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"Inspection seal {secrets.token_hex(4)}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, socket.gethostname()[:64] or "-"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ) + cert.public_bytes(serialization.Encoding.PEM)


def _create_exclusive(path: Path, data: bytes) -> None:
    """Write ``path`` whole, owner-only; if another process made it first, keep theirs."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # never replaces: two first uses agree on one key
        fsync_dir(path.parent)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _owner_only(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SealError(
            f"the seal key {path} can be read by other users (mode {stat.S_IMODE(mode):04o}); "
            f"make it private (chmod 600 {path}) or move it away to make a new one"
        )


def installation_identity(data_dir: Path) -> SealIdentity:
    """This installation's key and self-signed certificate, made on first use."""
    path = Path(data_dir) / INSTALLATION_FILE
    try:
        if not path.exists():
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                _create_exclusive(path, _new_installation_pem())
            except OSError as exc:
                if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                    raise SealKeyUnwritable(
                        f"cannot make the installation's seal key in {path.parent}: "
                        f"{exc.strerror or exc}"
                    ) from exc
                raise
        _owner_only(path)
        data = path.read_bytes()
    except OSError as exc:
        raise SealError(
            f"cannot use the installation's seal key {path}: {exc.strerror or exc}"
        ) from exc
    key = _load_key(data, None, str(path))
    certs = _load_certs(data, str(path))
    return _identity(key, certs, str(path), installation=True)


def one_time_identity() -> SealIdentity:
    """A key and self-signed certificate made in memory for one report, kept nowhere.

    For a data folder that cannot be written (an archive): the seal still shows the
    file unchanged, but names no lasting certificate.
    """
    pem = _new_installation_pem("vehicle-inspector one-time seal (self-signed)")
    key = _load_key(pem, None, "one-time seal")
    return _identity(key, _load_certs(pem, "one-time seal"), "one-time seal", installation=False)


def _load_key(data: bytes, password: bytes | None, where: str) -> PrivateKey:
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password)
        else:
            key = serialization.load_der_private_key(data, password)
    except TypeError as exc:  # encrypted without a password, or the reverse
        raise SealError(f"{where}: {_password_hint(exc)}") from exc
    except ValueError as exc:
        raise SealError(f"{where}: not a private key we can read ({exc})") from exc
    if not isinstance(key, _SIGNING_KEYS):
        raise SealError(f"{where}: only RSA, ECDSA and Ed25519 keys can seal")
    return key


def _password_hint(exc: Exception) -> str:
    if "encrypted" in str(exc).lower() and "not" not in str(exc).lower():
        return f"the key is encrypted: set the password in ${PASSWORD_ENV}"
    return f"the key is not encrypted: unset ${PASSWORD_ENV}"


def _load_certs(data: bytes, where: str) -> list[x509.Certificate]:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise SealError(f"{where}: no certificate we can read ({exc})") from exc


def _identity(
    key: PrivateKey, certs: list[x509.Certificate], where: str, *, installation: bool
) -> SealIdentity:
    mine = [c for c in certs if _spki(c.public_key()) == _spki(key.public_key())]
    if not mine:
        raise SealError(f"{where}: the certificate does not match the private key")
    cert = mine[0]
    now = datetime.datetime.now(datetime.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SealError(
            f"{where}: the certificate is valid from {cert.not_valid_before_utc:%Y-%m-%d} "
            f"to {cert.not_valid_after_utc:%Y-%m-%d}, not today"
        )
    chain = tuple(c for c in certs if c is not cert)
    return SealIdentity(key, cert, chain, installation, one_time=where == "one-time seal")


def _spki(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined,no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _password() -> bytes | None:
    value = os.environ.get(PASSWORD_ENV)
    return value.encode("utf-8") if value else None


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise SealError(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc


def company_identity(cert_path: Path, key_path: Path) -> SealIdentity:
    """A company's certificate (PEM or DER; PEM may hold its chain) and private key.

    An encrypted key's password comes from ``$INSPECTOR_SIGNING_PASSWORD``.
    """
    certs = _load_certs(_read(cert_path, "signing certificate"), str(cert_path))
    key = _load_key(_read(key_path, "signing key"), _password(), str(key_path))
    return _identity(key, certs, str(cert_path), installation=False)


def pkcs12_identity(path: Path) -> SealIdentity:
    """A company's key and certificates in one PKCS#12 file (.p12, .pfx).

    Its password comes from ``$INSPECTOR_SIGNING_PASSWORD``.
    """
    data = _read(path, "PKCS#12 file")
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, _password())
    except (ValueError, TypeError) as exc:
        raise SealError(
            f"{path}: cannot open this PKCS#12 file (wrong password in ${PASSWORD_ENV}, "
            f"or not PKCS#12: {exc})"
        ) from exc
    if key is None or cert is None:
        raise SealError(f"{path}: the PKCS#12 file holds no private key with its certificate")
    if not isinstance(
        key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)
    ):
        raise SealError(f"{path}: only RSA, ECDSA and Ed25519 keys can seal")
    return _identity(key, [cert, *others], str(path), installation=False)
