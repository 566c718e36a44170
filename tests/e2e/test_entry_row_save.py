"""One value saved on its own in Chromium (issue 13 item 4): htmx posts the row, the page does not reload."""

import pytest
from playwright.sync_api import expect

from consuntivi.models import Measurement
from tests.consuntivi.factories import entry_plan, indicator, open_round, people
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_responsabile_saves_one_value_without_reloading_and_the_live_panel_follows(page):
    plan = entry_plan()
    who = people(plan)
    rnd = open_round(plan, who["planner"])
    ratio = indicator(plan, "Pratiche evase nei termini")
    log_in(page, "resp_studi", PASSWORD)
    page.goto(f"/consuntivi/rilevazioni/{rnd.pk}/miei/")
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again
    row = page.get_by_test_id(f"row-{ratio.pk}")
    page.fill(f"#id_m{ratio.pk}-numerator", "45")
    page.fill(f"#id_m{ratio.pk}-denominator", "50")
    live = page.get_by_test_id(f"ach-{ratio.pk}")
    expect(live.get_by_test_id("unsaved")).to_be_visible()  # typed, not yet saved
    expect(live.get_by_test_id("achievement")).to_have_text("100,00 %")
    row.get_by_test_id("save-row").click()
    expect(page.get_by_test_id(f"row-{ratio.pk}").get_by_test_id("saved")).to_be_visible()
    live = page.get_by_test_id(f"ach-{ratio.pk}")
    expect(live.get_by_test_id("achievement")).to_have_text("100,00 %")
    expect(live.get_by_test_id("unsaved")).to_have_count(0)
    expect(live.get_by_test_id("computed-value")).to_have_text("90")
    assert page.evaluate("window.notReloaded") is True
    assert Measurement.objects.get(indicator=ratio).numerator == 45
    page.screenshot(path="test-artifacts/entry-row-saved.png", full_page=False)
    # a value the note rule refuses: the row is marked in place, nothing saved
    page.fill(f"#id_m{ratio.pk}-numerator", "30")
    expect(page.get_by_test_id(f"ach-{ratio.pk}").get_by_test_id("note-required")).to_be_visible()
    page.get_by_test_id(f"row-{ratio.pk}").get_by_test_id("save-row").click()
    expect(page.locator(f"#id_m{ratio.pk}-note-err")).to_contain_text("spiegare lo scostamento")
    expect(page.locator(f"#id_m{ratio.pk}-note")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("window.notReloaded") is True
    assert Measurement.objects.get(indicator=ratio).numerator == 45
    # explained: the alarm gives way to the plain «non raggiunto», in the preview and in the saved row
    page.fill(f"#id_m{ratio.pk}-note", "Due pratiche sospese in attesa di integrazione.")
    live = page.get_by_test_id(f"ach-{ratio.pk}")
    expect(live.get_by_test_id("note-required")).to_have_count(0)
    expect(live).to_contain_text("Target non raggiunto.")
    page.get_by_test_id(f"row-{ratio.pk}").get_by_test_id("save-row").click()
    expect(page.get_by_test_id(f"row-{ratio.pk}").get_by_test_id("saved")).to_be_visible()
    expect(page.get_by_test_id(f"ach-{ratio.pk}").get_by_test_id("note-required")).to_have_count(0)
    assert Measurement.objects.get(indicator=ratio).numerator == 30
