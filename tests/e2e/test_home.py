"""The planner's home in Chromium at 1366×900: the charts are drawn from their tables under the CSP, the tables stay
readable, and the text is set in Bootstrap Italia's Titillium Web, loaded from the bundled files."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from perfplan.demo import DEMO_USERS
from tests.e2e.conftest import log_in
from tests.e2e.test_csp_pages import Session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_planners_home_shows_the_charts_their_tables_and_titillium(browser, live_server):
    call_command("seed_demo", stdout=StringIO())
    planner = next(u for u in DEMO_USERS if u.username == "pianificazione")
    session = Session(browser, live_server.url)
    session.page.set_viewport_size({"width": 1366, "height": 900})
    page = session.page
    log_in(page, planner.username, planner.password)
    page.wait_for_load_state("networkidle")
    session.check()

    expect(page.get_by_role("heading", name="Stato dei piani")).to_be_visible()
    expect(page.get_by_role("heading", name="Rilevazioni in corso")).to_be_visible()
    for canvas, table in (("#chart-areas", "areas-table"), ("#chart-bands", "bands-table")):
        expect(page.locator(canvas)).to_be_visible()
        assert page.locator(canvas).get_attribute("aria-hidden") == "true"
        assert page.evaluate(f"!!window.Chart.getChart(document.querySelector('{canvas}'))"), canvas
        box = page.locator(canvas).bounding_box()
        assert box["width"] > 200 and box["height"] > 150, box
        expect(page.get_by_test_id(table)).to_be_visible()
    areas = page.get_by_test_id("areas-table")
    expect(areas.locator("tbody tr")).to_have_count(3)
    assert (
        page.evaluate("window.Chart.getChart(document.querySelector('#chart-areas')).data.datasets[0].data.length") == 3
    )

    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert family.strip("\"'").startswith("Titillium"), family
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px \"Titillium Web\"')")
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.family.replace(/\"/g, '') === 'Titillium Web' && f.status === 'loaded')"
        ".map(f => f.weight)"
    )
    assert loaded, "Titillium Web non caricato"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    session.close()
    assert session.problems == [], session.problems
