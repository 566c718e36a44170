"""Review by the planning office: accept, return with a comment, manual achievement; the OIV reads only."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from consuntivi.models import Measurement, MeasurementChange
from consuntivi.scores import plan_score
from consuntivi.services import measurement_return, measurement_set_manual, measurements_save, unit_submit
from perfplan.roles import Role
from plans.models import PlanYear, YearState
from tests.consuntivi.factories import client_for, entry, indicator, synthetic_round
from tests.factories import make_user


@pytest.fixture
def eventi(plan, rnd, who):
    """U2's one indicator, submitted: 12 events against ">= 10"."""
    ind = indicator(plan, "Eventi organizzati")
    measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(ind, "12")])
    assert unit_submit(data_round=rnd, unit_id=who["units"]["U2"].pk, user=who["head_u2"]).ok
    return ind


def status(ind) -> str:
    return Measurement.objects.get(indicator=ind).status


def test_the_planner_accepts_a_submitted_value(rnd, who, eventi):
    response = client_for(who["planner"]).post(f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{eventi.pk}/accetta/")
    assert response.status_code == 302 and status(eventi) == "verificato"
    change = MeasurementChange.objects.get(action="accept")
    assert (change.old_value, change.new_value, change.user) == ("inviato", "verificato", who["planner"])


def test_the_planner_accepts_all_the_submitted_values_of_a_unit_at_once(rnd, who, eventi):
    response = client_for(who["planner"]).post(
        f"/consuntivi/rilevazioni/{rnd.pk}/unita/{who['units']['U2'].pk}/accetta/"
    )
    assert response.status_code == 302 and status(eventi) == "verificato"


def test_returning_needs_a_comment_that_the_responsabile_then_reads(rnd, who, eventi):
    with pytest.raises(ValidationError, match="commento"):
        measurement_return(data_round=rnd, indicator_id=eventi.pk, user=who["planner"], comment="  ")
    assert status(eventi) == "inviato"
    client_for(who["planner"]).post(
        f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{eventi.pk}/restituisci/",
        {"comment": "Manca l'evento di dicembre: verificare il registro"},
    )
    assert status(eventi) == "da_rivedere"
    html = client_for(who["head_u2"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/miei/").content.decode()
    assert "Manca l&#x27;evento di dicembre: verificare il registro" in html


def test_a_returned_value_is_fixed_saved_as_draft_and_submitted_again(rnd, who, eventi):
    measurement_return(data_round=rnd, indicator_id=eventi.pk, user=who["planner"], comment="Controllare il totale")
    version = Measurement.objects.get(indicator=eventi).version
    assert measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(eventi, "13", version=version)]).ok
    assert status(eventi) == "bozza"
    assert unit_submit(data_round=rnd, unit_id=who["units"]["U2"].pk, user=who["head_u2"]).ok
    m = Measurement.objects.get(indicator=eventi)
    assert (m.status, m.value_number, m.review_comment) == ("inviato", 13, "")


def test_a_unit_with_a_returned_value_cannot_submit_until_it_is_fixed(rnd, who, eventi):
    measurement_return(data_round=rnd, indicator_id=eventi.pk, user=who["planner"], comment="Controllare")
    result = unit_submit(data_round=rnd, unit_id=who["units"]["U2"].pk, user=who["head_u2"])
    assert not result.ok and "restituito dall'ufficio pianificazione" in result.problems[0]
    assert status(eventi) == "da_rivedere"


def test_a_manual_achievement_needs_a_reason_and_is_scored_as_overridden(plan, rnd, who, eventi):
    m = Measurement.objects.get(indicator=eventi)
    with pytest.raises(ValidationError, match="motivazione"):
        measurement_set_manual(
            data_round=rnd,
            indicator_id=eventi.pk,
            user=who["planner"],
            achievement=Decimal(80),
            reason="",
            version=m.version,
        )
    url = f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{eventi.pk}/manuale/"
    client_for(who["planner"]).post(url, {"achievement": "80", "reason": "Due eventi annullati", "version": m.version})
    m.refresh_from_db()
    assert (m.manual_achievement, m.manual_reason) == (Decimal("80.00"), "Due eventi annullati")
    score = plan_score(plan=plan, year=2017).result.indicators[eventi.pk]
    assert (score.status, score.achievement, score.computed) == ("overridden", Decimal("80.00"), Decimal("100.00"))
    history = MeasurementChange.objects.filter(action="manual").values_list("field", "new_value")
    assert set(history) == {("Raggiungimento manuale", "80"), ("Motivazione", "Due eventi annullati")}


def test_a_manual_achievement_saved_on_a_stale_version_is_refused(rnd, who, eventi):
    m = Measurement.objects.get(indicator=eventi)
    url = f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{eventi.pk}/manuale/"
    response = client_for(who["planner"]).post(
        url, {"achievement": "80", "reason": "Motivo", "version": m.version - 1}, follow=True
    )
    assert "modificato da un altro utente" in response.content.decode()
    assert Measurement.objects.get(indicator=eventi).manual_achievement is None


@pytest.mark.parametrize("role", ["head_u2", "oiv"])
def test_only_the_planning_office_reviews(rnd, who, eventi, role):
    client = client_for(who[role])
    base = f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{eventi.pk}"
    assert client.post(f"{base}/accetta/").status_code == 403
    assert client.post(f"{base}/restituisci/", {"comment": "no"}).status_code == 403
    assert client.post(f"{base}/manuale/", {"achievement": "1", "reason": "x", "version": 2}).status_code == 403
    m = Measurement.objects.get(indicator=eventi)
    assert (m.status, m.manual_achievement) == ("inviato", None)


def test_the_oiv_reads_a_units_values_without_review_buttons(rnd, who, eventi):
    response = client_for(who["oiv"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/unita/{who['units']['U2'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and "Eventi organizzati" in html
    assert "Accetta" not in html and "Storico delle modifiche" in html


def test_a_responsabile_cannot_open_the_review_page(rnd, who, eventi):
    url = f"/consuntivi/rilevazioni/{rnd.pk}/unita/{who['units']['U2'].pk}/"
    assert client_for(who["head_u2"]).get(url).status_code == 403


def test_nothing_is_reviewed_in_a_validated_year(plan, rnd, who, eventi):
    PlanYear.objects.filter(plan=plan, year=2017).update(state=YearState.VALIDATED)
    response = client_for(who["planner"]).post(f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{eventi.pk}/accetta/")
    assert response.status_code == 403 and status(eventi) == "inviato"
    response = client_for(who["planner"]).post(
        f"/consuntivi/rilevazioni/{rnd.pk}/indicatori/{eventi.pk}/restituisci/", {"comment": "Rivedere"}
    )
    assert response.status_code == 403 and status(eventi) == "inviato"


def test_unit_status_follows_from_its_values(plan, rnd, who, eventi):
    page = client_for(who["planner"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/")
    statuses = {b.unit.code: b.status for b in page.context["data"].blocks}
    assert statuses == {"A1": "non_iniziato", "U1": "non_iniziato", "U2": "inviato"}
    measurement_return(data_round=rnd, indicator_id=eventi.pk, user=who["planner"], comment="Controllare")
    page = client_for(who["planner"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/")
    assert {b.unit.code: b.status for b in page.context["data"].blocks}["U2"] == "da_rivedere"
    assert "Restituito" in page.content.decode()


def test_the_review_page_shows_missing_values_as_missing(rnd, who):
    response = client_for(who["planner"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/unita/{who['units']['U1'].pk}/")
    assert response.status_code == 200 and response.content.decode().count("Mancante") == 3


def test_the_overview_and_review_pages_run_a_bounded_number_of_queries_on_a_large_plan(
    db, django_assert_max_num_queries
):
    rnd, _ = synthetic_round(12, "SYR")  # ≈ 220 indicators to measure in ten units
    client = client_for(make_user("pian_syr", Role.PLANNER, rnd.plan.ente))
    client.get("/consuntivi/")
    with django_assert_max_num_queries(22):  # 21 + the reminders job still being sent (jobs.services)
        response = client.get(f"/consuntivi/rilevazioni/{rnd.pk}/")
    biggest = max(response.context["data"].blocks, key=lambda b: len(b.rows))
    with django_assert_max_num_queries(15):
        assert client.get(f"/consuntivi/rilevazioni/{rnd.pk}/unita/{biggest.unit.pk}/").status_code == 200
    with django_assert_max_num_queries(11):  # 8, and the round form's checklist: three queries for every plan
        client.get("/consuntivi/")
