"""A new user's first minutes: log in with a demo user and open the demo plan."""

from io import StringIO

import pytest
from django.core.management import call_command

from perfplan.demo import DEMO_USERS
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_planner_logs_in_and_opens_the_modena_plan(page):
    call_command("seed_demo", stdout=StringIO())
    planner = next(u for u in DEMO_USERS if u.username == "pianificazione")
    log_in(page, planner.username, planner.password)
    # The home page lists the plan in «Stato dei piani» (and again in its lists): the first link opens it.
    page.get_by_role("link", name="Piano della performance 2017-2019").first.click()
    page.wait_for_selector("[data-testid=plan-tree]")
    assert page.get_by_role("heading", level=1).inner_text() == "Piano della performance 2017-2019"
    tree = page.locator("[data-testid=plan-tree]")
    assert tree.get_by_text("COMPETITIVITA' DELLE IMPRESE", exact=False).count() >= 1
    assert tree.get_by_text("≥ 350").count() >= 1
    page.screenshot(path="test-artifacts/plan-page.png", full_page=False)


def test_a_wrong_password_shows_an_italian_message(page, db):
    log_in(page, "nessuno", "sbagliata")
    assert page.get_by_role("alert").inner_text() == "Nome utente o password non corretti."
