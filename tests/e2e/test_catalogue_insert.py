"""The planner inserts a DFP common indicator from the catalogue on an objective's page, in one click."""

import pytest

from indicators.models import Indicator
from perfplan.roles import Role
from plans.models import Objective
from tests.consuntivi.factories import entry_plan
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_planner_inserts_a_dfp_indicator_in_one_click(page):
    plan = entry_plan()
    planner = make_user("pianificatore", Role.PLANNER, plan.ente)
    node = Objective.objects.filter(plan=plan, org_unit__code="U1").order_by("pk").first()
    log_in(page, planner.username, PASSWORD)
    page.goto(f"/piani/{plan.pk}/obiettivi/{node.pk}/")
    page.get_by_role("link", name="Inserisci dal catalogo").click()
    page.get_by_role("heading", name="Inserisci dal catalogo").wait_for()
    page.screenshot(path="test-artifacts/catalogue-insert.png", full_page=True)
    page.get_by_role("button", name="Inserisci DFP 1.3").click()
    page.get_by_text("inserito dal catalogo").wait_for()
    ind = Indicator.objects.get(objective=node, catalogue_code="DFP 1.3")
    assert ind.formula == "Dip_Formati / Dip_Totali"
