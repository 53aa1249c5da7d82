"""Salvaging a damaged table row by row: what is found, and how long the search goes on.

The whole-store repair is tested in ``test_store_safety``; here one table, with pages
spoiled where the test chooses, so the row-by-row search's bounds are checked exactly.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from inspector.storage import repair

PAGE = 4096
ROWS = 3000
GAP = range(1001, 2401)  # rows deleted in a row: a gap of 1400 rowids


def _table(path: Path) -> None:
    """3000 rows of ~500 bytes (about seven to a leaf page), rows 1001–2400 deleted."""
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA page_size={PAGE}")
    db.execute("CREATE TABLE captures (id TEXT, body TEXT)")
    db.executemany(
        "INSERT INTO captures VALUES (?, ?)", ((f"c{i}", "x" * 500) for i in range(ROWS))
    )
    db.execute("DELETE FROM captures WHERE rowid BETWEEN ? AND ?", (GAP.start, GAP.stop - 1))
    db.commit()
    db.close()


def _leaves(path: Path) -> list[int]:
    """The table's leaf pages, in rowid order (dbstat's paths sort as the tree does)."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            "SELECT pageno FROM dbstat WHERE name='captures' AND pagetype='leaf' ORDER BY path"
        ).fetchall()
    finally:
        db.close()
    return [pageno for (pageno,) in rows]


def _spoil(path: Path, pageno: int) -> None:
    with open(path, "r+b") as f:
        f.seek((pageno - 1) * PAGE)
        f.write(os.urandom(PAGE))


def _salvage(path: Path) -> tuple[list[dict[str, object]], bool, int]:
    """(rows, complete, statements run) from ``repair._read_table``."""
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    statements = 0

    def count(_: str) -> None:
        nonlocal statements
        statements += 1

    db.set_trace_callback(count)
    try:
        rows, complete = repair._read_table(db, "captures")
    finally:
        db.close()
    return rows, complete, statements


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """An early leaf page and the last one spoiled: the scan stops at the first, and
    the highest rowid, kept on the last, cannot be read."""
    path = tmp_path / "inspector.db"
    _table(path)
    leaves = _leaves(path)
    _spoil(path, leaves[10])
    _spoil(path, leaves[-1])
    return path


def test_rows_past_a_gap_are_found_though_the_highest_rowid_is_unreadable(
    damaged: Path,
) -> None:
    rows, complete, statements = _salvage(damaged)
    assert not complete
    found = {int(str(row["id"])[1:]) + 1 for row in rows}  # ids count from 0, rowids from 1
    assert found, "nothing salvaged"
    assert not found & set(GAP)
    assert 2500 in found and 2900 in found  # past the gap, before the last page
    assert 1 in found and 1000 in found
    assert len(found) > ROWS - len(GAP) - 2 * 20  # only the two spoiled pages' rows lost
    # The search stops a bounded distance after the last row found; it once probed
    # 100 000 rowids per table, minutes for a repair on a busy machine.
    assert statements < ROWS + getattr(repair, "_UNKNOWN_END_GAP", 2000) + 100


def test_the_search_gives_up_after_a_gap_longer_than_its_bound(
    damaged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repair, "_UNKNOWN_END_GAP", len(GAP) - 100)
    rows, complete, statements = _salvage(damaged)
    found = {int(str(row["id"])[1:]) + 1 for row in rows}
    assert not complete
    assert 1000 in found and 2500 not in found
    assert statements < GAP.start + len(GAP)


def test_a_readable_highest_rowid_bounds_the_search(tmp_path: Path) -> None:
    path = tmp_path / "inspector.db"
    _table(path)
    _spoil(path, _leaves(path)[10])
    rows, complete, statements = _salvage(path)
    found = {int(str(row["id"])[1:]) + 1 for row in rows}
    assert not complete
    assert ROWS in found and 2500 in found
    assert statements < ROWS + 10
