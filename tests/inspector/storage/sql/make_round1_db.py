"""Make ``data/round1.db`` with the round-1 program (schema version 2): run once, by hand.

The fixture must come from the old code, not from today's: check out the last commit
before schema 3 and run this script with that tree first on the path::

    mkdir /tmp/round1 && git archive 2872be3 inspector assets | tar -x -C /tmp/round1
    PYTHONPATH=/tmp/round1 .venv/bin/python tests/inspector/storage/sql/make_round1_db.py

Two inspections (one deleted, so its rows cascaded away), captures with a retake and
every quality verdict, damages with and without a region or a photo, tokens revoked
and not: every column holds a value and a NULL somewhere.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inspector.inspections import create_inspection  # type: ignore[import-not-found]
from inspector.models import (  # type: ignore[import-not-found]
    CaptureSource,
    Damage,
    DamageType,
    Part,
    QualityReport,
    Region,
    Severity,
    Verdict,
)
from inspector.store import SCHEMA_VERSION, Store  # type: ignore[import-not-found]
from PIL import Image

OUT = Path(__file__).with_name("data") / "round1.db"


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(out, "JPEG")
    return out.getvalue()


def main() -> None:
    assert SCHEMA_VERSION == 2, f"run with the round-1 tree first on the path ({SCHEMA_VERSION})"
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp))
        vehicle = {"make": "Peugeot", "model": "308", "year": 2019, "plate": "AB-123-CD"}
        seller = {"name": "Élodie Martin", "phone": "+33 6 12 34 56 78", "language": "fr"}
        first, _ = create_inspection(store, vehicle=vehicle, seller=seller, operator="Léa")
        gone, _ = create_inspection(store, vehicle={**vehicle, "plate": "ZZ-999-ZZ"}, seller=seller)
        good = QualityReport(Verdict.OK, (), {"sharpness": 412.5})
        meh = QualityReport(Verdict.WARN, (), {"sharpness": 90.0})
        blurry = QualityReport(Verdict.REJECT, (), {"sharpness": 12.0})
        shots = []
        for n, (shot, quality) in enumerate([("front", blurry), ("front", good), ("rear", meh)]):
            shots.append(
                store.add_capture(
                    first.id,
                    shot,
                    _jpeg((40 * n, 90, 200)),
                    width=32,
                    height=24,
                    source=CaptureSource.STILL,
                    quality=quality,
                    phone_time=datetime(2026, 11, 30, 9, n, tzinfo=UTC) if n else None,
                    retake_of=shots[0].id if n == 1 else None,
                )
            )
        store.set_capture_accepted(shots[1].id, True)
        store.set_capture_accepted(shots[0].id, False)
        store.add_capture(
            gone.id,
            "front",
            _jpeg((1, 2, 3)),
            width=32,
            height=24,
            source=CaptureSource.STILL,
            quality=good,
        )
        store.add_damage(
            Damage(
                "d1",
                first.id,
                shots[1].id,
                Part.FRONT_BUMPER,
                DamageType.SCRATCH,
                Severity.MINOR,
                Region(0.25, 0.5, 0.1, 0.05),
                "rayure légère",
            )
        )
        store.add_damage(
            Damage("d2", first.id, None, Part("rear_bumper"), DamageType.DENT, Severity.SEVERE)
        )
        store.add_damage(
            Damage("d3", gone.id, None, Part.FRONT_BUMPER, DamageType.CHIP, Severity.MODERATE)
        )
        soon = datetime.now(UTC) + timedelta(hours=1)
        store.add_token("a" * 64, first.id, soon)
        store.add_token("b" * 64, first.id, soon)
        store.revoke_tokens(first.id)
        store.add_token("c" * 64, first.id, soon)
        store.add_token("d" * 64, gone.id, soon)
        store.delete_inspection(gone.id)
        store.close()
        db = sqlite3.connect(Path(tmp) / "inspector.db")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        db.execute("VACUUM")
        db.close()
        OUT.parent.mkdir(exist_ok=True)
        shutil.copyfile(Path(tmp) / "inspector.db", OUT)
    print(f"wrote {OUT} (schema {SCHEMA_VERSION})", file=sys.stderr)


if __name__ == "__main__":
    main()
