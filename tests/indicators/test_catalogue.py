"""The indicator catalogue (issue 16 item 4): the built-in DFP common indicators, inserted into a plan in one click
with their formula variables, scored from the measures the unit enters."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from consuntivi.scores import plan_score
from consuntivi.services import measurement_save
from indicators.catalogue import DFP_2019
from indicators.formula import parse_formula, single_name
from indicators.models import CatalogueIndicator, Indicator
from plans.editing import indicator_insert_from_catalogue, plan_copy_to_next_cycle, target_set
from plans.models import Objective, Plan, PlanRevision, PlanState, PlanYear, YearState
from tests.consuntivi.factories import client_for, entry, entry_plan, open_round, people

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    return entry_plan()


@pytest.fixture
def who(plan):
    return people(plan)


@pytest.fixture
def node(plan):
    return Objective.objects.filter(plan=plan, org_unit__code="U1").order_by("pk").first()


def dfp(code: str) -> CatalogueIndicator:
    return CatalogueIndicator.objects.get(ente=None, code=code)


def test_migrate_loads_the_dfp_common_indicators_marking_the_unverified():
    common = {entry.code: entry for entry in CatalogueIndicator.objects.filter(ente=None)}
    assert set(common) == {entry.code for entry in DFP_2019} and len(common) == 13
    assert all(entry.built_in and entry.source.startswith("Circolare DFP n. 2/2019") for entry in common.values())
    # Verified against a published plan (the Ravenna-Ferrara 2021 seed): 1.3, 2.5 and 4.3; the rest is «da verificare».
    assert {code for code, item in common.items() if item.verified} == {"DFP 1.3", "DFP 2.5", "DFP 4.3"}
    for item in common.values():  # every formula reads in perfplan's syntax, or is a value entered directly
        assert parse_formula(item.formula) is not None or single_name(item.formula), item.code
    assert common["DFP 1.3"].name == "Grado di copertura delle attività formative dedicate al personale"


def test_a_dfp_indicator_inserted_from_the_catalogue_is_scored_from_its_measures(plan, who, node):
    planner, head = who["planner"], who["head_u1"]
    ind = indicator_insert_from_catalogue(objective=node, entry=dfp("DFP 1.3"), user=planner)
    assert (ind.code, ind.catalogue_code, ind.formula, ind.unit) == (
        "DFP 1.3",
        "DFP 1.3",
        "Dip_Formati / Dip_Totali",
        "percent",
    )
    target_set(indicator=ind, year=2017, raw=">= 95 %", user=planner)
    rnd = open_round(plan, planner)
    # 45 of 50 employees trained: 45 / 50 × 100 = 90 % against «>= 95 %»: 90 / 95 × 100 = 94,7368… → 94,74.
    values = entry(ind, numerator=Decimal(45), denominator=Decimal(50), note="Due corsi rinviati al 2018.")
    result = measurement_save(data_round=rnd, user=head, values=values)
    assert result.ok and result.saved == 1
    score = plan_score(plan=plan, year=2017).indicator(ind.pk)
    assert score.value == Decimal("90") and score.achievement == Decimal("94.74")
    # The yearly values of the catalogue indicators, as an .xlsx table (the DFP's own layout was not at hand).
    response = client_for(planner).get(f"/piani/{plan.pk}/indicatori-catalogo.xlsx")
    rows = [list(r) for r in load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True)]
    assert rows[0][:8] == [
        "Ente",
        "Codice catalogo",
        "Indicatore",
        "Obiettivo",
        "Anno",
        "Valore",
        "Numeratore",
        "Denominatore",
    ]
    assert rows[1][:2] == ["EN", "DFP 1.3"] and rows[1][4:8] == [2017, 90, 45, 50]
    assert [r[4] for r in rows[1:]] == [2017, 2018, 2019] and rows[2][5:8] == [None, None, None]


def test_inserting_follows_the_plan_rules(plan, who, node):
    planner = who["planner"]
    indicator_insert_from_catalogue(objective=node, entry=dfp("DFP 2.5"), user=planner)
    with pytest.raises(ValidationError, match="già un indicatore con codice «DFP 2.5»"):
        indicator_insert_from_catalogue(objective=node, entry=dfp("DFP 2.5"), user=planner)
    Plan.objects.filter(pk=plan.pk).update(state=PlanState.ADOPTED)
    node.plan.refresh_from_db()
    with pytest.raises(ValidationError, match="motivazione"):
        indicator_insert_from_catalogue(objective=node, entry=dfp("DFP 4.3"), user=planner)
    indicator_insert_from_catalogue(objective=node, entry=dfp("DFP 4.3"), user=planner, reason="Indicatore DFP")
    assert PlanRevision.objects.filter(plan=plan, subject_code__contains="DFP 4.3", reason="Indicatore DFP").exists()
    PlanYear.objects.filter(plan=plan, year=2017).update(state=YearState.VALIDATED)
    with pytest.raises(ValidationError):  # a validated year freezes the tree
        indicator_insert_from_catalogue(objective=node, entry=dfp("DFP 1.3"), user=planner, reason="Tardi")
    assert not Indicator.objects.filter(objective=node, code="DFP 1.3").exists()


def test_only_planners_of_the_ente_insert_and_never_another_entes_entry(plan, who, node, other_ente):
    foreign = CatalogueIndicator.objects.create(ente=other_ente, code="ALT-1", name="Altrove", formula="A / B")
    with pytest.raises(PermissionDenied):
        indicator_insert_from_catalogue(objective=node, entry=foreign, user=who["planner"])
    with pytest.raises(PermissionDenied):
        indicator_insert_from_catalogue(objective=node, entry=dfp("DFP 1.3"), user=who["head_u1"])


def test_the_catalogue_code_travels_to_the_next_plan(plan, who, node):
    indicator_insert_from_catalogue(objective=node, entry=dfp("DFP 1.3"), user=who["planner"])
    copy = plan_copy_to_next_cycle(plan=plan, user=who["planner"])
    assert Indicator.objects.get(objective__plan=copy, catalogue_code="DFP 1.3").formula == "Dip_Formati / Dip_Totali"


def test_the_objective_page_inserts_in_one_click(plan, who, node):
    client = client_for(who["planner"])
    assert "Inserisci dal catalogo" in client.get(f"/piani/{plan.pk}/obiettivi/{node.pk}/").content.decode()
    url = f"/piani/{plan.pk}/obiettivi/{node.pk}/indicatori/catalogo/"
    page = client.get(url).content.decode()
    assert "DFP 1.3" in page and "da verificare" in page and "Dip_Formati / Dip_Totali" in page
    response = client.post(url, {"entry": dfp("DFP 1.3").pk})
    assert response.status_code == 302
    assert Indicator.objects.get(objective=node, catalogue_code="DFP 1.3").name.startswith("Grado di copertura")
    assert "già inserito" in client.get(url).content.decode()
    assert client_for(who["head_u1"]).get(url).status_code == 403
