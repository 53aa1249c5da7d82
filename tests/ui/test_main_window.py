from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
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
    qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=5000)
    model = table.model()
    assert model.index(0, 0).data() == "Peugeot 308 2019"
    assert model.index(0, 2).data() == "Élodie Martin"
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
    model = view.model
    assert model.rowCount() == 2
    view.search.setText("zz-999")
    assert [model.index(0, c).data() for c in (0, 1)] == ["Renault 308 2019", "ZZ-999-ZZ"]
    assert model.rowCount() == 1
    view.search.clear()
    assert model.rowCount() == 2
    reported = load_rows(store)[0].listed.id
    force_status(store, reported, InspectionStatus.REPORTED)
    view.set_rows(load_rows(store))
    view.status.setCurrentIndex(view.status.findData(InspectionStatus.REPORTED))
    assert model.rowCount() == 1
    assert model.index(0, 0).data(Qt.ItemDataRole.UserRole) == reported
    assert model.index(0, 3).data() == "reported"
    view.status.setCurrentIndex(0)
    assert model.rowCount() == 2
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
    assert view.model.index(0, 4).data() == "0/25"


def test_the_home_keeps_its_selection_through_a_refresh_and_a_search(
    qtbot: QtBot,
    store: Store,
    make_main_window: Callable[[], MainWindow],
    vehicle_input: dict[str, Any],
    seller_input: dict[str, Any],
) -> None:
    for make in ("Peugeot", "Renault", "Citroën"):
        create_inspection(store, vehicle={**vehicle_input, "make": make}, seller=seller_input)
    window = make_main_window()
    window.show()
    home = window.home
    qtbot.waitUntil(lambda: home.model.rowCount() == 3, timeout=5000)
    renault = next(r.listed.id for r in home.model.all_rows if r.listed.vehicle.startswith("Re"))
    assert window.select_inspection(renault)
    assert window.selected_id() == renault and window.delete_action.isEnabled()
    home.set_rows(load_rows(store))  # a refresh: same inspection still selected
    assert window.selected_id() == renault
    home.search.setText("citro")  # the selected row is filtered out: nothing selected
    assert home.model.rowCount() == 1 and window.selected_id() is None
    assert not window.delete_action.isEnabled()
    home.search.setText("renault")
    assert window.select_inspection(renault)
    home.search.setText("308")  # still shown: still selected
    assert home.model.rowCount() == 3 and window.selected_id() == renault
    assert window.delete_action.isEnabled()
