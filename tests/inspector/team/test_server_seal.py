"""Who seals a team server's reports: given the company's certificate, every process
seals with it (a buyer sees one signer whichever process made the PDF); without it a
process seals with its own data folder's key and says so in its log."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from inspector.seal.check import check_pdf
from inspector.storage.store import Store
from inspector.usecases import accounts
from inspector.usecases.inspections import create_inspection

from .team_fixtures import ROOT, TeamProcess

PASSWORD = "inspector-pass-Zr8w"


def _company_certificate(folder: Path) -> tuple[Path, Path, str]:
    """A company's certificate and key as DEPLOYMENT.md makes a trial one (openssl)."""
    cert, key = folder / "seal.pem", folder / "seal.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", "/O=Acme Cars/CN=Acme Cars seal"],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    fingerprint = x509.load_pem_x509_certificate(cert.read_bytes()).fingerprint(hashes.SHA256())
    return cert, key, fingerprint.hex()


def _report_signer(server: TeamProcess, inspection_id: str) -> str:
    login = urllib.request.Request(
        f"{server.url}/api/v1/login",
        data=json.dumps({"user": "ines", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=30) as answer:
        token = json.loads(answer.read())["token"]
    report = urllib.request.Request(
        f"{server.url}/api/v1/inspections/{inspection_id}/report?allow_incomplete=1",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(report, timeout=120) as answer:
        found = check_pdf(answer.read())
    assert found.ok, found.problems
    assert found.fingerprint is not None
    return found.fingerprint


@pytest.mark.timeout(300)
def test_the_company_certificate_seals_every_report_and_a_process_without_it_warns(
    tmp_path: Path, pg_url: str
) -> None:
    cert, key, company = _company_certificate(tmp_path)
    with Store(tmp_path / "desk", database_url=pg_url) as store:
        accounts.add_user(store, "ines", "inspector", PASSWORD, actor="test")
        inspection, _ = create_inspection(
            store,
            checklist="quick",
            vehicle={"make": "Peugeot", "model": "308", "plate": "AB-123-CD"},
            seller={"name": "Élodie Martin", "language": "fr"},
        )
    sealed = TeamProcess(
        tmp_path / "a", "--signing-cert", str(cert), "--signing-key", str(key), database_url=pg_url
    )
    own = TeamProcess(tmp_path / "b", database_url=pg_url)
    try:
        assert _report_signer(sealed, inspection.id) == company
        assert "own key" not in sealed.log_text()

        mine = _report_signer(own, inspection.id)
        assert mine != company
        warning = next(e for e in own.log_events() if "own key" in e.get("message", ""))
        assert warning["level"] == "warning" and mine in warning["message"]
    finally:
        sealed.close()
        own.close()


@pytest.mark.timeout(120)
def test_half_a_key_pair_is_refused_before_the_server_starts(tmp_path: Path) -> None:
    cert, _, _ = _company_certificate(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "server", "--port", "0", "--signing-cert", str(cert)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"INSPECTOR_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
        timeout=100,
    )
    assert done.returncode == 2
    assert "--signing-cert and --signing-key go together" in done.stderr
    assert "Traceback" not in done.stderr
