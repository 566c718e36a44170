"""A large plan's page in Chromium (issue 13 item 5): the areas and their first level first; a node's expand button
(mouse or keyboard) fetches its rows and inserts them after it, collapses them and opens them again without asking the
server; no serious axe violation with rows fetched; it fits 1366 px and works at 390 px. The Modena plan (584 nodes)
counts as large here: PLAN_PAGE_LAZY_NODES is set to 100."""

import pytest
from playwright.sync_api import expect

from perfplan.roles import Role
from plans.models import Plan
from tests.e2e.conftest import log_in
from tests.e2e.test_accessibility import AXE, Checker
from tests.factories import FIXTURES, PASSWORD, make_user
from workbook.plan_import import plan_import

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NO_PAGE_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def modena(transactional_db, settings):
    from django.contrib.auth.models import Group

    for name in Role.ALL:  # the groups come from a data migration, flushed after each transactional test
        Group.objects.get_or_create(name=name)
    settings.PLAN_PAGE_LAZY_NODES = 100
    report = plan_import(source=FIXTURES / "modena_2017_2019.xlsx")
    assert report.ok, report.errors
    return Plan.objects.get(pk=report.plan_id)


def planner_logged_in(browser, live_server, modena) -> Checker:
    """A planner of the Modena ente, logged in, on a desktop-sized window (its page: `checker.page`)."""
    make_user("ufficio", Role.PLANNER, modena.ente)
    checker = Checker(browser, live_server.url, "ufficio")
    checker.page.set_viewport_size({"width": 1366, "height": 900})
    log_in(checker.page, "ufficio", PASSWORD)
    return checker


def test_a_planner_opens_and_closes_a_node_of_a_large_plan_by_keyboard_and_mouse(browser, live_server, modena):
    assert AXE.exists()
    checker = planner_logged_in(browser, live_server, modena)
    page = checker.page
    page.goto(modena.get_absolute_url() + "?anno=2017")
    expect(page.get_by_test_id("lazy-note")).to_be_visible()
    tree = page.get_by_test_id("plan-tree")
    expect(tree.locator("tr.node-row")).to_have_count(3 + 13)  # the 3 areas and their 13 strategic objectives
    assert page.evaluate(NO_PAGE_OVERFLOW)

    row = tree.locator("tr.tree-level-strategic").first
    button = row.locator("button.tree-toggle")
    expect(button).to_have_attribute("aria-expanded", "false")
    controls = button.get_attribute("aria-controls").split()
    first_child = page.locator(f"[id='{controls[0]}']")
    last_child = page.locator(f"[id='{controls[-1]}']")
    expect(first_child).to_have_count(0)

    # Keyboard: Enter opens (the rows are fetched), Space closes, Enter opens again (already there).
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(first_child).to_be_visible()
    expect(last_child).to_be_visible()
    fetched = tree.locator("tr").count()
    assert fetched > 3 + 13
    page.keyboard.press("Space")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(first_child).to_be_hidden()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(first_child).to_be_visible()
    assert tree.locator("tr").count() == fetched  # nothing fetched twice

    # Mouse, one level down: an operational objective's actions come the same way, with their scores.
    child = tree.locator("tr.node-row[data-depth='2']:has(button.tree-toggle)").first
    child_button = child.locator("button.tree-toggle")
    expect(child_button).to_have_attribute("aria-expanded", "false")
    child_button.click()
    expect(child_button).to_have_attribute("aria-expanded", "true")
    action = page.locator(f"[id='{child_button.get_attribute('aria-controls').split()[-1]}']")
    expect(action).to_be_visible()
    # «perché?» of a fetched row loads its explanation like any other.
    why = child.locator("details.why summary")
    why.click()
    expect(child.locator(".why-body")).to_contain_text("%")
    page.keyboard.press("Escape")

    # Closing the parent hides the rows below it, grandchildren included; «Comprimi alle aree» hides all.
    button.click()
    expect(child).to_be_hidden()
    expect(action).to_be_hidden()
    button.click()
    expect(child).to_be_visible()
    expect(action).to_be_visible()  # its own state (open) kept
    page.get_by_role("button", name="Comprimi alle aree").click()
    expect(tree.locator("tr.tree-level-strategic").first).to_be_hidden()

    # axe with fetched rows (it checks the table's first rows, and takes the others out of the page: reload after)
    page.reload()
    tree.locator("tr.tree-level-strategic").first.locator("button.tree-toggle").click()
    expect(first_child).to_be_visible()
    checker.axe("plan page, a node expanded")

    # A phone: the page does not overflow and a node opens.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate(NO_PAGE_OVERFLOW), page.evaluate("document.documentElement.scrollWidth")
    button = tree.locator("tr.tree-level-strategic").nth(1).locator("button.tree-toggle")
    button.scroll_into_view_if_needed()
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.locator(f"[id='{button.get_attribute('aria-controls').split()[0]}']")).to_be_visible()
    checker.axe("plan page at 390 px, a node expanded")
    assert checker.violations == [], "\n".join(checker.violations)
    assert checker.session.problems == []
    checker.session.close()


def test_every_area_in_pages_links_page_to_page(browser, live_server, modena, settings):
    settings.PLAN_PAGE_ROWS = 300
    checker = planner_logged_in(browser, live_server, modena)
    page = checker.page
    page.goto(modena.get_absolute_url() + "?anno=2017")
    page.get_by_role("link", name="mostra tutte le aree").click()
    nav = page.get_by_role("navigation", name="Pagine dell'albero (sopra)")
    expect(nav).to_contain_text("Pagina 1 di")
    first_code = page.get_by_test_id("plan-tree").locator("tr.node-row").first.inner_text()
    nav.get_by_role("link", name="Successiva").click()
    expect(nav).to_contain_text("Pagina 2 di")
    assert "anno=2017" in page.url and "area=-1" in page.url
    assert page.get_by_test_id("plan-tree").locator("tr.node-row:not(.context-row)").first.inner_text() != first_code
    assert page.evaluate(NO_PAGE_OVERFLOW)
    checker.axe("plan page, all areas, page 2")
    assert checker.violations == [], "\n".join(checker.violations)
    checker.session.close()
