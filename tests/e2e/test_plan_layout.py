"""The plan page fits a laptop and works on a phone (issue 15 item 2), in Chromium at 1366×900 and 390×844."""

import pytest
from playwright.sync_api import expect

from perfplan.roles import Role
from plans.models import Plan
from tests.e2e.conftest import log_in
from tests.factories import FIXTURES, PASSWORD, make_user
from workbook.plan_import import plan_import

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NO_PAGE_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(autouse=True)
def role_groups(transactional_db):
    """The groups come from a data migration; a transactional test flushes them after each test."""
    from django.contrib.auth.models import Group

    for name in Role.ALL:
        Group.objects.get_or_create(name=name)


@pytest.fixture
def modena(role_groups):
    report = plan_import(source=FIXTURES / "modena_2017_2019.xlsx")
    assert report.ok, report.errors
    return Plan.objects.get(pk=report.plan_id)


@pytest.fixture
def ufficio(modena):
    return make_user("ufficio", Role.PLANNER, modena.ente)


# WCAG contrast of an element's text on the background it sits on (the first opaque one up the tree).
CONTRAST = """el => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(channel); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let bg = el, c;
  while (bg && ((c = rgb(getComputedStyle(bg).backgroundColor)).length === 4 && c[3] === 0)) bg = bg.parentElement;
  const fore = lum(rgb(getComputedStyle(el).color)), back = lum(c);
  return (Math.max(fore, back) + 0.05) / (Math.min(fore, back) + 0.05);
}"""


def inside_viewport(page, box) -> bool:
    width, height = page.evaluate("[window.innerWidth, window.innerHeight]")
    # One pixel of slack: the menu's slide and sub-pixel layout leave boxes at x = -0,59 in a box 342 px wide.
    return (
        box is not None
        and box["x"] >= -1
        and box["x"] + box["width"] <= width + 1
        and box["y"] + box["height"] <= height + 1
    )


def test_at_1366_the_tree_fits_with_the_score_column_in_view_and_why_inside_the_window(page, modena, ufficio):
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, ufficio.username, PASSWORD)
    page.goto(modena.get_absolute_url() + "?anno=2017")
    assert page.evaluate(NO_PAGE_OVERFLOW), page.evaluate("document.documentElement.scrollWidth")
    tree = page.locator("[data-testid=plan-tree]")
    tree.scroll_into_view_if_needed()
    head = tree.locator("thead .score-col")
    expect(head).to_have_text("Punteggio 2017")
    head.scroll_into_view_if_needed()
    assert inside_viewport(page, head.bounding_box()), head.bounding_box()
    # A row's score cell too, and the hamburger is not shown on a laptop (the menu is in the bar).
    export = tree.locator("tr.ind-row", has_text="dell'export provinciale").first
    export.scroll_into_view_if_needed()
    assert inside_viewport(page, export.locator(".score-cell").bounding_box())
    expect(page.get_by_test_id("menu-button")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Menu principale")
    expect(nav.get_by_role("link", name="Consuntivi")).to_be_visible()
    # «perché?»: the card opens inside the window and writes the target as the row does (≥ 1,2 %, not >= +1,2 %).
    expect(export.locator(".target-cell").first).to_have_text("≥ 1,2 % ✎")
    export.locator("summary", has_text="perché?").click()
    card = export.locator(".why-body")
    expect(card).to_contain_text("Target: ≥ 1,2 %")
    assert ">= +1,2" not in card.inner_text()
    assert inside_viewport(page, card.bounding_box()), card.bounding_box()
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    # Contrast (AA, 4.5:1): the muted small text on the light-blue area rows and the warning badge.
    muted = tree.locator("tr.tree-level-area .small.text-muted").first
    assert muted.evaluate(CONTRAST) >= 4.5, muted.evaluate(CONTRAST)
    warning = tree.locator(".wsum-warn").first
    assert warning.evaluate(CONTRAST) >= 4.5, warning.evaluate(CONTRAST)
    # The weight badge of OS 802 (four indicators of 20 %) and «+» of the kind below a strategic objective.
    row_802 = tree.locator("tr.node-row", has=page.get_by_role("link", name="802", exact=True))
    expect(row_802.locator(".wsum-warn")).to_have_text("⚠ ind. Σ 80 %: la somma dei pesi degli indicatori non è 100 %")
    row_802.get_by_role("link", name="+ OO (aggiungi un obiettivo operativo a 802)").click()
    expect(page.get_by_label("Tipo")).to_have_value("operational")


def test_at_390_the_page_does_not_overflow_and_the_menu_button_opens_the_nav(page, modena, ufficio):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, ufficio.username, PASSWORD)
    page.goto(modena.get_absolute_url())
    assert page.evaluate(NO_PAGE_OVERFLOW), page.evaluate("document.documentElement.scrollWidth")
    expect(page.get_by_role("button", name="Esci")).to_be_visible()
    assert inside_viewport(page, page.get_by_role("button", name="Esci").bounding_box())
    # The tree scrolls inside its own region, its score column in view.
    region = page.get_by_role("region", name="Albero del piano (scorre in orizzontale)")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    head = region.locator("thead .score-col")
    head.scroll_into_view_if_needed()
    assert inside_viewport(page, head.bounding_box()), head.bounding_box()
    # The menu: hidden behind the hamburger, opened from the keyboard, closed by its own button.
    nav = page.get_by_role("navigation", name="Menu principale")
    consuntivi = nav.get_by_role("link", name="Consuntivi")
    expect(consuntivi).to_be_hidden()
    button = page.get_by_role("button", name="Mostra o nascondi il menu")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(consuntivi).to_be_visible()
    expect(consuntivi).to_be_in_viewport(ratio=0.99)  # retried until the menu has slid in
    assert inside_viewport(page, consuntivi.bounding_box())
    page.get_by_role("button", name="Chiudi il menu").click()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(consuntivi).to_be_hidden()
    button.click()
    consuntivi.click()
    page.wait_for_url("**/consuntivi/**")
    assert page.evaluate(NO_PAGE_OVERFLOW)
