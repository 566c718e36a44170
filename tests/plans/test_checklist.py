"""The checklist before adoption and before a round opens (plans/checklist.py; issue 15, item 4).

The small plan of tests/factories.py, by hand: areas 100, OS 100, OO 100 (objective weights), F1 50 + «Tempo
medio di pagamento» 50 under OS 101; OO 1011.01 led by U1 (its action inherits it); F1 has targets 2017, 2018 and
`---` for 2019, «Tempo medio» 2017-2019, «Report pubblicati» (on the OO, a one-year objective) 2017 only. So its
list is empty, and each test opens one point.
"""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.synthetic import synthetic_workbook
from consuntivi.models import Round
from consuntivi.services import round_open
from indicators.models import Indicator, Target
from plans import editing
from plans.checklist import MISSING_TARGET, NO_UNIT, UNREADABLE, WEIGHTS, plan_checklist, plan_checklists
from plans.models import Objective, Plan, PlanState
from tests.factories import PASSWORD
from workbook.plan_import import plan_import

pytestmark = pytest.mark.django_db

ACT = {"organ": "Giunta camerale", "number": "12", "date": dt.date(2017, 1, 30)}


def node(plan: Plan, code: str) -> Objective:
    return Objective.objects.get(plan=plan, code=code)


def indicator(plan: Plan, name: str) -> Indicator:
    return Indicator.objects.get(objective__plan=plan, name=name)


def f1(plan: Plan) -> Indicator:
    return Indicator.objects.get(objective__plan=plan, code="F1")


# What the parser stored for these cells before the strict reading (E_NUMBER): a number with a «qualifier», or TEXT.
SAVED_BEFORE = {
    ">= 3x0": {"kind": "NUMBER", "comparator": ">=", "number": Decimal(3), "qualifier": "x0"},
    ">=35O": {"kind": "NUMBER", "comparator": ">=", "number": Decimal(35), "qualifier": "O"},
    "1,2,3": {"kind": "TEXT", "comparator": "", "number": None, "qualifier": ""},
}


def saved_before_strict_reading(targets, raw: str) -> None:
    assert targets.update(raw=raw, **SAVED_BEFORE[raw])


def kinds(checklist) -> list[tuple[str, bool]]:
    return [(item.kind, item.blocking) for item in checklist.items]


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- the selector ---------------------------------------------------------------------------------------------


def test_the_small_plan_has_nothing_open(small_plan):
    assert plan_checklist(plan=small_plan).items == []
    assert plan_checklist(plan=small_plan, for_round=True).ok


def test_a_target_saved_before_the_strict_reading_is_a_blocking_unreadable_target(small_plan):
    saved_before_strict_reading(Target.objects.filter(indicator=f1(small_plan), year=2018, is_current=True), ">= 3x0")
    checklist = plan_checklist(plan=small_plan)
    assert kinds(checklist) == [(UNREADABLE, True)]
    item = checklist.items[0]
    assert (item.indicator_id, item.objective_id, item.year) == (f1(small_plan).pk, node(small_plan, "101").pk, 2018)
    assert item.message.startswith(
        "Indicatore F1 - Pubblicazioni sul sito camerale: target 2018 «>= 3x0» non leggibile."
    )
    assert '"3x0" non è un numero' in item.message


def test_an_operational_objective_without_a_unit_blocks_unless_an_ancestor_has_one(small_plan):
    Objective.objects.filter(pk=node(small_plan, "1011.01").pk).update(org_unit=None)
    assert plan_checklist(plan=small_plan).items == []  # inherited from OS 101 (A1): scoring.md §2
    Objective.objects.filter(pk=node(small_plan, "101").pk).update(org_unit=None)
    checklist = plan_checklist(plan=small_plan)
    assert kinds(checklist) == [(NO_UNIT, True)]
    assert checklist.items[0].objective_id == node(small_plan, "1011.01").pk
    assert "Obiettivo operativo 1011.01 - Pubblicazioni sul sito: nessuna unità organizzativa" in (
        checklist.items[0].message
    )


