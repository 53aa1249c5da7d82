"""The LAN certificate: generated once with the right names, private key 0600, reused."""

from __future__ import annotations

import ipaddress
import ssl
import stat
from pathlib import Path

from cryptography import x509

from inspector.live.tls import ensure_certificate, lan_addresses, ssl_context


def _sans(cert_path: Path) -> tuple[set[str], set[str]]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return (
        set(san.get_values_for_type(x509.DNSName)),
        {str(ip) for ip in san.get_values_for_type(x509.IPAddress)},
    )


def test_generated_with_names_and_private_key(tmp_path: Path) -> None:
    cert, key = ensure_certificate(tmp_path, ["192.168.1.20"])
    assert cert == tmp_path / "tls" / "cert.pem" and key == tmp_path / "tls" / "key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    dns, ips = _sans(cert)
    assert dns == {"localhost"}
    assert ips == {"127.0.0.1", "192.168.1.20"}


def test_reused_on_next_start_and_renewed_for_a_new_address(tmp_path: Path) -> None:
    cert, key = ensure_certificate(tmp_path, ["10.0.0.5"])
    first = cert.read_bytes(), key.read_bytes()
    ensure_certificate(tmp_path, ["10.0.0.5"])
    assert (cert.read_bytes(), key.read_bytes()) == first
    ensure_certificate(tmp_path, ["10.0.0.6"])  # the machine moved: the old cert no longer fits
    assert cert.read_bytes() != first[0]
    assert "10.0.0.6" in _sans(cert)[1]


def test_default_names_the_lan_addresses(tmp_path: Path) -> None:
    addresses = lan_addresses()
    for addr in addresses:
        ip = ipaddress.ip_address(addr)
        assert ip.version == 4 and not ip.is_loopback
    cert, _ = ensure_certificate(tmp_path)
    assert set(addresses) | {"127.0.0.1"} <= _sans(cert)[1]


def test_ssl_context_loads(tmp_path: Path) -> None:
    ctx = ssl_context(tmp_path, [])
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
