"""``inspector verify`` on a sealed report and on a bundle's report; who seals (options)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from inspector.cli.main import main
from inspector.seal.identity import PASSWORD_ENV, installation_identity
from inspector.storage.store import Store
from tests.inspector.bundle.test_bundle import resealed
from tests.inspector.report.test_report import make_inspection
from tests.inspector.seal.test_seal import _company


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def inspection_id(store: Store) -> str:
    return make_inspection(store)[0].id


def test_verify_a_report_then_one_changed_byte(
    data_dir: Path, inspection_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "r.pdf"
    assert run(capsys, "report", inspection_id, "-o", str(pdf))[0] == 0
    mine = installation_identity(data_dir)
    code, out, err = run(capsys, "verify", str(pdf))
    assert code == 0, err
    assert out.startswith("OK: r.pdf: sealed") and mine.fingerprint in out and "self-signed" in out
    code, out, _ = run(capsys, "verify", str(pdf), "--json")
    assert json.loads(out)["certificate_sha256"] == mine.fingerprint

    data = bytearray(pdf.read_bytes())
    data[len(data) // 3] ^= 0x01  # inside a photo's bytes
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    code, out, err = run(capsys, "verify", str(bad))
    assert code == 3
    assert "bad.pdf: the content was changed after sealing" in out
    assert "bad.pdf is NOT intact: 1 problem" in err

    code, out, err = run(capsys, "verify", str(pdf), "--certificate", "00" * 32)
    assert code == 3 and "sealed by another certificate" in out
    code, _, err = run(capsys, "verify", str(pdf), "--certificate", "xyz")
    assert code == 2 and "64 hex digits" in err


def test_verify_a_bundle_checks_its_report_seal(
    inspection_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "b.zip"
    assert run(capsys, "export", inspection_id, "-o", str(bundle))[0] == 0
    code, out, _ = run(capsys, "verify", str(bundle))
    assert code == 0 and "report.pdf: sealed" in out

    # A forger replaces the report and rewrites the manifest to match: the seal says so.
    with zipfile.ZipFile(bundle) as zf:
        files = {i.filename: zf.read(i) for i in zf.infolist()}
    report = bytearray(files["report.pdf"])
    report[1000] ^= 0x01
    files["report.pdf"] = bytes(report)
    manifest = json.loads(files["manifest.json"])
    import hashlib

    manifest["files"]["report.pdf"]["sha256"] = hashlib.sha256(report).hexdigest()
    files["manifest.json"] = resealed(manifest)
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    code, out, _ = run(capsys, "verify", str(forged))
    assert code == 3
    assert "report.pdf: the content was changed after sealing" in out, out
    assert json.loads(run(capsys, "verify", str(forged), "--json")[1])["report_seal"]["ok"] is False


def test_a_company_pkcs12_seals_the_report(
    inspection_id: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key, cert = _company(tmp_path)
    p12 = tmp_path / "acme.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"acme", key, cert, None, serialization.BestAvailableEncryption(b"pw")
        )
    )
    monkeypatch.setenv(PASSWORD_ENV, "pw")
    pdf = tmp_path / "r.pdf"
    code, _, err = run(
        capsys, "report", inspection_id, "-o", str(pdf), "--signing-pkcs12", str(p12)
    )
    assert code == 0, err
    code, out, _ = run(capsys, "verify", str(pdf))
    assert code == 0 and "Acme Cars seal" in out and "self-signed" not in out

    code, _, err = run(capsys, "report", inspection_id, "-o", str(pdf), "--signing-key", "k.pem")
    assert code == 2 and "go together" in err
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    code, _, err = run(
        capsys, "report", inspection_id, "-o", str(pdf), "--signing-pkcs12", str(p12)
    )
    assert code == 1 and "cannot open this PKCS#12 file" in err and "Traceback" not in err


def test_verify_an_unsealed_or_foreign_file(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(b"%PDF-1.4\n%%EOF\n")
    code, out, _ = run(capsys, "verify", str(plain))
    assert code == 3 and "plain.pdf: " in out
    code, _, err = run(capsys, "verify", str(tmp_path / "nothing.pdf"))
    assert code == 1 and "nothing.pdf" in err
