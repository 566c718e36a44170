"""The monitoring pages: «Situazione al» on the plan page and the unit scores, the objectives at risk, the flag
form, the report downloads; each page runs a constant number of queries on a large generated plan.

Numbers: the plan and semester values of tests/consuntivi/test_monitoring.py (the ente at 65,72 % at 30/06/2017,
OS 101 at risk through F1: 150 against the path 350 × 181/365 = 173,56).
"""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document

from benchmarks.synthetic import synthetic_workbook
from consuntivi.models import Measurement, RiskFlag, Round
from perfplan.roles import Role
from plans.models import Plan
from tests.consuntivi.factories import client_for, indicator, open_round
from tests.factories import document_download, make_user
from workbook.plan_import import plan_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def semester(plan, who):
    rnd = open_round(plan, who["planner"], period="semester")
    for name, value in (
        ("Pubblicazioni sul sito camerale", "150"),
        ("Tempo medio di pagamento", "22"),
        ("Eventi organizzati", "6"),
    ):
        Measurement.objects.create(
            indicator=indicator(plan, name), round=rnd, year=2017, raw=value, value_number=Decimal(value)
        )
    return rnd


def test_the_plan_page_shows_the_state_at_30_june(plan, who, semester):
    page = client_for(who["oiv"]).get(plan.get_absolute_url(), {"anno": 2017, "rilevazione": semester.pk})
    text = page.content.decode()
    assert "situazione al 30/06/2017" in text
    assert "65,72 %" in text
    assert f'<option value="{semester.pk}" selected>30/06/2017 (semestrale)</option>' in text
    assert "Obiettivi a rischio e rapporto di monitoraggio" in text
    final = client_for(who["oiv"]).get(plan.get_absolute_url(), {"anno": 2017}).content.decode()
    assert "situazione al" not in final and "65,72 %" not in final


def test_the_unit_scores_show_the_state_at_30_june(plan, who, semester):
    url = reverse("scores:units", args=[plan.pk])
    text = client_for(who["planner"]).get(url, {"anno": 2017, "rilevazione": semester.pk}).content.decode()
    assert "situazione al 30/06/2017" in text and "65,72 %" in text
    assert client_for(who["planner"]).get(url, {"anno": 2017, "rilevazione": 999999}).status_code == 404


