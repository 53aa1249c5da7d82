"""The command line under storage faults: a damaged database, a full disk, a lock held by
another process, a read-only folder, missing photos, bytes that are not UTF-8, Ctrl-C.

Each gets one clear line (or a clear report), never a traceback. Real processes, a real
tmpfs and a real read-only mount where the fault is the operating system's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.bundle import export_bundle
from inspector.cli.main import main
from inspector.storage.database import DB_NAME
from inspector.storage.store import Store
from tests.inspector.os_fixtures import (
    ROOT,
    checkpoint,
    corrupt,
    database_locked,
    fill_disk,
    inspector,
    read_only_view,
    small_disk,
)
from tests.inspector.report.test_report import make_inspection


def one_clear_line(err: str, *needles: str) -> None:
    assert "Traceback" not in err, err
    assert err.startswith("inspector: error: "), err
    assert err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err


# -- item 6: arguments that are not UTF-8 -------------------------------------------


def test_arguments_that_are_not_utf8_are_refused(data_dir: Path) -> None:
    proc = inspector(
        b"new", b"--make", b"Peugeot", b"--seller-name", b"\xc9lodie \xff", data_dir=data_dir
    )
    assert proc.returncode == 2
    one_clear_line(proc.stderr, "--seller-name: not valid UTF-8 text (bytes \\xc9\\xff)")
    assert not (data_dir / DB_NAME).exists()
    proc = inspector(b"new", b"--make=\xffiat", data_dir=data_dir)
    assert proc.returncode == 2
    one_clear_line(proc.stderr, "--make: not valid UTF-8 text")


# -- item 11: a damaged database ------------------------------------------------------


@pytest.fixture
def damaged(data_dir: Path, tmp_path: Path) -> tuple[Path, str, Path]:
    """A data folder whose database has random bytes from its second page on."""
    with Store(data_dir) as store:
        inspection, _, _ = make_inspection(store)
        bundle = export_bundle(store, inspection.id, tmp_path / "bundle.zip", report=False)
    db = data_dir / DB_NAME
    checkpoint(db)
    size = db.stat().st_size
    corrupt(db, offset=4096, length=size - 4096)
    return data_dir, inspection.id, bundle


def test_every_command_on_a_damaged_database_says_so_in_one_line(
    damaged: tuple[Path, str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, inspection_id, bundle = damaged
    commands = [
        ["new", "--make", "Fiat"],
        ["list"],
        ["show", inspection_id],
        ["delete", inspection_id],
        ["invite", inspection_id, "--no-qr", "--port", "9000"],
        ["revoke", inspection_id],
        ["report", inspection_id, "-o", str(tmp_path / "r.pdf")],
        ["export", inspection_id, "-o", str(tmp_path / "e.zip")],
        ["import", str(bundle)],
    ]
    for argv in commands:
        code = main(argv)
        _, err = capsys.readouterr()
        assert code == 1, argv
        one_clear_line(err, "the database is damaged — see `inspector repair`")
    # The same in a real process, and the repair that the message points to.
    proc = inspector("list", data_dir=data_dir)
    assert proc.returncode == 1
    one_clear_line(proc.stderr, "the database is damaged")
    proc = inspector("repair", data_dir=data_dir)
    assert "Traceback" not in proc.stderr
    assert "The database was damaged: set aside as" in proc.stdout
    assert main(["list"]) == 0  # usable again; every photo kept under some record
    capsys.readouterr()


# -- item 11: a full disk --------------------------------------------------------------


def test_new_on_a_full_disk_says_the_disk_is_full(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        data_dir = disk / "data"
        Store(data_dir).close()
        # A console keeps the database open (its -wal and -shm files exist): the
        # insert is what finds the disk full. Then again with nothing open.
        keeper = Store(data_dir)
        filler = fill_disk(disk)
        for _ in range(2):
            code = main(["--data-dir", str(data_dir), "new", "--make", "Fiat"])
            _, err = capsys.readouterr()
            assert code == 1
            one_clear_line(err, "the disk is full")
            keeper.close()
        assert main(["--data-dir", str(data_dir), "list"]) == 0  # reading still works
        assert "No inspections yet" in capsys.readouterr().out
        filler.unlink()  # space again: the next one goes through
        assert main(["--data-dir", str(data_dir), "new", "--make", "Fiat"]) == 0
        capsys.readouterr()


@pytest.mark.timeout(120)
def test_demo_on_a_full_disk_stops_at_once_and_says_disk_full(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        data_dir = disk / "data"
        Store(data_dir).close()
        fill_disk(disk, leave=96 * 1024)  # room for the inspection's row, not for a photo
        started = time.monotonic()
        proc = inspector("demo", "-o", str(tmp_path / "demo.pdf"), data_dir=data_dir, timeout=110)
        elapsed = time.monotonic() - started
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("inspector: error: demo failed: photo not saved: the disk is full")
    assert elapsed < 60, f"the demo waited {elapsed:.0f} s for a checklist it could not finish"


# -- item 11: a lock held by another process ----------------------------------------------


@pytest.mark.timeout(90)
def test_a_lock_held_by_another_process_is_busy_not_a_crash(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(data_dir) as store:
        inspection, _, _ = make_inspection(store)
    with database_locked(data_dir / DB_NAME):
        for argv in (
            ["new", "--make", "Fiat"],
            ["invite", inspection.id, "--no-qr", "--port", "9000"],
        ):
            started = time.monotonic()
            code = main(argv)
            _, err = capsys.readouterr()
            assert code == 1, argv
            one_clear_line(err, "the database is busy", "try again")
            assert time.monotonic() - started < 30
        assert main(["list"]) == 0  # readers are not blocked by a writer
        assert inspection.id in capsys.readouterr().out


# -- item 12: missing or altered photos ----------------------------------------------------


def test_list_and_show_report_missing_and_altered_photos(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(data_dir) as store:
        inspection, captures, _ = make_inspection(store)
        store.photo_path(captures["front"].sha256).unlink()
        altered = store.photo_path(captures["rear"].sha256)
        data = bytearray(altered.read_bytes())
        data[len(data) // 2] ^= 0x01
        altered.write_bytes(bytes(data))

    assert main(["list"]) == 0
    out, err = capsys.readouterr()
    assert "24/25" in out and "1 missing" in out  # not 25/25: the front has no photo
    assert "1 photo is missing" in err

    assert main(["list", "--check"]) == 3
    out, err = capsys.readouterr()
    assert "23/25" in out and "1 missing, 1 altered" in out
    assert "2 photos are missing or altered" in err

    assert main(["show", inspection.id, "--check"]) == 3
    out, _ = capsys.readouterr()
    assert "Photos    1 missing, 1 altered (checked by SHA-256)" in out
    assert any("front" in line and line.endswith("MISSING") for line in out.splitlines())
    assert any(" rear " in line and line.endswith("ALTERED") for line in out.splitlines())

    assert main(["show", inspection.id, "--check", "--json"]) == 3
    shown = json.loads(capsys.readouterr().out)
    assert shown["photos"] == {"ok": len(shown["captures"]) - 2, "missing": 1, "altered": 1}
    assert shown["progress"]["done"] == shown["progress"]["required"] - 2


# -- item 12: a read-only data folder ---------------------------------------------------


def test_a_read_only_data_folder_can_still_be_listed_shown_and_reported(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(data_dir) as store:
        inspection, _, _ = make_inspection(store)
    with read_only_view(data_dir, tmp_path / "archive") as archive:
        folder = ["--data-dir", str(archive)]
        assert main([*folder, "list", "--check"]) == 0
        assert inspection.id in capsys.readouterr().out
        assert main([*folder, "show", inspection.id]) == 0
        assert "Peugeot 308" in capsys.readouterr().out
        pdf = tmp_path / "out" / "report.pdf"
        pdf.parent.mkdir()
        assert main([*folder, "report", inspection.id, "-o", str(pdf), "--allow-incomplete"]) == 0
        out, err = capsys.readouterr()
        assert out.strip() == str(pdf) and pdf.stat().st_size > 10_000
        assert "could not be marked reported" in err and "read-only" in err
        assert "sealed with a one-time certificate" in err  # no key could be made there
        assert "Traceback" not in err
        code = main([*folder, "new", "--make", "Fiat"])
        _, err = capsys.readouterr()
        assert code == 1
        one_clear_line(err, "read-only")
        assert sorted(p.name for p in archive.iterdir()) == sorted(
            p.name for p in data_dir.iterdir()
        )


# -- item 12: Ctrl-C during start-up -----------------------------------------------------


@pytest.mark.timeout(180)
@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["list"]])
def test_ctrl_c_during_start_up_prints_no_traceback(data_dir: Path, command: list[str]) -> None:
    # From 0.3 s on the command line's own imports run (seconds here); before, the
    # interpreter itself starts up, outside our code.
    for delay in (0.3, 0.6, 1.0, 1.5, 3.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "inspector", "--data-dir", str(data_dir), *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert "Traceback" not in err, (delay, err)
        # 130, or killed by SIGINT as an interrupted program should be (never a traceback)
        assert proc.returncode in (0, 130, -signal.SIGINT), (delay, proc.returncode, err)
    assert os.path.isdir(data_dir)


def test_ctrl_c_wrapped_by_an_import_is_still_an_interruption(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Seen in CI: Ctrl-C inside a class's __set_name__ while pydantic was imported came
    # out as "RuntimeError: Error calling __set_name__ …" caused by the KeyboardInterrupt.
    import inspector.__main__ as entry
    import inspector.cli.main as cli_main

    def interrupted_import() -> int:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'cached_property'") from exc

    monkeypatch.setattr(cli_main, "main", interrupted_import)
    assert entry.run() == 130
    assert capsys.readouterr().err == "inspector: interrupted\n"

    def failing() -> int:
        raise RuntimeError("a real bug")

    monkeypatch.setattr(cli_main, "main", failing)
    with pytest.raises(RuntimeError, match="a real bug"):
        entry.run()