def test_a_missing_target_blocks_for_the_first_year_and_warns_for_a_later_one_of_a_strategic_indicator(small_plan):
    tempo = indicator(small_plan, "Tempo medio di pagamento")
    Target.objects.filter(indicator=tempo, year__in=[2017, 2019]).delete()
    checklist = plan_checklist(plan=small_plan)
    assert kinds(checklist) == [(MISSING_TARGET, True), (MISSING_TARGET, False)]
    assert [(i.indicator_id, i.year) for i in checklist.items] == [(tempo.pk, 2017), (tempo.pk, 2019)]
    assert (
        checklist.items[0].message == "Indicatore Tempo medio di pagamento (obiettivo 101): nessun target per il 2017."
    )
    # Before a round, a missing target only warns: it can still be set while the year is in monitoraggio.
    assert kinds(plan_checklist(plan=small_plan, for_round=True)) == [(MISSING_TARGET, False)] * 2


def test_an_operational_indicator_needs_the_first_years_target_only(small_plan):
    report = indicator(small_plan, "Report pubblicati entro la scadenza")
    assert set(report.targets.values_list("year", flat=True)) == {2017}  # 2018 and 2019 not listed
    Target.objects.filter(indicator=report).delete()
    checklist = plan_checklist(plan=small_plan)
    assert [(i.kind, i.blocking, i.year) for i in checklist.items] == [(MISSING_TARGET, True, 2017)]


def test_sibling_weights_off_100_warn_and_rounded_thirds_do_not(small_plan):
    Indicator.objects.filter(pk=f1(small_plan).pk).update(weight=Decimal(30))  # 30 + 50 = 80
    Objective.objects.filter(pk=node(small_plan, "1").pk).update(weight=Decimal(60))  # the only area: 60
    checklist = plan_checklist(plan=small_plan)
    assert kinds(checklist) == [(WEIGHTS, False), (WEIGHTS, False)]
    messages = {item.weights_of: item.message for item in checklist.items}
    assert (
        messages["obiettivi"]
        == "I pesi degli obiettivi figli del piano sommano a 60 invece di 100: il punteggio li normalizza."
    )
    assert messages["indicatori"].startswith("I pesi degli indicatori dell'obiettivo 101 sommano a 80 invece di 100")
    assert {item.objective_id for item in checklist.items} == {None, node(small_plan, "101").pk}
    # 33,34 + 33,33 + 33,33 (MO:12-24) is 100 within the scoring core's tolerance; 66,67 + 33,34 = 100,01 too.
    Objective.objects.filter(pk=node(small_plan, "1").pk).update(weight=Decimal(100))
    Indicator.objects.filter(pk=f1(small_plan).pk).update(weight=Decimal("66.67"))
    Indicator.objects.filter(name="Tempo medio di pagamento").update(weight=Decimal("33.34"))
    assert plan_checklist(plan=small_plan).items == []
    Indicator.objects.filter(pk=f1(small_plan).pk).update(weight=Decimal("66.72"))  # 100,06: beyond 0,05
    assert "sommano a 100,06 invece di 100" in plan_checklist(plan=small_plan).items[0].message


def test_blocking_items_come_first(small_plan):
    Indicator.objects.filter(pk=f1(small_plan).pk).update(weight=Decimal(30))
    saved_before_strict_reading(Target.objects.filter(indicator=f1(small_plan), year=2017), "1,2,3")
    checklist = plan_checklist(plan=small_plan)
    assert kinds(checklist) == [(UNREADABLE, True), (WEIGHTS, False)]
    assert (len(checklist.blocking), len(checklist.warnings)) == (1, 1)