def test_the_risks_page_lists_the_objectives_at_risk_and_the_downloads(plan, who, semester):
    url = reverse("scores:risks", args=[plan.pk])
    text = client_for(who["oiv"]).get(url, {"anno": 2017}).content.decode()  # the latest mid-year round by default
    assert "Situazione al <strong>30/06/2017</strong>" in text
    assert "101 Informazione economica" in text and "atteso 173,56" in text
    assert "Report pubblicati entro la scadenza" in text  # without a value
    assert "Segnala un indicatore a rischio" not in text  # the OIV reads, never flags
    oiv = client_for(who["oiv"])
    pdf = document_download(oiv, reverse("scores:monitoring_download", args=[plan.pk, semester.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == f'attachment; filename="monitoraggio-{plan.ente.code}-2017-06-30.pdf"'
    docx = document_download(oiv, reverse("scores:monitoring_download", args=[plan.pk, semester.pk, "docx"]))
    assert "situazione al 30/06/2017" in "\n".join(p.text for p in Document(BytesIO(docx.content)).paragraphs)
    assert oiv.post(url.replace("rischi/", f"rischi/{semester.pk}/rapporto.odt")).status_code == 404
    page = oiv.get(url, {"anno": 2017}).content.decode()  # the two asked, newest first, with their links
    assert page.count('data-testid="job-file"') == 2 and page.index(".docx</a>") < page.index(".pdf</a>")


def test_a_year_without_rounds_says_so(plan, who):
    text = client_for(who["oiv"]).get(reverse("scores:risks", args=[plan.pk]), {"anno": 2018}).content.decode()
    assert "non ha ancora rilevazioni" in text


def test_the_responsabile_flags_from_the_page_and_removes_the_flag(plan, who, semester):
    events = indicator(plan, "Eventi organizzati")  # U2's
    client = client_for(who["head_u2"])
    page = client.get(reverse("scores:risks", args=[plan.pk]), {"anno": 2017}).content.decode()
    assert "Segnala un indicatore a rischio" in page and "Eventi organizzati" in page
    flag_url = reverse("scores:risk_flag", args=[plan.pk, semester.pk])
    response = client.post(flag_url, {"indicator": events.pk, "reason": "Sala convegni in restauro"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Segnalato dal Responsabile: Sala convegni in restauro" in page
    assert "1011.02 Eventi per le imprese" in page
    empty = client.post(flag_url, {"indicator": events.pk, "reason": " "}, follow=True).content.decode()
    assert "serve la motivazione" in empty
    assert RiskFlag.objects.get().reason == "Sala convegni in restauro"
    client.post(reverse("scores:risk_unflag", args=[plan.pk, semester.pk, events.pk]))
    assert not RiskFlag.objects.exists()


def test_another_units_responsabile_and_the_oiv_cannot_flag(plan, who, semester):
    events = indicator(plan, "Eventi organizzati")
    flag_url = reverse("scores:risk_flag", args=[plan.pk, semester.pk])
    for persona in ("head_u1", "oiv", "planner"):
        response = client_for(who[persona]).post(flag_url, {"indicator": events.pk, "reason": "Ritardo"})
        assert response.status_code == 403, persona
    assert not RiskFlag.objects.exists()


# --- Query counts: the same whatever the plan size -----------------------------------------------------------------


def _plan_with_semester(code: str, **shape) -> tuple[Plan, Round]:
    """A generated plan (benchmarks/synthetic.py, final values by import) and a semester round with half its values."""
    report = plan_import(source=BytesIO(synthetic_workbook(ente_code=code, **shape)))
    assert report.ok, report.errors[:3]
    plan = Plan.objects.get(pk=report.plan_id)
    final = Round.objects.get(plan=plan, final=True)
    semester = Round.objects.create(
        plan=plan, year=final.year, period="semester", reference_date=dt.date(final.year, 6, 30), label="Semestre"
    )
    rows = []
    for m in Measurement.objects.filter(round=final):
        half = (m.value_number / 2) if m.value_number is not None else None
        rows.append(Measurement(indicator_id=m.indicator_id, round=semester, year=m.year, value_number=half))
    Measurement.objects.bulk_create(rows)
    return plan, semester


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["plans:detail", "scores:units", "scores:risks"])
def test_the_mid_year_pages_run_the_same_queries_for_a_small_and_a_large_plan(page, django_assert_max_num_queries):
    counts = set()
    for code, shape in (
        ("SM", {"areas": 1, "strategic": 1, "operational": 1, "actions": 1, "indicators": 1}),
        ("LG", {"areas": 2, "strategic": 3, "operational": 4, "actions": 2, "indicators": 3}),
    ):
        plan, semester = _plan_with_semester(code, **shape)
        units = list(plan.ente.org_units.all())
        head = make_user(f"resp_{code}", Role.OFFICE_HEAD, plan.ente, units=units)  # the flag form's extra reads too
        params = {"anno": semester.year, "rilevazione": semester.pk}
        counts.add(_queries(client_for(head), reverse(page, args=[plan.pk]), params))
    assert len(counts) == 1, counts
    # plans:detail 19 (as at the year's end: the rounds query replaced the measured-years one; 3 of them the previous
    # years' results, consuntivi.year_over_year); scores:units 13
    # (the rounds, plan_score's 6); scores:risks 27 (the rounds, plan_score's 6, the flags, the reports the user
    # asked for, and for a Responsabile the units they lead and the round's rows of the flag form)
    budget = {"plans:detail": 19, "scores:units": 13, "scores:risks": 27}[page]
    client = client_for(head)
    with django_assert_max_num_queries(budget):
        client.get(reverse(page, args=[plan.pk]), params)


def test_the_planner_proposes_a_rimodulazione_from_an_objective_at_risk(plan, who, semester):
    """The proposal opens the target's form with the monitoring's reason written; saving it on an adopted plan is a
    revision like any other (plans.revisions)."""
    f1 = indicator(plan, "Pubblicazioni sul sito camerale")
    page = client_for(who["planner"]).get(reverse("scores:risks", args=[plan.pk]), {"anno": 2017}).content.decode()
    target_url = reverse("plans:target_edit", args=[plan.pk, f1.pk, 2017])
    assert f'href="{target_url}?motivo=Rimodulazione+proposta+dal+monitoraggio+al+30%2F06%2F2017' in page
    oiv_page = client_for(who["oiv"]).get(reverse("scores:risks", args=[plan.pk]), {"anno": 2017}).content.decode()
    assert "Proponi una rimodulazione" not in oiv_page
