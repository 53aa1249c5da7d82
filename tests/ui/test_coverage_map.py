"""The live coverage map widget against a bare Coverage: colours in, clicks out."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from inspector.domain.checklist import load_checklist
from inspector.domain.coverage import COVERAGE_COLOURS, PartState, coverage_of
from inspector.domain.models import Damage, DamageType, Part, Severity
from inspector.domain.palette import SEVERITY_COLOURS
from tests.ui.live_helpers import make_capture
from ui.coverage_map import CoverageMap, describe

SCREENSHOT = "/tmp/coverage-map.png"


@pytest.fixture
def cmap(qtbot: QtBot) -> CoverageMap:
    widget = CoverageMap()
    qtbot.addWidget(widget)
    widget.resize(200, 380)
    widget.show()
    qtbot.waitUntil(lambda: widget.drawing.renderer is not None, timeout=5000)
    return widget


def test_the_map_paints_what_the_model_says(qtbot: QtBot, cmap: CoverageMap) -> None:
    checklist = load_checklist("standard")
    cmap.set_coverage(coverage_of(checklist, []))
    assert cmap.drawing.fill_of(Part.BONNET) == COVERAGE_COLOURS[PartState.NOT_YET]
    assert cmap.count.text() == "0 of 31 parts photographed"

    accepted = make_capture("c1", "front", accepted=True)
    dent = Damage("d1", "insp", None, Part.BONNET, DamageType.DENT, Severity.MODERATE)
    coverage = coverage_of(checklist, [accepted], [dent])
    cmap.set_coverage(coverage)
    assert cmap.drawing.fill_of(Part.FRONT_BUMPER) == COVERAGE_COLOURS[PartState.COVERED]
    assert cmap.drawing.fill_of(Part.BONNET) == SEVERITY_COLOURS[Severity.MODERATE]
    assert cmap.drawing.fill_of(Part.ROOF) == COVERAGE_COLOURS[PartState.NOT_YET]
    assert cmap.count.text() == f"{coverage.covered} of 31 parts photographed · 1 damaged"
    assert describe(coverage.of(Part.BONNET)).startswith("Bonnet: damaged (moderate)")
    # The painted pixels follow: the bonnet's centre is in the severity's colour.
    centre = cmap.drawing.part_centre(Part.BONNET)
    assert centre is not None
    image = cmap.drawing.grab().toImage()
    ratio = image.devicePixelRatio()
    pixel = image.pixelColor(int(centre.x() * ratio), int(centre.y() * ratio))
    assert pixel.name().upper() == SEVERITY_COLOURS[Severity.MODERATE]
    cmap.grab().save(SCREENSHOT)


def test_clicking_a_part_asks_for_the_shot_covering_it(qtbot: QtBot, cmap: CoverageMap) -> None:
    checklist = load_checklist("standard")
    cmap.set_coverage(coverage_of(checklist, []))
    for part, shot in (
        (Part.REAR_BUMPER, "rear"),
        (Part.WHEEL_FRONT_RIGHT, "wheel_front_right"),
        (Part.DOOR_REAR_LEFT, "side_left"),  # the first of its shots in the walk
        (Part.WINDSCREEN, "front"),
    ):
        centre = cmap.drawing.part_centre(part)
        assert centre is not None
        assert cmap.drawing.part_at(centre) is part
        with qtbot.waitSignal(cmap.shot_requested, timeout=2000) as signal:
            qtbot.mouseClick(cmap.drawing, Qt.MouseButton.LeftButton, pos=centre.toPoint())
        assert signal.args == [shot], part


def test_no_coverage_no_request(qtbot: QtBot, cmap: CoverageMap) -> None:
    cmap.set_coverage(None)
    assert cmap.count.text() == ""
    centre = cmap.drawing.part_centre(Part.BONNET)
    assert centre is not None
    with qtbot.assertNotEmitted(cmap.shot_requested, wait=100):
        qtbot.mouseClick(cmap.drawing, Qt.MouseButton.LeftButton, pos=centre.toPoint())
