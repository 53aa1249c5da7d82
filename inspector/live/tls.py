"""A self-signed certificate for LAN mode (phones need HTTPS for the camera).

The certificate and key live in ``<data dir>/tls/`` (key file mode 0600) and are
reused on the next start while they are still valid and still name every
address this machine has on the LAN; otherwise a new pair is generated.

LAN addresses are found without contacting anything outside: the addresses
the host name resolves to (``getaddrinfo(gethostname())``, resolved locally by
/etc/hosts or mDNS) plus the source address the kernel would choose for a
private destination. The latter uses ``connect()`` on a UDP socket, which only
selects a route: no packet is sent.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import ssl
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from inspector.domain.models import utcnow

__all__ = ["CERT_NAME", "KEY_NAME", "TLS_DIR", "ensure_certificate", "lan_addresses", "ssl_context"]

TLS_DIR = "tls"
CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
VALID_DAYS = 825
_RENEW_BEFORE = timedelta(days=7)
# Route probes: private destinations (nothing is sent to them).
_PROBES = ("10.255.255.255", "192.168.255.255", "172.31.255.255")


def _usable(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return (
        ip.version == 4
        and not ip.is_loopback
        and not ip.is_unspecified
        and not ip.is_link_local
        and not ip.is_multicast
    )


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses a phone on the LAN could reach, best first."""
    found: list[str] = []
    for probe in _PROBES:
        with (
            contextlib.suppress(OSError),
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s,
        ):
            s.connect((probe, 9))  # UDP connect: picks a route, sends nothing
            addr = s.getsockname()[0]
            if _usable(addr) and addr not in found:
                found.append(addr)
    with contextlib.suppress(OSError, UnicodeError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addr = str(info[4][0])
            if _usable(addr) and addr not in found:
                found.append(addr)
    return found


def _wanted_ips(extra: list[str] | None) -> set[str]:
    return {"127.0.0.1", *(lan_addresses() if extra is None else extra)}


def _cert_ok(cert_path: Path, ips: set[str]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    have = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return ips <= have and cert.not_valid_after_utc - _RENEW_BEFORE > utcnow()


def ensure_certificate(data_dir: Path, addresses: list[str] | None = None) -> tuple[Path, Path]:
    """(cert path, key path), generated if missing, expiring or not naming ``addresses``.

    ``addresses`` defaults to :func:`lan_addresses`; 127.0.0.1 and localhost are always named.
    """
    folder = Path(data_dir) / TLS_DIR
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    ips = _wanted_ips(addresses)
    if key_path.exists() and _cert_ok(cert_path, ips):
        return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Vehicle inspection console")])
    now = utcnow()
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost")]
        + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in sorted(ips)]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp_key = key_path.with_suffix(".tmp")
    fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
    os.chmod(tmp_key, 0o600)
    os.replace(tmp_key, key_path)
    tmp_cert = cert_path.with_suffix(".tmp")
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp_cert, cert_path)
    return cert_path, key_path


def ssl_context(data_dir: Path, addresses: list[str] | None = None) -> ssl.SSLContext:
    """A server-side TLS context using the (generated if needed) certificate."""
    cert_path, key_path = ensure_certificate(data_dir, addresses)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)
    return ctx
