"""Rounds (campagne di rilevazione): opening, closing, reopening, the overview, late units and reminders."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from consuntivi.models import Round
from consuntivi.services import measurements_save, round_close, round_open, round_remind, round_reopen, unit_submit
from plans.models import PlanYear, PlanYearEvent, YearState
from tests.consuntivi.factories import client_for, entry, indicator, open_round
from tests.factories import make_user


def year_state(plan, year=2017) -> str:
    return PlanYear.objects.get(plan=plan, year=year).state


def test_the_planner_opens_the_annual_round_and_the_year_moves_to_monitoraggio(plan, who):
    response = client_for(who["planner"]).post(
        f"/consuntivi/piano/{plan.pk}/nuova/",
        {f"p{plan.pk}-year": 2017, f"p{plan.pk}-period": "annual", f"p{plan.pk}-deadline": "2018-02-28"},
    )
    created = Round.objects.get(plan=plan, year=2017)
    assert response.status_code == 302 and response.url == f"/consuntivi/rilevazioni/{created.pk}/"
    assert (created.state, created.final, created.label) == ("open", True, "Consuntivo 2017")
    assert created.reference_date == dt.date(2017, 12, 31) and created.deadline == dt.date(2018, 2, 28)
    assert year_state(plan) == YearState.MONITORING
    event = PlanYearEvent.objects.get(plan_year__plan=plan, plan_year__year=2017)
    assert (event.from_state, event.to_state, event.user) == (YearState.PLANNED, YearState.MONITORING, who["planner"])


def test_a_semester_round_is_a_provisional_check_not_the_final_one(plan, who):
    semester = open_round(plan, who["planner"], period="semester")
    assert semester.final is False and semester.reference_date == dt.date(2017, 6, 30)
    round_close(data_round=semester, user=who["planner"])
    assert year_state(plan) == YearState.MONITORING  # only closing the final round closes the year


def test_a_second_annual_round_for_the_same_year_is_refused_with_a_message(plan, who):
    open_round(plan, who["planner"])
    response = client_for(who["planner"]).post(
        f"/consuntivi/piano/{plan.pk}/nuova/", {f"p{plan.pk}-year": 2017, f"p{plan.pk}-period": "annual"}, follow=True
    )
    assert Round.objects.filter(plan=plan).count() == 1
    assert "Esiste già una rilevazione annuale per il 2017" in response.content.decode()


@pytest.mark.parametrize("role", ["head_u1", "oiv"])
def test_only_the_planning_office_opens_rounds(plan, who, role):
    response = client_for(who[role]).post(
        f"/consuntivi/piano/{plan.pk}/nuova/", {f"p{plan.pk}-year": 2017, f"p{plan.pk}-period": "annual"}
    )
    assert response.status_code == 403
    assert not Round.objects.exists() and year_state(plan) == YearState.PLANNED


def test_a_planner_of_another_ente_cannot_open_a_round_on_this_plan(plan, outsider):
    response = client_for(outsider).post(
        f"/consuntivi/piano/{plan.pk}/nuova/", {f"p{plan.pk}-year": 2017, f"p{plan.pk}-period": "annual"}
    )
    assert response.status_code == 404 and not Round.objects.exists()


def test_closing_the_final_round_closes_the_year_and_refuses_new_values(plan, who):
    rnd = open_round(plan, who["planner"])
    semester = open_round(plan, who["planner"], period="semester")
    measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(indicator(plan, "Eventi organizzati"), "12")])
    planner = client_for(who["planner"])
    response = planner.post(f"/consuntivi/rilevazioni/{rnd.pk}/chiudi/")
    confirm_url = f"/consuntivi/piano/{plan.pk}/anno/2017/chiudi/"
    assert response.status_code == 302 and response["Location"] == confirm_url  # the final round closes the year
    page = planner.get(confirm_url).content.decode()
    # A1 (2 rows), U1 (3) not started, U2 in draft (1 saved, not submitted): 3 units, 5 values missing.
    assert "3 unità non hanno inviato, 5 valori mancanti" in page and "Monitoraggio semestrale 2017" in page
    refused = planner.post(confirm_url, {})
    assert refused.status_code == 400 and year_state(plan) == YearState.MONITORING
    response = planner.post(confirm_url, {"conferma": "1"})
    assert response.status_code == 302 and response["Location"] == f"/consuntivi/rilevazioni/{rnd.pk}/"
    rnd.refresh_from_db()
    semester.refresh_from_db()
    assert semester.state == "closed"  # closing the year closes every round of the year
    assert rnd.state == "closed" and year_state(plan) == YearState.CLOSED
    with pytest.raises(PermissionDenied, match="è chiuso"):
        measurements_save(
            data_round=rnd, user=who["head_u2"], entries=[entry(indicator(plan, "Eventi organizzati"), "12")]
        )


def test_the_oiv_cannot_close_a_round(plan, who):
    rnd = open_round(plan, who["planner"])
    response = client_for(who["oiv"]).post(f"/consuntivi/rilevazioni/{rnd.pk}/chiudi/")
    rnd.refresh_from_db()
    assert response.status_code == 403 and rnd.state == "open" and year_state(plan) == YearState.MONITORING


def test_reopening_needs_a_reason_and_moves_the_year_back_to_monitoraggio(plan, who):
    rnd = open_round(plan, who["planner"])
    round_close(data_round=rnd, user=who["planner"], confirmed=True)
    with pytest.raises(ValidationError, match="motivazione"):
        round_reopen(data_round=rnd, user=who["planner"], reason=" ")
    assert year_state(plan) == YearState.CLOSED
    round_reopen(data_round=rnd, user=who["planner"], reason="Correzione del valore dell'ufficio eventi")
    rnd.refresh_from_db()
    assert rnd.state == "open" and year_state(plan) == YearState.MONITORING
    back = PlanYearEvent.objects.filter(plan_year__plan=plan).latest("id")
    assert back.reason == "Correzione del valore dell'ufficio eventi"


def test_a_validated_year_cannot_open_close_or_reopen_rounds(plan, who):
    rnd = open_round(plan, who["planner"])
    round_close(data_round=rnd, user=who["planner"], confirmed=True)
    PlanYear.objects.filter(plan=plan, year=2017).update(state=YearState.VALIDATED)
    with pytest.raises(PermissionDenied):
        round_reopen(data_round=rnd, user=who["planner"], reason="Errore")
    with pytest.raises(ValidationError):
        round_open(plan=plan, year=2017, period="semester", user=who["planner"])
    response = client_for(who["planner"]).post(f"/consuntivi/rilevazioni/{rnd.pk}/riapri/", {"reason": "Errore"})
    rnd.refresh_from_db()
    assert response.status_code == 403 and rnd.state == "closed"
    assert year_state(plan) == YearState.VALIDATED


def test_the_overview_shows_progress_per_unit_and_the_late_units(plan, who):
    rnd = open_round(plan, who["planner"], deadline=dt.date(2018, 1, 31))
    measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(indicator(plan, "Eventi organizzati"), "12")])
    response = client_for(who["planner"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/")
    assert response.status_code == 200
    blocks = {b.unit.code: b for b in response.context["data"].blocks}
    # A1: F1 and Tempo medio; U1: deadline, liquidity, pratiche (inherited from 1011.01); U2: eventi.
    assert {code: len(b.rows) for code, b in blocks.items()} == {"A1": 2, "U1": 3, "U2": 1}
    assert {code: b.status for code, b in blocks.items()} == {"A1": "non_iniziato", "U1": "non_iniziato", "U2": "bozza"}
    assert [b.unit.code for b in response.context["late"]] == ["A1", "U1", "U2"]  # the deadline has passed
    html = response.content.decode()
    assert "0 su 6" in html and "In compilazione" in html


def test_the_oiv_reads_the_overview_and_a_responsabile_is_sent_to_their_own_indicators(plan, who):
    rnd = open_round(plan, who["planner"])
    assert client_for(who["oiv"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/").status_code == 200
    response = client_for(who["head_u1"]).get(f"/consuntivi/rilevazioni/{rnd.pk}/")
    assert response.status_code == 302 and response.url == f"/consuntivi/rilevazioni/{rnd.pk}/miei/"


def test_reminders_go_to_the_leaders_of_units_that_have_not_submitted(plan, who):
    rnd = open_round(plan, who["planner"], deadline=dt.date(2018, 2, 28))
    who["head_u1"].email = "studi@example.org"
    who["head_u1"].save()
    who["head_u2"].email = "eventi@example.org"
    who["head_u2"].save()
    measurements_save(data_round=rnd, user=who["head_u2"], entries=[entry(indicator(plan, "Eventi organizzati"), "12")])
    assert unit_submit(data_round=rnd, unit_id=who["units"]["U2"].pk, user=who["head_u2"]).ok
    result = round_remind(data_round=rnd, user=who["planner"], link="http://example.org/consuntivi/")
    assert result.sent == ["U1"] and result.without_recipient == ["A1"]  # nobody leads A1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["studi@example.org"]
    assert "3 consuntivi da inviare entro il 28/02/2018" in message.body
    assert "http://example.org/consuntivi/" in message.body


def test_a_responsabile_cannot_send_reminders(plan, who):
    rnd = open_round(plan, who["planner"])
    response = client_for(who["head_u1"]).post(f"/consuntivi/rilevazioni/{rnd.pk}/solleciti/")
    assert response.status_code == 403 and len(mail.outbox) == 0


def test_the_rounds_page_lists_rounds_and_offers_the_planner_a_new_one(plan, who):
    open_round(plan, who["planner"])
    html = client_for(who["planner"]).get("/consuntivi/").content.decode()
    assert "Consuntivo 2017" in html and "Apri una nuova rilevazione" in html
    html = client_for(who["head_u1"]).get("/consuntivi/").content.decode()
    assert "I miei indicatori" in html and "Apri una nuova rilevazione" not in html


def test_a_user_without_a_role_is_refused(plan, who):
    nobody = make_user("nessunruolo", None, plan.ente)
    rnd = open_round(plan, who["planner"])
    client = client_for(nobody)
    assert client.get("/consuntivi/").status_code == 403
    assert client.get(f"/consuntivi/rilevazioni/{rnd.pk}/").status_code == 403
