"""Planning forms over HTTP: who may post them, Italian errors on the right field, nothing changed on refusal."""

import datetime as dt

import pytest
from django.urls import reverse

from indicators.models import Indicator, Target
from plans import editing
from plans.models import Objective, Plan, PlanRevision, PlanState, PlanYear, YearState
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def f1(plan):
    return Indicator.objects.get(objective__plan=plan, code="F1")


def node(plan, code):
    return Objective.objects.get(plan=plan, code=code)


def test_readers_are_refused_every_form_and_nothing_changes(client, oiv, office_head, small_plan):
    os_101 = node(small_plan, "101")
    urls = [
        reverse("plans:create"),
        reverse("plans:import"),
        reverse("plans:adopt", args=[small_plan.pk]),
        reverse("plans:rules", args=[small_plan.pk]),
        reverse("plans:copy", args=[small_plan.pk]),
        reverse("plans:objective_edit", args=[small_plan.pk, os_101.pk]),
        reverse("plans:objective_delete", args=[small_plan.pk, os_101.pk]),
        reverse("plans:target_edit", args=[small_plan.pk, f1(small_plan).pk, 2018]),
        reverse("plans:weights_roots", args=[small_plan.pk]),
    ]
    for user in (oiv, office_head):
        login(client, user)
        for url in urls:
            assert client.get(url).status_code == 403, url
            assert client.post(url, {"title": "X", "raw": ">= 1", "organ": "G", "number": "1"}).status_code == 403
    assert node(small_plan, "101").title == "Informazione economica"
    assert Target.objects.get(indicator=f1(small_plan), year=2018, is_current=True).raw == ">= 350"
    assert Plan.objects.get(pk=small_plan.pk).state == PlanState.DRAFT


def test_a_planner_of_another_ente_gets_not_found(client, outsider, small_plan):
    login(client, outsider)
    url = reverse("plans:objective_edit", args=[small_plan.pk, node(small_plan, "101").pk])
    assert client.post(url, {"code": "101", "level": "strategic", "title": "Rubato"}).status_code == 404
    assert node(small_plan, "101").title == "Informazione economica"


def test_the_planner_creates_a_plan_and_an_area(client, planner, small_plan):
    login(client, planner)
    response = client.post(reverse("plans:create"), {"title": "Piano 2025-2027", "start_year": 2025, "end_year": 2027})
    plan = Plan.objects.get(title="Piano 2025-2027")
    assert response.status_code == 302 and response.url == plan.get_absolute_url()
    response = client.post(
        reverse("plans:objective_create", args=[plan.pk]),
        {"code": "1", "level": "area", "title": "Competitività", "weight": "33,34", "kind": "organizational"},
    )
    area = Objective.objects.get(plan=plan, code="1")
    assert response.status_code == 302 and str(area.weight) == "33.34"


