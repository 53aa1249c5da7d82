from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytestqt.qtbot import QtBot

from inspector.domain.models import InspectionStatus
from inspector.live.damages import new_live_damage
from inspector.storage.store import Store
from inspector.usecases.inspections import create_inspection
from tests.data import force_status
from ui.inspections_view import InspectionsView
from ui.main_window import MainWindow, load_rows


def test_main_window_lists_inspections(
    qtbot: QtBot,
    store: Store,
    make_main_window: Callable[[], MainWindow],
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> None:
    create_inspection(store, vehicle=vehicle_input, seller=seller_input)
    window = make_main_window()
    window.show()
    table = window.home.table
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=5000)
    assert table.item(0, 0).text() == "Peugeot 308 2019"
    assert table.item(0, 2).text() == "Élodie Martin"
    assert str(store.data_dir) in window.data_label.text()
    assert ("Ctrl+Q", "Quit") in window.shortcut_list()


def test_inspections_view_filters(
    qtbot: QtBot, store: Store, vehicle_input: dict[str, Any], seller_input: dict[str, Any]
) -> None:
    create_inspection(store, vehicle=vehicle_input, seller=seller_input)
    create_inspection(
        store,
        vehicle={**vehicle_input, "make": "Renault", "plate": "ZZ-999-ZZ", "vin": ""},
        seller=seller_input,
    )
    view = InspectionsView()
    qtbot.addWidget(view)
    view.set_rows(load_rows(store))
    assert view.table.rowCount() == 2
    view.search.setText("zz-999")
    hidden = [view.table.isRowHidden(r) for r in range(2)]
    assert sorted(hidden) == [False, True]
    view.search.clear()
    assert not any(view.table.isRowHidden(r) for r in range(2))
    force_status(store, load_rows(store)[0].listed.id, InspectionStatus.REPORTED)
    view.set_rows(load_rows(store))
    view.status.setCurrentIndex(view.status.findData(InspectionStatus.REPORTED))
    assert [view.table.isRowHidden(r) for r in range(2)].count(True) == 1
    view.status.setCurrentIndex(0)
    assert not any(view.table.isRowHidden(r) for r in range(2))
    view.set_rows([])
    assert view.empty.isVisibleTo(view)


def test_home_list_counts_a_recorded_pair_without_photos(
    qtbot: QtBot, store: Store, vehicle_input: dict[str, Any], seller_input: dict[str, Any]
) -> None:
    """As ``inspector list`` and the report do: "Add damage" pair 1, no photo yet."""
    inspection, _ = create_inspection(store, vehicle=vehicle_input, seller=seller_input)
    (row,) = load_rows(store)
    assert row.progress == "0/23"
    store.add_damage(new_live_damage(inspection.id, 1, None))
    view = InspectionsView()
    qtbot.addWidget(view)
    view.set_rows(load_rows(store))
    assert view.table.item(0, 4).text() == "0/25"
