"""The coverage map on the real phone page: the parts an accepted photo covers turn green,
a damaged part takes its severity's colour, in headless Chromium against a real engine."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inspector.domain.checklist import load_checklist
from inspector.domain.coverage import COVERAGE_COLOURS, PartState
from inspector.domain.models import DamageType, Part, Severity
from inspector.domain.palette import SEVERITY_COLOURS
from inspector.live import events
from tests.e2e.conftest import Live, Phone
from tests.e2e.test_phone import shot_id
from tests.e2e.waits import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

SCREENSHOT = "/tmp/phone-coverage.png"


def fill(p: Phone, part: Part) -> str | None:
    return p.page.evaluate(
        "id => { const el = document.querySelector(`#coverage-map svg #${id}`);"
        " return el ? el.getAttribute('fill') : null; }",
        part.value,
    )


def test_the_phone_shows_what_is_photographed(
    live: Callable[..., Live], phone: Callable[..., Phone]
) -> None:
    session = live(mode="operator")
    engine, iid = session.engine, session.inspection_id
    first = load_checklist("quick").shots[0]
    p = phone(locale="fr-FR")
    p.page.goto(session.join_url)
    p.start()
    wait_until(lambda: shot_id(p) == first.id, 15, "the first shot")
    p.page.locator("#coverage").wait_for(state="visible", timeout=10000)
    wait_until(lambda: fill(p, Part.BONNET), 10, "the diagram painted")
    assert fill(p, Part.BONNET) == COVERAGE_COLOURS[PartState.NOT_YET]
    assert p.page.locator("#coverage-count").inner_text() == "0 / 31"
    assert (
        p.page.locator("#coverage")
        .get_attribute("aria-label")
        .startswith("Parties du véhicule photographiées")
    )

    capture_id = engine.capture(iid).result(5)
    session.events.wait(
        lambda: any(e.capture.id == capture_id for e in session.events.of(events.CaptureStored)),
        30,
        "the stored capture",
    )
    engine.accept(iid, capture_id).result(10)
    covered = COVERAGE_COLOURS[PartState.COVERED]
    wait_until(lambda: fill(p, Part.WING_FRONT_LEFT) == covered, 10, "the covered parts")
    assert all(fill(p, part) == covered for part in first.covers)
    assert fill(p, Part.WING_REAR_RIGHT) == COVERAGE_COLOURS[PartState.NOT_YET]
    assert p.page.locator("#coverage-count").inner_text() == f"{len(first.covers)} / 31"

    # A severe dent recorded on the rear right door: that colour on the phone too.
    pair = engine.add_damage_pair(iid).result(10)
    engine.complete_damage(
        iid, pair.damage.id, part=Part.DOOR_REAR_RIGHT, type=DamageType.DENT,
        severity=Severity.SEVERE,
    ).result(10)  # fmt: skip
    severe = SEVERITY_COLOURS[Severity.SEVERE]
    wait_until(lambda: fill(p, Part.DOOR_REAR_RIGHT) == severe, 10, "the damaged part")

    p.page.screenshot(path=SCREENSHOT.replace(".png", "-small.png"))
    # Tapping the map enlarges it (what the seller does to see what is left).
    p.page.locator("#coverage").click()
    box = p.page.locator("#coverage-map").bounding_box()
    assert box is not None and box["height"] > 150
    p.page.screenshot(path=SCREENSHOT)
    p.page.locator("#coverage").click()
    box = p.page.locator("#coverage-map").bounding_box()
    assert box is not None and box["height"] < 100
    p.assert_clean()