def test_form_errors_are_italian_and_on_the_field(client, planner, small_plan):
    login(client, planner)
    response = client.post(
        reverse("plans:objective_create_child", args=[small_plan.pk, node(small_plan, "101").pk]),
        {"code": "101", "level": "operational", "title": "Doppione", "weight": "tanto", "kind": "organizational"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["weight"] == ["Inserisci un numero."]
    response = client.post(
        reverse("plans:objective_create_child", args=[small_plan.pk, node(small_plan, "101").pk]),
        {"code": "101", "level": "operational", "title": "Doppione", "kind": "organizational"},
    )
    assert "già usato" in response.context["form"].errors["code"][0]
    assert 'aria-invalid="true"' in response.content.decode()


def test_the_in_place_target_editor_saves_and_returns_the_parsed_cell(client, planner, small_plan):
    login(client, planner)
    url = reverse("plans:target_edit", args=[small_plan.pk, f1(small_plan).pk, 2018])
    form = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in form and 'hx-post="' in form
    cell = client.post(url, {"raw": ">=400"}, HTTP_HX_REQUEST="true").content.decode()
    assert "≥ 400" in cell and "<form" not in cell
    assert Target.objects.get(indicator=f1(small_plan), year=2018, is_current=True).raw == ">=400"


def test_an_unreadable_target_comes_back_with_the_error_and_nothing_saved(client, planner, small_plan):
    login(client, planner)
    url = reverse("plans:target_edit", args=[small_plan.pk, f1(small_plan).pk, 2018])
    fragment = client.post(url, {"raw": "3140 3140 3140"}, HTTP_HX_REQUEST="true").content.decode()
    assert "più target" in fragment and "Target 2018" in fragment
    assert Target.objects.get(indicator=f1(small_plan), year=2018, is_current=True).raw == ">= 350"


@pytest.mark.parametrize("raw", [">= 3x0", ">=35O", "1,2,3", ">= 1e32"])
def test_a_mistyped_number_is_refused_with_non_e_un_numero_and_nothing_saved(client, planner, small_plan, raw):
    login(client, planner)
    url = reverse("plans:target_edit", args=[small_plan.pk, f1(small_plan).pk, 2018])
    fragment = client.post(url, {"raw": raw}, HTTP_HX_REQUEST="true").content.decode()
    assert "non è un numero" in fragment
    assert Target.objects.get(indicator=f1(small_plan), year=2018, is_current=True).raw == ">= 350"


def test_the_live_preview_shows_a_red_cross_and_why_for_a_mistyped_number(client, planner, small_plan):
    login(client, planner)
    url = reverse("plans:target_preview")
    fragment = client.get(url, {"raw": ">= 3x0", "anno": 2018}).content.decode()
    assert "text-danger" in fragment and "✖" in fragment
    assert "«3x0»" not in fragment and "&quot;3x0&quot; non è un numero" in fragment
    assert "Letto come" not in fragment
    fine = client.get(url, {"raw": ">= 3 incontri", "anno": 2018}).content.decode()
    assert "✔" in fine and "non è un numero" not in fine


def test_the_indicator_form_refuses_a_mistyped_target_and_creates_nothing(client, planner, small_plan):
    login(client, planner)
    action = node(small_plan, "1011.0101")
    response = client.post(
        reverse("plans:indicator_create", args=[small_plan.pk, action.pk]),
        {
            "code": "N1",
            "name": "Newsletter inviate",
            "unit": "count",
            "polarity": "higher_better",
            "weight": "50",
            "target_2017": ">=35O",
        },
    )
    assert response.status_code == 200
    assert "non è un numero" in response.content.decode()
    assert not Indicator.objects.filter(objective=action, code="N1").exists()


def test_after_adoption_the_target_form_asks_for_a_reason(client, planner, small_plan):
    editing.plan_adopt(plan=small_plan, organ="Giunta", number="1", date=dt.date(2017, 1, 30), user=planner)
    login(client, planner)
    url = reverse("plans:target_edit", args=[small_plan.pk, f1(small_plan).pk, 2018])
    response = client.post(url, {"raw": ">= 400"})
    assert "motivazione" in response.content.decode().lower()
    assert not PlanRevision.objects.exists()
    response = client.post(url, {"raw": ">= 400", "reason": "Obiettivo più sfidante"})
    assert response.status_code == 302
    assert PlanRevision.objects.get().new_value == ">= 400"


def test_a_validated_year_refuses_the_target_form_with_a_message(client, planner, small_plan):
    PlanYear.objects.filter(plan=small_plan, year=2017).update(state=YearState.VALIDATED)
    login(client, planner)
    url = reverse("plans:target_edit", args=[small_plan.pk, f1(small_plan).pk, 2017])
    response = client.post(url, {"raw": ">= 1"})
    assert response.status_code == 200 and "validato" in response.content.decode()
    assert Target.objects.get(indicator=f1(small_plan), year=2017, is_current=True).raw == ">= 350"


def test_the_live_preview_shows_the_parsed_target_or_the_error(client, planner, small_plan):
    login(client, planner)
    url = reverse("plans:target_preview")
    assert "entro il 30/09/2017" in client.get(url, {"raw": "entro 30/09/2017", "anno": 2017}).content.decode()
    assert "più target" in client.get(url, {"target_2017": "1 2 3", "anno": 2017}).content.decode()
    assert "testuale" in client.get(url, {"raw": "Redazione della relazione", "anno": 2017}).content.decode()


def test_the_indicator_form_saves_fields_and_targets_together(client, planner, small_plan):
    login(client, planner)
    action = node(small_plan, "1011.0101")
    response = client.post(
        reverse("plans:indicator_create", args=[small_plan.pk, action.pk]),
        {
            "code": "N1",
            "name": "Newsletter inviate",
            "unit": "count",
            "polarity": "higher_better",
            "weight": "50",
            "baseline_year": "2016",
            "baseline_raw": "5",
            "target_2017": ">= 6",
            "target_2018": ">= 8",
            "target_2019": "",
        },
    )
    assert response.status_code == 302
    ind = Indicator.objects.get(objective=action, code="N1")
    assert dict(ind.targets.values_list("year", "raw")) == {2017: ">= 6", 2018: ">= 8"}


def test_deleting_asks_for_confirmation_and_lists_what_goes(client, planner, small_plan):
    login(client, planner)
    url = reverse("plans:objective_delete", args=[small_plan.pk, node(small_plan, "101").pk])
    page = client.get(url).content.decode()
    assert "2 obiettivi discendenti" in page and "3 indicatori" in page and "2 consuntivi" in page
    assert Objective.objects.filter(plan=small_plan).count() == 4
    assert client.post(url).status_code == 302
    assert Objective.objects.filter(plan=small_plan).count() == 1


def test_the_weights_form_saves_siblings_in_one_go(client, planner, small_plan):
    login(client, planner)
    os_101 = node(small_plan, "101")
    items = list(Indicator.objects.filter(objective=os_101).order_by("position"))
    url = reverse("plans:weights_indicators", args=[small_plan.pk, os_101.pk])
    page = client.get(url).content.decode()
    assert 'data-shares="50,00;50,00"' in page
    response = client.post(url, {f"w_{items[0].pk}": "60", f"w_{items[1].pk}": "-1"})
    assert response.status_code == 200
    assert [str(i.weight) for i in Indicator.objects.filter(objective=os_101).order_by("position")] == ["50.00"] * 2


def test_moving_up_and_down_among_siblings(client, planner, small_plan):
    login(client, planner)
    second = editing.objective_create(plan=small_plan, parent=None, user=planner, code="2", level="area", title="B")
    client.post(reverse("plans:objective_move", args=[small_plan.pk, second.pk]), {"direzione": "su"})
    assert list(
        Objective.objects.filter(plan=small_plan, parent=None).order_by("position").values_list("code", flat=True)
    ) == ["2", "1"]


def test_adopt_and_copy_through_the_pages(client, planner, small_plan):
    login(client, planner)
    response = client.post(
        reverse("plans:adopt", args=[small_plan.pk]), {"organ": "Giunta camerale", "number": "12", "date": "31/02/2017"}
    )
    assert "gg/mm/aaaa" in response.content.decode()
    client.post(
        reverse("plans:adopt", args=[small_plan.pk]), {"organ": "Giunta camerale", "number": "12", "date": "30/01/2017"}
    )
    assert Plan.objects.get(pk=small_plan.pk).act_text == "Giunta camerale n. 12 del 30/01/2017"
    response = client.post(reverse("plans:copy", args=[small_plan.pk]))
    new = Plan.objects.get(title="Piano della performance 2018-2020")
    assert response.url == new.get_absolute_url() and new.state == PlanState.DRAFT


def test_the_rules_form_validates_the_thresholds(client, planner, small_plan):
    login(client, planner)
    url = reverse("plans:rules", args=[small_plan.pk])
    data = {"cap": "on", "missing_policy": "exclude", "achieved_threshold": "90", "partial_threshold": "95"}
    response = client.post(url, data)
    assert "non può superare" in response.content.decode()
    data["partial_threshold"] = "40"
    assert client.post(url, data).status_code == 302
    plan = Plan.objects.get(pk=small_plan.pk)
    assert (str(plan.achieved_threshold), str(plan.partial_threshold)) == ("90.00", "40.00")