def test_the_checklist_runs_three_queries_whatever_the_size_of_the_plans(db, django_assert_max_num_queries):
    counts, sizes = [], []
    for operational, code in ((2, "SY1"), (12, "SY2")):
        content = synthetic_workbook(
            areas=2, strategic=2, operational=operational, actions=3, indicators=2, ente_code=code
        )
        report = plan_import(source=BytesIO(content))
        assert report.ok, report.errors[:3]
        plan = Plan.objects.get(pk=report.plan_id)
        saved_before_strict_reading(
            Target.objects.filter(indicator__objective__plan=plan, year=2026), ">=35O"
        )  # every 2026 target
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(3):
            checklist = plan_checklist(plan=plan)
        counts.append(len(queries))
        sizes.append(Indicator.objects.filter(objective__plan=plan).count())
        assert (
            len([i for i in checklist.items if i.kind == UNREADABLE])
            == Target.objects.filter(indicator__objective__plan=plan, year=2026, is_current=True).count()
        )
    assert sizes[1] > 5 * sizes[0]
    assert counts == [3, 3]
    plans = list(Plan.objects.all())
    with django_assert_max_num_queries(3):
        both = plan_checklists(plans=plans)
    assert len(both) == 2


# --- adoption -------------------------------------------------------------------------------------------------


def test_adoption_is_refused_with_the_list_while_a_blocking_item_is_open(planner, small_plan):
    saved_before_strict_reading(Target.objects.filter(indicator=f1(small_plan), year=2018, is_current=True), ">=35O")
    Objective.objects.filter(pk__in=[node(small_plan, "1011.01").pk, node(small_plan, "101").pk]).update(org_unit=None)
    with pytest.raises(ValidationError) as refused:
        editing.plan_adopt(plan=small_plan, user=planner, warnings_read=True, **ACT)
    messages = refused.value.messages
    assert (
        messages[0]
        == "Il piano non può essere adottato: 2 punti bloccanti della lista di controllo sono ancora aperti."
    )
    assert "«>=35O» non leggibile" in messages[1] and "nessuna unità organizzativa" in messages[2]
    assert Plan.objects.get(pk=small_plan.pk).state != PlanState.ADOPTED


def test_adoption_with_warnings_asks_to_confirm_having_read_them(planner, small_plan):
    Indicator.objects.filter(pk=f1(small_plan).pk).update(weight=Decimal(30))
    with pytest.raises(ValidationError) as refused:
        editing.plan_adopt(plan=small_plan, user=planner, **ACT)
    assert refused.value.message_dict == {
        "warnings_read": ["Confermare di aver letto l'avviso della lista di controllo prima di adottare il piano."]
    }
    assert Plan.objects.get(pk=small_plan.pk).state != PlanState.ADOPTED
    editing.plan_adopt(plan=small_plan, user=planner, warnings_read=True, **ACT)
    assert Plan.objects.get(pk=small_plan.pk).state == PlanState.ADOPTED


def test_the_adopt_page_lists_the_items_with_their_links_and_disables_the_button(client, planner, small_plan):
    saved_before_strict_reading(Target.objects.filter(indicator=f1(small_plan), year=2018, is_current=True), ">= 3x0")
    Indicator.objects.filter(pk=f1(small_plan).pk).update(weight=Decimal(30))
    login(client, planner)
    url = reverse("plans:adopt", args=[small_plan.pk])
    page = client.get(url).content.decode()
    base = f"/piani/{small_plan.pk}/"
    assert "1 punto bloccante" in page and "1 avviso" in page
    assert "finché questo punto è aperto: correggilo" in page and "conferma di averlo letto" in page
    assert f'href="{base}indicatori/{f1(small_plan).pk}/modifica/">Modifica l\'indicatore</a>' in page
    assert f'href="{base}obiettivi/{node(small_plan, "101").pk}/pesi-indicatori/">Pesi degli indicatori</a>' in page
    assert " disabled " in page.split(">Adotta il piano</button>")[0].rsplit("<button", 1)[1]
    response = client.post(url, {**ACT, "date": "30/01/2017", "warnings_read": "on"})
    assert "non può essere adottato" in response.content.decode()
    assert Plan.objects.get(pk=small_plan.pk).state != PlanState.ADOPTED


