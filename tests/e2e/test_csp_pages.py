"""The Content-Security-Policy in Chromium: every role opens its main pages of the demo with no violation and no
JavaScript error, and the interactive parts (htmx, the target preview, the «perché?» panels, the tree, the
header menu, the progress bar) still work without inline scripts or styles."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from consuntivi.models import Round
from perfplan.demo import DEMO_USERS
from plans.models import Plan
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Registered before any page script: every violation the browser reports, also those it does not log.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


class Session:
    """One role's browser context: console errors, page errors and CSP violations of every page it opens."""

    def __init__(self, browser, base_url: str):
        self.context = browser.new_context(base_url=base_url, locale="it-IT")
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda exc: self.problems.append(f"{self.page.url}: {exc}"))
        self.page.on(
            "console",
            lambda msg: self.problems.append(f"{self.page.url}: {msg.text}") if msg.type == "error" else None,
        )

    def open(self, url: str) -> None:
        response = self.page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}, url
        self.check()

    def check(self) -> None:
        self.page.wait_for_load_state("load")
        violations = self.page.evaluate("window.__csp || []")
        self.problems.extend(f"{self.page.url}: CSP {v}" for v in violations)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=StringIO())
    plan = Plan.objects.get(title="Piano della performance 2017-2019")
    return {"plan": plan, "round": Round.objects.filter(plan=plan, year=2017, final=True).first()}


def _pages(role: str, plan: Plan, rnd: Round) -> list[str]:
    common = ["/", f"/piani/{plan.pk}/", f"/punteggi/{plan.pk}/unita/", "/consuntivi/", "/relazioni/"]
    common += [f"/relazioni/{plan.pk}/2017/", "/accounts/password/"]
    by_role = {
        "pianificazione": [f"/consuntivi/rilevazioni/{rnd.pk}/", "/storico/", f"/piani/{plan.pk}/revisioni/"],
        "responsabile": [f"/consuntivi/rilevazioni/{rnd.pk}/miei/"],
        "oiv": ["/storico/"],
        "admin": [
            "/storico/",
            "/admin/",
            "/admin/auth/user/",
            "/admin/axes/accessattempt/",
            f"/admin/plans/plan/{plan.pk}/history/",
        ],
    }
    return common + by_role[role]


def test_every_role_opens_its_main_pages_without_a_csp_violation(browser, live_server, demo):
    problems = []
    for user in DEMO_USERS:
        session = Session(browser, live_server.url)
        log_in(session.page, user.username, user.password)
        expect(session.page.get_by_test_id("current-user")).to_be_visible()
        session.check()
        for url in _pages(user.username, demo["plan"], demo["round"]):
            session.open(url)
        problems += [f"{user.username} {p}" for p in session.problems]
        session.close()
    assert problems == [], "\n".join(problems)


def test_the_interactive_parts_work_under_the_policy(browser, live_server, demo):
    planner = next(u for u in DEMO_USERS if u.username == "pianificazione")
    session = Session(browser, live_server.url)
    page = session.page
    log_in(page, planner.username, planner.password)

    # Bootstrap Italia's script runs, and the header menu leads to its pages.
    assert page.evaluate("typeof window.bootstrap") == "object"
    page.get_by_role("navigation", name="Menu principale").get_by_role("link", name="Consuntivi").click()
    expect(page).to_have_url(re.compile(r"/consuntivi/$"))
    expect(page.locator(".nav-link.active")).to_have_text("Consuntivi")

    # The round's progress bar gets its width from data-progress (a style attribute would be blocked).
    page.goto(f"/consuntivi/rilevazioni/{demo['round'].pk}/")
    bar = page.locator(".progress-bar[data-progress]")
    if bar.count():
        expected = bar.get_attribute("data-progress")
        assert bar.evaluate("b => b.style.width") == f"{expected}%"

    # The plan page: the tree folds, «perché?» loads through htmx, a target is edited in place with its preview.
    page.goto(f"/piani/{demo['plan'].pk}/")
    tree = page.locator("[data-testid=plan-tree]")
    toggle = tree.locator(".tree-toggle").first
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    why = tree.locator("details.why").first
    why.locator("summary").click()
    expect(why.locator(".why-body")).not_to_be_empty()
    tree.locator("a.tedit").first.click()
    field = tree.locator("form input[name=raw]").first
    field.fill(">= 400")
    expect(tree.get_by_text("≥ 400")).to_be_visible()

    # The Relazione preview: the tables' column widths come from reports/columns.css.
    page.goto(f"/relazioni/{demo['plan'].pk}/2017/")
    col = page.locator("col[class^=cw-]").first
    assert col.evaluate("c => getComputedStyle(c).width") not in {"", "auto"}

    session.check()
    session.close()
    assert session.problems == [], "\n".join(session.problems)
