"""plans.public_value: the impatti of Valore pubblico, their indicators, the 2.3 references, the PIAO flag —
written by who may edit the plan, in their ente, while the plan's structure is open; revisions after adoption."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from plans.editing import plan_copy_to_next_cycle
from plans.models import PlanKind, PlanRevision, PlanState, PublicValue, PublicValueTarget, YearState
from plans.public_value import (
    ImpactIndicatorData,
    impact_indicator_create,
    impact_indicator_update,
    plan_kind_set,
    public_value_create,
    public_value_delete,
    public_value_update,
    risk_measure_create,
)
from tests.factories import PASSWORD, document_download

pytestmark = pytest.mark.django_db


def strategic(plan, code="101"):
    return plan.objectives.get(code=code)


def impatto(plan, user, **kwargs):
    values = {"code": "VP1", "title": "Imprese più digitali", "dimensions": ["digitalizzazione"]}
    values["objectives"] = [strategic(plan)]
    return public_value_create(plan=plan, user=user, **{**values, **kwargs})


def validate_year(plan, year=2017):
    plan.plan_years.filter(year=year).update(state=YearState.VALIDATED)


def test_the_planner_adds_an_impatto_linked_to_a_strategic_objective(small_plan, planner):
    item = impatto(small_plan, planner, dimensions=["pari_opportunita", "semplificazione"])
    assert item.dimensions == ["semplificazione", "pari_opportunita"]  # DM 132/2022's order
    assert [o.code for o in item.objectives.all()] == ["101"]
    assert not PlanRevision.objects.exists()  # a draft plan: no revisions


def test_one_objective_may_serve_several_impatti(small_plan, planner):
    impatto(small_plan, planner)
    impatto(small_plan, planner, code="VP2", title="Parità di genere")
    assert sorted(strategic(small_plan).public_values.values_list("code", flat=True)) == ["VP1", "VP2"]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"code": ""}, "code", "Indicare il codice dell'impatto."),
        ({"title": " "}, "title", "Indicare il titolo dell'impatto."),
        ({"dimensions": ["sostenibilita"]}, "dimensions", "Dimensione sconosciuta: «sostenibilita»."),
    ],
)
def test_a_bad_impatto_is_refused_on_its_field(small_plan, planner, kwargs, field, message):
    with pytest.raises(ValidationError) as error:
        impatto(small_plan, planner, **kwargs)
    assert error.value.message_dict == {field: [message]}
    assert not PublicValue.objects.exists()


def test_a_duplicate_code_and_a_non_strategic_objective_are_refused(small_plan, planner):
    impatto(small_plan, planner)
    with pytest.raises(ValidationError, match="già usato da un altro impatto"):
        impatto(small_plan, planner)
    operational = small_plan.objectives.get(code="1011.01")
    with pytest.raises(ValidationError, match="«1011.01» non è un obiettivo strategico"):
        impatto(small_plan, planner, code="VP2", objectives=[operational])


def test_an_objective_of_another_plan_is_refused(small_plan, rf_plan, planner):
    with pytest.raises(ValidationError, match="non appartiene a questo piano"):
        impatto(small_plan, planner, objectives=[rf_plan.objectives.get(code="1.1")])


def test_who_may_not_edit_plans_or_works_in_another_ente_is_refused(small_plan, office_head, oiv, outsider):
    for user in (office_head, oiv, outsider):
        with pytest.raises(PermissionDenied):
            impatto(small_plan, user)
    assert not PublicValue.objects.exists()


def test_a_validated_year_freezes_the_impatti(small_plan, planner):
    item = impatto(small_plan, planner)
    validate_year(small_plan)
    with pytest.raises(ValidationError, match="validato dall'OIV"):
        impatto(small_plan, planner, code="VP2")
    with pytest.raises(ValidationError, match="validato dall'OIV"):
        public_value_update(public_value=item, user=planner, title="Altro")
    with pytest.raises(ValidationError, match="validato dall'OIV"):
        public_value_delete(public_value=item, user=planner)
    with pytest.raises(ValidationError, match="validato dall'OIV"):
        plan_kind_set(plan=small_plan, kind=PlanKind.PIAO, user=planner)
    with pytest.raises(ValidationError, match="validato dall'OIV"):
        risk_measure_create(plan=small_plan, user=planner, code="M1", title="Rotazione")


def test_after_adoption_a_change_needs_a_reason_and_is_a_revision(small_plan, planner):
    item = impatto(small_plan, planner)
    small_plan.state = PlanState.ADOPTED
    small_plan.save()
    with pytest.raises(ValidationError, match="indicare la motivazione"):
        public_value_update(public_value=item, user=planner, title="Imprese digitali")
    public_value_update(public_value=item, user=planner, title="Imprese digitali", reason="Nuova strategia")
    revision = PlanRevision.objects.get()
    assert (revision.subject_type, revision.subject_code, revision.field) == ("valore pubblico", "VP1", "title")
    assert (revision.old_value, revision.new_value, revision.reason) == (
        "Imprese più digitali",
        "Imprese digitali",
        "Nuova strategia",
    )


def test_impact_indicator_targets_are_checked_and_closed_years_refuse_them(small_plan, planner):
    item = impatto(small_plan, planner)
    data = ImpactIndicatorData(name="Pratiche online", unit="percent", baseline="80 %", targets={2017: ">= 85 %"})
    indicator = impact_indicator_create(public_value=item, data=data, user=planner)
    assert list(indicator.targets.values_list("year", "raw")) == [(2017, ">= 85 %")]
    with pytest.raises(ValidationError) as error:
        impact_indicator_update(
            indicator=indicator, data=ImpactIndicatorData(name="Pratiche online", targets={2018: "3 3 3"}), user=planner
        )
    assert "target_2018" in error.value.message_dict
    with pytest.raises(ValidationError, match="non rientra nel piano"):
        impact_indicator_update(
            indicator=indicator, data=ImpactIndicatorData(name="Pratiche online", targets={2030: "5"}), user=planner
        )
    small_plan.plan_years.filter(year=2017).update(state=YearState.CLOSED)
    with pytest.raises(ValidationError, match="Il consuntivo 2017 è chiuso"):
        impact_indicator_update(
            indicator=indicator,
            data=ImpactIndicatorData(name="Pratiche online", targets={2017: ">= 90 %"}),
            user=planner,
        )
    impact_indicator_update(
        indicator=indicator,
        data=ImpactIndicatorData(name="Pratiche online", targets={2017: ">= 85 %", 2018: ">= 88 %"}),
        user=planner,
    )
    assert dict(PublicValueTarget.objects.values_list("year", "raw")) == {2017: ">= 85 %", 2018: ">= 88 %"}


def test_the_page_lists_the_impatti_and_the_editor_adds_one(client, small_plan, planner):
    client.login(username=planner.username, password=PASSWORD)
    url = reverse("plans:public_value_create", args=[small_plan.pk])
    objective = strategic(small_plan)
    response = client.post(
        url,
        {
            "code": "VP1",
            "title": "Imprese più digitali",
            "dimensions": ["digitalizzazione"],
            "objectives": [objective.pk],
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("plans:public_values", args=[small_plan.pk])).content.decode()
    assert "VP1 – Imprese più digitali" in page and "Digitalizzazione" in page and "101 – " in page
    refused = client.post(url, {"code": "VP1", "title": "Doppione"})
    assert "già usato da un altro impatto" in refused.content.decode()


def test_the_plan_page_downloads_section_2_as_docx(client, small_plan, planner):
    client.login(username=planner.username, password=PASSWORD)
    response = document_download(client, reverse("plans:piao_document", args=[small_plan.pk, 2017, "docx"]))
    assert response.status_code == 200 and response.content.startswith(b"PK")
    assert response["Content-Disposition"] == 'attachment; filename="Piano-performance-PR-2017.docx"'
    assert client.post(reverse("plans:piao_document", args=[small_plan.pk, 2016, "docx"])).status_code == 404
    assert client.post(reverse("plans:piao_document", args=[small_plan.pk, 2017, "odt"])).status_code == 404


def test_the_form_shows_the_lock_of_a_validated_year_and_another_ente_gets_404(client, small_plan, planner, outsider):
    validate_year(small_plan)
    client.login(username=planner.username, password=PASSWORD)
    response = client.post(reverse("plans:public_value_create", args=[small_plan.pk]), {"code": "VP1", "title": "T"})
    assert response.status_code == 200
    assert "validato dall&#x27;OIV" in response.content.decode()
    assert not PublicValue.objects.exists()
    client.login(username=outsider.username, password=PASSWORD)
    assert client.get(reverse("plans:public_values", args=[small_plan.pk])).status_code == 404
    refused = client.post(reverse("plans:risk_measure_create", args=[small_plan.pk]), {"code": "M1", "title": "T"})
    assert refused.status_code == 404


def test_copying_the_plan_to_the_next_cycle_keeps_kind_impatti_links_and_targets_of_common_years(small_plan, planner):
    plan_kind_set(plan=small_plan, kind=PlanKind.PIAO, user=planner)
    item = impatto(small_plan, planner)
    data = ImpactIndicatorData(name="Pratiche online", targets={2017: ">= 80 %", 2019: ">= 90 %"})
    impact_indicator_create(public_value=item, data=data, user=planner)
    risk_measure_create(plan=small_plan, user=planner, code="M1", title="Rotazione")
    new = plan_copy_to_next_cycle(plan=small_plan, user=planner)
    assert new.kind == PlanKind.PIAO and (new.start_year, new.end_year) == (2018, 2020)
    copy = new.public_values.get()
    assert [(o.plan_id, o.code) for o in copy.objectives.all()] == [(new.pk, "101")]
    assert dict(copy.indicators.get().targets.values_list("year", "raw")) == {2019: ">= 90 %"}  # 2017 is gone
    assert list(new.risk_measures.values_list("code", flat=True)) == ["M1"]
    assert small_plan.public_values.count() == 1  # the old plan keeps its own