def test_the_adopt_page_asks_for_the_box_then_adopts(client, planner, small_plan):
    Indicator.objects.filter(pk=f1(small_plan).pk).update(weight=Decimal(30))
    Objective.objects.filter(pk=node(small_plan, "1").pk).update(weight=Decimal(60))
    login(client, planner)
    url = reverse("plans:adopt", args=[small_plan.pk])
    page = client.get(url).content.decode()
    assert "2 avvisi" in page and "Ho letto i 2 avvisi della lista di controllo" in page
    assert "conferma di averli letti" in page
    assert "punto bloccante" not in page
    response = client.post(url, {**ACT, "date": "30/01/2017"})
    assert response.status_code == 200
    assert "Confermare di aver letto i 2 avvisi" in response.content.decode()
    response = client.post(url, {**ACT, "date": "30/01/2017", "warnings_read": "on"})
    assert response.status_code == 302
    assert Plan.objects.get(pk=small_plan.pk).state == PlanState.ADOPTED


def test_a_clean_plan_shows_nothing_open_and_no_box(client, planner, small_plan):
    login(client, planner)
    page = client.get(reverse("plans:adopt", args=[small_plan.pk])).content.decode()
    assert "Nessun punto aperto" in page and "Ho letto" not in page


# --- rounds ---------------------------------------------------------------------------------------------------


def test_a_round_is_refused_for_an_objective_without_unit_and_for_an_unreadable_target_of_its_year(planner, small_plan):
    Objective.objects.filter(pk__in=[node(small_plan, "1011.01").pk, node(small_plan, "101").pk]).update(org_unit=None)
    with pytest.raises(ValidationError) as refused:
        round_open(plan=small_plan, year=2018, period="annual", user=planner)
    assert refused.value.messages[0] == (
        "La rilevazione non può essere aperta: 1 punto bloccante della lista di controllo è ancora aperto."
    )
    Objective.objects.filter(pk=node(small_plan, "101").pk).update(
        org_unit=node(small_plan, "1011.01").plan.ente.org_units.get(code="A1")
    )
    saved_before_strict_reading(Target.objects.filter(indicator=f1(small_plan), year=2019, is_current=True), "1,2,3")
    with pytest.raises(ValidationError, match="target 2019 «1,2,3» non leggibile"):
        round_open(plan=small_plan, year=2019, period="annual", user=planner)
    # The unreadable 2019 target does not stop a 2018 round; the missing 2018 target of «Tempo medio» only warns.
    Target.objects.filter(indicator=indicator(small_plan, "Tempo medio di pagamento"), year=2018).delete()
    assert round_open(plan=small_plan, year=2018, period="annual", user=planner).year == 2018
    assert not Round.objects.filter(year=2019).exists()


def test_the_round_form_shows_each_plans_checklist(client, planner, small_plan):
    saved_before_strict_reading(Target.objects.filter(indicator=f1(small_plan), year=2019, is_current=True), "1,2,3")
    Indicator.objects.filter(pk=f1(small_plan).pk).update(weight=Decimal(30))
    login(client, planner)
    page = client.get(reverse("consuntivi:index")).content.decode()
    form = page.split('action="' + reverse("consuntivi:round_create", args=[small_plan.pk]))[1].split("</form>")[0]
    assert "Lista di controllo prima dell'apertura" in form
    assert "1 punto bloccante" in form and "target 2019 «1,2,3» non leggibile" in form
    assert "1 avviso" in form and "sommano a 80 invece di 100" in form
    assert f'href="/piani/{small_plan.pk}/indicatori/{f1(small_plan).pk}/modifica/"' in form
